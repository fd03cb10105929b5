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

    [Fact]
    public async Task Missing_imagestream_and_tampered_annotation_give_events_and_retries_and_failed_builds_an_event()
    {
        using var webhook = new WebhookSetup();
        await using var env = await OperatorEnvironment.StartAsync();
        var op = await env.StartOperatorAsync("operator-1", webhook.OperatorArgs());
        WebhookSetup.MapService(env, op);
        await WebhookSetup.InstallConfigurationAsync(env, webhook.Ca.CertificatePem, BuildWebhookTests.AllNamespacesButOperators);
        await env.CreateNamespaceAsync("app");
        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app to be set up");

        // The Quay repository exists (made for the ImageStream), but the ImageStream is gone when the build completes.
        await env.CreateImageStreamAsync("app", "web");
        await OperatorEnvironment.Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_app", "web") is not null), "the Quay repository");
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
    }

    private static Task AnnotateAsync(OperatorEnvironment env, string build, string destination) =>
        env.Kube.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [Destination] = destination } },
        }.ToJsonString(), V1Patch.PatchType.MergePatch), "build.openshift.io", "v1", "app", "builds", build);

    private static Task WaitForEventAsync(OperatorEnvironment env, string involved, string reason) =>
        OperatorEnvironment.Eventually(async () =>
            (await env.Kube.CoreV1.ListNamespacedEventAsync("app")).Items.Any(e => e.InvolvedObject.Name == involved && e.Reason == reason),
            $"event {reason} on {involved}");
}
