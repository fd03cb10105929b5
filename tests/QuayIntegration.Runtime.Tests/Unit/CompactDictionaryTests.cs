using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Runtime;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>
/// The compact maps that replace the label, annotation and data dictionaries of cached objects behave like the
/// ordinal dictionaries they replace, for every operation, and serialize the same way.
/// </summary>
public sealed class CompactDictionaryTests
{
    private static IDictionary<string, string> Compact(IDictionary<string, string> map) => CompactDictionary.Of(map, k => k, v => v);

    [Fact]
    public void Random_operations_give_the_same_results_as_a_dictionary()
    {
        var random = new Random(1234);
        // Up to 24 distinct keys: maps cross MaxEntries (16) and go on past it.
        string Key() => "k" + random.Next(24);
        for (var round = 0; round < 200; round++)
        {
            var initial = Enumerable.Range(0, random.Next(6)).Select(_ => Key()).Distinct().ToDictionary(k => k, k => "v" + k, StringComparer.Ordinal);
            var expected = new Dictionary<string, string>(initial, StringComparer.Ordinal);
            var actual = Compact(initial);
            Assert.IsType<CompactDictionary<string>>(actual);
            var grew = false;
            for (var step = 0; step < 40; step++)
            {
                var key = Key();
                var value = "x" + random.Next(100);
                switch (random.Next(7))
                {
                    case 0:
                        expected[key] = value;
                        actual[key] = value;
                        break;
                    case 1:
                        Assert.Equal(expected.Remove(key), actual.Remove(key));
                        break;
                    case 2:
                        var added = expected.TryAdd(key, value);
                        if (added) actual.Add(key, value);
                        else Assert.Throws<ArgumentException>(() => actual.Add(key, value));
                        break;
                    case 3:
                        Assert.Equal(expected.TryGetValue(key, out var e), actual.TryGetValue(key, out var a));
                        Assert.Equal(e, a);
                        break;
                    case 4:
                        Assert.Equal(expected.ContainsKey(key), actual.ContainsKey(key));
                        if (!expected.ContainsKey(key)) Assert.Throws<KeyNotFoundException>(() => actual[key]);
                        break;
                    case 5:
                        var pair = new KeyValuePair<string, string>(key, expected.GetValueOrDefault(key) ?? value);
                        Assert.Equal(((ICollection<KeyValuePair<string, string>>)expected).Contains(pair), actual.Contains(pair));
                        break;
                    case 6:
                        if (random.Next(10) == 0)
                        {
                            expected.Clear();
                            actual.Clear();
                        }
                        break;
                }
                grew |= !((CompactDictionary<string>)actual).IsCompact;
                if (actual is CompactDictionary<string> compact && expected.Count > 0)
                {
                    var some = expected.Keys.First();
                    Assert.True(compact.TryGetKey(new string(some.AsSpan()), out var held));
                    Assert.Equal(some, held);
                }
                Assert.Equal(expected.Count, actual.Count);
                Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), actual.OrderBy(kv => kv.Key, StringComparer.Ordinal));
                Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
                Assert.Equal(expected.Values.Order(StringComparer.Ordinal), actual.Values.Order(StringComparer.Ordinal));
                var copy = new KeyValuePair<string, string>[actual.Count + 1];
                actual.CopyTo(copy, 1);
                Assert.Equal(actual, copy.Skip(1));
            }
        }
    }

    [Fact]
    public void A_map_that_grows_past_the_limit_moves_into_a_dictionary_and_keeps_its_key_instances()
    {
        var map = CompactDictionary.Create<string>();
        var keys = Enumerable.Range(0, 1000).Select(i => "repository-" + i).ToList();
        foreach (var key in keys.Take(CompactDictionary.MaxEntries)) map[key] = "read";
        Assert.True(map.IsCompact);

        foreach (var key in keys.Skip(CompactDictionary.MaxEntries)) map.Add(key, "read");
        map[keys[3]] = "write";

        Assert.False(map.IsCompact);
        Assert.Equal(1000, map.Count);
        Assert.Equal("write", map[keys[3]]);
        Assert.True(map.TryGetKey(new string(keys[999].AsSpan()), out var held));
        Assert.Same(keys[999], held);
        Assert.True(map.TryGetKey(new string(keys[3].AsSpan()), out held));
        Assert.Same(keys[3], held);
        Assert.Equal(keys, map.Keys.Order(StringComparer.Ordinal).OrderBy(k => int.Parse(k["repository-".Length..])));
    }

    [Fact]
    public void Keys_compare_ordinally_and_null_keys_are_refused()
    {
        var map = Compact(new Dictionary<string, string> { ["app"] = "a", ["App"] = "b" });
        Assert.Equal("a", map["app"]);
        Assert.Equal("b", map["App"]);
        Assert.False(map.ContainsKey("APP"));
        Assert.Throws<ArgumentNullException>(() => map.ContainsKey(null!));
    }

    [Fact]
    public void Large_maps_stay_dictionaries()
    {
        var large = Enumerable.Range(0, CompactDictionary.MaxEntries + 1).ToDictionary(i => "k" + i, i => "v" + i);
        Assert.IsType<Dictionary<string, string>>(Compact(large));
        Assert.IsType<CompactDictionary<string>>(Compact(large.Take(CompactDictionary.MaxEntries).ToDictionary()));
    }

    [Fact]
    public void Cached_metadata_serializes_as_it_was_read()
    {
        const string json = """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"ns","labels":{"a":"1","b":"2"},"annotations":{"c":"3"}},"data":{".dockerconfigjson":"eyJhdXRocyI6e319"},"type":"kubernetes.io/dockerconfigjson"}""";
        var compacted = CacheTransforms.Compact(KubernetesJson.Deserialize<V1Secret>(json));

        Assert.IsType<CompactDictionary<string>>(compacted.Metadata.Labels);
        Assert.IsType<CompactDictionary<string>>(compacted.Metadata.Annotations);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(json).RootElement, JsonDocument.Parse(KubernetesJson.Serialize(compacted)).RootElement));
    }
}
