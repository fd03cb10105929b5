using k8s.Models;
using QuayIntegration.Runtime;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>
/// An informer's store answers like one map of objects by key with a list per namespace, for namespaces that stay
/// small (an array) and ones that grow past the array's bound and shrink again, and for cluster-scoped objects.
/// </summary>
public sealed class ObjectStoreTests
{
    private static V1Secret Obj(string ns, string name, string version) =>
        new() { Metadata = new V1ObjectMeta { NamespaceProperty = ns.Length == 0 ? null : ns, Name = name, ResourceVersion = version } };

    [Fact]
    public void Random_sets_and_removes_answer_like_a_map_by_key()
    {
        var random = new Random(4321);
        var store = new ObjectStore<V1Secret>(ObjectIdentity.Kubernetes<V1Secret>());
        var expected = new Dictionary<ObjectKey, V1Secret>();
        string[] namespaces = ["", "a", "b", "c"];
        var largest = 0;
        for (var step = 0; step < 20_000; step++)
        {
            var ns = namespaces[random.Next(namespaces.Length)];
            // Up to 40 names: namespaces cross the array's bound (16) both ways.
            var name = "obj-" + random.Next(ns == "c" ? 4 : 40);
            var key = new ObjectKey(ns, name);
            if (random.Next(3) > 0)
            {
                var obj = Obj(ns, name, step.ToString());
                store.Set(obj);
                expected[key] = obj;
            }
            else
            {
                Assert.Same(expected.GetValueOrDefault(key), store.Remove(key));
                expected.Remove(key);
            }
            largest = Math.Max(largest, expected.Keys.Count(k => k.Namespace == key.Namespace));
            var probe = namespaces[random.Next(namespaces.Length)];
            var probeKey = new ObjectKey(probe, "obj-" + random.Next(40));
            Assert.Same(expected.GetValueOrDefault(probeKey), store.Get(probeKey));
            Assert.Equal(expected.Where(kv => (kv.Key.Namespace ?? "") == probe).Select(kv => kv.Value.Metadata.ResourceVersion).Order(),
                store.InNamespace(probe).Select(o => o.Metadata.ResourceVersion).Order());
        }
        Assert.True(largest > CompactDictionary.MaxEntries, $"no namespace grew past {CompactDictionary.MaxEntries} objects (largest {largest})");
        Assert.Equal(expected.Values.Select(o => o.Metadata.ResourceVersion).Order(), store.All().Select(o => o.Metadata.ResourceVersion).Order());
        Assert.Empty(store.InNamespace("elsewhere"));
    }

    [Fact]
    public void A_namespace_is_held_as_an_array_until_it_grows_past_the_bound_and_a_listed_array_never_changes()
    {
        var store = new ObjectStore<V1Secret>(ObjectIdentity.Kubernetes<V1Secret>());
        for (var i = 0; i < CompactDictionary.MaxEntries; i++) store.Set(Obj("a", "obj-" + i, "1"));
        Assert.True(store.IsCompact("a"));
        var listed = store.InNamespace("a");

        store.Set(Obj("a", "obj-0", "2"));
        Assert.Equal("1", listed[0].Metadata.ResourceVersion); // replaced in a new array, not in the one a reader holds
        Assert.Equal("2", store.Get(new ObjectKey("a", "obj-0"))!.Metadata.ResourceVersion);

        store.Set(Obj("a", "obj-" + CompactDictionary.MaxEntries, "1"));
        Assert.False(store.IsCompact("a"));
        Assert.Equal(CompactDictionary.MaxEntries + 1, store.InNamespace("a").Count);
        Assert.Equal(CompactDictionary.MaxEntries, listed.Count);
    }

    [Fact]
    public void Cluster_scoped_objects_are_held_by_name_and_a_namespace_left_empty_leaves_nothing()
    {
        var store = new ObjectStore<V1Secret>(ObjectIdentity.Kubernetes<V1Secret>());
        store.Set(Obj("", "team-a", "1"));
        Assert.False(store.IsCompact(""));
        Assert.Equal("team-a", store.Get(ObjectKey.Cluster("team-a"))!.Metadata.Name);
        Assert.Null(store.Get(new ObjectKey("team-a", "team-a")));

        store.Set(Obj("b", "x", "1"));
        Assert.NotNull(store.Remove(new ObjectKey("b", "x")));
        Assert.Null(store.Remove(new ObjectKey("b", "x")));
        Assert.Empty(store.InNamespace("b"));
        Assert.False(store.IsCompact("b"));
        Assert.Single(store.All());
    }
}
