using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Authorization;

/// <summary>
/// The review resources of authentication.k8s.io and authorization.k8s.io: create-only, never stored; the server fills
/// in <c>status</c> and answers 201 with the object (pkg/registry/authorization/*/rest.go,
/// pkg/registry/authentication/*/storage.go). Like every unstored object, metadata comes back with
/// <c>creationTimestamp: null</c>.
/// </summary>
public abstract class ReviewStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["spec", "status"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;

    public override async Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        if (ctx.Verb != "create" || ctx.Subresource is not null) return null;
        var review = ResourceOperations.NormalizeIncoming(ctx, await RequestBody.ReadObjectAsync(ctx));
        var spec = review["spec"] as JsonObject ?? new JsonObject();
        review["spec"] = spec;
        review["status"] = Review(ctx, spec);
        var meta = review.Metadata();
        meta["creationTimestamp"] = null;
        if (ctx.Type.Namespaced) meta["namespace"] = ctx.Namespace;
        return new ApiResult(201, review);
    }

    /// <summary>The status to answer with; throws the Status errors the real REST handler returns.</summary>
    protected abstract JsonObject Review(RequestContext ctx, JsonObject spec);
}
