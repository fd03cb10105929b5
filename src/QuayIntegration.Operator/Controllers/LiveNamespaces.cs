using k8s.Models;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// One namespace as the API server has it now, for a decision that must not rest on the cache's copy, which may lag
/// behind (or not hold the namespace yet): a one-item LIST, since the operator may list namespaces, not get them.
/// </summary>
public sealed class LiveNamespaces(KubeApi api)
{
    /// <summary>The namespace, or null when there is none of that name.</summary>
    public async Task<V1Namespace?> ReadAsync(string name, CancellationToken ct)
    {
        var found = await api.ListPageAsync<V1Namespace>(ResourceType.Namespaces.CollectionPath(), "fieldSelector=" + Uri.EscapeDataString("metadata.name=" + name), null, null, ct);
        return found.Items.Count > 0 ? found.Items[0] : null;
    }
}
