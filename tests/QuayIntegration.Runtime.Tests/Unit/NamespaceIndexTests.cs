using QuayIntegration.Runtime;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>
/// The per-namespace index of an informer's keys answers like a set of keys per namespace, for namespaces that stay
/// small (names in an array) and ones that grow past the array's bound and shrink again.
/// </summary>
public sealed class NamespaceIndexTests
{
    [Fact]
    public void Random_adds_and_removes_give_the_same_keys_as_a_set_per_namespace()
    {
        var random = new Random(4321);
        var index = new NamespaceIndex();
        var expected = new Dictionary<string, HashSet<ObjectKey>>();
        string[] namespaces = ["", "a", "b", "c"];
        var largest = 0;
        for (var step = 0; step < 20_000; step++)
        {
            var ns = namespaces[random.Next(namespaces.Length)];
            // Up to 40 names: namespaces cross the array's bound (16) both ways.
            var key = new ObjectKey(ns, "obj-" + random.Next(ns == "c" ? 4 : 40));
            var keys = expected.TryGetValue(ns, out var set) ? set : expected[ns] = [];
            if (random.Next(2) == 0)
            {
                index.Add(ns, key);
                keys.Add(key);
            }
            else
            {
                index.Remove(ns, key);
                keys.Remove(key);
            }
            largest = Math.Max(largest, keys.Count);
            var probe = namespaces[random.Next(namespaces.Length)];
            Assert.Equal(expected.GetValueOrDefault(probe, []).Select(k => k.ToString()).Order(), index.KeysIn(probe).Select(k => k.ToString()).Order());
        }
        Assert.True(largest > CompactDictionary.MaxEntries, $"no namespace grew past {CompactDictionary.MaxEntries} keys (largest {largest})");
        Assert.Empty(index.KeysIn("elsewhere"));
    }

    [Fact]
    public void A_namespace_is_held_as_an_array_until_it_grows_past_the_bound()
    {
        var index = new NamespaceIndex();
        for (var i = 0; i < CompactDictionary.MaxEntries; i++) index.Add("a", new ObjectKey("a", "obj-" + i));
        Assert.True(index.IsCompact("a"));
        index.Add("a", new ObjectKey("a", "obj-" + CompactDictionary.MaxEntries));
        Assert.False(index.IsCompact("a"));
        Assert.Equal(CompactDictionary.MaxEntries + 1, index.KeysIn("a").Length);
    }

    [Fact]
    public void Keys_of_cluster_scoped_objects_have_no_namespace()
    {
        var index = new NamespaceIndex();
        index.Add("", ObjectKey.Cluster("team-a"));
        Assert.Equal([ObjectKey.Cluster("team-a")], index.KeysIn(""));
    }
}
