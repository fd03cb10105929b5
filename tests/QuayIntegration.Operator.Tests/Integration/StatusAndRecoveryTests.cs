using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Operator.Tests.Support;
using Xunit.Abstractions;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// Status that tells the truth at every moment, and recovery within seconds (issue 13): bounded durations, errors
/// cleared when their cause is gone, conditions that say "not checked" rather than a stale True, progress while
/// namespaces wait, a Quay outage and hung calls, token rotation, one bad service account among good ones.
/// </summary>
[Collection(OperatorCollection.Name)]
public sealed class StatusAndRecoveryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_drift_check_interval_too_long_to_compute_with_is_a_configuration_error_not_a_reconcile_loop()
    {
        await using var env = await StartAsync(spec => spec["driftCheckInterval"] = "99999999h");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("bounded");
        await Eventually(async () => (await env.ConditionAsync("ConfigurationValid"))?.Status == "False", "ConfigurationValid=False");
        var condition = (await env.ConditionAsync("ConfigurationValid"))!.Value;
        Assert.Equal("InvalidConfiguration", condition.Reason);
        Assert.Contains("driftCheckInterval '99999999h' must be between 1s and 24h", condition.Message);
        Assert.Equal("False", (await env.ConditionAsync("Ready"))!.Value.Status);
        Assert.Equal("Unknown", (await env.ConditionAsync("QuayReachable"))!.Value.Status);
        Assert.Null(env.Quay.State.Organization("openshift_bounded"));

        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "24h" });
        await Eventually(() => env.IsSeededAsync("bounded", "openshift_bounded"), "synced once the interval is in bounds");
    }

    [Fact]
    public async Task Last_error_is_cleared_once_its_cause_is_gone()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready");
        var ca = await env.Kube.CoreV1.ReadNamespacedConfigMapAsync("quay-ca", OperatorNamespace);
        await env.Kube.CoreV1.DeleteNamespacedConfigMapAsync("quay-ca", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Reason == "CABundleNotFound", "the missing CA reported");
        Assert.Contains("quay-ca", (await env.GetIntegrationAsync())!["status"]!["lastError"]!.GetValue<string>());

        ca.Metadata.ResourceVersion = null;
        await env.Kube.CoreV1.CreateNamespacedConfigMapAsync(ca, OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready again");
        Assert.Null((await env.GetIntegrationAsync())!["status"]!["lastError"]);
    }

    [Fact]
    public async Task Quay_reachable_is_unknown_while_there_is_no_usable_token()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("QuayReachable"))?.Status == "True", "reachable");
        await env.Kube.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"data":{"token":null,"other":"eA=="}}""", V1Patch.PatchType.MergePatch),
            "quay-token", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("CredentialsValid"))?.Reason == "CredentialsKeyMissing", "the missing key reported");
        var reachable = (await env.ConditionAsync("QuayReachable"))!.Value;
        Assert.Equal("Unknown", reachable.Status);
        Assert.StartsWith("Not checked", reachable.Message);
    }

    [Fact]
    public async Task Progressing_counts_the_namespaces_that_wait_to_be_set_up()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready");
        var slow = env.Quay.Faults.Add(new FaultRule { LatencyMs = 700, Route = "/api/v1/organization/" });
        foreach (var ns in new[] { "wait-a", "wait-b", "wait-c" }) await env.CreateNamespaceAsync(ns);
        await Eventually(async () => (await env.ConditionAsync("Progressing"))?.Status == "True"
                                     && (await env.GetIntegrationAsync())!["status"]!["pendingNamespaces"]!.GetValue<int>() > 0, "Progressing=True while they wait");
        env.Quay.Faults.Remove(slow);
        await Eventually(async () => (await env.ConditionAsync("Progressing"))?.Status == "False"
                                     && (await env.GetIntegrationAsync())!["status"]!["pendingNamespaces"]!.GetValue<int>() == 0, "Progressing=False once all are set up");
        // Set up means organization, robots and Secrets; a service account that appears later is linked when it does.
        await Eventually(() => env.IsSeededAsync("wait-c", "openshift_wait-c"), "the last one fully set up");
        Assert.NotNull(env.Quay.State.Organization("openshift_wait-a"));
    }

    [Fact]
    public async Task After_a_Quay_outage_parked_work_goes_within_seconds_and_the_outage_costs_Quay_only_a_few_calls_a_second()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray(Enumerable.Range(0, 12).Select(i => (JsonNode)$"out-{i}").ToArray()));
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready");
        var outageLength = TimeSpan.FromSeconds(15);
        var start = DateTimeOffset.UtcNow;
        env.Quay.Faults.Add(new FaultRule { OutageFrom = start, OutageUntil = start + outageLength, OutageStatus = 503 });
        for (var i = 0; i < 12; i++) await env.CreateNamespaceAsync($"out-{i}");

        await Eventually(async () => (await env.ConditionAsync("QuayReachable"))?.Status == "False", "the outage reported", TimeSpan.FromSeconds(15));
        await Task.Delay(start + outageLength - DateTimeOffset.UtcNow);
        var during = env.Quay.Calls.Arrivals.Count(t => t >= start && t < start + outageLength);
        var perSecond = during / outageLength.TotalSeconds;

        await Eventually(async () =>
        {
            for (var i = 0; i < 12; i++)
                if (!await env.IsSeededAsync($"out-{i}", $"openshift_out-{i}")) return false;
            return true;
        }, "every namespace set up after the outage", TimeSpan.FromSeconds(30));
        var recovery = DateTimeOffset.UtcNow - (start + outageLength);
        output.WriteLine($"Quay down {outageLength.TotalSeconds} s: {during} requests during the outage ({perSecond:F1}/s); all 12 namespaces set up {recovery.TotalSeconds:F1} s after Quay returned");
        Assert.True(perSecond <= 5, $"{perSecond:F1} requests/s into the outage");
        Assert.True(recovery <= TimeSpan.FromSeconds(5), $"recovery took {recovery.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task Hung_calls_never_pause_Quay_traffic_for_more_than_two_seconds()
    {
        const int namespaces = 40;
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray(Enumerable.Range(0, namespaces).Select(i => (JsonNode)$"hang-{i}").ToArray()));
        await env.StartOperatorAsync("operator-1", "--Operator:Quay:MaxConcurrentCalls=4");
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready");
        env.Quay.Faults.Add(new FaultRule { HangRate = 0.02, HangMs = 600_000, LatencyMs = 20 });
        var start = DateTimeOffset.UtcNow;
        for (var i = 0; i < namespaces; i++) await env.CreateNamespaceAsync($"hang-{i}");
        await Eventually(async () =>
        {
            for (var i = 0; i < namespaces; i++)
                if (!await env.IsSeededAsync($"hang-{i}", $"openshift_hang-{i}")) return false;
            return true;
        }, "every namespace set up despite hung calls", TimeSpan.FromSeconds(90));
        var end = DateTimeOffset.UtcNow;
        var arrivals = env.Quay.Calls.Arrivals.Where(t => t >= start && t <= end).Order().ToList();
        var longest = arrivals.Zip(arrivals.Skip(1), (a, b) => b - a).DefaultIfEmpty().Max();
        var hung = env.Quay.Calls.CountByStatus(0);
        output.WriteLine($"{arrivals.Count} calls in {(end - start).TotalSeconds:F1} s with {hung} hung; longest pause {longest.TotalMilliseconds:F0} ms");
        Assert.True(hung > 0, "no call hung: the test proves nothing");
        Assert.True(longest <= TimeSpan.FromSeconds(2), $"Quay traffic paused for {longest.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_deleted_or_recreated_token_Secret_takes_effect_within_two_seconds()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready");
        var secret = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token", OperatorNamespace);

        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        var deleted = DateTimeOffset.UtcNow;
        await Eventually(async () => (await env.ConditionAsync("CredentialsValid"))?.Reason == "CredentialsSecretNotFound", "the deletion reported",
            TimeSpan.FromSeconds(2));
        var noticed = DateTimeOffset.UtcNow - deleted;

        secret.Metadata.ResourceVersion = null;
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(secret, OperatorNamespace);
        var recreated = DateTimeOffset.UtcNow;
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready again", TimeSpan.FromSeconds(2));
        output.WriteLine($"token Secret deleted → reported in {noticed.TotalMilliseconds:F0} ms; recreated → Ready in {(DateTimeOffset.UtcNow - recreated).TotalMilliseconds:F0} ms");
    }

    /// <summary>
    /// The CA bundle's ConfigMap and the token Secret both missing: the token decides Ready, and ConfigurationValid says
    /// the CA bundle is missing too. (It said "The configuration is valid" until the Secret was back.)
    /// </summary>
    [Fact]
    public async Task A_missing_ca_bundle_is_told_beside_a_missing_token_secret()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready");
        await env.Kube.CoreV1.DeleteNamespacedConfigMapAsync("quay-ca", OperatorNamespace);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("CredentialsValid"))?.Reason == "CredentialsSecretNotFound"
                                     && (await env.ConditionAsync("ConfigurationValid"))?.Reason == "CABundleNotFound", "both told");
        Assert.Equal("False", (await env.ConditionAsync("ConfigurationValid"))!.Value.Status);
        Assert.Equal("CredentialsSecretNotFound", (await env.ConditionAsync("Ready"))!.Value.Reason);
    }

    /// <summary>
    /// A namespace waiting while its integration cannot act says what it waits for, and follows when that changes
    /// while the integration still cannot act: Quay down, then back with the token revoked meanwhile. (It named the
    /// outage until the next resync, up to ten minutes.)
    /// </summary>
    [Fact]
    public async Task A_waiting_namespace_follows_the_cause_it_waits_for()
    {
        // No drift check meanwhile: one during the outage would fail, and a failing namespace keeps its own error.
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("cause");
            spec["driftCheckInterval"] = "10m";
        });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("cause");
        await Eventually(async () => (await env.GetRecordAsync("cause"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "synced");
        var outage = env.Quay.Faults.Add(new FaultRule { OutageUntil = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5), OutageStatus = 503 });
        await Eventually(async () => (await env.ConditionAsync("QuayReachable"))?.Status == "False", "the outage reported");
        await Eventually(async () => SyncedMessage(await env.GetRecordAsync("cause"))?.Contains("unreachable") == true, "waiting for Quay");

        env.Quay.RevokeToken(env.Token);
        env.Quay.Faults.Remove(outage);
        await Eventually(async () => (await env.ConditionAsync("CredentialsValid"))?.Reason == "InvalidToken", "the token refused");
        await Eventually(async () => SyncedMessage(await env.GetRecordAsync("cause"))?.Contains("does not accept the token") == true,
            "waiting for a token Quay accepts (well before the ten-minute resync)", TimeSpan.FromSeconds(60));

        static string? SyncedMessage(JsonNode? record) => record?["status"]?["conditions"]?.AsArray()
            .SingleOrDefault(c => c!["type"]!.GetValue<string>() == "Synced")?["message"]?.GetValue<string>();
    }

    /// <summary>
    /// While its integration cannot act (the token Secret gone), a namespace waits, and a change made meanwhile waits
    /// with it: its QuayNamespace said "In step" (Synced, Synced=True) all along. Once the token is back it is synced
    /// again and says so.
    /// </summary>
    [Fact]
    public async Task A_namespace_whose_integration_cannot_act_stops_saying_it_is_in_step()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("stalled"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("stalled");
        await Eventually(async () => await env.IsSeededAsync("stalled", "openshift_stalled")
                                     && (await env.GetRecordAsync("stalled"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "synced");
        var secret = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token", OperatorNamespace);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "False", "the integration not ready");

        // A change the operator cannot carry out now: the namespace is enqueued and waits.
        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" }) });
        await Eventually(async () => (await env.GetRecordAsync("stalled"))?["status"]?["phase"]?.GetValue<string>() == "Pending", "the namespace shown waiting");
        var synced = (await env.GetRecordAsync("stalled"))!["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.GetValue<string>() == "Synced")!;
        Assert.Equal(("False", "Pending"), (synced["status"]!.GetValue<string>(), synced["reason"]!.GetValue<string>()));
        Assert.Contains("quay-token", synced["message"]!.GetValue<string>());

        secret.Metadata.ResourceVersion = null;
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(secret, OperatorNamespace);
        await Eventually(async () => (await env.GetRecordAsync("stalled"))?["status"]?["phase"]?.GetValue<string>() == "Synced"
                                     && env.Quay.State.Organization("openshift_stalled")!.Robots.Select(r => r.Name).SequenceEqual(["openshift_stalled+builder"]),
            "synced again, the change carried out");
    }

    /// <summary>
    /// Review of 105215c (helper-66): a namespace released under Keep comes back into scope while its integration
    /// cannot act. Its label says it is in scope again (its builds are held), while its QuayNamespace went on saying
    /// "Released": no longer managed. It now says it waits, and why; once the integration can act it is synced.
    /// </summary>
    [Fact]
    public async Task A_released_namespace_back_in_scope_while_its_integration_cannot_act_says_it_waits()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("hop"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("hop");
        await Eventually(() => env.IsSeededAsync("hop", "openshift_hop"), "synced");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["denylistNamespaces"] = new JsonArray("hop") });
        await Eventually(async () => (await env.GetRecordAsync("hop"))?["status"]?["phase"]?.GetValue<string>() == "Released", "released");
        var secret = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token", OperatorNamespace);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "False", "the integration not ready");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["denylistNamespaces"] = new JsonArray() });
        await Eventually(async () => (await env.GetRecordAsync("hop"))?["status"]?["phase"]?.GetValue<string>() == "Pending", "the namespace shown waiting");
        Assert.Contains("quay-token", (await env.GetRecordAsync("hop"))!["status"]!["lastError"]!.GetValue<string>());

        secret.Metadata.ResourceVersion = null;
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(secret, OperatorNamespace);
        await Eventually(async () => (await env.GetRecordAsync("hop"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "synced again");
    }

    /// <summary>
    /// At every start the namespaces are looked at before the QuayIntegrations are judged (that waits for Quay): a wait
    /// for that is no news, and writing it flipped every synced namespace to Pending and back.
    /// </summary>
    [Fact]
    public async Task A_restart_does_not_show_synced_namespaces_waiting_while_it_judges_the_integrations()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("steady"));
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("steady");
        await Eventually(async () => (await env.GetRecordAsync("steady"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "synced");
        static string? Transition(JsonObject? record) => record?["status"]?["conditions"]?.AsArray()
            .Single(c => c!["type"]!.GetValue<string>() == "Synced")!["lastTransitionTime"]!.GetValue<string>();
        var before = Transition(await env.GetRecordAsync("steady"));
        await env.StopOperatorAsync(op);
        await Task.Delay(1100); // a transition now would show in its time, which is to the second

        // The integration is judged after Quay answers who the token is: slowed, the namespace's first look comes first.
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/user/", LatencyMs = 1500, Times = 1 });
        long RobotLists() => env.Quay.Calls.Snapshot().Where(c => c.Method == "GET" && c.Route.EndsWith("/robots", StringComparison.Ordinal)).Sum(c => c.Count);
        var lists = RobotLists();
        await env.StartOperatorAsync("operator-2");
        await Eventually(() => Task.FromResult(RobotLists() > lists), "synced again after the start", TimeSpan.FromSeconds(30));
        await Eventually(async () => (await env.GetRecordAsync("steady"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "synced");
        Assert.Equal(before, Transition(await env.GetRecordAsync("steady")));
    }

    /// <summary>
    /// After a restart, a namespace set up before counts as waiting until it is checked again, and Progressing says so
    /// rather than that it is not set up yet. (It said "1 namespace(s) not set up yet, first namespace steady: being
    /// set up".)
    /// </summary>
    [Fact]
    public async Task After_a_restart_progressing_says_a_namespace_set_up_before_is_being_checked_not_set_up()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("checked"));
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("checked");
        await Eventually(async () => (await env.GetRecordAsync("checked"))?["status"]?["phase"]?.GetValue<string>() == "Synced"
                                     && (await env.ConditionAsync("Progressing"))?.Status == "False", "synced, and counted so");
        await env.StopOperatorAsync(op);

        // The first check after the start is slowed, so the integration's status is written while it goes on.
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/{orgname}/robots", LatencyMs = 4000, Times = 1 });
        await env.StartOperatorAsync("operator-2");
        (string Status, string Reason, string Message)? progressing = null;
        await Eventually(async () => (progressing = await env.ConditionAsync("Progressing")) is { Status: "True" }, "Progressing while it checks");
        Assert.Contains("namespace checked: set up before", progressing!.Value.Message);
        Assert.DoesNotContain("not set up yet", progressing.Value.Message);
    }

    [Fact]
    public async Task One_service_account_Quay_refuses_fails_alone_says_why_and_the_rest_of_the_namespace_works()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("many");
            spec["serviceAccounts"] = new JsonArray(
                new JsonObject { ["name"] = "builder", ["role"] = "write" },
                new JsonObject { ["name"] = "default", ["role"] = "read" },
                new JsonObject { ["name"] = "deployer", ["role"] = "read" },
                new JsonObject { ["name"] = "pipeline", ["role"] = "write" });
        });
        // Quay refuses this one robot, and only it.
        var refusal = env.Quay.Faults.Add(new FaultRule
        {
            Route = "/api/v1/organization/{orgname}/robots/{robot_shortname}", Method = "PUT", PathContains = "/robots/pipeline", ErrorRate = 1, ErrorStatuses = [400],
        });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("many");
        await Eventually(() => env.IsSeededAsync("many", "openshift_many"), "the other service accounts set up");
        await Eventually(async () => (await env.GetRecordAsync("many"))?["status"]?["phase"]?.GetValue<string>() == "Failing", "the namespace reported failing");
        var error = (await env.GetRecordAsync("many"))!["status"]!["lastError"]!.GetValue<string>();
        Assert.StartsWith("service account pipeline: create robot openshift_many+pipeline failed", error);
        Assert.Equal("true", (await env.GetNamespaceAsync("many"))!.Metadata.Labels["quay.redhat.com/managed"]); // builds still rewritten
        // The QuayIntegration's status is written by its own reconciler, a moment after the namespace's.
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["failingNamespaces"]?.ToString() == "1", "the integration counts it failing");
        // Review of b24b624 (helper-69): every failed try of a first sync announced "Namespace synced". Only the sync that succeeds says so.
        Assert.DoesNotContain((await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items, e => e.InvolvedObject.Name == "many" && e.Reason == "Synced");

        env.Quay.Faults.Remove(refusal);
        await Eventually(async () => await env.GetSecretAsync("many", "pipeline-quay-openshift") is not null
                                     && (await env.GetRecordAsync("many"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "the last one set up once Quay takes it");
        await Eventually(async () => (await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items.Count(e => e.InvolvedObject.Name == "many" && e.Reason == "Synced") == 1,
            "one Synced Event once it is");
    }

    /// <summary>
    /// A restarted operator (or a new leader) knows no namespace's outcome until it has tried each again, here held back
    /// by a slow Quay: a namespace whose record says it was failing still counts as failing, with the recorded error,
    /// until then. (The first pass after a restart counted it nowhere: Ready True, no failing namespace, no error, for
    /// as long as the namespaces took to be tried again.)
    /// </summary>
    [Fact]
    public async Task A_restart_keeps_reporting_a_failing_namespace_until_it_is_tried_again()
    {
        await using var env = await StopWithAFailingNamespaceAsync();
        env.Quay.Faults.Add(new FaultRule { PathContains = "openshift_broken", LatencyMs = 4000 });
        await env.StartOperatorAsync("operator-2");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(6))
        {
            var status = (await env.GetIntegrationAsync())!["status"]!;
            Assert.Equal("1", status["failingNamespaces"]?.ToString());
            Assert.NotNull(status["lastError"]);
            Assert.Equal("False", (await env.ConditionAsync("Ready"))?.Status);
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// The same after a restart into a Quay outage: the failing namespace waits under its integration while Quay cannot
    /// be reached, then, once Quay is back, still counts as failing with its recorded error while its first sync is
    /// slow, rather than as a namespace being set up for the first time.
    /// </summary>
    [Fact]
    public async Task A_failing_namespace_that_waited_out_an_outage_after_a_restart_counts_as_failing_while_it_is_tried_again()
    {
        await using var env = await StopWithAFailingNamespaceAsync();
        var outage = env.Quay.Faults.Add(new FaultRule { ErrorRate = 1, ErrorStatuses = [503] });
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => (await env.ConditionAsync("QuayReachable"))?.Status == "False", "the outage seen");
        var slow = new FaultRule { PathContains = "openshift_broken", LatencyMs = 4000, Times = 1000 }; // Times: so that it counts its matches
        env.Quay.Faults.Add(slow);
        var before = slow.TimesMatched;
        env.Quay.Faults.Remove(outage);
        await Eventually(() => Task.FromResult(slow.TimesMatched > before), "its sync started");
        // Counted as failing once the status catches up with the sync's start (well before the sync can end, 4 s on).
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["failingNamespaces"]?.ToString() == "1", "counted as failing", TimeSpan.FromSeconds(2));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(2))
        {
            var status = (await env.GetIntegrationAsync())!["status"]!;
            Assert.Equal("1", status["failingNamespaces"]?.ToString());
            Assert.Contains("as last recorded", status["lastError"]?.ToString());
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// A world whose namespace <c>broken</c> is set up and failing (Quay refuses its pipeline robot), counted so by the
    /// integration; then the operator stopped, as before a restart or a change of leader.
    /// </summary>
    private static async Task<OperatorEnvironment> StopWithAFailingNamespaceAsync()
    {
        var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("broken");
            spec["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" }, new JsonObject { ["name"] = "pipeline", ["role"] = "write" });
        });
        env.Quay.Faults.Add(new FaultRule
        {
            Route = "/api/v1/organization/{orgname}/robots/{robot_shortname}", Method = "PUT", PathContains = "/robots/pipeline", ErrorRate = 1, ErrorStatuses = [400],
        });
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("broken");
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["failingNamespaces"]?.ToString() == "1", "the integration counts it failing");
        await env.StopOperatorAsync(op);
        return env;
    }

    /// <summary>
    /// A configuration change is not reported done before the namespaces are in step with it: once the status observes
    /// the new generation, the namespaces synced under the old configuration count as pending (Progressing=True) until
    /// each is synced again, here held back by a slow Quay. (They counted as synced, Progressing=False "Idle", the
    /// moment the change was seen.)
    /// </summary>
    [Fact]
    public async Task A_configuration_change_is_progressing_until_every_namespace_is_in_step_with_it()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("first", "second"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("first");
        await env.CreateNamespaceAsync("second");
        await Eventually(async () => await env.IsSeededAsync("first", "openshift_first") && await env.IsSeededAsync("second", "openshift_second"), "both set up");
        await Eventually(async () => (await env.ConditionAsync("Progressing"))?.Status == "False", "idle");

        var slow = env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/{orgname}/robots/{robot_shortname}", Method = "PUT", PathContains = "/robots/pipeline", LatencyMs = 4000 });
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = new JsonArray(
                new JsonObject { ["name"] = "builder", ["role"] = "write" },
                new JsonObject { ["name"] = "default", ["role"] = "read" },
                new JsonObject { ["name"] = "deployer", ["role"] = "read" },
                new JsonObject { ["name"] = "pipeline", ["role"] = "write" }),
        });
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"] is { } status
                                     && status["observedGeneration"]?.GetValue<long>() == (await env.GetIntegrationAsync())!["metadata"]!["generation"]!.GetValue<long>(),
            "the change observed");
        var progressing = (await env.ConditionAsync("Progressing"))!.Value;
        Assert.Equal("True", progressing.Status);
        Assert.NotEqual(0, (await env.GetIntegrationAsync())!["status"]!["pendingNamespaces"]!.GetValue<int>());

        env.Quay.Faults.Remove(slow);
        await Eventually(async () => await env.GetSecretAsync("first", "pipeline-quay-openshift") is not null
                                     && await env.GetSecretAsync("second", "pipeline-quay-openshift") is not null, "both in step with the change");
        await Eventually(async () => (await env.ConditionAsync("Progressing"))?.Status == "False"
                                     && (await env.GetIntegrationAsync())?["status"]?["syncedNamespaces"]?.GetValue<int>() == 2, "idle again, both synced");
    }

    /// <summary>
    /// A conflict is normally another writer's change, cleared by the retry, and not worth a report; one that comes
    /// back on every retry is a failure like any other: the namespace's status, an Event and the counts say so.
    /// </summary>
    [Fact]
    public async Task A_conflict_that_keeps_coming_back_is_reported()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("contested"));
        env.Cluster.ApiServer.Faults.InjectStatus(409, count: 100_000, resource: "serviceaccounts", verb: "patch");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("contested");
        await Eventually(async () => (await env.GetRecordAsync("contested"))?["status"]?["phase"]?.GetValue<string>() == "Failing", "the namespace reported failing");
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["failingNamespaces"]?.ToString() == "1", "the integration counts it failing");
        env.Cluster.ApiServer.Faults.Reset();
        await Eventually(async () => (await env.GetRecordAsync("contested"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "synced once the conflicts stop");
    }

    /// <summary>
    /// A failure that lasts is one Event whose count grows, as client-go aggregates them, not a new Event each time the
    /// repeat window passes (here 1 s, against every retry of a namespace Quay keeps refusing).
    /// </summary>
    [Fact]
    public async Task A_lasting_failure_is_one_event_whose_count_grows()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("stubborn"));
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [400] });
        await env.StartOperatorAsync("operator-1", "--Operator:EventRepeatWindow=00:00:01");
        await env.CreateNamespaceAsync("stubborn");
        async Task<List<Corev1Event>> FailuresAsync() => (await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items
            .Where(e => e.InvolvedObject.Name == "stubborn" && e.Type == "Warning" && e.Reason == "QuaySyncFailed").ToList();
        await Eventually(async () => (await FailuresAsync()).Any(e => e.Count >= 3), "the failure counted three times", TimeSpan.FromSeconds(30));
        var failures = await FailuresAsync();
        var single = Assert.Single(failures);
        Assert.True(single.LastTimestamp > single.FirstTimestamp, $"last {single.LastTimestamp:O}, first {single.FirstTimestamp:O}");
    }

    /// <summary>
    /// Events name the kind of the object they are about, also for a namespace the operator first read in a LIST (whose
    /// items carry no kind or apiVersion, as the API server writes built-in types): `kubectl describe namespace` finds
    /// a namespace's Events by its kind, so Events without one were never shown there.
    /// </summary>
    [Fact]
    public async Task Events_about_a_namespace_read_in_a_list_name_its_kind()
    {
        await using var env = await StartAsync();
        await env.CreateNamespaceAsync("listed");
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace); // so the namespace waits, and says so
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items
            .Any(e => e.InvolvedObject.Name == "listed" && e.Reason == "Waiting"), "the Waiting Event");
        var waiting = (await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items.First(e => e.InvolvedObject.Name == "listed" && e.Reason == "Waiting");
        Assert.Equal("Namespace", waiting.InvolvedObject.Kind);
        Assert.Equal("v1", waiting.InvolvedObject.ApiVersion);
    }

    /// <summary>
    /// Errors are joined from many parts, one per service account Quay refuses here: the status carries a bounded
    /// message that says how much it left out, not one that grows with the configuration until the API server refuses
    /// to store the object (and with it the report that something fails).
    /// </summary>
    [Fact]
    public async Task A_namespace_failing_in_many_ways_reports_a_bounded_error()
    {
        var accounts = Enumerable.Range(0, 60).Select(i => (JsonNode)new JsonObject { ["name"] = $"refused-account-{i:D2}", ["role"] = "read" }).ToArray();
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("wordy");
            spec["serviceAccounts"] = new JsonArray(accounts);
        });
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/{orgname}/robots/{robot_shortname}", Method = "PUT", ErrorRate = 1, ErrorStatuses = [400] });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("wordy");
        await Eventually(async () => (await env.GetRecordAsync("wordy"))?["status"]?["phase"]?.GetValue<string>() == "Failing", "the namespace reported failing");
        var status = (await env.GetRecordAsync("wordy"))!["status"]!;
        var error = status["lastError"]!.GetValue<string>();
        Assert.InRange(error.Length, 1000, 4096);
        Assert.EndsWith("more characters)", error);
        Assert.All(status["conditions"]!.AsArray(), c => Assert.InRange(c!["message"]!.GetValue<string>().Length, 0, 4096));
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["failingNamespaces"]?.ToString() == "1", "the integration counts it failing");
        var integration = (await env.GetIntegrationAsync())!["status"]!;
        Assert.InRange(integration["lastError"]!.GetValue<string>().Length, 1000, 4096);
        Assert.All(integration["conditions"]!.AsArray(), c => Assert.InRange(c!["message"]!.GetValue<string>().Length, 0, 4096));
    }

    /// <summary>
    /// An API server that does not answer a write in time is a failure like a refusal: the namespace's status, a
    /// Warning Event and the integration's counts say so (the timeout escaped the reconciler's report before, leaving
    /// the namespace looking fine while every retry failed), and it converges once the API server answers again.
    /// </summary>
    [Fact]
    public async Task A_write_the_api_server_does_not_answer_in_time_is_reported_as_a_failure()
    {
        await using var env = await StartAsync();
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "secrets", verb: "create", ns: "slowwrite");
        await env.StartOperatorAsync("operator-1", "--Operator:ApiRequestTimeout=00:00:01");
        await env.CreateNamespaceAsync("slowwrite");
        await Eventually(async () => (await env.GetRecordAsync("slowwrite"))?["status"]?["phase"]?.GetValue<string>() == "Failing", "the namespace reported failing");
        Assert.Contains("no complete answer from the Kubernetes API server", (await env.GetRecordAsync("slowwrite"))!["status"]!["lastError"]!.GetValue<string>());
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["failingNamespaces"]?.ToString() == "1", "the integration counts it failing");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "slowwrite" && e.Type == "Warning" && e.Reason == "ClusterUpdateFailed", "the ClusterUpdateFailed Warning");

        stall.Release();
        await Eventually(() => env.IsSeededAsync("slowwrite", "openshift_slowwrite"), "set up once the API server answers");
        await Eventually(async () => (await env.GetRecordAsync("slowwrite"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "reported synced");
    }

    /// <summary>
    /// Where Quay leaves organization creation to superusers (FEATURE_SUPERUSERS_ORG_CREATION_ONLY), its 403 names no
    /// reason: the namespace's status says what can cause it and what to do. The organization a superuser then makes,
    /// while the operator retries, is the superuser's: the refused create withdrew the record's write ahead, so the
    /// organization is used as found, never taken for the operator's (and never deleted with the namespace).
    /// </summary>
    [Fact]
    public async Task An_organization_quay_will_not_let_the_token_create_is_reported_with_what_to_do()
    {
        await using var env = await StartAsync();
        env.Quay.OrganizationCreationForSuperusersOnly = true;
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("nocreate");
        await Eventually(async () => (await env.GetRecordAsync("nocreate"))?["status"]?["phase"]?.GetValue<string>() == "Failing", "the namespace reported failing");
        var error = (await env.GetRecordAsync("nocreate"))!["status"]!["lastError"]!.GetValue<string>();
        Assert.Contains("may not create organizations", error);
        Assert.Contains("make the token's user an owner", error);

        using (var root = new QuayAdministrator(env.Quay, "root", superuser: true))
        {
            await root.CreateOrganizationAsync("openshift_nocreate", "platform@example.org");
            root.AddOwner("openshift_nocreate", "operator");
        }
        await Eventually(() => env.IsSeededAsync("nocreate", "openshift_nocreate"), "set up in the organization the superuser made", TimeSpan.FromSeconds(60));
        Assert.Equal("Found", await env.RecordedOriginAsync("nocreate", "openshift_nocreate"));
    }

    [Fact]
    public async Task A_service_account_name_too_long_for_its_Secret_is_refused_when_applied()
    {
        await using var env = await StartAsync();
        var failure = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "sa-" + new string('x', 240), ["role"] = "read" }),
        }));
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, failure.Response.StatusCode);
        Assert.Contains("207", failure.Response.Content);
    }

    /// <summary>
    /// A reconcile that fails part-way still lists what the namespace keeps: the steps that would have found it again
    /// did not run, and nothing was removed. (The failing status listed only what the reconcile had found before it
    /// failed: a Quay outage hid a kept repository for as long as it lasted.)
    /// </summary>
    [Fact]
    public async Task A_failing_reconcile_still_lists_what_the_namespace_keeps()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("keeper");
        await env.CreateImageStreamAsync("keeper", "old");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_keeper", "old") is not null), "the repository made");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "keeper", "imagestreams", "old");
        const string kept = "repository openshift_keeper/old (repositoryDeletionPolicy Keep)";
        await Eventually(async () => (await env.GetRecordAsync("keeper"))?["status"]?["kept"]?.ToJsonString().Contains(kept) == true, "the repository kept");

        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/{orgname}/robots", Method = "GET", ErrorRate = 1, ErrorStatuses = [503] });
        JsonNode? status = null;
        await Eventually(async () => (status = (await env.GetRecordAsync("keeper"))?["status"])?["phase"]?.GetValue<string>() is "Failing" or "Pending",
            "the namespace no longer in step");
        Assert.Contains(kept, status!["kept"]?.ToJsonString() ?? "");
        Assert.Equal(1, status["keptCount"]?.GetValue<int>());
    }

    /// <summary>
    /// A namespace its integration released (cleanupPolicy Keep) is neither counted as pending nor told it waits when
    /// that integration cannot act: nothing is being set up for it. (Every outage counted each released namespace as
    /// pending and wrote a "Not synced with Quay for now" Event on it.)
    /// </summary>
    [Fact]
    public async Task A_released_namespace_is_not_counted_or_told_as_waiting_while_its_integration_cannot_act()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("stays");
        await env.CreateNamespaceAsync("gone");
        await Eventually(async () => await env.IsSeededAsync("stays", "openshift_stays") && await env.IsSeededAsync("gone", "openshift_gone"), "both set up");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("stays") });
        await Eventually(async () => (await env.GetRecordAsync("gone"))?["status"]?["phase"]?.GetValue<string>() == "Released", "released");

        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await Eventually(async () => (await env.GetRecordAsync("stays"))?["status"]?["phase"]?.GetValue<string>() == "Pending", "the namespace in scope waiting");
        await Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["pendingNamespaces"]?.GetValue<int>() >= 1, "counted");
        await Task.Delay(TimeSpan.FromSeconds(1)); // every namespace and record was enqueued at once when the integration stopped being ready
        Assert.Equal(1, (await env.GetIntegrationAsync())!["status"]!["pendingNamespaces"]!.GetValue<int>());
        Assert.DoesNotContain((await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items, e => e.InvolvedObject.Name == "gone" && e.Reason == "Waiting");
        Assert.Equal("Released", (await env.GetRecordAsync("gone"))!["status"]!["phase"]!.GetValue<string>());
    }
}
