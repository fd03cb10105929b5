using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// HTTP/1.1 written by hand over TLS, for what HttpClient will not send: a body cut off or trickled, a chunked body
/// that goes on after the server has answered. The server certificate is checked against the test CA.
/// </summary>
public sealed class RawHttps : IAsyncDisposable
{
    private readonly TcpClient _tcp;

    private RawHttps(TcpClient tcp, SslStream stream)
    {
        _tcp = tcp;
        Stream = stream;
    }

    public SslStream Stream { get; }

    /// <summary>
    /// Connects and shakes hands offering <paramref name="protocols"/> by ALPN (HTTP/1.1 when none are given), from
    /// <paramref name="from"/> when given (any 127.x.y.z reaches a loopback listener on Linux: a client of its own address).
    /// </summary>
    public static async Task<RawHttps> ConnectAsync(string baseUrl, string caPem, List<SslApplicationProtocol>? protocols = null, IPAddress? from = null)
    {
        var uri = new Uri(baseUrl);
        var tcp = from is null ? new TcpClient() : new TcpClient(new IPEndPoint(from, 0));
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            if (certificate is null) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(caPem));
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        });
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = $"{WebhookSetup.ServiceName}.{WebhookSetup.ServiceNamespace}.svc",
            ApplicationProtocols = protocols ?? [SslApplicationProtocol.Http11],
        });
        return new RawHttps(tcp, ssl);
    }

    public Task WriteAsync(string text) => WriteAsync(Encoding.ASCII.GetBytes(text));

    public async Task WriteAsync(byte[] bytes)
    {
        await Stream.WriteAsync(bytes);
        await Stream.FlushAsync();
    }

    public static string Head(string method, string path, params string[] headers) =>
        $"{method} {path} HTTP/1.1\r\nHost: {WebhookSetup.ServiceName}.{WebhookSetup.ServiceNamespace}.svc\r\n" +
        string.Concat(headers.Select(h => h + "\r\n")) + "\r\n";

    /// <summary>Reads one response (status, head, body by Content-Length), or null when the server closed without one.</summary>
    public async Task<(int Status, string Head, string Body)?> ReadResponseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int headEnd;
        while ((headEnd = IndexOf(received.GetBuffer().AsSpan(0, (int)received.Length), "\r\n\r\n"u8)) < 0)
        {
            int n;
            try { n = await Stream.ReadAsync(buffer, cts.Token); }
            catch (IOException) { return null; }
            if (n == 0) return null;
            received.Write(buffer, 0, n);
        }
        var head = Encoding.ASCII.GetString(received.GetBuffer(), 0, headEnd);
        var status = int.Parse(head.Split(' ')[1]);
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = lengthLine is null ? 0 : int.Parse(lengthLine.Split(':')[1].Trim());
        while (received.Length < headEnd + 4 + length)
        {
            var n = await Stream.ReadAsync(buffer, cts.Token);
            if (n == 0) break;
            received.Write(buffer, 0, n);
        }
        var body = Encoding.UTF8.GetString(received.GetBuffer(), headEnd + 4, (int)Math.Min(length, received.Length - headEnd - 4));
        return (status, head, body);
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _tcp.Dispose();
    }
}
