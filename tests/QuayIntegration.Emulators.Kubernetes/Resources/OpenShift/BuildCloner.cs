using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// <c>POST builds/{name}/clone</c> (<c>oc start-build --from-build</c>), as BuildGenerator.Clone: a copy of the Build's
/// spec (without a binary source), labels and annotations (without the pod name, Jenkins' reporting and, for a Build of
/// no BuildConfig, the build number) plus <c>openshift.io/build.clone-of</c>, named <c>&lt;bc&gt;-&lt;N&gt;</c> (bumping the
/// BuildConfig) or, for hand-made Builds, <c>&lt;name&gt;-&lt;10 digits&gt;</c>; created through admission as a CREATE.
/// </summary>
public static partial class BuildCloner
{
    [GeneratedRegex(@"^.+-\d{10}$")] private static partial Regex TimestampSuffix();

    private static readonly string[] DroppedAnnotations =
    [
        "openshift.io/build.pod-name", "openshift.io/jenkins-status-json", "openshift.io/jenkins-log-url",
        "openshift.io/jenkins-console-log-url", "openshift.io/jenkins-blueocean-log-url", "openshift.io/jenkins-build-uri",
    ];

    public static async Task<ApiResult> CloneAsync(RequestContext ctx, JsonObject original, JsonObject request)
    {
        var meta = original.Metadata();
        var labels = meta["labels"]?.DeepClone() as JsonObject ?? new JsonObject();
        var annotations = meta["annotations"]?.DeepClone() as JsonObject ?? new JsonObject();
        foreach (var (k, v) in request.At("metadata", "labels").StringMap()) labels[k] = v;
        foreach (var (k, v) in request.At("metadata", "annotations").StringMap()) annotations[k] = v;
        annotations["openshift.io/build.clone-of"] = meta.Str("name");
        // Dropped by generateBuildFromBuild: the pod name and Jenkins' reporting belong to the original's run.
        foreach (var dropped in DroppedAnnotations) annotations.Remove(dropped);

        string name;
        var configName = original.At("status", "config", "name").AsString() ?? meta["labels"].StringMap().GetValueOrDefault("openshift.io/build-config.name");
        var configs = ctx.Server.Registry.Find("build.openshift.io", "v1", "buildconfigs")!;
        if (configName is not null && ctx.Server.Store.Get(configs.StorageKey, ctx.Namespace, configName) is not null)
        {
            // The generator bumps the number through its own privileged client, not as the requester.
            var bumped = await ResourceOperations.WriteAsync(ctx.AsApiServer(configs, "update", ctx.Namespace, configName, "status"), current =>
            {
                var status = current.ChildObject("status");
                status["lastVersion"] = (status.Long("lastVersion") ?? 0) + 1;
                return current;
            }, null);
            var number = (((JsonObject)bumped.Body).At("status").Long("lastVersion") ?? 1).ToString(CultureInfo.InvariantCulture);
            name = $"{configName}-{number}";
            annotations["openshift.io/build.number"] = number;
        }
        else
        {
            annotations.Remove("openshift.io/build.number"); // builds without a BuildConfig have no number
            var baseName = meta.Str("name")!;
            if (TimestampSuffix().IsMatch(baseName)) baseName = baseName[..baseName.LastIndexOf('-')];
            var suffix = (DateTime.UtcNow.Ticks * 100).ToString(CultureInfo.InvariantCulture);
            name = $"{baseName}-{suffix[^10..]}";
        }

        var spec = (original["spec"] as JsonObject)?.Clone() ?? new JsonObject();
        (spec["source"] as JsonObject)?.Remove("binary"); // binary builds cannot be cloned: their input is gone
        spec["triggeredBy"] = request["triggeredBy"]?.DeepClone() ?? new JsonArray(new JsonObject { ["message"] = $"Build {meta.Str("name")} re-run" });
        var now = Json.Now();
        var clone = new JsonObject
        {
            ["apiVersion"] = "build.openshift.io/v1",
            ["kind"] = "Build",
            ["metadata"] = new JsonObject
            {
                ["name"] = name, ["labels"] = labels, ["annotations"] = annotations, ["ownerReferences"] = meta["ownerReferences"]?.DeepClone(),
            },
            ["spec"] = spec,
            ["status"] = new JsonObject
            {
                ["phase"] = "New",
                ["config"] = original.At("status", "config")?.DeepClone(),
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "New", ["status"] = "True", ["lastUpdateTime"] = now, ["lastTransitionTime"] = now }),
            },
        };
        return await ResourceOperations.CreateAsync(ctx.AsApiServer(ctx.Type, "create", ctx.Namespace, null), clone);
    }
}
