using k8s.Models;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Caching;

/// <summary>
/// A service account as its cache keeps it: its name and the Secrets it lists, nothing else. The link patches write
/// the two lists back with every entry as it was read, so entries are kept whole (<see cref="V1ObjectReference"/>),
/// and carry the resourceVersion as their precondition.
/// </summary>
public sealed class CachedServiceAccount : CachedObject
{
    public CachedServiceAccount(V1ServiceAccount account) : base(account.Metadata)
    {
        // Arrays already when the cache's transform compacted them (CacheTransforms.CompactServiceAccount).
        Secrets = account.Secrets as V1ObjectReference[] ?? account.Secrets?.ToArray();
        ImagePullSecrets = account.ImagePullSecrets as V1LocalObjectReference[] ?? account.ImagePullSecrets?.ToArray();
    }

    /// <summary>The Secrets listed as mountable.</summary>
    public IReadOnlyList<V1ObjectReference>? Secrets { get; }

    /// <summary>The Secrets listed for pulling images.</summary>
    public IReadOnlyList<V1LocalObjectReference>? ImagePullSecrets { get; }

    /// <summary>
    /// Whether the account lists the Secret in both lists: where OpenShift's build controller looks for a build's push
    /// secret is <see cref="ImagePullSecrets"/> since 4.16 and <see cref="Secrets"/> before, so only both are sure.
    /// </summary>
    public bool ListsForBuilds(string secretName) =>
        Secrets?.Any(s => s.Name == secretName) == true && ImagePullSecrets?.Any(s => s.Name == secretName) == true;
}
