using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Operator.Caching;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// Builds the JSON merge patches (RFC 7386) that list a Secret in a service account's <c>secrets</c> and
/// <c>imagePullSecrets</c>, or take it out of them. A patch carries the resourceVersion it was computed from, which the
/// API server treats as a precondition (409 if the object changed meanwhile): on OpenShift 4.16+ a platform controller
/// manages the same lists, so a write based on a stale read must fail and be retried, never overwrite. Only a list
/// that needs a change is written, with every other entry kept as read. Each method returns null when nothing is to do.
/// </summary>
public static class ServiceAccountLinkPatch
{
    public static string? Link(CachedServiceAccount sa, string secretName)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = sa.ResourceVersion } };
        if (sa.Secrets?.Any(s => s.Name == secretName) != true)
            patch["secrets"] = Append(sa.Secrets, new V1ObjectReference { Name = secretName });
        if (sa.ImagePullSecrets?.Any(s => s.Name == secretName) != true)
            patch["imagePullSecrets"] = Append(sa.ImagePullSecrets, new V1LocalObjectReference { Name = secretName });
        return patch.Count == 1 ? null : patch.ToJsonString();
    }

    /// <summary>The patch that removes every entry naming the Secret from both lists.</summary>
    public static string? Unlink(CachedServiceAccount sa, string secretName)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = sa.ResourceVersion } };
        if (sa.Secrets?.Any(s => s.Name == secretName) == true)
            patch["secrets"] = ToArray(sa.Secrets.Where(s => s.Name != secretName));
        if (sa.ImagePullSecrets?.Any(s => s.Name == secretName) == true)
            patch["imagePullSecrets"] = ToArray(sa.ImagePullSecrets.Where(s => s.Name != secretName));
        return patch.Count == 1 ? null : patch.ToJsonString();
    }

    private static JsonArray Append<T>(IEnumerable<T>? existing, T ours) => ToArray((existing ?? []).Append(ours));

    private static JsonArray ToArray<T>(IEnumerable<T> entries) =>
        new(entries.Select(e => KubernetesSerializerOptions.ToNode(e!)).ToArray());
}
