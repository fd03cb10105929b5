using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Tests.Support;
using QuayIntegration.Testing;

namespace QuayIntegration.Runtime.Tests.Integration;

/// <summary>The informer's paged initial list and its cache transform, against the emulated API server.</summary>
public sealed class InformerPagingTests : IAsyncLifetime
{
    private EmulatedApiServer _world = null!;

    public async Task InitializeAsync() => _world = await EmulatedApiServer.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private readonly LinesLogger _log = new();

    private async Task<(Informer<V1ServiceAccount> Informer, Task Run)> StartAsync(int? pageSize, CancellationToken ct)
    {
        var informer = new Informer<V1ServiceAccount>(_world.Api, new InformerSpec(ResourceType.ServiceAccounts), TimeSpan.Zero, _log)
        {
            ListPageSize = pageSize,
        };
        var run = informer.RunAsync(ct);
        await informer.WaitForSyncAsync(ct).WaitAsync(TimeSpan.FromSeconds(10));
        return (informer, run);
    }

    private async Task CreateAccountsAsync(string ns, int count)
    {
        await _world.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        for (var i = 0; i < count; i++)
            await _world.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount
            {
                Metadata = new V1ObjectMeta
                {
                    Name = $"sa-{i}",
                    Annotations = new Dictionary<string, string>
                    {
                        ["kept"] = "yes",
                        [CacheTransforms.LastAppliedAnnotation] = """{"apiVersion":"v1","kind":"ServiceAccount"}""",
                    },
                },
                Secrets = [new V1ObjectReference { Name = $"sa-{i}-dockercfg", Kind = "Secret", NamespaceProperty = ns }],
                ImagePullSecrets = [new V1LocalObjectReference { Name = $"sa-{i}-dockercfg" }],
            }, ns);
    }

    [Fact]
    public async Task A_paged_list_caches_every_page_trimmed_and_the_watch_continues_after_it()
    {
        await CreateAccountsAsync("paged", 7);
        using var stop = new CancellationTokenSource();
        var (informer, run) = await StartAsync(pageSize: 2, stop.Token);

        var cached = informer.ListInNamespace("paged");
        Assert.Equal(7, cached.Count);
        // Start-up says what it listed and how long that took (the service accounts of the other namespaces count too).
        var listed = Assert.Single(_log.Lines, l => l.StartsWith("Listed ", StringComparison.Ordinal));
        Assert.Matches(@"^Listed \d+ serviceaccounts in [0-9.]+ s$", listed);
        Assert.True(int.Parse(listed.Split(' ')[1]) >= 7, listed);
        foreach (var sa in cached)
        {
            Assert.DoesNotContain(CacheTransforms.LastAppliedAnnotation, sa.Metadata.Annotations.Keys);
            Assert.Equal("yes", sa.Metadata.Annotations["kept"]);
            var secret = Assert.Single(sa.Secrets);
            Assert.Equal(("Secret", "paged", sa.Metadata.Name + "-dockercfg"), (secret.Kind, secret.NamespaceProperty, secret.Name));
            Assert.Equal(sa.Metadata.Name + "-dockercfg", Assert.Single(sa.ImagePullSecrets).Name);
        }

        // The watch starts from the list's resourceVersion: a change after the last page arrives.
        await _world.Client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "later" } }, "paged");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (informer.Get("paged", "later") is null && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.NotNull(informer.Get("paged", "later"));

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_expired_paged_list_falls_back_to_one_unpaged_list()
    {
        await CreateAccountsAsync("expired", 3);
        // Every continue token is refused, as after a compaction between pages: only a list without one can succeed,
        // so a relist that pages again would never sync.
        _world.Server.Faults.ExpireContinueTokens(count: int.MaxValue, resource: "serviceaccounts");
        using var stop = new CancellationTokenSource();
        var (informer, run) = await StartAsync(pageSize: 2, stop.Token);

        Assert.Equal(3, informer.ListInNamespace("expired").Count);
        Assert.True(_world.Server.Faults.ContinueTokensExpired >= 1, "the first page was asked with a limit and answered with a continue token");

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task An_object_deleted_between_pages_is_not_kept_from_the_page_that_listed_it_when_the_list_starts_over()
    {
        await CreateAccountsAsync("between", 3);
        // After the first page (sa-0 and sa-1), sa-0 is deleted and the continue token has expired: the unpaged list
        // that follows is the whole truth, and no watch event will ever say sa-0 went.
        _world.Server.Faults.ExpireContinueTokens(count: 1, resource: "serviceaccounts", meanwhile: () =>
            _world.Client.CoreV1.DeleteNamespacedServiceAccountAsync("sa-0", "between").GetAwaiter().GetResult());
        using var stop = new CancellationTokenSource();
        var (informer, run) = await StartAsync(pageSize: 2, stop.Token);

        Assert.Equal(1, _world.Server.Faults.ContinueTokensExpired);
        Assert.Null(informer.Get("between", "sa-0"));
        Assert.Equal(["sa-1", "sa-2"], informer.ListInNamespace("between").Select(a => a.Metadata.Name).Order());

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
