using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// Several QuayIntegrations, each with its own Quay (two emulated Quays), cluster ID and prefix, partitioning the
/// namespaces by label: what each one creates lives in its own Quay, a namespace that moves is released by the one it
/// leaves under that one's policies, and a namespace two of them select is touched by neither until the overlap goes.
/// </summary>
[Collection(OperatorCollection.Name)]
public sealed class MultipleIntegrationsTests
{
    private const string Imported = "quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported";

    private static JsonObject Selector(string key, string value) => new() { ["matchLabels"] = new JsonObject { [key] = value } };

    private static Dictionary<string, string> Label(string value) => new() { ["quay"] = value };

    [Fact]
    public async Task Two_integrations_partition_namespaces_by_label_and_builds_go_to_the_quay_of_their_namespace()
    {
        using var webhook = new WebhookSetup();
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true);
        await webhook.ServeAsync(env, BuildWebhookTests.AllNamespacesButOperators);
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        var secondQuay = env.SecondQuay!;

        await env.CreateNamespaceAsync("alpha", Label("a"));
        await env.CreateNamespaceAsync("beta", Label("b"));
        await env.CreateNamespaceAsync("gamma");
        await Eventually(() => env.IsSeededAsync("alpha", "openshift_alpha"), "alpha set up in the first Quay");
        await Eventually(() => env.IsSeededAsync("beta", "dev_beta", "dev", secondQuay), "beta set up in the second Quay");

