using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Authentication;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Core;

/// <summary>
/// core/v1 ServiceAccount: <c>secrets</c> merges by name under strategic merge patch; <c>imagePullSecrets</c> is atomic.
/// Its <c>token</c> subresource is the TokenRequest API (<c>kubectl create token</c>).
/// </summary>
public sealed class ServiceAccountStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["secrets", "imagePullSecrets", "automountServiceAccountToken"];
    private static readonly StrategicMergeSchema Schema = StrategicMergeSchema.Common.With(("secrets", "name"));
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override StrategicMergeSchema? MergeSchema => Schema;
    public override IReadOnlyList<TableColumn> Columns =>
        [new("Secrets", "integer", "", "Number of secrets", 0, o => (o["secrets"] as JsonArray)?.Count ?? 0)];

    public override async Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        if (ctx.Subresource != "token") return null;
        if (ctx.Verb != "create") throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        return await TokenRequestAsync(ctx);
    }

    /// <summary>
    /// pkg/registry/core/serviceaccount/storage/token.go: a bound token for an existing service account, 201 with the
    /// TokenRequest (spec defaulted: audiences = the API server's, expirationSeconds = 3600) and status.token and
    /// status.expirationTimestamp. Durations under 10 minutes are invalid (pkg/apis/authentication/validation).
    /// </summary>
    private static async Task<ApiResult> TokenRequestAsync(RequestContext ctx)
    {
        var request = await RequestBody.ReadObjectAsync(ctx, ("TokenRequest", "authentication.k8s.io/v1"));
        var account = ctx.Server.Store.Get(ctx.Type.StorageKey, ctx.Namespace, ctx.Name!) ?? throw ctx.Type.NotFound(ctx.Name!);
        var spec = request["spec"] as JsonObject ?? new JsonObject();
        var seconds = spec.Long("expirationSeconds") ?? 3600;
        if (seconds < 600)
            throw Errors.Invalid("TokenRequest", "authentication.k8s.io", ctx.Name!, [FieldError.InvalidRendered("spec.expirationSeconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "may not specify a duration less than 10 minutes")]);
        if (seconds > 1L << 32)
            throw Errors.Invalid("TokenRequest", "authentication.k8s.io", ctx.Name!, [FieldError.InvalidRendered("spec.expirationSeconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "may not specify a duration larger than 2^32 seconds")]);
        var audiences = spec["audiences"] is JsonArray { Count: > 0 } a ? a.StringList() : [ServiceAccountTokens.Issuer];
        var issued = ctx.Server.ServiceAccountTokens.Issue(account, audiences, TimeSpan.FromSeconds(seconds));
        var answer = new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = ctx.Name, ["namespace"] = ctx.Namespace, ["creationTimestamp"] = Json.Now() },
            ["spec"] = new JsonObject
            {
                ["audiences"] = audiences.ToJsonArray(),
                ["expirationSeconds"] = seconds,
                ["boundObjectRef"] = spec["boundObjectRef"]?.DeepClone(),
            },
            ["status"] = new JsonObject { ["token"] = issued.Token, ["expirationTimestamp"] = Json.Timestamp(issued.Expires) },
        };
        return new ApiResult(201, answer);
    }
}
