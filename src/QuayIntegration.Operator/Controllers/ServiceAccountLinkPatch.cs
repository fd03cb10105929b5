using System.Text.Json.Nodes;
using k8s.Models;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Builds the JSON patch (RFC 6902) that lists a Secret in a service account's <c>secrets</c> and
/// <c>imagePullSecrets</c>. It starts with a <c>test</c> of the resourceVersion, so it only applies to the version it
/// was computed from (on OpenShift 4.16+ a platform controller manages the same lists), and it only appends: other
/// entries are never rewritten. Returns null when the Secret is already listed in both.
/// </summary>
public static class ServiceAccountLinkPatch
{
    public static string? Build(V1ServiceAccount sa, string secretName)
    {
        var ops = new JsonArray
        {
            new JsonObject { ["op"] = "test", ["path"] = "/metadata/resourceVersion", ["value"] = sa.Metadata.ResourceVersion },
        };
        if (sa.Secrets is null) ops.Add(AddList("/secrets", secretName));
        else if (!sa.Secrets.Any(s => s.Name == secretName)) ops.Add(Append("/secrets", secretName));
        if (sa.ImagePullSecrets is null) ops.Add(AddList("/imagePullSecrets", secretName));
        else if (!sa.ImagePullSecrets.Any(s => s.Name == secretName)) ops.Add(Append("/imagePullSecrets", secretName));
        return ops.Count == 1 ? null : ops.ToJsonString();
    }

    public static bool IsLinked(V1ServiceAccount sa, string secretName) =>
        sa.Secrets?.Any(s => s.Name == secretName) == true && sa.ImagePullSecrets?.Any(s => s.Name == secretName) == true;

    private static JsonObject AddList(string path, string name) =>
        new() { ["op"] = "add", ["path"] = path, ["value"] = new JsonArray(new JsonObject { ["name"] = name }) };

    private static JsonObject Append(string path, string name) =>
        new() { ["op"] = "add", ["path"] = path + "/-", ["value"] = new JsonObject { ["name"] = name } };
}
