using System.Collections.Concurrent;
using QuayIntegration.Emulators.Kubernetes.Admission;
using QuayIntegration.Emulators.Kubernetes.Authentication;
using QuayIntegration.Emulators.Kubernetes.Authorization;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Resources;
using QuayIntegration.Emulators.Kubernetes.Storage;

namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>The services one API server instance is made of, shared by the request pipeline and the strategies.</summary>
public sealed class ApiServerCore
{
    public ApiServerCore(ApiServerOptions options, string adminToken, CancellationToken stopping)
    {
        Options = options;
        Stopping = stopping;
        Store = new ObjectStore(options.WatchHistorySize);
        ServiceAccountTokens = new ServiceAccountTokens(Store);
        Authenticator = new TokenAuthenticator(this, adminToken);
        Authorizer = new RbacAuthorizer(Store);
        Faults.Attach(Store, Registry);
        Admission = new MutatingAdmission(this);
        foreach (var (k, v) in options.ServiceEndpoints) ServiceEndpoints[k] = v;
        RegistryClient = new RegistryClient(options);
        foreach (var (token, user) in options.Users) Users[token] = user;
    }

    public ApiServerOptions Options { get; }
    public CancellationToken Stopping { get; }
    public ObjectStore Store { get; }
    public ResourceTypeRegistry Registry { get; } = new();
    public MutatingAdmission Admission { get; }
    public FaultInjector Faults { get; } = new();
    public RequestAccounting Requests { get; } = new();
    public ConcurrentDictionary<string, string> ServiceEndpoints { get; } = new();
    public RegistryClient RegistryClient { get; }
    public ServiceAccountTokens ServiceAccountTokens { get; }
    public TokenAuthenticator Authenticator { get; }
    public RbacAuthorizer Authorizer { get; }
    /// <summary>Bearer token → user, besides the admin token.</summary>
    public ConcurrentDictionary<string, ApiUser> Users { get; } = new();
}
