using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Authorization;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// openshift-apiserver's <c>build.openshift.io/BuildByStrategy</c> validating admission plugin
/// (pkg/build/apiserver/admission/strategyrestrictions/admission.go): whoever creates or updates a Build or BuildConfig
/// (through any subresource but <c>builds/details</c>), or starts one through <c>builds/clone</c> or
/// <c>buildconfigs/instantiate</c>, must be allowed <c>create</c> on <c>builds/&lt;strategy&gt;</c> of build.openshift.io in
/// the object's namespace (<c>docker</c>, <c>optimizeddocker</c>, <c>source</c>, <c>custom</c>, <c>jenkinspipeline</c>),
/// asked of the authorizer as the plugin's SubjectAccessReview asks it. The bootstrap policy grants all but
/// <c>custom</c> to every authenticated user; system:masters passes anyway. Refused: 403
/// <c>builds.build.openshift.io "x" is forbidden: build strategy Custom is not allowed</c>.
/// </summary>
public static class BuildStrategyRestrictions
{
    private const string Group = "build.openshift.io";

    /// <summary>
    /// Metadata the comparison of an UPDATE leaves out: what the garbage collector changes (ownerReferences, finalizers,
    /// selfLink, as IsOnlyMutatingGCFields) plus what the server itself moves with every write here.
    /// </summary>
    private static readonly string[] GarbageCollectorFields = ["ownerReferences", "finalizers", "selfLink", "resourceVersion", "managedFields", "generation"];

    /// <summary>The plugin on a CREATE or UPDATE of a Build or BuildConfig (<paramref name="old"/> null on create).</summary>
    public static void Admit(JsonObject obj, JsonObject? old, RequestContext ctx)
    {
        // builds/details only records the commit the builder checked out: it cannot change the strategy.
        if (ctx.Type.Plural == "builds" && ctx.Subresource == "details") return;
        // The garbage collector adopting, orphaning or finalizing needs no build rights: whoever may update and delete
        // the object controls nothing privileged through those fields.
        if (old is not null && OnlyGarbageCollectorFieldsChanged(obj, old)) return;
        Check(obj, obj.At("metadata", "name").AsString() ?? "", ctx);
    }

    /// <summary>
    /// The plugin on a BuildRequest (<c>builds/{name}/clone</c>, <c>buildconfigs/{name}/instantiate</c>): the requester must
    /// be allowed the strategy of the Build or BuildConfig the new Build is made from. Called before anything is written.
    /// </summary>
    public static void AdmitRequest(JsonObject source, JsonObject request, RequestContext ctx) =>
        Check(source, request.At("metadata", "name").AsString() is { Length: > 0 } name ? name : ctx.Name ?? "", ctx);

    /// <param name="forbiddenName">The name the 403 names: the object's own, or the BuildRequest's (admission.NewForbidden).</param>
    private static void Check(JsonObject obj, string forbiddenName, RequestContext ctx)
    {
        // Validation, which runs first, refuses an object without exactly one strategy member (422): nothing to ask.
        if (StrategyOf(obj) is not { } strategy) return;
        var (subresource, type) = strategy;
        var meta = obj.Metadata();
        // The review names the object (its generateName when it has one), as the plugin's resourceName does.
        var name = meta.Str("generateName") is { Length: > 0 } generateName ? generateName : meta.Str("name") ?? "";
        var review = new AuthorizationAttributes(ctx.User, "create", true, Group, "", "builds", subresource, ctx.Namespace ?? "", name);
        ctx.Server.Requests.RecordAdmissionCheck(new RecordedRequest(ctx.User.Username, "create", Group, "builds", subresource, ctx.Namespace));
        if (ctx.Server.Authorizer.Authorize(review).Allowed) return;
        // admission.NewForbidden: the resource is the request's (buildconfigs for instantiate), the name the object's.
        forbiddenName = forbiddenName.Length > 0 ? forbiddenName : "Unknown";
        throw Errors.Forbidden($"{ctx.Type.QualifiedResource} \"{forbiddenName}\" is forbidden: build strategy {type} is not allowed",
            new JsonObject { ["name"] = forbiddenName, ["group"] = ctx.Type.Group, ["kind"] = ctx.Type.Plural });
    }

    /// <summary>
    /// resourceForStrategyType and strategyTypeString: the <c>builds/…</c> subresource the strategy needs and the type the
    /// message names. A Docker strategy with an <c>imageOptimizationPolicy</c> other than <c>None</c> is <c>optimizeddocker</c>.
    /// </summary>
    private static (string Subresource, string Type)? StrategyOf(JsonObject obj)
    {
        if (obj.At("spec", "strategy") is not JsonObject strategy) return null;
        var present = BuildStrategy.StrategyMembers.Where(m => strategy[m.Member] is JsonObject).ToList();
        if (present.Count != 1) return null;
        var (member, type) = present[0];
        var subresource = type.ToLowerInvariant();
        if (member == "dockerStrategy" && strategy[member].Str("imageOptimizationPolicy") is { } policy && policy != "None")
            subresource = "optimizeddocker";
        return (subresource, type);
    }

    private static bool OnlyGarbageCollectorFieldsChanged(JsonObject obj, JsonObject old)
    {
        var a = obj.Clone();
        var b = old.Clone();
        foreach (var field in GarbageCollectorFields)
        {
            a.Metadata().Remove(field);
            b.Metadata().Remove(field);
        }
        return Json.DeepEquals(a, b);
    }
}
