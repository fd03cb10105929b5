using System.Net;
using System.Net.Sockets;

namespace QuayIntegration.Runtime.Tests.Support;

/// <summary>
/// A TCP relay to a server that can make the connections open through it go silently dead: <see cref="Freeze"/> stops
/// carrying bytes either way on every connection open at that moment (what arrives is read and dropped), yet keeps both
/// sockets open, as a peer that vanished behind a NAT or a firewall that dropped its state leaves them: no reset, no
/// close, no answer. Connections opened later are relayed as usual.
/// </summary>
public sealed class FreezingTcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Connection> _connections = [];
    private readonly Task _accepting;

    public FreezingTcpRelay(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections have been accepted so far.</summary>
    public int Accepted
    {
        get { lock (_connections) return _connections.Count; }
    }

    /// <summary>Every connection open now stops carrying bytes, for good; its sockets stay open.</summary>
    public void Freeze()
    {
        lock (_connections)
            foreach (var connection in _connections) connection.Frozen = true;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            // Stopped (DisposeAsync): the listener may be stopped just before the accept starts, which it refuses.
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            var connection = new Connection(client, server);
            lock (_connections) _connections.Add(connection);
            connection.Pumps = Task.WhenAll(PumpAsync(client, server, connection), PumpAsync(server, client, connection));
        }
    }

    /// <summary>Copies until either side closes; once frozen it drops what it reads, and leaves the sockets open.</summary>
    private static async Task PumpAsync(Socket from, Socket to, Connection connection)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    if (!connection.Frozen) to.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (connection.Frozen) continue;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        List<Connection> connections;
        lock (_connections) connections = [.. _connections];
        foreach (var connection in connections)
        {
            connection.Client.Dispose();
            connection.Server.Dispose();
            if (connection.Pumps is { } pumps) await pumps;
        }
        _stop.Dispose();
    }

    private sealed class Connection(Socket client, Socket server)
    {
        public Socket Client { get; } = client;
        public Socket Server { get; } = server;
        public volatile bool Frozen;
        public Task? Pumps { get; set; }
    }
}
