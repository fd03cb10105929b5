using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Operator.Tests.Support;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>The import after the build when things are not in place: Events and retries, never a crash.</summary>
[Collection(OperatorCollection.Name)]
public sealed class BuildImportTests
{
    private const string Destination = "quay-registry-operator.quay.redhat.com/destination-imagestream";
    private const string Imported = "quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported";
    private const string Managed = "quay-registry-operator.quay.redhat.com/quay-registry-operator-managed";
    private const string ManagedBuildLabel = "quay.redhat.com/managed-build";
    private const string SkippedAnnotation = "quay.redhat.com/import-skipped";

    [Fact]
    public async Task Missing_imagestream_and_tampered_annotation_give_events_and_retries_and_failed_builds_an_event()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await StartWithWebAsync(env, webhook);
        // The Quay repository exists (made for the ImageStream), but the ImageStream is gone when the build completes.
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "app", "imagestreams", "web");

        var build = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        var name = build["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(20));
        await WaitForEventAsync(env, name, "ImageStreamMissing");

        // An edited destination no longer matches the Build's immutable output: refused, nothing imported elsewhere.
        await AnnotateAsync(env, name, "app/other:v1");
        await WaitForEventAsync(env, name, "ImageImportRejected");
        await AnnotateAsync(env, name, "app/web:v1");

        // The ImageStream comes back: the waiting build is imported.
        await env.CreateImageStreamAsync("app", "web");
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the build to be imported once the ImageStream exists");
        var stream = (await env.Cluster.Oc.GetImageStreamAsync("app", "web"))!;
        Assert.StartsWith($"{env.Quay.RegistryHost}/openshift_app/web@sha256:", stream["status"]!["tags"]![0]!["items"]![0]!["dockerImageReference"]!.GetValue<string>());
        Assert.Null(await env.Cluster.Oc.GetImageStreamAsync("app", "other"));

        // The registry fails the import's manifest lookups twice: an Event, then a retry that imports.
        env.Quay.Faults.Add(new FaultRule { Route = "/v2/{repository}/manifests/{reference}", Method = "HEAD", ErrorRate = 1, ErrorStatuses = [500], Times = 2 });
        var flaky = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("web:v2"));
        var flakyName = flaky["metadata"]!["name"]!.GetValue<string>();
        await WaitForEventAsync(env, flakyName, "ImageImportFailed");
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", flakyName))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the build to be imported after the registry recovers");

        // A build whose push fails (no Quay repository and the robot may not create one) ends Failed: an Event, no import.
        var failing = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("norepo:v1"));
        var failingName = failing["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", failingName, "Failed", TimeSpan.FromSeconds(20));
        await WaitForEventAsync(env, failingName, "ImageNotImported");
        Assert.Null((await env.Cluster.Oc.GetBuildAsync("app", failingName))!["metadata"]!["annotations"]![Imported]);

        // What the operator remembers of reported Builds goes with them, so it follows the Builds there are.
        var reconciler = op.Service<QuayIntegration.Operator.Controllers.BuildReconciler>();
        Assert.Equal(1, reconciler.ReportedCount);
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("build.openshift.io", "v1", "app", "builds", failingName);
        await OperatorEnvironment.Eventually(() => Task.FromResult(reconciler.ReportedCount == 0), "the deleted Build forgotten");
    }

    /// <summary>
    /// Issue (review of 49e13ff): an ImageStream deleted while the operator's cache still held it (its watch behind) was
    /// made again by the import, with the operator's rights, for a user who had just deleted it: the import named no
    /// stream, and OpenShift creates the missing stream of such an import. The import now names the uid of the stream
    /// it read; a stream that is gone gets the ImageStreamMissing Event and stays gone.
    /// </summary>
    [Fact]
    public async Task An_imagestream_deleted_while_the_cache_still_holds_it_is_not_made_again_by_the_import()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        env.Cluster.ApiServer.Faults.SetWatchLag("imagestreams", TimeSpan.FromSeconds(60));
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "app", "imagestreams", "web");

        var build = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        var name = build["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(20));
        await WaitForEventAsync(env, name, "ImageStreamMissing");
        Assert.Null(await env.Cluster.Oc.GetImageStreamAsync("app", "web"));
        Assert.Null((await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[Imported]);
    }

    /// <summary>
    /// Issue: the operator imported for any Build that carried its label and annotations. A user of one namespace wrote a
    /// Build claiming to have pushed an older digest to another namespace's tag, already Complete (OpenShift keeps a
    /// client's status on create), and the operator rolled that tag back with its own rights. Now a Build's service
    /// account must be allowed to push into the destination namespace (update imagestreams/layers, as OpenShift's
    /// registry requires), asked of the API server with a SubjectAccessReview.
    /// </summary>
    [Fact]
    public async Task A_build_imports_into_another_namespace_only_when_its_service_account_may_push_there()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await StartWithWebhookAsync(env, webhook);
        await env.CreateNamespaceAsync("victim");
        await env.CreateNamespaceAsync("attacker");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("victim", "openshift_victim"), "victim to be set up");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("attacker", "openshift_attacker"), "attacker to be set up");
        await env.CreateImageStreamAsync("victim", "app");
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_victim", "app") is not null), "the Quay repository");

        // Two releases of victim/app:prod; the older digest is what a rollback brings back.
        var older = await BuildAndImportAsync(env, "victim", "app:prod");
        var current = await BuildAndImportAsync(env, "victim", "app:prod");
        Assert.Equal(current, await NewestImageAsync(env, "victim", "app", "prod"));

        var forged = await CreateForgedBuildAsync(env, "attacker", $"{env.Quay.RegistryHost}/openshift_victim/app:prod", "victim/app:prod", older);
        await WaitForEventAsync(env, "attacker", forged, "ImageImportRejected");
        var rejection = (await env.Kube.CoreV1.ListNamespacedEventAsync("attacker")).Items.Single(e => e.InvolvedObject.Name == forged && e.Reason == "ImageImportRejected");
        Assert.Equal("Warning", rejection.Type);
        Assert.Contains("system:serviceaccount:attacker:builder", rejection.Message);
        Assert.Contains("imagestreams/layers", rejection.Message);
        await Task.Delay(3000); // several backoff periods: neither an import nor a repeated Event
        Assert.Equal(current, await NewestImageAsync(env, "victim", "app", "prod"));
        Assert.Null((await env.Cluster.Oc.GetBuildAsync("attacker", forged))!["metadata"]!["annotations"]![Imported]);
        var rejections = (await env.Kube.CoreV1.ListNamespacedEventAsync("attacker")).Items.Where(e => e.InvolvedObject.Name == forged && e.Reason == "ImageImportRejected").ToList();
        Assert.True(rejections.Sum(e => e.Count ?? 1) == 1, $"the rejection was reported {rejections.Sum(e => e.Count ?? 1)} times");

        // Nor can a refused Build steer what counts as newer in the victim's tag: one claiming the tag's current image,
        // completed far in the future, does not make the victim's next Build look older than the tag.
        var claimant = await CreateForgedBuildAsync(env, "attacker", $"{env.Quay.RegistryHost}/openshift_victim/app:prod", "victim/app:prod", current,
            new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await WaitForEventAsync(env, "attacker", claimant, "ImageImportRejected");
        current = await BuildAndImportAsync(env, "victim", "app:prod");
        Assert.Equal(current, await NewestImageAsync(env, "victim", "app", "prod"));

        // Once the victim's owner lets attacker's builder push into victim, the same kind of Build is imported.
        await LetBuilderPushAsync(env, "attacker", "victim");
        var granted = await CreateForgedBuildAsync(env, "attacker", $"{env.Quay.RegistryHost}/openshift_victim/app:prod", "victim/app:prod", older);
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("attacker", granted))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the permitted cross-namespace build to be imported");
        Assert.Equal(older, await NewestImageAsync(env, "victim", "app", "prod"));
    }

    /// <summary>
    /// Issue: an import that comes late (a retry after failures, or a Build of the Go operator adopted at start, of any
    /// age) overwrote a tag that a later build had already moved on: the tag went back to the older image. Now a Build
    /// that completed before the tag's newest image was recorded is not imported, and says so with a Normal Event,
    /// once; later looks (a restart) do nothing.
    /// </summary>
    [Fact]
    public async Task A_build_that_completed_before_the_tags_newest_image_does_not_roll_the_tag_back()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await StartWithWebAsync(env, webhook);

        var first = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        var firstName = first["metadata"]!["name"]!.GetValue<string>();
        var firstComplete = await env.Cluster.Oc.WaitForBuildPhaseAsync("app", firstName, "Complete", TimeSpan.FromSeconds(30));
        var older = firstComplete["status"]!["output"]!["to"]!["imageDigest"]!.GetValue<string>();
        var completedAt = DateTimeOffset.Parse(firstComplete["status"]!["completionTimestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        await Task.Delay(1100); // timestamps have whole seconds: the next build completes in a later one
        var newer = await BuildAndImportAsync(env, "app", "web:v1");
        Assert.Equal(newer, await NewestImageAsync(env, "app", "web", "v1"));

        // A Build the Go operator rewrote, completed with the older image at the same time as the first build and never
        // imported: the next operator to lead adopts it.
        var stale = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v1", "app/web:v1", older, completedAt, label: false);
        await env.StopOperatorAsync(op);
        var restarted = await env.StartOperatorAsync("operator-2", webhook.OperatorArgs());
        await WaitForEventAsync(env, stale, "ImageImportSkipped");
        var skipped = (await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items.Single(e => e.InvolvedObject.Name == stale && e.Reason == "ImageImportSkipped");
        Assert.Equal("Normal", skipped.Type);
        Assert.Contains("newer", skipped.Message);
        Assert.Equal(newer, await NewestImageAsync(env, "app", "web", "v1"));
        var annotations = (await env.Cluster.Oc.GetBuildAsync("app", stale))!["metadata"]!["annotations"]!.AsObject();
        Assert.Null(annotations[Imported]);
        Assert.NotNull(annotations[SkippedAnnotation]);

        // Every later look is a no-op: another restart neither imports nor reports again.
        await env.StopOperatorAsync(restarted);
        await env.StartOperatorAsync("operator-3", webhook.OperatorArgs());
        await Task.Delay(3000);
        Assert.Equal(newer, await NewestImageAsync(env, "app", "web", "v1"));
        var reported = Assert.Single((await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items, e => e.InvolvedObject.Name == stale && e.Reason == "ImageImportSkipped");
        Assert.Equal(1, reported.Count ?? 1);
    }

    /// <summary>
    /// Imports can land out of order: a Build that completed first may be imported last (both waited for a restart, or
    /// for their ImageStream). The tag's own times then say when an image was imported, not when it was built, so what
    /// decides is the completion of the Build that pushed the tag's image: a Build that completed after it is imported,
    /// even though the tag recorded the older image after this Build completed. (It was skipped as "superseded", and
    /// the tag kept the older image: the rollback the check is there to prevent.)
    /// </summary>
    [Fact]
    public async Task A_build_that_completed_after_the_one_whose_image_the_tag_got_late_is_imported()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await StartWithWebAsync(env, webhook);
        // Two images in Quay, pushed by real builds to another tag.
        var first = await BuildAndImportAsync(env, "app", "web:v1");
        var second = await BuildAndImportAsync(env, "app", "web:v1");

        // The earlier Build's image reaches tag v2 only now, long after it completed...
        var now = DateTimeOffset.UtcNow;
        var earlier = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v2", "app/web:v2", first, now.AddMinutes(-2));
        await OperatorEnvironment.Eventually(async () => await NewestImageAsync(env, "app", "web", "v2") == first, "the earlier Build's image in the tag");
        // ...and the later Build, completed a minute ago (after the earlier one, before that import), follows.
        var later = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v2", "app/web:v2", second, now.AddMinutes(-1));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", later))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the later Build imported");
        Assert.Equal(second, await NewestImageAsync(env, "app", "web", "v2"));
        Assert.Null((await env.Cluster.Oc.GetBuildAsync("app", later))!["metadata"]!["annotations"]![SkippedAnnotation]);
        Assert.Equal("true", (await env.Cluster.Oc.GetBuildAsync("app", earlier))!["metadata"]!["annotations"]![Imported]?.GetValue<string>());
    }

    /// <summary>
    /// Review of 105215c (helper-66): the same, when the earlier Build pushed from another namespace whose builder may
    /// push into the tag's. Only Builds of the tag's namespace were looked at for the image's maker, so the tag's own
    /// time (its import, after the later Build completed) decided, and the later Build was skipped as superseded for
    /// good. A Build of another namespace counts when its service account may push there, as its import required.
    /// </summary>
    [Fact]
    public async Task A_build_that_completed_after_one_pushed_from_another_namespace_whose_image_the_tag_got_late_is_imported()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        await env.CreateNamespaceAsync("other");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("other", "openshift_other"), "other to be set up");
        await LetBuilderPushAsync(env, "other", "app");
        var first = await BuildAndImportAsync(env, "app", "web:v1");
        var second = await BuildAndImportAsync(env, "app", "web:v1");

        var now = DateTimeOffset.UtcNow;
        var earlier = await CreateForgedBuildAsync(env, "other", $"{env.Quay.RegistryHost}/openshift_app/web:v2", "app/web:v2", first, now.AddMinutes(-2));
        await OperatorEnvironment.Eventually(async () => await NewestImageAsync(env, "app", "web", "v2") == first, "the earlier Build's image in the tag");
        var later = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v2", "app/web:v2", second, now.AddMinutes(-1));
        Assert.Null((await JudgedAsync(env, "app", later, "the later Build judged"))[SkippedAnnotation]);
        Assert.Equal(second, await NewestImageAsync(env, "app", "web", "v2"));
        Assert.Equal("true", (await env.Cluster.Oc.GetBuildAsync("other", earlier))!["metadata"]!["annotations"]![Imported]?.GetValue<string>());
    }

    /// <summary>
    /// A Build that ended without an image is told once, and marked as done with: a restarted operator (or a new leader)
    /// does not tell it again as if it were new. (Only the process remembered it: every restart wrote the Warning anew on
    /// every failed Build still there.)
    /// </summary>
    [Fact]
    public async Task A_failed_build_is_reported_once_across_restarts()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await StartWithWebAsync(env, webhook);
        var failing = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("norepo:v1"));
        var name = failing["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Failed", TimeSpan.FromSeconds(20));
        await WaitForEventAsync(env, name, "ImageNotImported");
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[SkippedAnnotation]?.GetValue<string>() == "build-ended",
            "the Build marked as done with");

        await env.StopOperatorAsync(op);
        var again = await env.StartOperatorAsync("operator-2");
        await OperatorEnvironment.Eventually(() => Task.FromResult(again.Service<QuayIntegration.Operator.Controllers.ClusterCaches>().HasSynced), "the caches synced");
        await Task.Delay(4000); // room for the Lease to pass and a (wrong) second report
        var told = (await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items.Where(e => e.InvolvedObject.Name == name && e.Reason == "ImageNotImported").ToList();
        Assert.Single(told);
        Assert.Equal(1, told[0].Count);
    }

    /// <summary>
    /// The mark the operator writes on a Build is for that Build only: when the Build is deleted and a new one is created
    /// under its name while the mark is on its way (a re-run of the same name), the mark does not land on the new Build,
    /// which would then never be looked at (a new run marked "build-ended" or "imported" before it ran).
    /// </summary>
    [Fact]
    public async Task A_mark_meant_for_a_build_does_not_land_on_a_new_build_of_the_same_name()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        var faults = env.Cluster.ApiServer.Faults;
        var markHeld = faults.Stall(resource: "builds", verb: "patch", ns: "app", name: "rerun", user: env.OperatorUser);
        var failing = BuildWebhookTests.BuildObject("app", BuildWebhookTests.ImageStreamTagOutput("norepo:v1"));
        failing["metadata"]!.AsObject().Remove("generateName");
        failing["metadata"]!["name"] = "rerun";
        await env.Kube.CustomObjects.CreateNamespacedCustomObjectAsync(failing, "build.openshift.io", "v1", "app", "builds");
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", "rerun", "Failed", TimeSpan.FromSeconds(20));
        await OperatorEnvironment.Eventually(() => Task.FromResult(markHeld.Held > 0), "the operator's build-ended mark on its way");

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("build.openshift.io", "v1", "app", "builds", "rerun");
        var rerun = BuildWebhookTests.BuildObject("app", new JsonObject { ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "registry.example.com/team/rerun:v1" } });
        rerun["metadata"]!.AsObject().Remove("generateName");
        rerun["metadata"]!["name"] = "rerun";
        await env.Kube.CustomObjects.CreateNamespacedCustomObjectAsync(rerun, "build.openshift.io", "v1", "app", "builds");
        markHeld.Release();
        await Task.Delay(2000); // room for the held mark to land, and for a (wrong) retry of it
        var now = (await env.Cluster.Oc.GetBuildAsync("app", "rerun"))!;
        Assert.Equal("registry.example.com/team/rerun:v1", now["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        Assert.Null(now["metadata"]!["annotations"]?[SkippedAnnotation]);
    }

    /// <summary>
    /// A Build that completes while no QuayIntegration can be used (its spec made invalid meanwhile) waits for one, and
    /// says so once on the Build, with why; its image is imported once the spec is valid again.
    /// </summary>
    [Fact]
    public async Task A_build_completed_while_no_integration_can_be_used_says_it_waits_and_is_imported_later()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        var digest = await BuildAndImportAsync(env, "app", "web:v1");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "99999999h" });
        await OperatorEnvironment.Eventually(async () => (await env.ConditionAsync("ConfigurationValid"))?.Status == "False", "the integration unusable");
        var waiting = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v2", "app/web:v2", digest);
        await WaitForEventAsync(env, waiting, "ImageImportWaiting");
        var told = (await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items.Single(e => e.InvolvedObject.Name == waiting && e.Reason == "ImageImportWaiting");
        Assert.Contains("driftCheckInterval", told.Message);
        Assert.Contains("app/web:v2", told.Message);

        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "10m" });
        // At once, not at the next 30-second recheck.
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", waiting))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "imported once the integration can be used", TimeSpan.FromSeconds(8));
        Assert.Equal(digest, await NewestImageAsync(env, "app", "web", "v2"));
    }

    /// <summary>
    /// Review of 105215c (helper-66): two integrations share a Quay, each with its own import settings. A Build in the
    /// newer one's namespace was imported with the older one's (the first integration serving the host): its scheduled
    /// re-import silently off. The integration managing the destination namespace decides.
    /// </summary>
    [Fact]
    public async Task A_build_is_imported_with_the_settings_of_the_integration_managing_its_namespace()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("app"));
        await env.CreateIntegrationAsync("quay-b", spec =>
        {
            spec["clusterID"] = "bb";
            spec["organizationPrefix"] = "bb";
            spec["allowlistNamespaces"] = new JsonArray("bee");
            spec["scheduledImageStreamImport"] = true;
        });
        await StartWithWebhookAsync(env, webhook);
        await env.CreateNamespaceAsync("bee");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("bee", "bb_bee", "bb"), "bee set up by the second integration");
        await env.CreateImageStreamAsync("bee", "web");
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("bb_bee", "web") is not null), "the Quay repository");

        var digest = await BuildAndImportAsync(env, "bee", "web:v1");
        var imageStream = await env.Cluster.Oc.GetImageStreamAsync("bee", "web");
        var tag = imageStream!["spec"]!["tags"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "v1")!;
        Assert.True(tag["importPolicy"]!["scheduled"]!.GetValue<bool>());
        // A scheduled import names the tag, which it follows; by digest it would re-import the same image for good.
        Assert.Equal($"{env.Quay.RegistryHost}/bb_bee/web:v1", tag["from"]!["name"]!.GetValue<string>());
        Assert.Equal(digest, await NewestImageAsync(env, "bee", "web", "v1"));

        // Review of b24b624 (helper-70): while the namespace's own integration cannot be used, its Build was imported
        // with the other's settings (scheduled re-import off). It waits for its own, and is imported at once when it is
        // back. (The ImageStream is away while the build runs, so the import waits until the integration is unusable.)
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "bee", "imagestreams", "web");
        var pending = await BuildWebhookTests.CreateBuildAsync(env, "bee", BuildWebhookTests.ImageStreamTagOutput("web:v2"));
        var waiting = pending["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("bee", waiting, "Complete", TimeSpan.FromSeconds(20));
        await WaitForEventAsync(env, "bee", waiting, "ImageStreamMissing");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "99999999h" }, "quay-b");
        await OperatorEnvironment.Eventually(async () => (await env.ConditionAsync("ConfigurationValid", "quay-b"))?.Status == "False", "quay-b unusable");
        await env.CreateImageStreamAsync("bee", "web");
        await WaitForEventAsync(env, "bee", waiting, "ImageImportWaiting");
        var told = (await env.Kube.CoreV1.ListNamespacedEventAsync("bee")).Items.Single(e => e.InvolvedObject.Name == waiting && e.Reason == "ImageImportWaiting");
        Assert.Contains("QuayIntegration quay-b can be used", told.Message);
        await env.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = "10m" }, "quay-b");
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("bee", waiting))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "imported once quay-b can be used", TimeSpan.FromSeconds(8));
        imageStream = await env.Cluster.Oc.GetImageStreamAsync("bee", "web");
        tag = imageStream!["spec"]!["tags"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "v2")!;
        Assert.True(tag["importPolicy"]!["scheduled"]!.GetValue<bool>());
        Assert.NotNull(await NewestImageAsync(env, "bee", "web", "v2"));
    }

    /// <summary>
    /// Review of b24b624 (helper-70): a Build rewritten before the organization prefix changed pushed to the former
    /// organization. Its import was refused as an output its destination does not imply, and tried again forever. It is
    /// tried from the former organization, which stays on record; the namespace's credentials are the new organization's
    /// robots by then, and the registry refuses them, so the Build is told once, with what to do, and marked done with.
    /// </summary>
    [Theory]
    [InlineData("Keep")]
    [InlineData("Delete")] // the former organization's content removed at the move, and the organization off the record
    public async Task A_build_pushed_before_the_namespace_moved_to_another_organization_is_told_once_not_retried_forever(string cleanupPolicy)
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["cleanupPolicy"] = cleanupPolicy);
        await StartWithWebAsync(env, webhook);
        // The ImageStream is gone when the build completes, so the import waits across the move.
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "app", "imagestreams", "web");
        var build = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        var name = build["metadata"]!["name"]!.GetValue<string>();
        Assert.StartsWith($"{env.Quay.RegistryHost}/openshift_app/web:", build["spec"]!["output"]!["to"]!["name"]!.GetValue<string>());
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(20));
        await WaitForEventAsync(env, name, "ImageStreamMissing");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "moved" });
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "moved_app"), "app moved to moved_app");
        await env.CreateImageStreamAsync("app", "web");

        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[SkippedAnnotation]?.GetValue<string>() == "organization-moved",
            "the build pushed before the move marked done with");
        // Events are written after the mark, from the recorder's queue: waited for, not read at once.
        await WaitForEventAsync(env, name, "ImageNotImported");
        var events = (await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items.Where(e => e.InvolvedObject.Name == name).ToList();
        var told = Assert.Single(events, e => e.Reason == "ImageNotImported");
        Assert.Contains("pushed to organization openshift_app, which namespace app no longer uses", told.Message);
        Assert.DoesNotContain(events, e => e.Reason == "ImageImportRejected");
        // Under Keep the image stays where it was pushed; under Delete it went with what the operator made there.
        Assert.Equal(cleanupPolicy == "Keep", env.Quay.State.Repository("openshift_app", "web") is not null);
    }

    /// <summary>
    /// Review of 18ac238 (helper-77): a namespace that leaves every integration under cleanupPolicy Delete takes its
    /// organization and its record with it. A Build it pushed before then found no organization to import from, and was
    /// retried with backoff and a Warning for as long as it existed. It is told once and marked done with.
    /// </summary>
    [Fact]
    public async Task A_build_pushed_before_its_namespace_was_released_under_delete_is_told_once_not_retried_forever()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec["cleanupPolicy"] = "Delete");
        await StartWithWebAsync(env, webhook);
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "app", "imagestreams", "web");
        var build = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        var name = build["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(20));
        await WaitForEventAsync(env, name, "ImageStreamMissing");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["denylistNamespaces"] = new JsonArray("app") });
        await OperatorEnvironment.Eventually(async () => await env.GetRecordAsync("app") is null && env.Quay.State.Organization("openshift_app") is null,
            "app released, its organization and record gone");
        await env.CreateImageStreamAsync("app", "web");

        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[SkippedAnnotation]?.GetValue<string>() == "organization-moved",
            "the build pushed before the release marked done with");
        // Events are written after the mark, from the recorder's queue: waited for, not read at once.
        await WaitForEventAsync(env, name, "ImageNotImported");
        var events = (await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items.Where(e => e.InvolvedObject.Name == name).ToList();
        var told = Assert.Single(events, e => e.Reason == "ImageNotImported");
        Assert.Contains("pushed to organization openshift_app, which namespace app no longer uses; no QuayIntegration manages the namespace now", told.Message);
        Assert.DoesNotContain(events, e => e.Reason == "ImageImportRejected");
    }

    /// <summary>
    /// Review of 18ac238 (helper-77): the import names the stream's version as read, and an import the API server refuses
    /// because the stream changed since (someone tagged it, another import) is judged again on what the stream holds
    /// now. It was a Warning ImageImportFailed, then a retry that succeeded: a failure that was none.
    /// </summary>
    [Fact]
    public async Task An_import_refused_because_the_stream_changed_since_it_was_read_is_judged_again_without_a_warning()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        env.Cluster.ApiServer.Faults.InjectStatus(409, resource: "imagestreamimports", verb: "create", user: env.OperatorUser);
        var build = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        var name = build["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the build imported after the conflict");
        Assert.DoesNotContain((await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items, e => e.InvolvedObject.Name == name && e.Reason == "ImageImportFailed");
    }

    /// <summary>
    /// Review of 18ac238 (helper-77): completion times have whole seconds, and two runs of one BuildConfig that completed
    /// in the same second counted as neither newer: the older one, imported last, rolled the tag back. Within a second
    /// the build number decides.
    /// </summary>
    [Fact]
    public async Task Of_two_runs_that_completed_in_the_same_second_the_later_run_keeps_the_tag()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        var first = await BuildAndImportAsync(env, "app", "web:v1");
        var second = await BuildAndImportAsync(env, "app", "web:v1");
        var completed = DateTimeOffset.UtcNow.AddSeconds(-30);
        Dictionary<string, string> Run(int number) => new() { ["openshift.io/build-config.name"] = "web", ["openshift.io/build.number"] = number.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        var later = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v2", "app/web:v2", second, completed, annotations: Run(8));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", later))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the later run imported");
        var earlier = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v2", "app/web:v2", first, completed, annotations: Run(7));
        Assert.Equal("superseded", (await JudgedAsync(env, "app", earlier, "the earlier run judged"))[SkippedAnnotation]?.GetValue<string>());
        Assert.Equal(second, await NewestImageAsync(env, "app", "web", "v2"));
    }

    /// <summary>
    /// Review of 18ac238 (helper-77): a rollback by hand (the tag given an earlier build's image again, as
    /// <c>oc tag</c> does) was undone by the late import of a Build that completed before it: the newest image's maker
    /// was taken to be the Build that first pushed it, which completed before the late one, so the late one counted as
    /// newer. An image tagged again is judged by when the tag recorded it.
    /// </summary>
    [Fact]
    public async Task A_rollback_by_hand_is_not_undone_by_the_late_import_of_a_build_that_completed_before_it()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        var first = await BuildAndImportAsync(env, "app", "web:v1");
        await BuildAndImportAsync(env, "app", "web:v1");
        var third = await BuildAndImportAsync(env, "app", "web:v2"); // a third image in the repository
        await Task.Delay(1100); // timestamps have whole seconds
        var lateCompletion = DateTimeOffset.UtcNow;
        await Task.Delay(1100);

        // The rollback: the first image into v1 again, as a user with oc tag or an import of their own.
        await env.Kube.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "image.openshift.io/v1",
            ["kind"] = "ImageStreamImport",
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "app" },
            ["spec"] = new JsonObject
            {
                ["import"] = true,
                ["images"] = new JsonArray(new JsonObject
                {
                    ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = $"{env.Quay.RegistryHost}/openshift_app/web@{first}" },
                    ["to"] = new JsonObject { ["name"] = "v1" },
                    ["referencePolicy"] = new JsonObject { ["type"] = "Source" },
                }),
            },
        }, "image.openshift.io", "v1", "app", "imagestreamimports");
        await OperatorEnvironment.Eventually(async () => await NewestImageAsync(env, "app", "web", "v1") == first, "the rollback in the tag");

        // A Build that completed between the second build and the rollback, imported only now.
        var late = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v1", "app/web:v1", third, lateCompletion);
        Assert.Equal("superseded", (await JudgedAsync(env, "app", late, "the late Build judged"))[SkippedAnnotation]?.GetValue<string>());
        Assert.Equal(first, await NewestImageAsync(env, "app", "web", "v1"));
    }

    /// <summary>
    /// Review of 18ac238 (helper-77): a Build imported whose mark was lost (a leader gone between the import and the
    /// mark), looked at again after a later Build's image followed in the tag, was marked superseded and told "importing
    /// this one would roll the tag back", though its image had been imported. An image in the tag's history is imported.
    /// </summary>
    [Fact]
    public async Task A_build_whose_image_is_in_the_tags_history_is_marked_imported_not_superseded()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        var build = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("web:v1"));
        var name = build["metadata"]!["name"]!.GetValue<string>();
        await env.Cluster.Oc.WaitForBuildPhaseAsync("app", name, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", name))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the first build imported");
        await Task.Delay(1100); // timestamps have whole seconds: the next build completes in a later one
        await BuildAndImportAsync(env, "app", "web:v1");

        // The first Build's mark lost, as when the leader went between its import and its mark.
        await env.Kube.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Imported] = null } },
        }.ToJsonString(), V1Patch.PatchType.MergePatch), "build.openshift.io", "v1", "app", "builds", name);
        var annotations = await JudgedAsync(env, "app", name, "the Build judged again");
        Assert.Equal("true", annotations[Imported]?.GetValue<string>());
        Assert.Null(annotations[SkippedAnnotation]);
        Assert.DoesNotContain((await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items, e => e.InvolvedObject.Name == name && e.Reason == "ImageImportSkipped");
    }

    /// <summary>
    /// Review of b24b624 (helper-71): OpenShift's BuildByStrategy admission checks every update of a Build, the
    /// operator's patch of its marks too, against "create builds/&lt;strategy&gt;" for the user making it, and
    /// system:authenticated does not get the custom strategy. A Custom build (which the webhook rewrites on purpose) was
    /// imported and then never marked: the patch refused, the import looked at again forever. The operator's role
    /// grants the strategies' subresources (not "create builds").
    /// </summary>
    [Fact]
    public async Task A_custom_strategy_build_is_marked_under_openshifts_build_strategy_admission()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        await StartWithWebAsync(env, webhook);
        var digest = await BuildAndImportAsync(env, "app", "web:v1");
        var custom = await CreateForgedBuildAsync(env, "app", $"{env.Quay.RegistryHost}/openshift_app/web:v1", "app/web:v1", digest, custom: true);
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync("app", custom))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the Custom build marked imported");
    }

    /// <summary>
    /// What the owner of namespace <paramref name="into"/> grants for builds of <paramref name="from"/> to push there:
    /// <c>update imagestreams/layers</c> for its builder.
    /// </summary>
    private static async Task LetBuilderPushAsync(OperatorEnvironment env, string from, string into)
    {
        await env.Kube.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "image-pusher" },
            Rules = [new V1PolicyRule { ApiGroups = ["image.openshift.io"], Resources = ["imagestreams/layers"], Verbs = ["get", "update"] }],
        }, into);
        await env.Kube.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = $"{from}-builder-pushes" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "image-pusher" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "builder", NamespaceProperty = from }],
        }, into);
    }

    /// <summary>
    /// Review of b38c556 (helper-125): a Quay reached over plain HTTP (quayHostname <c>http://…</c>, the nodes listing it
    /// as an insecure registry) took builds' pushes, but every import back asked openshift-apiserver for HTTPS, which it
    /// only leaves for an insecure import, and failed for good unless spec.insecureRegistry, which reads as "skip TLS
    /// verification", was set too. An http Quay is imported from insecurely.
    /// </summary>
    [Fact]
    public async Task A_build_pushed_to_a_quay_reached_over_plain_http_is_imported_back()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync(spec => spec.Remove("caBundle"), plainHttpQuay: true);
        await StartWithWebhookAsync(env, webhook);
        await env.CreateNamespaceAsync("plain");
        await env.CreateImageStreamAsync("plain", "web");
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_plain", "web") is not null), "the Quay repository");

        var digest = await BuildAndImportAsync(env, "plain", "web:v1");
        Assert.Equal(digest, await NewestImageAsync(env, "plain", "web", "v1"));
        var tag = (await env.Cluster.Oc.GetImageStreamAsync("plain", "web"))!["spec"]!["tags"]!.AsArray().Single(t => t!["name"]!.GetValue<string>() == "v1")!;
        Assert.StartsWith($"{new Uri(env.Quay.HttpBaseUrl).Authority}/openshift_plain/web@sha256:", tag["from"]!["name"]!.GetValue<string>());
        Assert.True(tag["importPolicy"]!["insecure"]!.GetValue<bool>());
    }

    /// <summary>The operator with its webhook installed for every namespace but the operators'.</summary>
    private static async Task<RunningOperator> StartWithWebhookAsync(OperatorEnvironment env, WebhookSetup webhook)
    {
        var op = await webhook.ServeAsync(env, BuildWebhookTests.AllNamespacesButOperators);
        return op;
    }

    /// <summary>The same, and namespace <c>app</c> set up with ImageStream <c>web</c> and its Quay repository.</summary>
    private static async Task<RunningOperator> StartWithWebAsync(OperatorEnvironment env, WebhookSetup webhook)
    {
        var op = await StartWithWebhookAsync(env, webhook);
        await env.CreateNamespaceAsync("app");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app to be set up");
        await env.CreateImageStreamAsync("app", "web");
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_app", "web") is not null), "the Quay repository");
        return op;
    }

    /// <summary>A Build through the webhook and the build runner, waited for until imported; its digest.</summary>
    private static async Task<string> BuildAndImportAsync(OperatorEnvironment env, string ns, string output)
    {
        var build = await BuildWebhookTests.CreateBuildAsync(env, ns, BuildWebhookTests.ImageStreamTagOutput(output));
        var name = build["metadata"]!["name"]!.GetValue<string>();
        var complete = await env.Cluster.Oc.WaitForBuildPhaseAsync(ns, name, "Complete", TimeSpan.FromSeconds(30));
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync(ns, name))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            $"build {name} to be imported");
        return complete["status"]!["output"]!["to"]!["imageDigest"]!.GetValue<string>();
    }

    /// <summary>
    /// A Build written by hand with the operator's label and annotations and a Complete status, as any user who may
    /// create Builds in <paramref name="ns"/> can write one; no build ever ran for it.
    /// </summary>
    private static async Task<string> CreateForgedBuildAsync(OperatorEnvironment env, string ns, string dockerImage, string destination, string digest,
        DateTimeOffset? completedAt = null, bool label = true, bool custom = false, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var build = BuildWebhookTests.BuildObject(ns, new JsonObject { ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = dockerImage } });
        if (custom)
            build["spec"]!["strategy"] = new JsonObject
            {
                ["type"] = "Custom",
                ["customStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "registry.example.com/custom-builder:latest" } },
            };
        build["metadata"]!["annotations"] = new JsonObject { [Managed] = "true", [Destination] = destination };
        foreach (var (key, value) in annotations ?? new Dictionary<string, string>()) build["metadata"]!["annotations"]![key] = value;
        if (label) build["metadata"]!["labels"] = new JsonObject { [ManagedBuildLabel] = "true" };
        var completed = (completedAt ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        build["status"] = new JsonObject
        {
            ["phase"] = "Complete",
            ["startTimestamp"] = completed,
            ["completionTimestamp"] = completed,
            ["output"] = new JsonObject { ["to"] = new JsonObject { ["imageDigest"] = digest } },
        };
        var created = await env.Kube.CustomObjects.CreateNamespacedCustomObjectAsync(build, "build.openshift.io", "v1", ns, "builds");
        var createdBuild = JsonNode.Parse(((System.Text.Json.JsonElement)created).GetRawText())!;
        Assert.Equal("Complete", createdBuild["status"]!["phase"]!.GetValue<string>());
        return createdBuild["metadata"]!["name"]!.GetValue<string>();
    }

    /// <summary>Waits until the operator has judged the Build (imported, or skipped), and returns its annotations.</summary>
    private static async Task<JsonNode> JudgedAsync(OperatorEnvironment env, string ns, string build, string what)
    {
        await OperatorEnvironment.Eventually(async () => (await env.Cluster.Oc.GetBuildAsync(ns, build))?["metadata"]?["annotations"] is { } a
                                                         && (a[Imported] is not null || a[SkippedAnnotation] is not null), what);
        return (await env.Cluster.Oc.GetBuildAsync(ns, build))!["metadata"]!["annotations"]!;
    }

    private static async Task<string?> NewestImageAsync(OperatorEnvironment env, string ns, string stream, string tag)
    {
        var imageStream = await env.Cluster.Oc.GetImageStreamAsync(ns, stream);
        return imageStream?["status"]?["tags"]?.AsArray().FirstOrDefault(t => t?["tag"]?.GetValue<string>() == tag)?["items"]?[0]?["image"]?.GetValue<string>();
    }

    private static Task AnnotateAsync(OperatorEnvironment env, string build, string destination) =>
        env.Kube.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Destination] = destination } },
        }.ToJsonString(), V1Patch.PatchType.MergePatch), "build.openshift.io", "v1", "app", "builds", build);

    private static Task WaitForEventAsync(OperatorEnvironment env, string involved, string reason) => WaitForEventAsync(env, "app", involved, reason);

    private static Task WaitForEventAsync(OperatorEnvironment env, string ns, string involved, string reason) =>
        env.EventAsync(ns, e => e.InvolvedObject.Name == involved && e.Reason == reason, $"event {reason} on {ns}/{involved}");
}
