using System.Net;
using System.Net.Sockets;

namespace QuayIntegration.Testing.Core;

/// <summary>
/// A TCP listener on 127.0.0.1 that counts the connections it accepts and never answers one, as an address out of
/// reach would behave (a client waits until its own timeout): where a test certificate says its issuer can be
/// fetched, it shows whether anything tried.
/// </summary>
public sealed class UnansweringListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _held = [];
    private int _visits;

    public UnansweringListener()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>An http URL at this listener.</summary>
    public Uri Url(string path) => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{path.TrimStart('/')}");

    /// <summary>How many connections came so far.</summary>
    public int Visits => Volatile.Read(ref _visits);

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            Interlocked.Increment(ref _visits);
            lock (_held) _held.Add(client); // kept open, unanswered, until disposed
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        lock (_held) _held.ForEach(c => c.Dispose());
    }
}
