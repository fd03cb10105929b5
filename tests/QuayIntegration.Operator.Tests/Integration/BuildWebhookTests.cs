using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Cli;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Operator.Tests.Support;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The admission webhook through the emulated API server's mutating admission chain (HTTPS, caBundle verified for
/// quay-integration.quay-integration.svc), with the build runner pushing to the emulated Quay.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed class BuildWebhookTests
{
    private const string Managed = "quay-registry-operator.quay.redhat.com/quay-registry-operator-managed";
    private const string Destination = "quay-registry-operator.quay.redhat.com/destination-imagestream";
    private const string Imported = "quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported";

    [Fact]
    public async Task New_app_build_is_rewritten_pushed_to_quay_with_the_robot_and_imported_back_by_digest()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs());
        WebhookSetup.MapService(env, op);
        await WebhookSetup.InstallConfigurationAsync(env, webhook.Ca.CertificatePem); // deploy/ as shipped

        await env.Cluster.Oc.NewProjectAsync("web-demo", "Web demo", "webhook walkthrough");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("web-demo", "openshift_web-demo"), "web-demo to be set up");
        await OperatorEnvironment.Eventually(async () => Labels(await env.GetNamespaceAsync("web-demo")) is { } labels && labels.TryGetValue("quay.redhat.com/managed", out var managed) && managed == "true",
            "the managed label the webhook's namespaceSelector uses");

        var app = await env.Cluster.Oc.NewAppAsync("web-demo", AppTemplate.HttpdExample);
        var created = app.Build;
        var quayImage = $"{env.Quay.RegistryHost}/openshift_web-demo/httpd-example:latest";
        Assert.Equal("DockerImage", created["spec"]!["output"]!["to"]!["kind"]!.GetValue<string>());
        Assert.Equal(quayImage, created["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Null(created["spec"]!["output"]!["to"]!["namespace"]);
        var annotations = created["metadata"]!["annotations"]!.AsObject();
        Assert.Equal("true", annotations[Managed]!.GetValue<string>());
        Assert.Equal("web-demo/httpd-example:latest", annotations[Destination]!.GetValue<string>());
        Assert.NotNull(annotations["openshift.io/build.number"]); // the BuildConfig's annotations are kept

        var name = created["metadata"]!["name"]!.GetValue<string>();
        var complete = await env.Cluster.Oc.WaitForBuildPhaseAsync("web-demo", name, "Complete", TimeSpan.FromSeconds(30));
        var digest = complete["status"]!["output"]!["to"]!["imageDigest"]!.GetValue<string>();
        // The runner pushed with the builder robot's credentials, the push secret it picked from the builder SA.
        Assert.Equal("builder-quay-openshift", complete["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        var repository = env.Quay.State.Repository("openshift_web-demo", "httpd-example")!;
        Assert.Contains(repository.Tags, t => t.Name == "latest" && t.ManifestDigest == digest && t.EndTs is null);
        Assert.NotNull(env.Quay.State.Organization("openshift_web-demo")!.Robots.Single(r => r.Name == "openshift_web-demo+builder").LastAccessed);

        await OperatorEnvironment.Eventually(async () =>
            (await env.Cluster.Oc.GetBuildAsync("web-demo", name))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the build to be marked imported");
        var stream = (await env.Cluster.Oc.GetImageStreamAsync("web-demo", "httpd-example"))!;
        var latest = stream["status"]!["tags"]!.AsArray().First(t => t!["tag"]!.GetValue<string>() == "latest")!;
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_web-demo/httpd-example@{digest}", latest["items"]![0]!["dockerImageReference"]!.GetValue<string>());
        Assert.Equal(digest, latest["items"]![0]!["image"]!.GetValue<string>());
        var specTag = stream["spec"]!["tags"]!.AsArray().First(t => t!["name"]!.GetValue<string>() == "latest")!;
        Assert.Equal("Source", specTag["referencePolicy"]!["type"]!.GetValue<string>());
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_web-demo/httpd-example@{digest}", specTag["from"]!["name"]!.GetValue<string>());

        // Exactly once: a restarted operator (new caches, a full resync) imports nothing again.
        await OperatorEnvironment.Eventually(async () =>
            (await env.Kube.CoreV1.ListNamespacedEventAsync("web-demo")).Items.Any(e => e.Reason == "ImageImported"), "the ImageImported event");
        await env.StopOperatorAsync(op);
        var restarted = await env.StartOperatorAsync("operator-2", webhook.OperatorArgs());
        await OperatorEnvironment.Eventually(async () => (await HttpGet(restarted.BaseUrl + "/readyz")) == HttpStatusCode.OK, "the restarted operator to be ready");
        await Task.Delay(1500);
        var items = (await env.Cluster.Oc.GetImageStreamAsync("web-demo", "httpd-example"))!["status"]!["tags"]![0]!["items"]!.AsArray();
        Assert.Single(items);
        Assert.Single((await env.Kube.CoreV1.ListNamespacedEventAsync("web-demo")).Items, e => e.Reason == "ImageImported");

        var metrics = await new HttpClient().GetStringAsync(restarted.BaseUrl + "/metrics");
        Assert.Contains("quayintegration_admission_duration_seconds", metrics);
    }

    [Fact]
    public async Task Build_in_a_namespace_whose_setup_fails_is_denied_with_the_real_cause()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("refused"));
        // Quay refuses to create the organization (as it does for a name still reserved by a deleted one).
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [400] });
        await webhook.ServeAsync(env);
        await env.CreateNamespaceAsync("refused");
        await env.Cluster.Oc.WaitForServiceAccountAsync("refused", "builder");
        await OperatorEnvironment.Eventually(async () => (await env.GetRecordAsync("refused"))?["status"]?["phase"]?.GetValue<string>() == "Failing",
            "the failure recorded in the namespace's status");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(env, "refused", ImageStreamTagOutput("app:v1")));
        var message = JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>();
        Assert.Contains("namespace refused is not set up for Quay yet (its Quay setup failed: create organization openshift_refused failed", message);
    }

    /// <summary>
    /// Review of 9791c3f (helper-115): while its QuayIntegration cannot set namespaces up (here its token Secret is gone),
    /// a Build in a namespace not set up yet is denied with the integration's reason and told that it needs fixing.
    /// (It said "it has no Quay organization yet … retry in a few seconds" for as long as the token stayed missing.)
    /// </summary>
    [Fact]
    public async Task Build_in_a_namespace_its_integration_cannot_set_up_is_denied_with_the_integrations_reason()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await webhook.ServeAsync(env);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorEnvironment.OperatorNamespace);
        await OperatorEnvironment.Eventually(async () => (await env.ConditionAsync("Ready"))?.Reason == "CredentialsSecretNotFound", "the integration not ready");
        await env.CreateNamespaceAsync("fresh");
        await env.Cluster.Oc.WaitForServiceAccountAsync("fresh", "builder");
        await OperatorEnvironment.Eventually(async () => Labels(await env.GetNamespaceAsync("fresh")) is { } labels
                && labels.TryGetValue("quay.redhat.com/managed", out var managed) && managed == "pending", "the namespace waiting for its integration");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(env, "fresh", ImageStreamTagOutput("app:v1")));
        var message = JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>();
        Assert.Contains($"namespace fresh is not set up for Quay yet (its QuayIntegration cannot set namespaces up now: QuayIntegration {OperatorEnvironment.IntegrationName} " +
                        "is not ready (CredentialsSecretNotFound", message);
        Assert.Contains("retry once that is fixed (kubectl get quayintegrations", message);
        Assert.DoesNotContain("retry in a few seconds", message);
    }

    /// <summary>
    /// Review of b38c556 (helper-125): a build in a namespace still being set up was denied, "retry in a few seconds".
    /// One OpenShift starts itself (a new BuildConfig's ConfigChange trigger after `oc new-project` and `oc new-app` in
    /// one go, an image change, a Git webhook) is not started again: it was lost. It is rewritten as it will be, its
    /// robot Secret named, and the build controller holds it (MissingPushSecret) until the operator has written it.
    /// </summary>
    [Fact]
    public async Task A_build_started_while_its_namespace_is_being_set_up_waits_for_its_push_secret_and_is_imported()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs());
        WebhookSetup.MapService(env, op);
        // deploy/ as shipped: its namespaceSelector must already cover a namespace that is in scope but not set up.
        await WebhookSetup.InstallConfigurationAsync(env, webhook.Ca.CertificatePem);
        // The robot Secrets' creates are held: the namespace is set up but for its credentials.
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "secrets", verb: "create", ns: "early", user: env.OperatorUser);
        await env.CreateNamespaceAsync("early");
        await env.CreateImageStreamAsync("early", "app");
        await env.Cluster.Oc.WaitForServiceAccountAsync("early", "builder");
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_early", "app") is not null),
            "the repository made, the robot Secrets held");

        var build = await CreateBuildAsync(env, "early", ImageStreamTagOutput("app:v1"));
        var name = build["metadata"]!["name"]!.GetValue<string>();
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_early/app:v1", build["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Equal("builder-quay-openshift", build["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("early", name))?["status"]?["reason"]?.GetValue<string>() == "MissingPushSecret",
            "the build held for its push secret");

        stall.Release();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("early", name, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("early", name))?["metadata"]?["annotations"]?
                ["quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported"]?.GetValue<string>() == "true",
            "the image imported back into early/app:v1");
    }

    /// <summary>
    /// Review of 6c7def3 (helper-127): a namespace whose setup failed on someone's own Secret under the robot Secret's
    /// name (the sync leaves it alone and reports it) was taken for one being set up, and its builds were rewritten to
    /// push with that Secret. A setup that failed is no matter of time: denied, with the reason.
    /// </summary>
    [Fact]
    public async Task A_build_in_a_namespace_whose_setup_failed_on_someones_secret_is_denied()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("theirs"));
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        // Theirs comes first: the operator's creates of Secrets there are held until it is made.
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "secrets", verb: "create", ns: "theirs", user: env.OperatorUser);
        await env.CreateNamespaceAsync("theirs");
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(LegacyWorld.DockerConfigSecret(env, "builder-quay-openshift", "someone", "their-token"), "theirs");
        stall.Release();
        await OperatorEnvironment.Eventually(async () => (await env.GetRecordAsync("theirs"))?["status"]?["phase"]?.GetValue<string>() == "Failing",
            "the setup failing on their Secret");

        var e = await DeniedOnceCachesCatchUpAsync(env, "theirs", ImageStreamTagOutput("app:v1"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        var message = JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>();
        Assert.True(message.Contains("namespace theirs is not set up for Quay yet (its Quay setup failed: "), message);
    }

    /// <summary>
    /// Review of 6c7def3 (helper-127): before a namespace's first sync, a robot Secret already there (one restored from
    /// a backup, labelled as the operator's, its login long dead; the Go operator's, under the same name, with another
    /// organization's robot) was pushed with at once by a build rewritten for the setup to come. Such a namespace is
    /// denied until it is set up, as before.
    /// </summary>
    [Theory]
    [InlineData("restored")]
    [InlineData("go-operator")]
    public async Task A_build_before_the_first_sync_of_a_namespace_with_a_past_is_denied(string past)
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("old"));
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        // The operator's first write there (the namespace's label) is held: its first sync does not get further.
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "namespaces", verb: "patch", name: "old", user: env.OperatorUser);
        if (past == "go-operator")
            await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace("old"));
        else
        {
            await env.CreateNamespaceAsync("old");
            var restored = LegacyWorld.DockerConfigSecret(env, "builder-quay-openshift", "openshift_old+builder", "dead-token");
            restored.Metadata.Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "quay-integration-operator" };
            restored.Metadata.Annotations = new Dictionary<string, string>
            {
                ["quay.redhat.com/host"] = env.Quay.RegistryHost, ["quay.redhat.com/robot"] = "openshift_old+builder", ["quay.redhat.com/service-account"] = "builder",
            };
            await env.Kube.CoreV1.CreateNamespacedSecretAsync(restored, "old");
        }
        await env.Cluster.Oc.WaitForServiceAccountAsync("old", "builder");

        var e = await DeniedOnceCachesCatchUpAsync(env, "old", ImageStreamTagOutput("app:v1"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Contains("namespace old is not set up for Quay yet", JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());
        stall.Release();
    }

    /// <summary>
    /// Review of 8ac871d (helper-128): after clusterID changed (and with it the prefix), a namespace not reached by its
    /// move yet still carried the former organization's annotation; its build was rewritten to push there, naming the
    /// robot Secret the sync was about to write for the new organization's robot, and the push was refused. Until the
    /// namespace has moved, such a build is denied (later rewritten to the new organization).
    /// </summary>
    [Fact]
    public async Task A_build_after_the_cluster_id_changed_is_not_sent_to_the_former_organization_with_the_new_robot()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await SetUpAppWithImageStreamWebAsync(env);
        // The move stops at the new robot Secrets: the namespace still names its former organization.
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "secrets", verb: "create", ns: "app", user: env.OperatorUser);
        await env.PatchIntegrationSpecAsync(new JsonObject { ["clusterID"] = "east" });
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("east_app", "web") is not null), "the new organization's repository");

        var e = await DeniedOnceCachesCatchUpAsync(env, "app", ImageStreamTagOutput("web:v1"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Contains("does not carry the Quay Secret builder-quay-east yet", JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());

        stall.Release();
        await RewrittenOnceCachesCatchUpAsync(env, "app", ImageStreamTagOutput("web:v1"), $"{env.Quay.RegistryHost}/east_app/web:v1");
    }

    /// <summary>
    /// Review of 105215c (helper-66): the integration moves to another Quay (quayHostname and caBundle changed, its
    /// credentials not yet). The namespace's label still says it was set up, on the first Quay: its builds were
    /// rewritten to push to the second, where it has no organization and its robot Secret holds no login, and failed
    /// at the push. Until the namespace is set up on the second Quay they are denied with the reason, then rewritten.
    /// </summary>
    [Fact]
    public async Task A_build_after_the_integration_moved_to_another_quay_waits_for_the_namespace_to_be_set_up_there()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("hop"), secondQuay: true);
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("hop");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("hop", "openshift_hop"), "set up on the first Quay");

        var second = env.SecondQuaySpec("openshift");
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["quayHostname"] = second["quayHostname"]!.DeepClone(),
            ["caBundle"] = second["caBundle"]!.DeepClone(),
        });
        await OperatorEnvironment.Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["conditions"]?.AsArray()
            .Any(c => c!["type"]!.GetValue<string>() == "Ready" && c["status"]!.GetValue<string>() == "False") == true, "the integration not ready: the first Quay's token");
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(env, "hop", ImageStreamTagOutput("app:v1")));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Contains("namespace hop is not set up for Quay yet", JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());

        await env.PatchIntegrationSpecAsync(new JsonObject { ["credentialsSecret"] = second["credentialsSecret"]!.DeepClone() });
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("hop", "openshift_hop", quay: env.SecondQuay), "set up on the second Quay", TimeSpan.FromSeconds(30));
        await RewrittenOnceCachesCatchUpAsync(env, "hop", ImageStreamTagOutput("app:v1"), $"{env.SecondQuay!.RegistryHost}/openshift_hop/app:v1");
    }

    /// <summary>
    /// Review of b24b624 (helper-70): during a move to another organization (organizationPrefix changed) the robot Secret
    /// holds the new organization's robot before the namespace's annotation names that organization. A build admitted
    /// then was rewritten to the annotated, former organization, with credentials that may not push there. It is denied
    /// until the move is done, then rewritten to the new organization.
    /// </summary>
    [Fact]
    public async Task A_build_during_a_move_to_another_organization_waits_for_the_move()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("hop"));
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("hop");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("hop", "openshift_hop"), "set up");

        // The namespace's annotation is written last in a sync: held, the move stops just before it.
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "namespaces", verb: "patch", name: "hop", user: env.OperatorUser);
        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "moved" });
        await OperatorEnvironment.Eventually(async () => (await env.GetSecretAsync("hop", "builder-quay-openshift"))?.Metadata.Annotations?["quay.redhat.com/robot"] == "moved_hop+builder",
            "the robot Secret rewritten for the new organization");
        var e = await DeniedOnceCachesCatchUpAsync(env, "hop", ImageStreamTagOutput("app:v1"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Contains("holds the robot of another organization than openshift_hop", JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());

        stall.Release();
        await RewrittenOnceCachesCatchUpAsync(env, "hop", ImageStreamTagOutput("app:v1"), $"{env.Quay.RegistryHost}/moved_hop/app:v1");
    }

    /// <summary>
    /// Review of b24b624 (helper-71): OpenShift's build controller takes a build's push secret from the service account's
    /// imagePullSecrets since 4.16 and from its secrets before. A robot Secret listed in only one of them (someone
    /// unlinked it, the operator not yet back) let the build through, to push with the internal registry's credentials
    /// on one of the two; it was denied until both listed it. Since 33cfae6 the rewrite names the robot Secret as the
    /// push secret, which the build controller uses whatever the lists say, and since b38c556 (helper-125) a namespace
    /// whose robot Secret is on its way is not denied (a build OpenShift starts itself would be lost): rewritten, the
    /// Secret named.
    /// </summary>
    [Fact]
    public async Task A_build_while_its_service_account_lists_the_robot_secret_in_one_list_only_names_it_as_its_push_secret()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("half"));
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("half");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("half", "openshift_half"), "set up");

        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "serviceaccounts", verb: "patch", ns: "half", user: env.OperatorUser);
        var account = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("builder", "half");
        account.ImagePullSecrets = account.ImagePullSecrets.Where(s => s.Name != "builder-quay-openshift").ToList();
        await env.Kube.CoreV1.ReplaceNamespacedServiceAccountAsync(account, "builder", "half");
        var build = await CreateBuildAsync(env, "half", ImageStreamTagOutput("app:v1"));
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_half/app:v1", build["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Equal("builder-quay-openshift", build["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        stall.Release();
    }

    /// <summary>
    /// Review of 65f9c16 (helper-80): a rewritten Build named no push secret, and the build controller took the first of
    /// the service account's docker Secrets that matches the Quay host: a team's own, linked before the namespace was
    /// onboarded (a read-only robot's, say), came before the robot Secret the operator appends, and the push was
    /// refused. The rewrite names the robot Secret the setup check found.
    /// </summary>
    [Fact]
    public async Task A_rewritten_build_pushes_with_the_robot_secret_not_the_first_quay_secret_of_its_service_account()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("team"));
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("team");
        await env.CreateImageStreamAsync("team", "web");
        await OperatorEnvironment.Eventually(async () => await env.IsSeededAsync("team", "openshift_team") && env.Quay.State.Repository("openshift_team", "web") is not null,
            "set up, its repository made");
        // The team's own Quay Secret, first in both of builder's lists.
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(LegacyWorld.DockerConfigSecret(env, "team-quay", "openshift_team+reader", "not-a-writer"), "team");
        var account = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("builder", "team");
        account.ImagePullSecrets = [new V1LocalObjectReference { Name = "team-quay" }, .. account.ImagePullSecrets];
        account.Secrets = [new V1ObjectReference { Name = "team-quay" }, .. account.Secrets];
        await env.Kube.CoreV1.ReplaceNamespacedServiceAccountAsync(account, "builder", "team");

        var build = await CreateBuildAsync(env, "team", ImageStreamTagOutput("web:v1"));
        Assert.Equal("builder-quay-openshift", build["spec"]!["output"]!["pushSecret"]?["name"]?.GetValue<string>());
        var complete = await env.Cluster.Oc.WaitForBuildPhaseAsync("team", build["metadata"]!["name"]!.GetValue<string>(), "Complete", TimeSpan.FromSeconds(30));
        Assert.NotNull(complete["status"]!["output"]!["to"]!["imageDigest"]);
    }

    /// <summary>
    /// Review of 65f9c16 (helper-80): a build whose output is in a namespace another QuayIntegration manages was sent to
    /// the internal registry: the image went where nobody looks for it (that namespace's images are in Quay). It is
    /// denied with the reason; a target no integration selects still passes untouched.
    /// </summary>
    [Fact]
    public async Task A_build_into_a_namespace_of_another_integration_is_denied_with_the_reason()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("app"));
        await env.CreateIntegrationAsync("other", spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("theirs");
            spec["organizationPrefix"] = "other";
            spec["clusterID"] = "other";
        });
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("app");
        await env.CreateNamespaceAsync("theirs");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app set up");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("theirs", "other_theirs", "other"), "theirs set up by the other integration");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(env, "app", ImageStreamTagOutput("web:v1", ns: "theirs")));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Contains("output theirs/web:v1 is in namespace theirs, which QuayIntegration other manages",
            JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());
    }

    /// <summary>
    /// Review of b24b624 (helper-70): a build whose output is in another namespace the integration manages but has not set
    /// up yet went to the internal registry with only a warning (which nobody sees for a build a BuildConfig or a
    /// trigger starts). It is denied with the reason, as a build in a namespace not set up is.
    /// </summary>
    [Fact]
    public async Task A_build_into_another_managed_namespace_not_set_up_yet_is_denied_with_the_reason()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("app", "late"));
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("app");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app set up");
        // Quay refuses the second namespace's organization.
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [400] });
        await env.CreateNamespaceAsync("late");
        await OperatorEnvironment.Eventually(async () => (await env.GetRecordAsync("late"))?["status"]?["phase"]?.GetValue<string>() == "Failing", "late failing");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(env, "app", ImageStreamTagOutput("web:v1", ns: "late")));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        var message = JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>();
        Assert.Contains("output late/web:v1 is in namespace late, which is not set up for Quay yet (its Quay setup failed", message);
        Assert.EndsWith("retry once that is fixed (the namespace's QuayNamespace status says how it goes)", message);
    }

    /// <summary>
    /// Issue (review of 49e13ff): with a matrix that gives builder no write access (its builds push with credentials
    /// of their own), every ImageStreamTag build run as builder in a namespace that was set up was denied "not set up
    /// for Quay yet … retry in a few seconds", for good: the check waited for a robot Secret the matrix never makes. It
    /// is rewritten, with a warning saying what the push needs; a build run as a service account with write access is
    /// rewritten without one.
    /// </summary>
    [Fact]
    public async Task A_build_whose_service_account_gets_no_quay_write_credentials_is_rewritten_with_a_warning_not_denied()
    {
        using var webhook = new WebhookSetup();
        // builder is not in the matrix: no robot, no Secret for it.
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["serviceAccounts"] = new JsonArray(
            new JsonObject { ["name"] = "default", ["role"] = "read" },
            new JsonObject { ["name"] = "deployer", ["role"] = "write" }));
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("app");
        await OperatorEnvironment.Eventually(async () => Labels(await env.GetNamespaceAsync("app")) is { } labels
                && labels.TryGetValue("quay.redhat.com/managed", out var managed) && managed == "true"
                && await env.GetSecretAsync("app", "deployer-quay-openshift") is not null,
            "app to be set up");
        var quayImage = $"{env.Quay.RegistryHost}/openshift_app/web:v1";

        var warnings = new List<string>();
        var asBuilder = await CreateBuildWithWarningsAsync(env, "app", BuildObject("app", ImageStreamTagOutput("web:v1")), warnings);
        Assert.Equal(quayImage, asBuilder["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Contains(warnings, w => w.Contains("gives service account builder no Quay write credentials") && w.Contains("spec.output.pushSecret"));

        var asDeployer = BuildObject("app", ImageStreamTagOutput("web:v1"));
        asDeployer["spec"]!["serviceAccount"] = "deployer";
        warnings.Clear();
        var created = await CreateBuildWithWarningsAsync(env, "app", asDeployer, warnings);
        Assert.Equal(quayImage, created["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.DoesNotContain(warnings, w => w.Contains("write credentials"));
    }

    [Fact]
    public async Task Builds_that_must_pass_untouched_are_untouched()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["denylistNamespaces"] = new JsonArray("denied"));
        var op = await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("app");
        await env.CreateNamespaceAsync("denied");
        await env.CreateNamespaceAsync("shared");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app to be set up");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("shared", "openshift_shared"), "shared to be set up");

        // Outputs that are not an ImageStreamTag; a pipeline; a namespace the integration does not manage.
        await AssertUntouchedAsync(env, "app", DockerImageOutput("quay.io/someone/app:1"));
        await AssertUntouchedAsync(env, "app", null);
        await AssertUntouchedAsync(env, "app", new JsonObject());
        await AssertUntouchedAsync(env, "app", ImageStreamTagOutput("app:v1"), pipeline: true);
        await AssertUntouchedAsync(env, "denied", ImageStreamTagOutput("app:v1"));
        // Another target namespace that is not allowed: untouched, with a warning.
        await AssertUntouchedAsync(env, "app", ImageStreamTagOutput("app:v1", "denied"));

        // An ImageStreamTag output without a tag is invalid: never rewritten to an implied latest, but left to the API
        // server, whose validation refuses it.
        var noTag = await Assert.ThrowsAsync<HttpOperationException>(() => CreateBuildAsync(env, "app", ImageStreamTagOutput("app")));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noTag.Response.StatusCode);
        Assert.Contains("ImageStreamTag object references must be in the form <name>:<tag>", noTag.Response.Content);

        // Rewritten: own namespace, through the admission chain.
        var rewritten = await CreateBuildAsync(env, "app", ImageStreamTagOutput("app:latest"));
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_app/app:latest", rewritten["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Equal("app/app:latest", rewritten["metadata"]!["annotations"]![Destination]!.GetValue<string>());

        // Rewritten: another namespace that is set up, into its organization; the output's namespace is removed.
        var crossNamespace = await CreateBuildAsync(env, "app", ImageStreamTagOutput("lib:v3", "shared"));
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_shared/lib:v3", crossNamespace["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Null(crossNamespace["spec"]!["output"]!["to"]!["namespace"]);
        Assert.Equal("shared/lib:v3", crossNamespace["metadata"]!["annotations"]![Destination]!.GetValue<string>());

        // Without a QuayIntegration, builds pass untouched.
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", OperatorEnvironment.IntegrationName);
        await OperatorEnvironment.Eventually(async () => await env.GetIntegrationAsync() is null, "the QuayIntegration to go");
        await OperatorEnvironment.Eventually(async () =>
        {
            var build = await CreateBuildAsync(env, "app", ImageStreamTagOutput("app:v1"));
            return build["spec"]!["output"]!["to"]!["kind"]!.GetValue<string>() == "ImageStreamTag";
        }, "builds to pass untouched without a QuayIntegration");

        var metrics = await new HttpClient().GetStringAsync(op.BaseUrl + "/metrics");
        Assert.Contains("quayintegration_admission_requests_total{operation=\"CREATE\",outcome=\"invalid-output\"}", metrics);
        Assert.Contains("quayintegration_admission_requests_total{operation=\"CREATE\",outcome=\"not-imagestreamtag\"}", metrics);
        Assert.Contains("quayintegration_admission_requests_total{operation=\"CREATE\",outcome=\"namespace-not-allowed\"}", metrics);
        Assert.Contains("quayintegration_admission_requests_total{operation=\"CREATE\",outcome=\"target-not-allowed\"}", metrics);
        Assert.Contains("quayintegration_admission_requests_total{operation=\"CREATE\",outcome=\"pipeline\"}", metrics);
        Assert.Contains("quayintegration_admission_requests_total{operation=\"CREATE\",outcome=\"patched\"}", metrics);
        Assert.Contains("quayintegration_admission_requests_total{operation=\"CREATE\",outcome=\"no-integration\"}", metrics);
    }

    /// <summary>
    /// Issue: a Rebuild (<c>builds/NAME/clone</c>) copies the original's annotations, the imported mark among them, and
    /// its already rewritten output; the clone was never imported. The webhook now drops the mark on every CREATE.
    /// </summary>
    [Fact]
    public async Task A_rebuild_of_an_imported_build_is_imported_itself()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await SetUpAppWithImageStreamWebAsync(env);

        var original = await CreateBuildAsync(env, "app", ImageStreamTagOutput("web:v1"));
        var name = original["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the original to be imported");

        var clone = await env.Cluster.Oc.CloneBuildAsync("app", name);
        var cloneName = clone["metadata"]!["name"]!.GetValue<string>();
        var annotations = clone["metadata"]!["annotations"]!.AsObject();
        Assert.Equal(name, annotations["openshift.io/build.clone-of"]!.GetValue<string>());
        Assert.Null(annotations[Imported]);
        Assert.Equal("true", annotations[Managed]!.GetValue<string>());
        Assert.Equal("app/web:v1", annotations[Destination]!.GetValue<string>());
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_app/web:v1", clone["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());

        var complete = await env.Cluster.Oc.WaitForBuildPhaseAsync("app", cloneName, "Complete", TimeSpan.FromSeconds(30));
        var digest = complete["status"]!["output"]!["to"]!["imageDigest"]!.GetValue<string>();
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", cloneName))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the rebuild to be imported");
        var stream = (await env.Cluster.Oc.GetImageStreamAsync("app", "web"))!;
        Assert.Equal(digest, stream["status"]!["tags"]!.AsArray().Single(t => t!["tag"]!.GetValue<string>() == "v1")!["items"]![0]!["image"]!.GetValue<string>());

        // A Rebuild of a Build the Go operator rewrote: its annotations and Quay output, but not the label this operator
        // watches Builds by (helper-58: it was pushed to Quay and never imported). The webhook adds the label.
        var goClone = BuildObject("app", new JsonObject { ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = $"{env.Quay.RegistryHost}/openshift_app/web:v2" } });
        goClone["metadata"]!["annotations"] = new JsonObject { [Managed] = "true", [Destination] = "app/web:v2", ["openshift.io/build.clone-of"] = "go-built-1" };
        var created = await CreateBuildObjectAsync(env, "app", goClone);
        Assert.Equal("true", created["metadata"]?["labels"]?["quay.redhat.com/managed-build"]?.GetValue<string>());
        var goCloneName = created["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", goCloneName, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", goCloneName))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the Go operator build's rebuild to be imported");
    }

    /// <summary>
    /// Review of b24b624 (helper-70): a Rebuild copies the original's Quay output and push secret. After the organization
    /// prefix changed, the clone pushed to the former organization (with the new robot's credentials); after the cluster
    /// ID changed, it named the robot Secret of the old ID, which the operator had deleted. A clone carrying the
    /// rewrite's annotations is rewritten again from the ImageStreamTag they record.
    /// </summary>
    [Fact]
    public async Task A_rebuild_after_the_configuration_changed_pushes_where_the_namespace_pushes_now()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("app"));
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("app");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app to be set up");
        await env.CreateImageStreamAsync("app", "web");
        var original = await CreateBuildAsync(env, "app", ImageStreamTagOutput("web:v1"));
        var name = original["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(30));

        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "moved" });
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "moved_app"), "app moved to moved_app");
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("moved_app", "web") is not null), "the repository in the new organization");
        JsonObject? clone = null;
        await OperatorEnvironment.Eventually(async () =>
        {
            try
            {
                clone = await env.Cluster.Oc.CloneBuildAsync("app", name);
                // Admitted while the webhook's caches were a moment behind the move: another try.
                return clone["spec"]!["output"]!["to"]!["name"]!.GetValue<string>() == $"{env.Quay.RegistryHost}/moved_app/web:v1";
            }
            catch (HttpOperationException) { return false; } // denied during the move
        }, "a rebuild rewritten to the new organization");
        var cloneName = clone!["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", cloneName, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", cloneName))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the rebuild imported");

        // A clone whose original's push secret the build controller had set, from before the cluster ID changed.
        await env.PatchIntegrationSpecAsync(new JsonObject { ["clusterID"] = "east" });
        await OperatorEnvironment.Eventually(async () => await env.GetSecretAsync("app", "builder-quay-east") is not null
                                                           && await env.GetSecretAsync("app", "builder-quay-openshift") is null, "the Secrets of the new cluster ID");
        var copied = BuildObject("app", new JsonObject
        {
            ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = $"{env.Quay.RegistryHost}/openshift_app/web:v2" },
            ["pushSecret"] = new JsonObject { ["name"] = "builder-quay-openshift" },
        });
        copied["metadata"]!["annotations"] = new JsonObject { [Managed] = "true", [Destination] = "app/web:v2", ["openshift.io/build.clone-of"] = name };
        JsonObject? created = null;
        await OperatorEnvironment.Eventually(async () =>
        {
            try
            {
                created = await CreateBuildObjectAsync(env, "app", copied);
                return true;
            }
            catch (HttpOperationException) { return false; }
        }, "the copied build admitted");
        Assert.Equal("builder-quay-east", created!["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        Assert.Equal($"{env.Quay.RegistryHost}/moved_app/web:v2", created["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());

        // A clone whose output is a DockerImage its user chose (the annotations came along with a Build's YAML) keeps it.
        var chosen = BuildObject("app", new JsonObject { ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "registry.example.com/me/web:v3" } });
        chosen["metadata"]!["annotations"] = new JsonObject { [Managed] = "true", [Destination] = "app/web:v3", ["openshift.io/build.clone-of"] = name };
        var kept = await CreateBuildObjectAsync(env, "app", chosen);
        Assert.Equal("registry.example.com/me/web:v3", kept["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
    }

    /// <summary>
    /// Issue: OpenShift accepts an ImageStreamTag output with an empty tag (<c>web:</c>) and the build controller pushes
    /// it to <c>web:latest</c> (both split the name with SplitImageStreamTag, which defaults an empty tag); the webhook
    /// refused to read it and let the build go to the internal registry.
    /// </summary>
    [Fact]
    public async Task An_output_with_an_empty_tag_goes_to_quay_as_latest()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await SetUpAppWithImageStreamWebAsync(env);

        var created = await CreateBuildAsync(env, "app", ImageStreamTagOutput("web:"));
        Assert.Equal("DockerImage", created["spec"]!["output"]!["to"]!["kind"]!.GetValue<string>());
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_app/web:latest", created["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Equal("app/web:latest", created["metadata"]!["annotations"]![Destination]!.GetValue<string>());
        var name = created["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the build to be imported into web:latest");
        var stream = (await env.Cluster.Oc.GetImageStreamAsync("app", "web"))!;
        Assert.Contains(stream["status"]!["tags"]!.AsArray(), t => t!["tag"]!.GetValue<string>() == "latest");
    }

    /// <summary>
    /// Issue: a Rebuild of a Build made before its namespace was onboarded copies the push secret the build controller
    /// had picked then, the internal registry's <c>builder-dockercfg-*</c>; the webhook sent the clone to Quay with that
    /// secret, and the controller only picks a secret when none is set, so the push to Quay was refused.
    /// </summary>
    [Fact]
    public async Task A_rebuild_carrying_the_internal_registrys_push_secret_pushes_to_quay_with_the_robot()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(platformPullSecrets: true);
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs());
        WebhookSetup.MapService(env, op);
        await SetUpAppWithImageStreamWebAsync(env);

        // Before the webhook is installed: the build goes to the internal registry with the secret the controller picked.
        var before = await CreateBuildAsync(env, "app", ImageStreamTagOutput("web:v1"));
        var beforeName = before["metadata"]!["name"]!.GetValue<string>();
        var internalBuild = await env.Cluster.Oc.WaitForBuildPhaseAsync("app", beforeName, "Complete", TimeSpan.FromSeconds(30));
        var internalSecret = internalBuild["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>();
        Assert.StartsWith("builder-dockercfg-", internalSecret);

        await WebhookSetup.InstallConfigurationAsync(env, webhook.Ca.CertificatePem, AllNamespacesButOperators);
        var clone = await env.Cluster.Oc.CloneBuildAsync("app", beforeName);
        var cloneName = clone["metadata"]!["name"]!.GetValue<string>();
        Assert.Equal($"{env.Quay.RegistryHost}/openshift_app/web:v1", clone["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Equal("builder-quay-openshift", clone["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", cloneName, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", cloneName))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the rebuild to be imported");

        // A push secret the user chose that is not the internal registry's is kept, with a warning saying so.
        var chosen = BuildObject("app", ImageStreamTagOutput("web:v2"));
        chosen["spec"]!["output"]!["pushSecret"] = new JsonObject { ["name"] = "my-quay-credentials" };
        var warnings = new List<string>();
        var created = await CreateBuildWithWarningsAsync(env, "app", chosen, warnings);
        Assert.Equal("my-quay-credentials", created["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        Assert.Contains(warnings, w => w.Contains("my-quay-credentials") && w.Contains(env.Quay.RegistryHost));
    }

    /// <summary>
    /// Review of 5dcb3d1 (helper-81): the webhook names the robot Secret it pushes with, and a Rebuild copies it. After
    /// the matrix took write access from that robot, the clone kept it as the user's own choice, and Quay refused the
    /// push. One of the operator's robot Secrets that may not write is replaced by the pushing service account's.
    /// </summary>
    [Fact]
    public async Task A_rebuild_after_the_matrix_took_write_access_from_the_robot_it_copied_pushes_with_the_current_one()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await webhook.ServeAsync(env, AllNamespacesButOperators);
        await SetUpAppWithImageStreamWebAsync(env);

        // Run as deployer, which only reads: builder's robot pushes, and its Secret is named.
        var asDeployer = BuildObject("app", ImageStreamTagOutput("web:v1"));
        asDeployer["spec"]!["serviceAccount"] = "deployer";
        var warnings = new List<string>();
        var original = await CreateBuildWithWarningsAsync(env, "app", asDeployer, warnings);
        Assert.Equal("builder-quay-openshift", original["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        Assert.Contains(warnings, w => w.Contains("the build pushes with those of service account builder (builder-quay-openshift)"));
        var name = original["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(30));

        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = new JsonArray(
                new JsonObject { ["name"] = "builder", ["role"] = "read" },
                new JsonObject { ["name"] = "default", ["role"] = "read" },
                new JsonObject { ["name"] = "deployer", ["role"] = "write" }),
        });
        await OperatorEnvironment.Eventually(() => Task.FromResult(
                env.Quay.State.Repository("openshift_app", "web")?.UserPermissions.GetValueOrDefault("openshift_app+deployer") == "write"
                && env.Quay.State.Repository("openshift_app", "web")?.UserPermissions.GetValueOrDefault("openshift_app+builder") == "read"),
            "deployer's robot to write and builder's to read");

        JsonObject? clone = null;
        await OperatorEnvironment.Eventually(async () =>
        {
            try
            {
                clone = await env.Cluster.Oc.CloneBuildAsync("app", name);
                return true;
            }
            catch (Exception)
            {
                return false; // denied while the Secrets follow the matrix, a moment after Quay
            }
        }, "the clone to be admitted");
        Assert.Equal("deployer-quay-openshift", clone!["spec"]!["output"]!["pushSecret"]!["name"]!.GetValue<string>());
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", clone["metadata"]!["name"]!.GetValue<string>(), "Complete", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Endpoint_answers_malformed_reviews_with_400_and_echoes_uid_on_update_and_dry_run()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs());
        await env.CreateNamespaceAsync("app");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app to be set up");
        using var http = WebhookSetup.ClientTrusting(webhook.Ca.CertificatePem);
        var url = op.WebhookUrl + "/admissionwebhook";

        foreach (var body in new[] { "not json", "[]", "{}", """{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}}""",
                     """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}""" })
        {
            using var response = await http.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.StartsWith("invalid AdmissionReview: ", await response.Content.ReadAsStringAsync());
        }

        var update = await ReviewAsync(http, url, Review("uid-update", "UPDATE", BuildObject("app", ImageStreamTagOutput("app:v1"))));
        Assert.Equal("uid-update", update["response"]!["uid"]!.GetValue<string>());
        Assert.True(update["response"]!["allowed"]!.GetValue<bool>());
        Assert.Null(update["response"]!["patch"]);
        Assert.Equal("admission.k8s.io/v1", update["apiVersion"]!.GetValue<string>());
        Assert.Equal("AdmissionReview", update["kind"]!.GetValue<string>());

        var dryRun = Review("uid-dry", "CREATE", BuildObject("app", ImageStreamTagOutput("app:v1")));
        dryRun["request"]!["dryRun"] = true;
        var answer = await ReviewAsync(http, url, dryRun);
        Assert.Equal("uid-dry", answer["response"]!["uid"]!.GetValue<string>());
        Assert.Equal("JSONPatch", answer["response"]!["patchType"]!.GetValue<string>());
        var patch = Encoding.UTF8.GetString(Convert.FromBase64String(answer["response"]!["patch"]!.GetValue<string>()));
        Assert.Contains($"{env.Quay.RegistryHost}/openshift_app/app:v1", patch);

        var missingObject = Review("uid-missing", "CREATE", null);
        var denied = await ReviewAsync(http, url, missingObject);
        Assert.False(denied["response"]!["allowed"]!.GetValue<bool>());
        Assert.Equal(400, denied["response"]!["status"]!["code"]!.GetValue<int>());

        // Not served on the plain HTTP (metrics) listener.
        using var plain = await new HttpClient().PostAsync(op.BaseUrl + "/admissionwebhook", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
    }

    [Fact]
    public async Task Rotated_certificate_is_served_without_a_restart_and_service_ca_keys_are_accepted()
    {
        using var webhook = new WebhookSetup();
        // Only the service-ca key names at start.
        File.Delete(Path.Combine(webhook.CertDir, "apiserver.crt"));
        File.Delete(Path.Combine(webhook.CertDir, "apiserver.key"));
        webhook.WriteServingCertificate(webhook.Ca, "tls.crt", "tls.key");
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await webhook.ServeAsync(env, AllNamespacesButOperators);
        await env.CreateNamespaceAsync("app");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app to be set up");
        Assert.Equal("DockerImage", (await CreateBuildAsync(env, "app", ImageStreamTagOutput("app:v1")))["spec"]!["output"]!["to"]!["kind"]!.GetValue<string>());

        // Rotate to a new CA: write the new pair, then move the configuration's caBundle to it.
        var newCa = Emulate.NewCa();
        var serving = webhook.WriteServingCertificate(newCa, "tls.crt", "tls.key");
        string? servedSerial = null;
        using (var http = WebhookSetup.ClientTrusting(newCa.CertificatePem, c => servedSerial = c.SerialNumber))
            await http.PostAsync(op.WebhookUrl + "/admissionwebhook", new StringContent("{}"));
        using (var expected = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(serving.CertificatePem))
            Assert.Equal(expected.SerialNumber, servedSerial);

        await env.Kube.AdmissionregistrationV1.PatchMutatingWebhookConfigurationAsync(new V1Patch(new JsonArray(new JsonObject
        {
            ["op"] = "replace", ["path"] = "/webhooks/0/clientConfig/caBundle",
            ["value"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(newCa.CertificatePem)),
        }).ToJsonString(), V1Patch.PatchType.JsonPatch), WebhookSetup.ConfigurationName);
        Assert.Equal("DockerImage", (await CreateBuildAsync(env, "app", ImageStreamTagOutput("app:v2")))["spec"]!["output"]!["to"]!["kind"]!.GetValue<string>());
    }

    internal static class Emulate
    {
        public static QuayIntegration.Operator.Webhook.PemPair NewCa() =>
            QuayIntegration.Operator.Webhook.CertificateAuthority.CreateCa("rotated CA", DateTimeOffset.UtcNow.AddMinutes(-5), TimeSpan.FromDays(1));
    }

    internal static void AllNamespacesButOperators(V1MutatingWebhookConfiguration configuration)
    {
        foreach (var webhook in configuration.Webhooks)
            webhook.NamespaceSelector = new V1LabelSelector
            {
                MatchExpressions = [new V1LabelSelectorRequirement { Key = "kubernetes.io/metadata.name", OperatorProperty = "NotIn", Values = [OperatorEnvironment.OperatorNamespace, WebhookSetup.ServiceNamespace] }],
            };
    }

    private static async Task AssertUntouchedAsync(OperatorEnvironment env, string ns, JsonObject? output, bool pipeline = false)
    {
        var created = await CreateBuildAsync(env, ns, output, pipeline);
        Assert.Equal(output?["to"]?.ToJsonString(), created["spec"]?["output"]?["to"]?.ToJsonString());
        Assert.Null(created["metadata"]?["annotations"]?[Managed]);
    }

    /// <summary>
    /// A build rewritten to <paramref name="expected"/>, once the webhook's caches hold the state the test made (denied
    /// or otherwise rewritten before that: another try).
    /// </summary>
    private static Task RewrittenOnceCachesCatchUpAsync(OperatorEnvironment env, string ns, JsonObject output, string expected) =>
        OperatorEnvironment.Eventually(async () =>
        {
            try
            {
                var rewritten = await CreateBuildAsync(env, ns, output);
                return rewritten["spec"]!["output"]!["to"]!["name"]!.GetValue<string>() == expected;
            }
            catch (HttpOperationException) { return false; }
        }, $"a build in {ns} rewritten to {expected}");

    /// <summary>The webhook's denial of a build, once its caches hold the state the test made (builds admitted before that are left as they are).</summary>
    private static async Task<HttpOperationException> DeniedOnceCachesCatchUpAsync(OperatorEnvironment env, string ns, JsonObject output)
    {
        HttpOperationException? denied = null;
        await OperatorEnvironment.Eventually(async () =>
        {
            try
            {
                await CreateBuildAsync(env, ns, output);
                return false;
            }
            catch (HttpOperationException e)
            {
                denied = e;
                return true;
            }
        }, $"a build in {ns} denied");
        return denied!;
    }

    /// <summary>Namespace <c>app</c> set up for Quay, with ImageStream <c>web</c> and its Quay repository.</summary>
    private static async Task SetUpAppWithImageStreamWebAsync(OperatorEnvironment env)
    {
        await env.CreateNamespaceAsync("app");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app to be set up");
        await env.CreateImageStreamAsync("app", "web");
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_app", "web") is not null), "the Quay repository");
    }

    internal static JsonObject ImageStreamTagOutput(string name, string? ns = null)
    {
        var to = new JsonObject { ["kind"] = "ImageStreamTag", ["name"] = name };
        if (ns is not null) to["namespace"] = ns;
        return new JsonObject { ["to"] = to };
    }

    private static JsonObject DockerImageOutput(string name) => new() { ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = name } };

    internal static JsonObject BuildObject(string ns, JsonObject? output, bool pipeline = false)
    {
        var spec = new JsonObject
        {
            ["strategy"] = pipeline
                ? new JsonObject { ["type"] = "JenkinsPipeline", ["jenkinsPipelineStrategy"] = new JsonObject { ["jenkinsfile"] = "node {}" } }
                : new JsonObject { ["type"] = "Docker", ["dockerStrategy"] = new JsonObject() },
            ["source"] = new JsonObject { ["type"] = "Dockerfile", ["dockerfile"] = "FROM scratch" },
        };
        if (output is not null) spec["output"] = output.DeepClone();
        return new JsonObject
        {
            ["apiVersion"] = "build.openshift.io/v1",
            ["kind"] = "Build",
            ["metadata"] = new JsonObject { ["generateName"] = "direct-", ["namespace"] = ns },
            ["spec"] = spec,
        };
    }

    internal static Task<JsonObject> CreateBuildAsync(OperatorEnvironment env, string ns, JsonObject? output, bool pipeline = false) =>
        CreateBuildObjectAsync(env, ns, BuildObject(ns, output, pipeline));

    private static async Task<JsonObject> CreateBuildObjectAsync(OperatorEnvironment env, string ns, JsonObject build)
    {
        var created = await env.Kube.CustomObjects.CreateNamespacedCustomObjectAsync(build, "build.openshift.io", "v1", ns, "builds");
        return JsonNode.Parse(((System.Text.Json.JsonElement)created).GetRawText())!.AsObject();
    }

    /// <summary>Creates a Build over plain HTTP, collecting the <c>Warning</c> headers the API server relays from admission.</summary>
    private static async Task<JsonObject> CreateBuildWithWarningsAsync(OperatorEnvironment env, string ns, JsonObject build, List<string> warnings)
    {
        using var response = await env.Kube.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync(build, "build.openshift.io", "v1", ns, "builds");
        if (response.Response.Headers.TryGetValues("Warning", out var values)) warnings.AddRange(values);
        return JsonNode.Parse(((System.Text.Json.JsonElement)response.Body).GetRawText())!.AsObject();
    }

    private static JsonObject Review(string uid, string operation, JsonObject? obj) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "build.openshift.io", ["version"] = "v1", ["kind"] = "Build" },
            ["resource"] = new JsonObject { ["group"] = "build.openshift.io", ["version"] = "v1", ["resource"] = "builds" },
            ["namespace"] = "app",
            ["operation"] = operation,
            ["object"] = obj,
            ["oldObject"] = operation == "UPDATE" ? obj?.DeepClone() : null,
            ["dryRun"] = false,
        },
    };

    private static async Task<JsonObject> ReviewAsync(HttpClient http, string url, JsonObject review)
    {
        using var response = await http.PostAsync(url, new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static IDictionary<string, string>? Labels(V1Namespace? ns) => ns?.Metadata.Labels;

    private static async Task<HttpStatusCode> HttpGet(string url)
    {
        using var http = new HttpClient();
        try { return (await http.GetAsync(url)).StatusCode; } catch (HttpRequestException) { return HttpStatusCode.ServiceUnavailable; }
    }
}
