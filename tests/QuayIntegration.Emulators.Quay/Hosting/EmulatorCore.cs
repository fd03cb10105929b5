using QuayIntegration.Emulators.Quay.Accounting;
using QuayIntegration.Emulators.Quay.Api;
using QuayIntegration.Emulators.Quay.Api.Endpoints;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Control;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Emulators.Quay.Model;
using QuayIntegration.Emulators.Quay.Registry;

namespace QuayIntegration.Emulators.Quay.Hosting;

/// <summary>The parts one emulator instance is made of, shared by the request pipeline and the public facade.</summary>
public sealed class EmulatorCore
{
    public EmulatorCore(QuayEmulatorOptions options)
    {
        Options = options;
        Authorizer = new Authorizer(Store);
        Store.NamespaceGcDelay = options.NamespaceGcDelay;
        Store.SuperusersFullAccess = options.SuperusersFullAccess;
        Store.AnonymousAccess = options.AnonymousAccess;
        Store.OrganizationEmailRequired = options.OrganizationEmailRequired;
        Store.OrganizationCreationForSuperusersOnly = options.OrganizationCreationForSuperusersOnly;
        Store.ReadOnly = options.ReadOnly;
        foreach (var user in options.Users) Store.AddUser(user.Name, user.IsSuperuser, user.Email);
        foreach (var token in options.Tokens)
        {
            if (Store.FindUser(token.Username) is null) Store.AddUser(token.Username, superuser: false, email: null);
            Store.Tokens[token.Token] = new AccessToken(token.Token, token.Username, token.Scopes, token.ExpiresAt);
        }
        Routes = BuildRoutes();
    }

    public QuayEmulatorOptions Options { get; }
    public QuayStore Store { get; } = new();
    public Authorizer Authorizer { get; }
    public FaultInjector Faults { get; } = new();
    public CallAccounting Calls { get; } = new();
    public RegistryTokens RegistryTokens { get; } = new();
    public UploadSessions Uploads { get; } = new();
    public RouteTable Routes { get; }
    public CancellationTokenSource Stopping { get; } = new();

    /// <summary>Exceptions that escaped a handler (answered 500); a correct emulator keeps this empty.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Exception> UnexpectedExceptions { get; } = new();

    /// <summary>Set by the host once Kestrel is listening; used by the state page and the runnable host.</summary>
    public string? CaCertificatePem { get; set; }

    /// <summary>
    /// Quay reads the bearer token as an OAuth access token; an unknown or expired one is not rejected, the request
    /// simply goes on as anonymous.
    /// </summary>
    public Caller ResolveCaller(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Caller.Anonymous;
        var token = authorization[7..].Trim();
        lock (Store.Sync)
        {
            if (Store.Tokens.TryGetValue(token, out var accessToken) && !accessToken.IsExpired(DateTimeOffset.UtcNow)
                && Store.FindUser(accessToken.Username) is { } user)
                return new Caller(user, accessToken.Scopes, hasValidToken: true, isRegistryLogin: false);
        }
        return Caller.Anonymous;
    }

    /// <summary>Rules are matched in order: the tag and permission routes come before the bare repository route.</summary>
    private RouteTable BuildRoutes()
    {
        var routes = new RouteTable();
        UserEndpoints.Map(routes);
        DiscoveryEndpoints.Map(routes);
        OrganizationEndpoints.Map(routes);
        RobotEndpoints.Map(routes);
        PrototypeEndpoints.Map(routes);
        ApplicationEndpoints.Map(routes);
        TagEndpoints.Map(routes);
        PermissionEndpoints.Map(routes);
        RepositoryEndpoints.Map(routes);
        RegistryEndpoints.Map(routes);
        ControlEndpoints.Map(routes);
        return routes;
    }
}
