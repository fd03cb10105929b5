using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Patch;

/// <summary>A PATCH body of one of the four Kubernetes patch media types, parsed and ready to apply to the stored object.</summary>
public sealed class PatchDocument
{
    private readonly string _mediaType;
    private readonly JsonNode _body;
    private PatchDocument(string mediaType, JsonNode body) => (_mediaType, _body) = (mediaType, body);

    public bool IsApply => _mediaType == "application/apply-patch+yaml";

    /// <summary>The configuration a server-side apply carries (only for <see cref="IsApply"/>).</summary>
    public JsonObject AppliedConfiguration => ((JsonObject)_body).Clone();

    public static PatchDocument Parse(string? contentType, string body, RequestContext ctx)
    {
        var mediaType = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        switch (mediaType)
        {
            case "application/json-patch+json":
                return new PatchDocument(mediaType, JsonPatch.ParseOperations(body));
            case "application/merge-patch+json":
                return new PatchDocument(mediaType, Json.ParseObject(body, "patch"));
            case "application/strategic-merge-patch+json":
                if (!ctx.Type.BuiltIn || ctx.Type.Strategy.MergeSchema is null) throw Errors.UnsupportedMediaType(mediaType);
                return new PatchDocument(mediaType, Json.ParseObject(body, "patch"));
            case "application/apply-patch+yaml":
                if (string.IsNullOrEmpty(ctx.Query("fieldManager")))
                    // kube-apiserver validates PatchOptions: 422 Invalid (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go).
                    throw Errors.Invalid("PatchOptions", "meta.k8s.io", "", [FieldError.Required("fieldManager", "is required for apply patch")]);
                return new PatchDocument(mediaType, ApplyConfiguration.Parse(body));
            default:
                throw Errors.UnsupportedMediaType(mediaType.Length == 0 ? "(none)" : mediaType);
        }
    }

    public JsonObject Apply(JsonObject current, ResourceType type)
    {
        JsonNode? result;
        try
        {
            result = _mediaType switch
            {
                "application/json-patch+json" => JsonPatch.Apply(current, (JsonArray)_body),
                "application/merge-patch+json" => MergePatch.Apply(current, _body),
                "application/strategic-merge-patch+json" => StrategicMergePatch.Apply(current, (JsonObject)_body, type.Strategy.MergeSchema!),
                _ => ApplyConfiguration.Merge(current, (JsonObject)_body, type),
            };
        }
        catch (JsonPatch.PatchFailedException e)
        {
            throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: {e.Message}");
        }
        return result as JsonObject ?? throw Errors.BadRequest("the patch must produce an object");
    }

    /// <summary>How handlers/patch.go shows the patch when the patched object does not decode: the patch map (%+v) for
    /// strategic merge, the patched JSON otherwise.</summary>
    public string DescribeForDecodeError(JsonObject patched) =>
        _mediaType == "application/strategic-merge-patch+json" ? GoFormat.Value(_body) : patched.ToCompactJson();

    /// <summary>Server-side apply of a missing object creates it from the applied configuration.</summary>
    public JsonObject ApplyToMissing(string name, ResourceType type)
    {
        var obj = ((JsonObject)_body).Clone();
        var bodyName = obj.At("metadata", "name").AsString();
        if (bodyName != name) throw Errors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        return obj;
    }
}
