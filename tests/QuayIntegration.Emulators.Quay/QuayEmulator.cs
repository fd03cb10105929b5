using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Quay.Accounting;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Emulators.Quay.Hosting;
using QuayIntegration.Emulators.Quay.Model;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Emulators.Quay;

/// <summary>
/// An emulated Quay (v1 REST API + Docker Registry v2) listening on 127.0.0.1 over HTTP and HTTPS.
/// <code>
/// await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("admin", "t0ken", superuser: true));
/// using var client = quay.CreateHttpClient("t0ken");
/// </code>
/// </summary>
public sealed class QuayEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatorCore _core;
    private readonly CertificateAuthority _ca;
    private readonly CertificateAuthority? _intermediate;
    private readonly X509Certificate2 _serverCertificate;

    private QuayEmulator(WebApplication app, EmulatorCore core, CertificateAuthority ca, CertificateAuthority? intermediate, X509Certificate2 serverCertificate,
        string httpBaseUrl, string httpsBaseUrl)
    {
        _app = app;
        _core = core;
        _ca = ca;
        _intermediate = intermediate;
        _serverCertificate = serverCertificate;
        HttpBaseUrl = httpBaseUrl;
        BaseUrl = httpsBaseUrl;
        RegistryHost = new Uri(httpsBaseUrl).Authority;
    }

    /// <summary>HTTPS base URL, e.g. <c>https://127.0.0.1:43117</c> (no trailing slash).</summary>
    public string BaseUrl { get; }

    /// <summary>Plain-HTTP base URL.</summary>
    public string HttpBaseUrl { get; }

    /// <summary>The registry host as image references name it: <c>127.0.0.1:&lt;https port&gt;</c>.</summary>
    public string RegistryHost { get; }

    public string CaCertificatePem => _ca.CertificatePem;
    public X509Certificate2 CaCertificate => _ca.Certificate;

    /// <summary>The intermediate CA that issued the HTTPS certificate, or null when the root did (<see cref="QuayEmulatorOptions.CertificateChain"/>).</summary>
    public string? IntermediateCertificatePem => _intermediate?.CertificatePem;

    public FaultInjector Faults => _core.Faults;
    public CallAccounting Calls => _core.Calls;

    /// <summary>TLS connections accepted on the HTTPS port so far: each one a handshake a client paid for.</summary>
    public long TlsConnections => _core.Calls.TlsConnections;

    /// <summary>An immutable copy of everything the emulated Quay holds.</summary>
    public QuayState State => StateSnapshots.Take(_core.Store);

    /// <summary>A copy of one organization and its repositories (null if there is none), without copying the rest.</summary>
    public (OrganizationState Organization, IReadOnlyList<RepositoryState> Repositories)? SnapshotOrganization(string name) =>
        StateSnapshots.TakeOrganization(_core.Store, name);

    /// <summary>Exceptions that escaped a handler and were answered 500; expected to stay empty.</summary>
    public IReadOnlyCollection<Exception> UnexpectedExceptions => _core.UnexpectedExceptions;

    public TimeSpan NamespaceGcDelay
    {
        get { lock (_core.Store.Sync) return _core.Store.NamespaceGcDelay; }
        set { lock (_core.Store.Sync) _core.Store.NamespaceGcDelay = value; }
    }

    public bool SuperusersFullAccess
    {
        get { lock (_core.Store.Sync) return _core.Store.SuperusersFullAccess; }
        set { lock (_core.Store.Sync) _core.Store.SuperusersFullAccess = value; }
    }

    /// <inheritdoc cref="QuayEmulatorOptions.OrganizationCreationForSuperusersOnly"/>
    public bool OrganizationCreationForSuperusersOnly
    {
        get { lock (_core.Store.Sync) return _core.Store.OrganizationCreationForSuperusersOnly; }
        set { lock (_core.Store.Sync) _core.Store.OrganizationCreationForSuperusersOnly = value; }
    }

    /// <inheritdoc cref="QuayEmulatorOptions.OrganizationEmailRequired"/>
    public bool OrganizationEmailRequired
    {
        get { lock (_core.Store.Sync) return _core.Store.OrganizationEmailRequired; }
        set { lock (_core.Store.Sync) _core.Store.OrganizationEmailRequired = value; }
    }

    /// <summary>FEATURE_ANONYMOUS_ACCESS; off makes every anonymous API call 401 (C).</summary>
    public bool AnonymousAccess
    {
        get => _core.Store.AnonymousAccess;
        set => _core.Store.AnonymousAccess = value;
    }

    /// <summary>REGISTRY_STATE=readonly: API writes answer 503 (B).</summary>
    public bool ReadOnly
    {
        get => _core.Store.ReadOnly;
        set => _core.Store.ReadOnly = value;
    }

    public static async Task<QuayEmulator> StartAsync(QuayEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new QuayEmulatorOptions();
        // A throwaway CA and its certificate for 127.0.0.1, ::1 and localhost, so that clients verify TLS for real by
        // trusting only this CA (or test insecureRegistry by not trusting it).
        var ca = CertificateAuthority.Create("Emulated Quay CA", TimeSpan.FromDays(30));
        var intermediate = options.CertificateChain == QuayCertificateChain.Root ? null : ca.CreateIntermediate("Emulated Quay Intermediate CA");
        var serverCertificate = (intermediate ?? ca).IssueServerCertificate(["localhost"], [IPAddress.Loopback, IPAddress.IPv6Loopback], options.CertificateIssuerUrl);
        var core = new EmulatorCore(options) { CaCertificatePem = ca.CertificatePem };
        // A certificate that names its issuer's address would have Kestrel fetch that issuer while building what the
        // server sends (offline: false is its default, at start): this server sends the leaf alone, built offline, so
        // the only fetch a test can see is a client's.
        var offlineContext = options.CertificateIssuerUrl is null || options.CertificateChain != QuayCertificateChain.IntermediateNotSent
            ? null
            : SslStreamCertificateContext.Create(serverCertificate, additionalCertificates: null, offline: true);
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serverCertificate,
            OnAuthenticate = (_, _) => core.Calls.TlsConnectionAccepted(),
            ServerCertificateChain = options.CertificateChain switch
            {
                QuayCertificateChain.IntermediateSent => [intermediate!.Certificate],
                QuayCertificateChain.IntermediateAndRootSent => [intermediate!.Certificate, ca.Certificate],
                _ => null,
            },
        };

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(QuayEmulator).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, PassiveHostLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Limits are enforced per area by the pipeline (nginx-style 413), so Kestrel must not cut in first.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, options.HttpPort);
            kestrel.Listen(IPAddress.Loopback, options.HttpsPort, listen =>
            {
                if (offlineContext is null)
                {
                    listen.UseHttps(https);
                    return;
                }
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ =>
                    {
                        core.Calls.TlsConnectionAccepted();
                        return ValueTask.FromResult(new SslServerAuthenticationOptions { ServerCertificateContext = offlineContext });
                    },
                });
            });
        });
        var app = builder.Build();
        var pipeline = new RequestPipeline(core);
        app.Run(pipeline.InvokeAsync);
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var http = addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)).TrimEnd('/');
        var httpsUrl = addresses.First(a => a.StartsWith("https://", StringComparison.Ordinal)).TrimEnd('/');
        return new QuayEmulator(app, core, ca, intermediate, serverCertificate, http, httpsUrl);
    }

    public void AddUser(string name, bool superuser = false, string? email = null)
    {
        lock (_core.Store.Sync) _core.Store.AddUser(name, superuser, email);
    }

    /// <summary>Registers an OAuth token for an existing user and returns it (random when <paramref name="token"/> is null).</summary>
    public string AddToken(string username, QuayScopes scopes = QuayScopes.All, string? token = null, DateTimeOffset? expiresAt = null)
    {
        token ??= QuayStore.NewRobotToken()[..40];
        lock (_core.Store.Sync)
        {
            if (_core.Store.FindUser(username) is not { IsRobot: false }) throw new InvalidOperationException($"No user named '{username}'.");
            _core.Store.Tokens[token] = new AccessToken(token, username, scopes, expiresAt);
        }
        return token;
    }

    /// <summary>Revokes a token; afterwards Quay treats requests bearing it as anonymous.</summary>
    public void RevokeToken(string token)
    {
        lock (_core.Store.Sync) _core.Store.Tokens.Remove(token);
    }

    /// <summary>Adds a user or robot to a team of an existing organization, creating the team with <paramref name="role"/> if needed.</summary>
    public void AddTeamMember(string organization, string team, TeamRole role, string username)
    {
        lock (_core.Store.Sync)
        {
            var org = _core.Store.FindOrganization(organization) ?? throw new InvalidOperationException($"No organization named '{organization}'.");
            if (_core.Store.FindUser(username) is null) throw new InvalidOperationException($"No user named '{username}'.");
            if (!org.Teams.TryGetValue(team, out var existing)) org.Teams[team] = existing = new Team { Name = team, Role = role };
            existing.Members.Add(username);
        }
    }

    /// <summary>Deletes a team of an organization, as its administrator would in Quay's UI.</summary>
    public void RemoveTeam(string organization, string team)
    {
        lock (_core.Store.Sync)
        {
            var org = _core.Store.FindOrganization(organization) ?? throw new InvalidOperationException($"No organization named '{organization}'.");
            if (!org.Teams.Remove(team)) throw new InvalidOperationException($"No team '{team}' in '{organization}'.");
        }
    }

    /// <summary>Ends the GC grace period of every deleted organization now.</summary>
    public void CollectGarbageNow()
    {
        lock (_core.Store.Sync) _core.Store.CollectGarbageNow();
    }

    /// <summary>A handler that trusts exactly this emulator's CA.</summary>
    public HttpMessageHandler CreateHttpMessageHandler(bool allowAutoRedirect = true) => new SocketsHttpHandler
    {
        AllowAutoRedirect = allowAutoRedirect,
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, chain, errors) => _ca.Validate(certificate, chain, errors) },
    };

    /// <summary>An HttpClient on <see cref="BaseUrl"/> (HTTPS) that trusts the CA and sends <paramref name="token"/> as a bearer token.</summary>
    public HttpClient CreateHttpClient(string? token = null, bool allowAutoRedirect = true)
    {
        var client = new HttpClient(CreateHttpMessageHandler(allowAutoRedirect)) { BaseAddress = new Uri(BaseUrl + "/") };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _core.Stopping.CancelAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        _serverCertificate.Dispose();
        _intermediate?.Dispose();
        _ca.Dispose();
    }
}
