using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Emulators.Kubernetes.Tests.Support;

/// <summary>A tiny HTTPS server on 127.0.0.1 with its own CA, for webhooks and registries the API server calls.</summary>
public sealed class TestHttpsServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CertificateAuthority _ca;

    private TestHttpsServer(WebApplication app, CertificateAuthority ca, int port) => (_app, _ca, Port) = (app, ca, port);

    public int Port { get; }
    public string HostAndPort => $"127.0.0.1:{Port}";
    public string CaPem => _ca.CertificatePem;

    public static async Task<TestHttpsServer> StartAsync(RequestDelegate handler, params string[] extraDnsNames)
    {
        var ca = CertificateAuthority.Create("test-server-ca");
        var cert = ca.IssueServerCertificate(["localhost", .. extraDnsNames], [IPAddress.Loopback]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(cert)));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestHttpsServer(app, ca, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _ca.Dispose();
    }
}
