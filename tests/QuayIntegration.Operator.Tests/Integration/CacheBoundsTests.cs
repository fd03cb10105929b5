using k8s;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// What anyone can write reaches the operator's caches: a Secret carrying the operator's managed-by label, in any
/// namespace, is watched like the operator's own. The values it carries go with it: the caches' shared string pool
/// does not keep them (an annotation value of 100 KB, made and deleted a few hundred times, once kept every replica
/// growing until it was killed for its memory).
/// </summary>
public sealed class CacheBoundsTests
{
    [Fact]
    public async Task A_long_annotation_on_a_Secret_labelled_as_the_operators_is_not_kept_in_the_string_pool()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.Kube.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tenant" } });
        var invented = "quay-" + Guid.NewGuid().ToString("N") + new string('x', 100_000);
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(Labelled("long", invented), "tenant");
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(Labelled("marker", marker), "tenant");

        // The cache takes the events in order: once the marker's host is pooled, the long one was seen before it.
        await Eventually(() => Task.FromResult(IsPooled(marker)), "the marker Secret in the operator's cache");
        Assert.False(IsPooled(invented));
    }

    private static V1Secret Labelled(string name, string host) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { [WellKnown.ManagedByLabel] = WellKnown.ManagedByValue },
            Annotations = new Dictionary<string, string> { [WellKnown.QuayHostAnnotation] = host },
        },
        Type = "Opaque",
    };

    /// <summary>Whether the pool holds these characters: it hands back its own instance for a fresh copy of them.</summary>
    private static bool IsPooled(string text)
    {
        var copy = new string(text.AsSpan());
        return !ReferenceEquals(StringPool.Shared.ShareIfPooled(copy), copy);
    }
}