        // Each namespace only in its own Quay, with its own integration's Secrets; the unselected one nowhere.
        Assert.Null(secondQuay.State.Organization("dev_alpha"));
        Assert.Null(env.Quay.State.Organization("openshift_beta"));
        Assert.Null(env.Quay.State.Organization("openshift_gamma"));
        Assert.Null(secondQuay.State.Organization("dev_gamma"));
        Assert.Null(await env.GetSecretAsync("alpha", "builder-quay-dev"));
        Assert.Null(await env.GetSecretAsync("beta", "builder-quay-openshift"));
        Assert.Null(await env.GetRecordAsync("gamma"));
        Assert.Equal("quay", (await env.GetRecordAsync("alpha"))!["spec"]!["integration"]!.GetValue<string>());
        Assert.Equal("dev", (await env.GetRecordAsync("beta"))!["spec"]!["integration"]!.GetValue<string>());
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["syncedNamespaces"]?.GetValue<int>() == 1
                                     && (await env.GetIntegrationAsync("dev"))?["status"]?["syncedNamespaces"]?.GetValue<int>() == 1,
            "each integration counts its own namespace");

        // Builds: each rewritten to the Quay of its namespace's integration, and imported from there.
        await env.CreateImageStreamAsync("alpha", "web");
        await env.CreateImageStreamAsync("beta", "web");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_alpha", "web") is not null
                                               && secondQuay.State.Repository("dev_beta", "web") is not null), "both repositories");
        var first = await BuildWebhookTests.CreateBuildAsync(env, "alpha", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        var second = await BuildWebhookTests.CreateBuildAsync(env, "beta", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_alpha/web:v1", first["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Equal($"{secondQuay.RegistryHost}/dev_beta/web:v1", second["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        foreach (var (ns, build, host, org) in new[] { ("alpha", first, env.Quay.RegistryHost, "openshift_alpha"), ("beta", second, secondQuay.RegistryHost, "dev_beta") })
        {
            var name = build["metadata"]!["name"]!.GetValue<string>();
            await Eventually(async () => (await env.Cluster.Oc.GetBuildAsync(ns, name))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
                $"the build of {ns} imported");
            var stream = (await env.Cluster.Oc.GetImageStreamAsync(ns, "web"))!;
            Assert.StartsWith($"{host}/{org}/web@sha256:", stream["status"]!["tags"]![0]!["items"]![0]!["dockerImageReference"]!.GetValue<string>());
        }
        Assert.NotEmpty(env.Quay.State.Repository("openshift_alpha", "web")!.Tags);
        Assert.NotEmpty(secondQuay.State.Repository("dev_beta", "web")!.Tags);

        // The second integration now selects alpha too: its Builds are refused with the reason, not sent to either Quay.
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["namespaceSelector"] = new JsonObject
            {
                ["matchLabels"] = null,
                ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "quay", ["operator"] = "In", ["values"] = new JsonArray("a", "b") }),
            },
        }, "dev");
        await Eventually(async () =>
        {
            try
            {
                await BuildWebhookTests.CreateBuildAsync(env, "alpha", BuildWebhookTests.ImageStreamTagOutput("web:v2"));
                return false;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.Content.Contains("is selected by QuayIntegrations"))
            {
                return true;
            }
        }, "a Build in the namespace both select refused");
        Assert.NotNull(await BuildWebhookTests.CreateBuildAsync(env, "beta", BuildWebhookTests.ImageStreamTagOutput("web:v2")));
    }

    /// <summary>
    /// One integration that cannot be judged (every write to it times out here) holds no other back: the other's
    /// namespaces are set up all the same. (The first failure used to end the pass before any integration was
    /// published, so every namespace waited for "the operator has not judged the QuayIntegrations yet".)
    /// </summary>
    [Fact]
    public async Task An_integration_that_cannot_be_judged_holds_no_other_back()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true);
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "quayintegrations", verb: "patch", name: "dev");
        await env.StartOperatorAsync("operator-1", "--Operator:ApiRequestTimeout=00:00:01");
        await env.CreateNamespaceAsync("unaffected", Label("a"));
        await Eventually(() => env.IsSeededAsync("unaffected", "openshift_unaffected"), "set up by the integration that can be judged");

        stall.Release();
        await env.CreateNamespaceAsync("later", Label("b"));
        await Eventually(() => env.IsSeededAsync("later", "dev_later", "dev", env.SecondQuay), "the other one works once it can be judged");
    }

    /// <summary>
    /// Every outcome of a namespace judges both integrations again. Each keeps its Quay client from one pass to the
    /// next, so the namespaces set up later reuse the TLS connections of the first ones: no handshake per namespace
    /// (a client made again at each pass, for whichever integration was judged last, paid one or more every time).
    /// </summary>
    [Fact]
    public async Task Two_integrations_judged_in_turn_keep_their_quay_connections()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true);
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("first-a", Label("a"));
        await env.CreateNamespaceAsync("first-b", Label("b"));
        await Eventually(() => env.IsSeededAsync("first-a", "openshift_first-a"), "first-a set up");
        await Eventually(() => env.IsSeededAsync("first-b", "dev_first-b", "dev", env.SecondQuay), "first-b set up");
        var (first, second) = (env.Quay.TlsConnections, env.SecondQuay!.TlsConnections);

        const int Namespaces = 6;
        for (var i = 0; i < Namespaces; i++)
        {
            await env.CreateNamespaceAsync($"later{i}-a", Label("a"));
            await env.CreateNamespaceAsync($"later{i}-b", Label("b"));
            await Eventually(() => env.IsSeededAsync($"later{i}-a", $"openshift_later{i}-a"), $"later{i}-a set up");
            await Eventually(() => env.IsSeededAsync($"later{i}-b", $"dev_later{i}-b", "dev", env.SecondQuay), $"later{i}-b set up");
        }
        // None here (busier moments could open one or two more); a client made again at each pass opened one per namespace.
        Assert.True(env.Quay.TlsConnections - first <= 2, $"{env.Quay.TlsConnections - first} new TLS connections to the first Quay for {Namespaces} namespaces");
        Assert.True(env.SecondQuay.TlsConnections - second <= 2, $"{env.SecondQuay.TlsConnections - second} new TLS connections to the second Quay for {Namespaces} namespaces");
    }

    /// <summary>
    /// An integration that cannot be judged still selects its namespaces: one that both integrations select stays a
    /// conflict that neither touches, rather than going to the other one for as long as the first cannot be judged.
    /// </summary>
    [Fact]
    public async Task An_integration_that_cannot_be_judged_still_counts_in_a_conflict()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("tier", "shared"), secondQuay: true);
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("tier", "shared"));
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "quayintegrations", verb: "patch", name: "dev");
        await env.StartOperatorAsync("operator-1", "--Operator:ApiRequestTimeout=00:00:01");
        await env.CreateNamespaceAsync("both", new Dictionary<string, string> { ["tier"] = "shared" });
        await Eventually(async () => (await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items
            .Any(e => e.InvolvedObject.Name == "both" && e.Reason == "IntegrationConflict"), "the overlap reported on the namespace");
        await Task.Delay(2000); // room for a (wrong) setup
        Assert.Null(env.Quay.State.Organization("openshift_both"));
        Assert.Null(env.SecondQuay!.State.Organization("dev_both"));
        stall.Release();
    }

    [Fact]
    public async Task A_namespace_that_moves_is_released_by_the_first_integration_and_set_up_by_the_second_and_an_overlap_touches_nothing()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["namespaceSelector"] = Selector("quay", "a");
            spec["cleanupPolicy"] = "Delete";
        }, secondQuay: true);
        await env.StartOperatorAsync();
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        var secondQuay = env.SecondQuay!;
        await env.CreateNamespaceAsync("mover", Label("a"));
        await Eventually(() => env.IsSeededAsync("mover", "openshift_mover"), "set up by the first integration");

        // Moving: the first integration releases it under its own policy (Delete), the second sets it up.
        await env.LabelNamespaceAsync("mover", "quay", "b");
        await Eventually(() => env.IsSeededAsync("mover", "dev_mover", "dev", secondQuay), "set up by the second integration");
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_mover") is null), "the first integration's organization deleted");
        await Eventually(async () => await env.GetSecretAsync("mover", "builder-quay-openshift") is null, "the first integration's Secrets deleted");
        var builder = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("builder", "mover");
        Assert.DoesNotContain(builder.Secrets ?? [], s => s.Name == "builder-quay-openshift");
        Assert.DoesNotContain(builder.ImagePullSecrets ?? [], s => s.Name == "builder-quay-openshift");
        Assert.Equal("dev", (await env.GetRecordAsync("mover"))!["spec"]!["integration"]!.GetValue<string>());

        // An overlap: the first integration now selects it too. Neither touches it; both report it, and so does the namespace.
        var robotsBefore = secondQuay.State.Organization("dev_mover")!.Robots.Select(r => (r.Name, r.Token)).ToList();
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["namespaceSelector"] = new JsonObject
            {
                ["matchLabels"] = null,
                ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "quay", ["operator"] = "In", ["values"] = new JsonArray("a", "b") }),
            },
        });
        await Eventually(async () => (await env.GetRecordAsync("mover"))?["status"]?["phase"]?.GetValue<string>() == "Conflict"
                                     && (await env.GetIntegrationAsync())?["status"]?["conflictingNamespaces"]?.GetValue<int>() == 1
                                     && (await env.GetIntegrationAsync("dev"))?["status"]?["conflictingNamespaces"]?.GetValue<int>() == 1,
            "the overlap reported on the namespace and on both integrations");
        Assert.Equal("True", (await env.ConditionAsync("NamespaceConflicts", "dev"))?.Status);
        Assert.Contains("mover", (await env.ConditionAsync("NamespaceConflicts"))?.Message);
        await env.EventAsync("default", e => e.InvolvedObject.Name == "mover" && e.Reason == "IntegrationConflict"
                                             && e.Message.Contains("QuayIntegrations ") && e.Message.Contains("quay") && e.Message.Contains("dev"),
            "the IntegrationConflict Event naming both integrations");
        await Task.Delay(1500); // give a (wrong) action time to happen
        Assert.Null(env.Quay.State.Organization("openshift_mover"));
        Assert.Equal(robotsBefore, secondQuay.State.Organization("dev_mover")!.Robots.Select(r => (r.Name, r.Token)).ToList());
        Assert.NotNull(await env.GetSecretAsync("mover", "builder-quay-dev"));

        // The overlap goes: the second integration manages it again, and nothing was lost on the way.
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["namespaceSelector"] = new JsonObject { ["matchExpressions"] = null, ["matchLabels"] = new JsonObject { ["quay"] = "a" } },
        });
        await Eventually(async () => (await env.GetRecordAsync("mover"))?["status"]?["phase"]?.GetValue<string>() == "Synced"
                                     && (await env.GetIntegrationAsync("dev"))?["status"]?["conflictingNamespaces"]?.GetValue<int>() == 0,
            "synced by the second integration again");
        Assert.Equal(robotsBefore, secondQuay.State.Organization("dev_mover")!.Robots.Select(r => (r.Name, r.Token)).ToList());

        await env.Kube.CoreV1.DeleteNamespaceAsync("mover");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("mover");
        Assert.Null(secondQuay.State.Organization("dev_mover"));
    }

    [Fact]
    public async Task What_a_namespace_kept_in_the_quay_it_left_is_deleted_through_that_quays_integration_when_the_namespace_goes()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true); // cleanupPolicy Keep
        await env.StartOperatorAsync();
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        await env.CreateNamespaceAsync("keeper", Label("a"));
        await Eventually(() => env.IsSeededAsync("keeper", "openshift_keeper"), "set up by the first integration");

        await env.LabelNamespaceAsync("keeper", "quay", "b");
        await Eventually(() => env.IsSeededAsync("keeper", "dev_keeper", "dev", env.SecondQuay), "set up by the second integration");
        Assert.NotNull(env.Quay.State.Organization("openshift_keeper")); // kept: cleanupPolicy Keep
        await Eventually(async () => (await env.GetRecordAsync("keeper"))?["status"]?["kept"]?.AsArray()
                .Any(k => k!.GetValue<string>().Contains($"openshift_keeper on {env.Quay.RegistryHost}")) == true,
            "what the first integration kept is listed");
        // Its Secrets and links too (they pull what is still on the first Quay): the second integration leaves them alone.
        Assert.NotNull(await env.GetSecretAsync("keeper", "builder-quay-openshift"));
        var builder = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("builder", "keeper");
        Assert.Contains(builder.ImagePullSecrets ?? [], s => s.Name == "builder-quay-openshift");
        Assert.Contains(builder.ImagePullSecrets ?? [], s => s.Name == "builder-quay-dev");
        await Eventually(async () => (await env.GetRecordAsync("keeper"))?["status"]?["kept"]?.AsArray()
                .Any(k => k!.GetValue<string>().Contains("builder-quay-openshift")) == true,
            "the first integration's Secrets listed as kept");

        // The namespace goes: what each integration created goes, each through its own Quay.
        await env.Kube.CoreV1.DeleteNamespaceAsync("keeper");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("keeper");
        Assert.Null(env.Quay.State.Organization("openshift_keeper"));
        Assert.Null(env.SecondQuay!.State.Organization("dev_keeper"));
    }
    /// <summary>
    /// Review of 9791c3f (helper-114, helper-116): an organization the first integration kept under cleanupPolicy Keep
    /// when the namespace left it is not removed by the cleanupPolicy Delete of the integration the namespace moved to:
    /// not when that one first syncs it on the same Quay, nor when it takes it up as its own (the same prefix), nor
    /// when it releases the namespace back. It goes with the namespace. (The second integration's Delete deleted it,
    /// repositories and images included, against the first one's Keep.)
    /// </summary>
    [Theory]
    [InlineData("same Quay")]
    [InlineData("same Quay and prefix, moved back")]
    [InlineData("another Quay, moved back")]
    public async Task An_organization_one_integration_kept_is_not_removed_by_anothers_cleanup_policy(string history)
    {
        var sameQuay = history.StartsWith("same Quay", StringComparison.Ordinal);
        var samePrefix = history.Contains("prefix", StringComparison.Ordinal);
        var second = sameQuay ? "bee" : "dev";
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: !sameQuay); // cleanupPolicy Keep
        await env.StartOperatorAsync();
        if (sameQuay)
        {
            var token = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token", OperatorNamespace);
            await env.Kube.CoreV1.CreateNamespacedSecretAsync(new k8s.Models.V1Secret { Metadata = new() { Name = "quay-token-b" }, Data = token.Data }, OperatorNamespace);
            await env.CreateIntegrationAsync(second, spec =>
            {
                spec["namespaceSelector"] = Selector("quay", "b");
                spec["organizationPrefix"] = samePrefix ? "openshift" : "bee";
                spec["clusterID"] = "bee";
                spec["cleanupPolicy"] = "Delete";
                spec["credentialsSecret"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-token-b" };
            });
        }
        else
        {
            await env.CreateSecondQuayIntegrationAsync(second, "dev", spec =>
            {
                spec["namespaceSelector"] = Selector("quay", "b");
                spec["cleanupPolicy"] = "Delete";
            });
        }
        await env.CreateNamespaceAsync("keeper", Label("a"));
        await env.CreateImageStreamAsync("keeper", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_keeper", "app") is not null), "set up by the first integration");
        const string organization = "/api/v1/organization/{orgname}";
        var deletedBefore = env.Quay.Calls.Count("DELETE", organization);

        await env.LabelNamespaceAsync("keeper", "quay", "b");
        JsonNode? record = null;
        await Eventually(async () => (record = await env.GetRecordAsync("keeper"))?["status"] is { } status
                                     && status["integration"]?.GetValue<string>() == second && status["phase"]?.GetValue<string>() == "Synced",
            "set up by the second integration");
        var keptByFirst = record!["spec"]!["organizations"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == "openshift_keeper")!["keptBy"]?.GetValue<string>();
        Assert.Equal("quay", keptByFirst);
        var kept = record["status"]!["kept"]?.ToJsonString() ?? "";
        if (!samePrefix) Assert.Contains("openshift_keeper", kept); // a former organization, listed; with the same prefix, the second's own
        Assert.NotNull(env.Quay.State.Repository("openshift_keeper", "app"));

        if (history.EndsWith("moved back", StringComparison.Ordinal))
        {
            // Back to the first integration: the second releases the namespace under its Delete, which removes what it
            // made, not what the first kept; the first takes its organization up again.
            await env.LabelNamespaceAsync("keeper", "quay", "a");
            if (!sameQuay) await Eventually(() => Task.FromResult(env.SecondQuay!.State.Organization("dev_keeper") is null), "the second integration's organization removed");
            await Eventually(async () => (await env.GetRecordAsync("keeper"))?["status"] is { } status
                                         && status["integration"]?.GetValue<string>() == "quay" && status["phase"]?.GetValue<string>() == "Synced",
                "set up by the first integration again");
            Assert.NotNull(env.Quay.State.Repository("openshift_keeper", "app"));
            Assert.Null((await env.GetRecordAsync("keeper"))!["spec"]!["organizations"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == "openshift_keeper")!["keptBy"]);
        }
        // Never deleted (and made again, empty) on the first Quay before the namespace goes.
        Assert.Equal(deletedBefore, env.Quay.Calls.Count("DELETE", organization));
        if (sameQuay && !samePrefix) Assert.Contains("kept by the cleanupPolicy Keep of QuayIntegration quay", kept); // on another Quay, the first integration, reaching it, keeps it by its own policy

        await env.Kube.CoreV1.DeleteNamespaceAsync("keeper");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("keeper");
        Assert.Null(env.Quay.State.Organization("openshift_keeper"));
    }

    /// <summary>
    /// Review of 65f9c16 (helper-80): two integrations on one Quay; a namespace set up by the first moves to the second
    /// while the first cannot act, so it waits, still labelled and annotated as the first left it. A build of the second
    /// integration's into it passed the setup check (its organization is on record on that Quay) and pushed into the
    /// first integration's organization, which that integration's cleanup may delete. The check asks which integration
    /// set the namespace up.
    /// </summary>
    [Fact]
    public async Task A_build_into_a_namespace_still_set_up_by_the_integration_it_leaves_is_denied()
    {
        using var webhook = new WebhookSetup();
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"));
        var token = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token", OperatorNamespace);
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(new k8s.Models.V1Secret { Metadata = new() { Name = "quay-token-b" }, Data = token.Data }, OperatorNamespace);
        await env.CreateIntegrationAsync("bee", spec =>
        {
            spec["namespaceSelector"] = Selector("quay", "b");
            spec["organizationPrefix"] = "bee";
            spec["clusterID"] = "bee";
            spec["credentialsSecret"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-token-b" };
        });
        await webhook.ServeAsync(env, BuildWebhookTests.AllNamespacesButOperators);
        await env.CreateNamespaceAsync("target", Label("a"));
        await env.CreateNamespaceAsync("builds", Label("b"));
        await Eventually(() => env.IsSeededAsync("target", "openshift_target"), "target set up by the first integration");
        await Eventually(() => env.IsSeededAsync("builds", "bee_builds", "bee"), "builds set up by the second");

        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "False", "the first integration cannot act");
        await env.LabelNamespaceAsync("target", "quay", "b");
        await Eventually(async () => (await env.GetRecordAsync("target"))?["status"]?["lastError"]?.GetValue<string>()
            ?.Contains("moves to QuayIntegration bee", StringComparison.Ordinal) == true, "the move waiting for the first integration");

        var e = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            BuildWebhookTests.CreateBuildAsync(env, "builds", BuildWebhookTests.ImageStreamTagOutput("web:v1", ns: "target")));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Contains("it is moving to QuayIntegration bee from QuayIntegration quay", JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());
    }

    /// <summary>
    /// Review of 18ac238 (helper-78): a namespace moving to an integration that cannot act yet was released by the one it
    /// left (cleanupPolicy Keep) and then held by nothing: deleted in that gap, it went at once, and what the first
    /// integration kept, owed to the namespace's deletion, was kept for good under a released record. The first half of
    /// a move now says where the namespace is moving until the next integration sets it up.
    /// </summary>
    [Fact]
    public async Task A_namespace_deleted_while_it_waits_for_the_integration_it_moves_to_still_has_what_the_first_kept_deleted()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true); // cleanupPolicy Keep
        await env.StartOperatorAsync();
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        var secondToken = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token-2", OperatorNamespace);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token-2", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready", "dev"))?.Status == "False", "the second integration cannot act");
        await env.CreateNamespaceAsync("between", Label("a"));
        await Eventually(() => env.IsSeededAsync("between", "openshift_between"), "set up by the first integration");

        await env.LabelNamespaceAsync("between", "quay", "b");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "between" && e.Reason == "Released", "the first integration's release");
        await env.Kube.CoreV1.DeleteNamespaceAsync("between");

        secondToken.Metadata.ResourceVersion = null;
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(secondToken, OperatorNamespace);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("between");
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_between") is null), "what the first integration kept deleted with the namespace");
    }

    /// <summary>
    /// Review of 65f9c16 (helper-80): a namespace half-way through a move (released by the integration it left, waiting
    /// for the one it moves to) was let go when that integration's configuration became unreadable: no readable
    /// integration selected it, so its label went and its builds passed untouched, to the internal registry. It is held
    /// for the integration it moves to now, its builds denied with the reason.
    /// </summary>
    [Fact]
    public async Task A_namespace_moving_to_an_integration_whose_configuration_becomes_unreadable_is_held_for_it()
    {
        using var webhook = new WebhookSetup();
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true);
        await webhook.ServeAsync(env, BuildWebhookTests.AllNamespacesButOperators);
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token-2", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready", "dev"))?.Status == "False", "the second integration cannot act");
        await env.CreateNamespaceAsync("moving", Label("a"));
        await Eventually(() => env.IsSeededAsync("moving", "openshift_moving"), "set up by the first integration");

        await env.LabelNamespaceAsync("moving", "quay", "b");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "moving" && e.Reason == "Released", "the first integration's release");
        // The second integration's configuration becomes unreadable.
        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "99999999h" }, "dev");
        await Eventually(async () => (await env.ConditionAsync("ConfigurationValid", "dev"))?.Reason == "InvalidConfiguration", "the second integration unusable");
        await Eventually(async () => (await env.GetRecordAsync("moving"))?["status"]?["lastError"]?.GetValue<string>()
            ?.Contains("moves to QuayIntegration dev, which cannot be used now", StringComparison.Ordinal) == true, "the namespace held for the second integration");
        Assert.Equal("pending", (await env.GetNamespaceAsync("moving"))!.Metadata.Labels["quay.redhat.com/managed"]);

        var e = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            BuildWebhookTests.CreateBuildAsync(env, "moving", BuildWebhookTests.ImageStreamTagOutput("web:v1")));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Contains("QuayIntegration dev is invalid: ", JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());
        Assert.Contains("driftCheckInterval '99999999h'", JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());
    }

    /// <summary>
    /// The release of a namespace being deleted meets a conflict (another writer changed the namespace, as the namespace
    /// controller does while it terminates) after its organization was deleted: the emptied record is still there for
    /// the retry, which lets the namespace go. (A record deleted before the release left the namespace held with no
    /// record, which no integration could be told to act for with two of them: the namespace stayed Terminating.)
    /// </summary>
    [Fact]
    public async Task A_teardown_whose_release_meets_a_conflict_still_lets_the_namespace_go()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true);
        await env.StartOperatorAsync();
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        await env.CreateNamespaceAsync("brief", Label("a"));
        await Eventually(() => env.IsSeededAsync("brief", "openshift_brief"), "set up");

        env.Cluster.ApiServer.Faults.InjectStatus(409, resource: "namespaces", verb: "patch");
        await env.Kube.CoreV1.DeleteNamespaceAsync("brief");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("brief");
        Assert.Null(env.Quay.State.Organization("openshift_brief"));
        await Eventually(async () => await env.GetRecordAsync("brief") is null, "the record deleted");
    }

    /// <summary>
    /// A namespace the Go operator held (its finalizer alone, no record) is deleted before the operator first looks at
    /// it, while two integrations exist: nothing on record says which one it belongs to, and the one that selects it
    /// undoes it, deleting the organization the Go operator made, as the Go operator would have.
    /// </summary>
    [Fact]
    public async Task An_unrecorded_namespace_deleted_among_several_integrations_is_undone_by_the_one_that_selects_it()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true);
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec => spec["namespaceSelector"] = Selector("quay", "b"));
        using var quay = env.Quay.CreateHttpClient(env.Token);
        (await quay.PostAsJsonAsync("api/v1/organization/", new { name = "openshift_gone" })).EnsureSuccessStatusCode();
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace("gone", Label("a")));
        await env.Kube.CoreV1.DeleteNamespaceAsync("gone");

        await env.StartOperatorAsync();
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("gone");
        Assert.Null(env.Quay.State.Organization("openshift_gone"));
    }

    /// <summary>
    /// Two integrations on one Quay, and an unrecorded namespace the Go operator held, deleted before the operator first
    /// looks at it: the newer integration, the one that selects it, undoes it. Its organization holds a robot a person
    /// made, so it is kept and looked at again; the record then names that integration, so the later looks stay
    /// under it, not under the older one the rule for records naming none would give it to.
    /// </summary>
    [Fact]
    public async Task What_an_integration_reads_from_an_unrecorded_namespace_stays_that_integrations()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"));
        await env.CreateIntegrationAsync("same", spec =>
        {
            spec["clusterID"] = "same";
            spec["namespaceSelector"] = Selector("quay", "b");
        });
        using var quay = env.Quay.CreateHttpClient(env.Token);
        using var admin = new QuayAdministrator(env.Quay);
        (await quay.PostAsJsonAsync("api/v1/organization/", new { name = "same_held" })).EnsureSuccessStatusCode();
        admin.JoinOwners("same_held");
        await admin.CreateRobotAsync("same_held", "keeper");
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace("held", Label("b")));
        await env.Kube.CoreV1.DeleteNamespaceAsync("held");

        await env.StartOperatorAsync();
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("held");
        await Eventually(async () => (await env.GetRecordAsync("held"))?["spec"]?["integration"]?.GetValue<string>() == "same",
            "the record names the integration that read it");
        Assert.Contains(env.Quay.State.Organization("same_held")!.Robots, r => r.Name == "same_held+keeper");
    }

    [Fact]
    public async Task A_record_from_before_several_integrations_holds_only_the_oldest_integration_on_its_quay()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("old");
        await Eventually(() => env.IsSeededAsync("old", "openshift_old"), "set up by the first integration");

        // The first integration cannot act (its token is gone), and the namespace's record names no integration, as
        // records written before several integrations did.
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Reason == "CredentialsSecretNotFound", "the first integration not ready");
        await env.Kube.CustomObjects.PatchClusterCustomObjectAsync(new k8s.Models.V1Patch("""{"spec":{"integration":null}}""", k8s.Models.V1Patch.PatchType.MergePatch),
            "quay.redhat.com", "v1", "quaynamespaces", "old");
        Assert.Null((await env.GetRecordAsync("old"))!["spec"]!["integration"]);

        // A second integration on the same Quay, selecting nothing, is created and deleted: the namespace is the older
        // one's, so nothing holds the newer one's finalizer.
        await env.CreateIntegrationAsync("same", spec =>
        {
            spec["clusterID"] = "same";
            spec["namespaceSelector"] = Selector("quay", "none");
            spec["credentialsSecret"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "quay-token-same" };
        });
        await Eventually(async () => (await env.GetIntegrationAsync("same"))?["metadata"]?["finalizers"] is JsonArray { Count: > 0 },
            "the second integration judged");
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", "same");
        await Eventually(async () => await env.GetIntegrationAsync("same") is null, "the second integration gone");
        Assert.Contains("quay.redhat.com/quayintegrations", (await env.GetNamespaceAsync("old"))!.Metadata.Finalizers ?? []);
        Assert.NotNull(env.Quay.State.Organization("openshift_old"));

        // The first integration's token is back: it syncs the namespace again and its record names it.
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(new k8s.Models.V1Secret
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = "quay-token" },
            Data = new Dictionary<string, byte[]> { ["token"] = System.Text.Encoding.UTF8.GetBytes(env.Token) },
        }, OperatorNamespace);
        await Eventually(async () => (await env.GetRecordAsync("old"))?["spec"]?["integration"]?.GetValue<string>() == "quay", "the record names the first integration");
        await env.Kube.CoreV1.DeleteNamespaceAsync("old");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("old");
        Assert.Null(env.Quay.State.Organization("openshift_old"));
    }

    /// <summary>
    /// A namespace the first integration released (under Keep) as it moved to another that cannot be used yet (its
    /// token Secret is missing) waits for that one. Deleting the first under cleanupPolicy Delete does not wait for it:
    /// the namespace is the other integration's business now, and the first one's deletion would never end.
    /// </summary>
    [Fact]
    public async Task Deleting_an_integration_does_not_wait_for_a_namespace_another_integration_selects_now()
    {
        await using var env = await StartAsync(spec => spec["namespaceSelector"] = Selector("quay", "a"), secondQuay: true);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("moving", Label("a"));
        await Eventually(() => env.IsSeededAsync("moving", "openshift_moving"), "set up by the first integration");
        await env.CreateSecondQuayIntegrationAsync("dev", "dev", spec =>
        {
            spec["namespaceSelector"] = Selector("quay", "b");
            spec["credentialsSecret"] = new JsonObject { ["namespace"] = OperatorNamespace, ["name"] = "not-made-yet" };
        });
        await env.LabelNamespaceAsync("moving", "quay", "b"); // a patch: the operator may write the namespace meanwhile
        await Eventually(async () => (await env.GetRecordAsync("moving"))?["spec"]?["released"]?.GetValue<bool>() == true, "released by the first integration");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
        await Eventually(async () => await env.GetIntegrationAsync() is null, "the first integration gone");
        Assert.NotNull(await env.GetRecordAsync("moving")); // what it kept stays, listed
    }
}
