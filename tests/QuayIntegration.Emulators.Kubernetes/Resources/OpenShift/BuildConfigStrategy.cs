using System.Globalization;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// build.openshift.io/v1 BuildConfig and its <c>instantiate</c> subresource, which does what openshift-apiserver's
/// BuildGenerator does: bump <c>status.lastVersion</c> first, then create <c>&lt;bc&gt;-&lt;N&gt;</c> through the full
/// admission chain as a CREATE by the apiserver's loopback identity.
/// </summary>
public sealed class BuildConfigStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["spec", "status"];
    private static readonly StrategicMergeSchema Schema = StrategicMergeSchema.Common.With(("spec.triggers", null));
    private static readonly string[] ConfigOnlySpecFields = ["triggers", "runPolicy", "successfulBuildsHistoryLimit", "failedBuildsHistoryLimit"];

    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override bool TracksGeneration => true;
    public override bool HasStatusSubresource => true;
    public override StrategicMergeSchema? MergeSchema => Schema;
    public override IReadOnlyList<TableColumn> Columns =>
    [
        new("Type", "string", "", "Describes the strategy", 0, o => o.At("spec", "strategy", "type")?.DeepClone()),
        new("Latest", "integer", "", "Latest version", 0, o => o.At("status", "lastVersion")?.DeepClone() ?? 0),
    ];

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx)
    {
        BuildStrategy.DeriveStrategyType(obj);
        obj.ChildObject("spec")["runPolicy"] ??= "Serial";
        obj["status"] = new JsonObject { ["lastVersion"] = 0 };
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx) => BuildStrategy.DeriveStrategyType(obj);

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx) =>
        BuildStrategy.ValidateSpec(obj["spec"] as JsonObject, "spec", errors);

    /// <summary>BuildByStrategy: the writer must be allowed the strategy (also for <c>/status</c>).</summary>
    public override void Admit(JsonObject obj, JsonObject? old, RequestContext ctx) => BuildStrategyRestrictions.Admit(obj, old, ctx);

    public override async Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        if (ctx.Subresource != "instantiate") return null;
        if (ctx.Verb != "create") throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        var request = await RequestBody.ReadObjectAsync(ctx);
        if (request.At("metadata", "name").AsString() is { Length: > 0 } requested && requested != ctx.Name)
            throw Errors.BadRequest($"name of the BuildRequest ({requested}) does not match the BuildConfig ({ctx.Name})");
        var builds = ctx.Server.Registry.Find("build.openshift.io", "v1", "builds")!;
        // BuildByStrategy admits the BuildRequest before anything is written: a refused requester consumes no number.
        // (A missing BuildConfig is left to the write below, which answers 404.)
        if (ctx.Server.Store.Get(ctx.Type.StorageKey, ctx.Namespace, ctx.Name!) is { } source)
            BuildStrategyRestrictions.AdmitRequest(ctx.Type.Strategy.FromStorage(source, ctx.Type), request, ctx);

        // The number is consumed before the Build is posted, so a denied create still uses it up. The generator writes
        // both through its own privileged client.
        var bumped = await ResourceOperations.WriteAsync(ctx.AsApiServer(ctx.Type, "update", ctx.Namespace, ctx.Name, "status"), current =>
        {
            var status = current.ChildObject("status");
            status["lastVersion"] = (status.Long("lastVersion") ?? 0) + 1;
            return current;
        }, null);
        var config = (JsonObject)bumped.Body;
        var build = Generate(config, request);
        ResolveStrategyFrom(ctx, build);
        return await ResourceOperations.CreateAsync(ctx.AsApiServer(builds, "create", ctx.Namespace, null), build);
    }

    /// <summary>
    /// Like BuildGenerator, points a strategy's <c>from</c> ImageStreamTag at the image it currently resolves to
    /// (<c>DockerImage</c> with the tag's latest <c>dockerImageReference</c>); unresolvable references stay as they are.
    /// </summary>
    private static void ResolveStrategyFrom(RequestContext ctx, JsonObject build)
    {
        if (build.At("spec", "strategy") is not JsonObject strategy) return;
        foreach (var member in BuildStrategy.StrategyMembers)
        {
            if (strategy[member.Member]?["from"] is not JsonObject from || from.Str("kind") != "ImageStreamTag") continue;
            var parts = (from.Str("name") ?? "").Split(':');
            if (parts.Length != 2) continue;
            var ns = from.Str("namespace") is { Length: > 0 } n ? n : ctx.Namespace;
            var stream = ctx.Server.Store.Get(ImageStreamTagStrategy.ImageStreamsKey, ns, parts[0]);
            var latest = (stream?.At("status", "tags") as JsonArray)?.FirstOrDefault(t => t.Str("tag") == parts[1])?["items"] is JsonArray { Count: > 0 } items ? items[0] : null;
            if (latest.Str("dockerImageReference") is not { } reference) continue;
            strategy[member.Member]!["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = reference };
        }
    }

    private static JsonObject Generate(JsonObject config, JsonObject request)
    {
        var meta = config.Metadata();
        var name = meta.Str("name")!;
        var number = (config.At("status").Long("lastVersion") ?? 1).ToString(CultureInfo.InvariantCulture);
        var labels = new JsonObject();
        foreach (var (k, v) in meta["labels"].StringMap()) labels[k] = v;
        foreach (var (k, v) in request.At("metadata", "labels").StringMap()) labels[k] = v;
        labels["buildconfig"] = name;
        labels["openshift.io/build-config.name"] = name;
        labels["openshift.io/build.start-policy"] = config.At("spec", "runPolicy").AsString() ?? "Serial";
        var annotations = new JsonObject();
        foreach (var (k, v) in request.At("metadata", "annotations").StringMap()) annotations[k] = v;
        annotations["openshift.io/build-config.name"] = name;
        annotations["openshift.io/build.number"] = number;

        var spec = (config["spec"] as JsonObject)?.Clone() ?? new JsonObject();
        foreach (var f in ConfigOnlySpecFields) spec.Remove(f);
        spec["serviceAccount"] ??= "builder";
        spec["triggeredBy"] = request["triggeredBy"]?.DeepClone() ?? new JsonArray(new JsonObject { ["message"] = "Manually triggered" });
        if (request["env"] is JsonArray env && spec.At("strategy") is JsonObject strategy)
            foreach (var member in BuildStrategy.StrategyMembers)
                if (strategy[member.Member] is JsonObject s) s["env"] = env.DeepClone();
        var now = Json.Now();
        return new JsonObject
        {
            ["apiVersion"] = "build.openshift.io/v1",
            ["kind"] = "Build",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{name}-{number}",
                ["labels"] = labels,
                ["annotations"] = annotations,
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "build.openshift.io/v1", ["kind"] = "BuildConfig", ["name"] = name, ["uid"] = meta.Str("uid"), ["controller"] = true,
                }),
            },
            ["spec"] = spec,
            ["status"] = new JsonObject
            {
                ["phase"] = "New",
                ["config"] = new JsonObject { ["kind"] = "BuildConfig", ["namespace"] = meta.Str("namespace"), ["name"] = name },
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "New", ["status"] = "True", ["lastUpdateTime"] = now, ["lastTransitionTime"] = now,
                }),
            },
        };
    }
}
