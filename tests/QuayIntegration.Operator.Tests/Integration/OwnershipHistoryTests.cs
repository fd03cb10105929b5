using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Operator.Tests.Support;
using Xunit.Abstractions;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>Runs only when asked: QUAYINTEGRATION_LONG_HISTORIES="&lt;first seed&gt;-&lt;last seed&gt;:&lt;operations&gt;" (e.g. "1-20:200").</summary>
public sealed class LongHistoriesFactAttribute : FactAttribute
{
    public LongHistoriesFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("QUAYINTEGRATION_LONG_HISTORIES")))
            Skip = "Long variant: set QUAYINTEGRATION_LONG_HISTORIES=\"1-20:200\" (seeds 1 to 20, 200 operations each) to run it.";
    }
}

/// <summary>
/// The ownership promise against random histories: configuration changes (scope in and out, organization prefix and
/// cluster ID in both directions, service accounts added and removed, both policies flipped, the QuayIntegration deleted
/// and re-created), cluster changes (namespaces and ImageStreams created and deleted, a finalizer removed by hand),
/// objects made by hand in Quay, namespaces the Go Quay Bridge Operator set up taken over, and the operator killed at
/// random points. Operations come in small batches; after each
/// batch <see cref="OwnershipOracle"/> must find the world exactly as the policies say: nothing the operator made and
/// no longer wants left, nothing made by hand touched, everything wanted present, and the records truthful.
/// </summary>
[Collection(OwnershipCollection.Name)]
public sealed class OwnershipHistoryTests(ITestOutputHelper output)
{
    private static readonly string[] Universe = ["h-a", "h-b", "h-c", "h-d"];
    private static readonly string[] Streams = ["app", "web", "db"];
    private static readonly string[] Prefixes = ["openshift", "east", "team"];
    private static readonly TimeSpan ConvergenceTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(11)]
    [InlineData(23)]
    [InlineData(37)]
    public Task A_random_history_of_fifty_operations_keeps_the_ownership_promise(int seed) => RunAsync(seed, operations: 50);

    [LongHistoriesFact]
    public async Task Long_random_histories_keep_the_ownership_promise()
    {
        var spec = Environment.GetEnvironmentVariable("QUAYINTEGRATION_LONG_HISTORIES")!.Split(':');
        var seeds = spec[0].Split('-').Select(int.Parse).ToArray();
        for (var seed = seeds[0]; seed <= seeds[^1]; seed++) await RunAsync(seed, operations: int.Parse(spec[1]));
    }

    private sealed class History(Random random)
    {
        public HistoryConfig Config { get; set; } = new("openshift", null, Universe.ToHashSet(), new HashSet<string>(),
            [("builder", "write"), ("default", "read"), ("deployer", "read")], false, false);

        public HashSet<string> Existing { get; } = [];
        public Dictionary<string, HashSet<string>> StreamsOf { get; } = Universe.ToDictionary(n => n, _ => new HashSet<string>());
        public List<string> Log { get; } = [];
        public Random Random { get; } = random;

        public T Pick<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];
    }

    private async Task RunAsync(int seed, int operations)
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray(Universe.Select(n => (JsonNode)n!).ToArray());
            spec["driftCheckInterval"] = "3s";
        });
        env.Quay.NamespaceGcDelay = TimeSpan.FromMilliseconds(300);
        using var admin = new QuayAdministrator(env.Quay);
        var oracle = new OwnershipOracle(env, "operator", Universe, Prefixes);
        var history = new History(new Random(seed));
        var op = await env.StartOperatorAsync("history-0");
        var restarts = 0;
        var done = 0;
        try
        {
            while (done < operations)
            {
                var batch = NextBatch(history, done == 0);
                var restartAt = history.Random.NextDouble() < 0.2 ? history.Random.Next(batch.Count + 1) : -1;
                for (var i = 0; i < batch.Count; i++)
                {
                    if (i == restartAt) op = await RestartAsync(env, op, ++restarts, history);
                    history.Log.Add(batch[i].Description);
                    if (batch[i].WhileStopped) await env.KillOperatorAsync(op);
                    await batch[i].Apply(env, admin, oracle, history);
                    if (batch[i].WhileStopped) op = await env.StartOperatorAsync($"history-{++restarts}");
                    if (batch[i].Settled is { } settled) await settled(env);
                }
                if (restartAt == batch.Count) op = await RestartAsync(env, op, ++restarts, history);
                done += batch.Count;
                await ConvergeAsync(env, oracle, history, seed);
            }
            output.WriteLine($"seed {seed}: {done} operations, {restarts} operator restarts, converged after every batch");
            if (Environment.GetEnvironmentVariable("QUAYINTEGRATION_PRINT_HISTORIES") == "1") output.WriteLine("  " + string.Join("\n  ", history.Log));
        }
        catch
        {
            output.WriteLine($"seed {seed} history:\n  " + string.Join("\n  ", history.Log));
            throw;
        }
    }

    private static async Task<RunningOperator> RestartAsync(OperatorEnvironment env, RunningOperator op, int n, History history)
    {
        history.Log.Add("(operator killed and started again)");
        await env.KillOperatorAsync(op);
        return await env.StartOperatorAsync($"history-{n}");
    }

    private static async Task ConvergeAsync(OperatorEnvironment env, OwnershipOracle oracle, History history, int seed)
    {
        var deadline = DateTime.UtcNow + ConvergenceTimeout;
        List<string> problems;
        while ((problems = await oracle.ViolationsAsync(history.Config)).Count > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                var records = new List<string>();
                foreach (var ns in Universe)
                    if (await env.GetRecordAsync(ns) is { } record) records.Add($"  {ns}: {record["spec"]?.ToJsonString()} {record["status"]?.ToJsonString()}");
                Assert.Fail($"seed {seed}: not converged {ConvergenceTimeout.TotalSeconds} s after operation {history.Log.Count}:\n{OwnershipOracle.Describe(problems)}" +
                            $"records:\n{string.Join("\n", records)}");
            }
            await Task.Delay(200);
        }
    }

    /// <param name="WhileStopped">Applied with the operator stopped (killed before, started again after).</param>
    /// <param name="Settled">Awaited after the operation (and the operator's start), before the next one.</param>
    private sealed record Operation(string Description, Func<OperatorEnvironment, QuayAdministrator, OwnershipOracle, History, Task> Apply,
        bool WhileStopped = false, Func<OperatorEnvironment, Task>? Settled = null);

    /// <summary>
    /// A batch: one configuration change or one namespace deletion on its own (so which namespace was managed when it
    /// was deleted is never a race), or one to three cluster and hand-made changes together.
    /// </summary>
    private static List<Operation> NextBatch(History h, bool first)
    {
        var roll = first ? 0 : h.Random.Next(100);
        if (roll < 22) return [ConfigurationChange(h)];
        if (roll < 32 && h.Existing.Count > 0) return [DeleteNamespace(h, h.Pick(h.Existing.Order().ToList()))];
        var batch = new List<Operation>();
        var touched = new HashSet<string>();
        for (var i = h.Random.Next(1, 4); i > 0; i--)
        {
            var ns = h.Pick(Universe);
            if (!touched.Add(ns)) continue;
            batch.Add(ClusterOrHandChange(h, ns));
        }
        return batch.Count == 0 ? [ClusterOrHandChange(h, h.Pick(Universe))] : batch;
    }

    private static Operation ClusterOrHandChange(History h, string ns)
    {
        if (!h.Existing.Contains(ns))
            return h.Random.Next(6) switch
            {
                < 2 => HandMadeOrganization(h, ns),
                2 => GoOperatorNamespace(h, ns),
                _ => CreateNamespace(h, ns),
            };
        return h.Random.Next(10) switch
        {
            < 4 => AddStream(h, ns),
            < 6 => DeleteStream(h, ns),
            < 8 => HandMadeRepository(h, ns),
            8 => HandMadeRobot(h, ns),
            _ => RemoveFinalizer(ns),
        };
    }

    private static Operation CreateNamespace(History h, string ns)
    {
        h.Existing.Add(ns);
        h.StreamsOf[ns].Clear();
        return new($"create namespace {ns}", async (env, _, _, _) =>
        {
            await env.CreateNamespaceAsync(ns);
            await env.Kube.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "pipeline" } }, ns);
        });
    }

    /// <summary>
    /// A takeover: the Go Quay Bridge Operator set the namespace up while this operator was not running, as
    /// <see cref="MigrationFromGoOperatorTests"/> rebuilds it (its organization for the current prefix, unmarked robots
    /// and default permissions for its fixed matrix, an unmarked repository per ImageStream and sometimes one left by an
    /// ImageStream deleted since, unlabelled Secrets linked to the service accounts, its finalizer). All of it is made
    /// with the operator's token, so the oracle counts it as the operator's, as the takeover rule does. A namespace
    /// name with a record of its own, or whose organization exists, is created plainly instead: the Go operator never
    /// followed this one. The next operation waits for the operator's first look at the organization (its inventory of
    /// what the Go operator left): what a person makes before that look cannot be told from what the Go operator made.
    /// </summary>
    private static Operation GoOperatorNamespace(History h, string ns)
    {
        h.Existing.Add(ns);
        var streams = Streams.Where(_ => h.Random.Next(2) == 0).ToList();
        h.StreamsOf[ns].Clear();
        h.StreamsOf[ns].UnionWith(streams);
        var leftOver = Streams.Except(streams).FirstOrDefault(_ => h.Random.Next(2) == 0);
        var (org, clusterId) = (h.Config.OrganizationOf(ns), h.Config.ClusterId);
        var plain = false;
        return new($"Go operator sets up {ns} as {org} (ImageStreams {string.Join(",", streams)}; left-over repository {leftOver ?? "none"}) while the operator is stopped",
            async (env, _, _, _) =>
            {
                env.Quay.CollectGarbageNow();
                plain = env.Quay.State.Organization(org) is not null || await env.GetRecordAsync(ns) is not null;
                using var quay = env.Quay.CreateHttpClient(env.Token);
                if (!plain) await LegacyWorld.GoOrganizationAsync(quay, org);
                await env.Kube.CoreV1.CreateNamespaceAsync(plain ? new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } } : LegacyWorld.GoNamespace(ns));
                await env.Kube.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "pipeline" } }, ns);
                foreach (var stream in streams) await env.CreateImageStreamAsync(ns, stream);
                if (plain) return;
                foreach (var repository in leftOver is null ? streams : [.. streams, leftOver]) await LegacyWorld.GoRepositoryAsync(quay, org, repository);
                await LegacyWorld.GoSecretsAsync(env, ns, org, clusterId);
            }, WhileStopped: true, Settled: env => plain ? Task.CompletedTask : Eventually(async () =>
                env.Quay.State.Organization(org) is null // out of scope with cleanupPolicy Delete: deleted at once
                || (await env.GetRecordAsync(ns))?["spec"]?["organizations"]?.AsArray().Any(o => o?["adoptedContentRecorded"]?.GetValue<bool>() == true) == true,
                $"the operator's inventory of what the Go operator left in {org}", TimeSpan.FromSeconds(60)));
    }

    private static Operation DeleteNamespace(History h, string ns)
    {
        h.Existing.Remove(ns);
        return new($"delete namespace {ns}", async (env, _, oracle, history) =>
        {
            oracle.ManagedWhenDeleted[ns] = history.Config.InScope(ns);
            await env.Kube.CoreV1.DeleteNamespaceAsync(ns);
            await env.Cluster.Oc.WaitForNamespaceGoneAsync(ns, TimeSpan.FromSeconds(60));
        });
    }

    private static Operation AddStream(History h, string ns)
    {
        var stream = h.Pick(Streams);
        if (!h.StreamsOf[ns].Add(stream)) return DeleteStream(h, ns, stream);
        return new($"create ImageStream {ns}/{stream}", (env, _, _, _) => env.CreateImageStreamAsync(ns, stream));
    }

    private static Operation DeleteStream(History h, string ns, string? stream = null)
    {
        stream ??= h.StreamsOf[ns].Count == 0 ? null : h.Pick(h.StreamsOf[ns].Order().ToList());
        if (stream is null) return AddStream(h, ns);
        h.StreamsOf[ns].Remove(stream);
        return new($"delete ImageStream {ns}/{stream}", (env, _, _, _) =>
            env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", ns, "imagestreams", stream));
    }

    /// <summary>A person makes the organization a namespace will map to before the operator does: it is Found, never deleted.</summary>
    private static Operation HandMadeOrganization(History h, string ns)
    {
        var org = h.Config.OrganizationOf(ns);
        return new($"by hand: organization {org}", async (env, admin, oracle, _) =>
        {
            if (env.Quay.State.Organization(org) is not null) return;
            env.Quay.CollectGarbageNow();
            await admin.CreateOrganizationAsync(org);
            admin.AddOwner(org, "operator");
            oracle.HandOrganizations.Add(org);
        });
    }

    /// <summary>A person makes a repository in the namespace's current organization, with a name an ImageStream may take.</summary>
    private static Operation HandMadeRepository(History h, string ns)
    {
        var org = h.Config.OrganizationOf(ns);
        var name = h.Pick(Streams);
        return new($"by hand: repository {org}/{name}", async (env, admin, oracle, _) =>
        {
            if (env.Quay.State.Organization(org) is null || env.Quay.State.Repository(org, name) is not null) return;
            admin.JoinOwners(org);
            try
            {
                await admin.CreateRepositoryAsync(org, name);
                oracle.HandRepositories.Add($"{org}/{name}");
            }
            catch (InvalidOperationException)
            {
                // The operator created it first (its ImageStream appeared meanwhile): not the person's.
            }
        });
    }

    /// <summary>A person makes a robot of their own in the namespace's current organization.</summary>
    private static Operation HandMadeRobot(History h, string ns)
    {
        var org = h.Config.OrganizationOf(ns);
        return new($"by hand: robot {org}+keeper", async (env, admin, oracle, _) =>
        {
            if (env.Quay.State.Organization(org) is not { } existing || existing.Robots.Any(r => r.Name == $"{org}+keeper")) return;
            admin.JoinOwners(org);
            await admin.CreateRobotAsync(org, "keeper");
            oracle.HandRobotTokens[$"{org}+keeper"] = env.Quay.State.Organization(org)!.Robots.Single(r => r.Name == $"{org}+keeper").Token;
        });
    }

    private static Operation RemoveFinalizer(string ns) => new($"by hand: remove the finalizer of {ns}", async (env, _, _, _) =>
    {
        var namespaceObject = await env.GetNamespaceAsync(ns);
        if (namespaceObject?.Metadata.Finalizers?.Contains("quay.redhat.com/quayintegrations") != true) return;
        namespaceObject.Metadata.Finalizers = namespaceObject.Metadata.Finalizers.Where(f => f != "quay.redhat.com/quayintegrations").ToList();
        try { await env.Kube.CoreV1.ReplaceNamespaceAsync(namespaceObject, ns); } catch (k8s.Autorest.HttpOperationException) { }
    });

    private static Operation ConfigurationChange(History h)
    {
        var c = h.Config;
        var ns = h.Pick(Universe);
        HistoryConfig next;
        string what;
        switch (h.Random.Next(9))
        {
            case 0:
                next = c with { Allow = Toggle(c.Allow, ns) };
                what = $"allowlist {(next.Allow.Contains(ns) ? "+" : "-")}{ns}";
                break;
            case 1:
                next = c with { Deny = Toggle(c.Deny, ns) };
                what = $"denylist {(next.Deny.Contains(ns) ? "+" : "-")}{ns}";
                break;
            case 2:
                next = c with { OrganizationPrefix = c.OrganizationPrefix is null ? "team" : null };
                what = $"organizationPrefix {next.OrganizationPrefix ?? "(unset)"}";
                break;
            case 3:
                next = c with { ClusterId = c.ClusterId == "openshift" ? "east" : "openshift" };
                what = $"clusterID {next.ClusterId}";
                break;
            case 4:
                next = c with
                {
                    Matrix = c.Matrix.Any(m => m.Name == "pipeline") ? c.Matrix.Where(m => m.Name != "pipeline").ToList() : [.. c.Matrix, ("pipeline", "write")],
                };
                what = $"serviceAccounts {string.Join(",", next.Matrix.Select(m => m.Name))}";
                break;
            case 5:
                next = c with
                {
                    Matrix = c.Matrix.Any(m => m.Name == "deployer") ? c.Matrix.Where(m => m.Name != "deployer").ToList() : [.. c.Matrix, ("deployer", "read")],
                };
                what = $"serviceAccounts {string.Join(",", next.Matrix.Select(m => m.Name))}";
                break;
            case 6:
                next = c with { DeleteRepositories = !c.DeleteRepositories };
                what = $"repositoryDeletionPolicy {(next.DeleteRepositories ? "Delete" : "Keep")}";
                break;
            case 7:
                next = c with { DeleteOnCleanup = !c.DeleteOnCleanup };
                what = $"cleanupPolicy {(next.DeleteOnCleanup ? "Delete" : "Keep")}";
                break;
            default:
                return new("delete the QuayIntegration and create it again", async (env, _, _, history) =>
                {
                    await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
                    await Eventually(async () => await env.GetIntegrationAsync() is null, "the QuayIntegration released and gone", TimeSpan.FromSeconds(60));
                    await env.CreateIntegrationAsync(IntegrationName, spec => Write(spec, history.Config, forCreate: true));
                });
        }
        h.Config = next;
        return new(what, (env, _, _, _) => env.PatchIntegrationSpecAsync(Write(new JsonObject(), next)));
    }

    private static IReadOnlySet<string> Toggle(IReadOnlySet<string> set, string item)
    {
        var copy = set.ToHashSet();
        if (!copy.Remove(item)) copy.Add(item);
        return copy;
    }

    /// <summary>The spec fields a history controls; as a patch, an unset prefix is a null (which removes it).</summary>
    private static JsonObject Write(JsonObject spec, HistoryConfig c, bool forCreate = false)
    {
        spec["clusterID"] = c.ClusterId;
        spec["organizationPrefix"] = c.OrganizationPrefix; // null removes it (merge patch)
        spec["allowlistNamespaces"] = new JsonArray(c.Allow.Order().Select(n => (JsonNode)n!).ToArray());
        spec["denylistNamespaces"] = new JsonArray(c.Deny.Order().Select(n => (JsonNode)n!).ToArray());
        spec["serviceAccounts"] = new JsonArray(c.Matrix.Select(m => (JsonNode)new JsonObject { ["name"] = m.Name, ["role"] = m.Role }).ToArray());
        spec["repositoryDeletionPolicy"] = c.DeleteRepositories ? "Delete" : "Keep";
        spec["cleanupPolicy"] = c.DeleteOnCleanup ? "Delete" : "Keep";
        spec["driftCheckInterval"] = "3s";
        if (c.OrganizationPrefix is null && forCreate) spec.Remove("organizationPrefix");
        return spec;
    }
}
