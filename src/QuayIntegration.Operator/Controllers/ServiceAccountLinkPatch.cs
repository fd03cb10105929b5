using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Builds the JSON merge patch (RFC 7386) that lists a Secret in a service account's <c>secrets</c> and
/// <c>imagePullSecrets</c>. The patch carries the resourceVersion it was computed from, which the API server treats as a
/// precondition (409 if the object changed meanwhile): on OpenShift 4.16+ a platform controller manages the same
/// lists, so a write based on a stale read must fail and be retried, never overwrite. Only a list that lacks our
/// entry is written, with every existing entry kept as read and ours appended. Returns null when nothing is missing.
/// </summary>
public static class ServiceAccountLinkPatch
{
    public static string? Build(V1ServiceAccount sa, string secretName)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = sa.Metadata.ResourceVersion } };
        if (sa.Secrets?.Any(s => s.Name == secretName) != true)
            patch["secrets"] = Append(sa.Secrets, new V1ObjectReference { Name = secretName });
        if (sa.ImagePullSecrets?.Any(s => s.Name == secretName) != true)
            patch["imagePullSecrets"] = Append(sa.ImagePullSecrets, new V1LocalObjectReference { Name = secretName });
        return patch.Count == 1 ? null : patch.ToJsonString();
    }

    public static bool IsLinked(V1ServiceAccount sa, string secretName) =>
        sa.Secrets?.Any(s => s.Name == secretName) == true && sa.ImagePullSecrets?.Any(s => s.Name == secretName) == true;

    private static JsonArray Append<T>(IEnumerable<T>? existing, T ours) =>
        new((existing ?? []).Append(ours).Select(e => JsonNode.Parse(KubernetesJson.Serialize(e))).ToArray());
}
