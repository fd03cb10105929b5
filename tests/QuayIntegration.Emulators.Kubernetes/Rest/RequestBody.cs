using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Rest;

/// <summary>Reading request bodies in the media types the server accepts.</summary>
public static class RequestBody
{
    /// <summary>Reads an object body: JSON, YAML (curl users), or protobuf for the core types kubectl ≥1.33 sends that way.</summary>
    /// <param name="subresourceKind">The kind of a subresource's body (e.g. TokenRequest) when it is not the resource's own.</param>
    public static async Task<JsonObject> ReadObjectAsync(RequestContext ctx, (string Kind, string ApiVersion)? subresourceKind = null)
    {
        var mediaType = (ctx.Http.Request.ContentType ?? "application/json").Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType == "application/vnd.kubernetes.protobuf")
        {
            using var buffer = new MemoryStream();
            await ctx.Http.Request.Body.CopyToAsync(buffer, ctx.Http.RequestAborted);
            return subresourceKind is { } sub ? ProtobufObjectDecoder.Decode(buffer.ToArray(), sub.Kind, sub.ApiVersion) : ProtobufObjectDecoder.Decode(buffer.ToArray(), ctx.Type);
        }
        var text = await ReadTextAsync(ctx.Http);
        return mediaType switch
        {
            "application/json" or "*/*" or "" => Json.ParseObject(text),
            "application/yaml" => Patch.ApplyConfiguration.Parse(text),
            _ => throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {mediaType})"),
        };
    }

    public static async Task<JsonObject?> ReadOptionalObjectAsync(RequestContext ctx)
    {
        var text = await ReadTextAsync(ctx.Http);
        return string.IsNullOrWhiteSpace(text) ? null : Json.ParseObject(text, "DeleteOptions");
    }

    public static async Task<string> ReadTextAsync(HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(http.RequestAborted);
    }
}
