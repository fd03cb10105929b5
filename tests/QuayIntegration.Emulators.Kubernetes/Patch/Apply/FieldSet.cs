using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Patch.Apply;

/// <summary>
/// A set of field paths as sigs.k8s.io/structured-merge-diff's fieldpath.Set holds them, each path a sequence of
/// elements in the FieldsV1 encoding: <c>f:&lt;name&gt;</c> for a struct or map field, <c>k:{"name":"a"}</c> for an
/// element of an associative list (by its key), <c>v:"x"</c> for a member of a set-like list, and <c>.</c> for a list
/// element itself. Leaves are scalars, empty maps and atomic lists; list elements own a <c>.</c> path plus their fields.
/// Which lists are associative or sets comes from the type's merge metadata (built-in types: their patchMergeKey;
/// custom resources: x-kubernetes-list-type/-map-keys); other lists are atomic.
/// </summary>
public sealed class FieldSet
{
    private const char Separator = '\n';
    private readonly HashSet<string> _paths;

    private FieldSet(HashSet<string> paths) => _paths = paths;

    public static FieldSet Empty => new([]);
    public int Count => _paths.Count;
    public IEnumerable<IReadOnlyList<string>> Paths => _paths.Select(p => (IReadOnlyList<string>)p.Split(Separator));

    public bool Contains(IReadOnlyList<string> path) => _paths.Contains(string.Join(Separator, path));
    public FieldSet Union(FieldSet other) => new([.. _paths.Union(other._paths)]);
    public FieldSet Except(FieldSet other) => new([.. _paths.Except(other._paths)]);
    public FieldSet Intersect(FieldSet other) => new([.. _paths.Intersect(other._paths)]);
    public FieldSet Where(Func<IReadOnlyList<string>, bool> keep) => new([.. _paths.Where(p => keep(p.Split(Separator)))]);

    /// <summary>The fields an object sets, skipping the dotted paths <paramref name="ignored"/> says to.</summary>
    public static FieldSet Of(JsonObject obj, StrategicMergeSchema lists, Func<string, bool> ignored)
    {
        var paths = new HashSet<string>();
        WalkObject(obj, "", [], lists, ignored, paths);
        return new FieldSet(paths);
    }

    private static void WalkObject(JsonObject obj, string dotted, List<string> prefix, StrategicMergeSchema lists, Func<string, bool> ignored, HashSet<string> paths)
    {
        foreach (var (key, value) in obj)
        {
            var childDotted = dotted.Length == 0 ? key : $"{dotted}.{key}";
            if (ignored(childDotted)) continue;
            var path = new List<string>(prefix) { "f:" + key };
            WalkValue(value, childDotted, path, lists, ignored, paths);
        }
    }

    private static void WalkValue(JsonNode? value, string dotted, List<string> path, StrategicMergeSchema lists, Func<string, bool> ignored, HashSet<string> paths)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } child:
                WalkObject(child, dotted, path, lists, ignored, paths);
                break;
            case JsonArray array when lists.TryGetList(dotted, out var mergeKey):
                foreach (var element in array)
                {
                    var elementPath = new List<string>(path) { ElementKey(element, mergeKey) };
                    paths.Add(string.Join(Separator, [.. elementPath, "."]));
                    if (mergeKey is not null && element is JsonObject elementObject) WalkObject(elementObject, dotted, elementPath, lists, ignored, paths);
                }
                break;
            default:
                paths.Add(string.Join(Separator, path));
                break;
        }
    }

    /// <summary><c>k:{"name":"a"}</c> for a keyed element, <c>v:"x"</c> for a set member.</summary>
    public static string ElementKey(JsonNode? element, string? mergeKey) => mergeKey is null
        ? "v:" + (element?.ToCompactJson() ?? "null")
        : "k:" + new JsonObject { [mergeKey] = element?[mergeKey]?.DeepClone() }.ToCompactJson();

    /// <summary>metav1.FieldsV1: the paths as a trie of objects, <c>{}</c> at the leaves.</summary>
    public JsonObject ToFieldsV1()
    {
        var root = new JsonObject();
        foreach (var path in _paths.OrderBy(p => p, StringComparer.Ordinal))
        {
            var node = root;
            foreach (var element in path.Split(Separator))
            {
                if (node[element] is not JsonObject next) node[element] = next = new JsonObject();
                node = next;
            }
        }
        return root;
    }

    public static FieldSet FromFieldsV1(JsonObject? trie)
    {
        var paths = new HashSet<string>();
        if (trie is not null) Collect(trie, [], paths);
        return new FieldSet(paths);
    }

    private static void Collect(JsonObject node, List<string> prefix, HashSet<string> paths)
    {
        foreach (var (key, value) in node)
        {
            var path = new List<string>(prefix) { key };
            if (value is JsonObject { Count: > 0 } child && key != ".") Collect(child, path, paths);
            else paths.Add(string.Join(Separator, path));
        }
    }

    /// <summary>fieldpath.Path's String(): <c>.spec.containers[name="a"].image</c>, <c>.metadata.finalizers[="x"]</c>.</summary>
    public static string Display(IReadOnlyList<string> path)
    {
        var text = new System.Text.StringBuilder();
        foreach (var element in path)
        {
            if (element.StartsWith("f:", StringComparison.Ordinal)) text.Append('.').Append(element[2..]);
            else if (element.StartsWith("k:", StringComparison.Ordinal))
                text.Append('[').Append(string.Join(",", ((JsonObject)JsonNode.Parse(element[2..])!).Select(p => $"{p.Key}={p.Value?.ToCompactJson() ?? "null"}"))).Append(']');
            else if (element.StartsWith("v:", StringComparison.Ordinal)) text.Append("[=").Append(element[2..]).Append(']');
        }
        return text.ToString();
    }

    /// <summary>The value a path names in an object (a list element for paths ending in <c>.</c>), or null when absent.</summary>
    public static JsonNode? Resolve(JsonNode? node, IReadOnlyList<string> path, out bool present)
    {
        present = true;
        foreach (var element in path)
        {
            if (element == ".") continue;
            if (element.StartsWith("f:", StringComparison.Ordinal) && node is JsonObject o && o.ContainsKey(element[2..])) node = o[element[2..]];
            else if (element.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray keyed)
            {
                var (key, value) = ((JsonObject)JsonNode.Parse(element[2..])!).First();
                node = keyed.FirstOrDefault(e => e is JsonObject eo && Json.DeepEquals(eo[key], value));
                if (node is null) { present = false; return null; }
            }
            else if (element.StartsWith("v:", StringComparison.Ordinal) && node is JsonArray set)
            {
                var wanted = JsonNode.Parse(element[2..]);
                node = set.FirstOrDefault(e => Json.DeepEquals(e, wanted));
                if (node is null && wanted is not null) { present = false; return null; }
            }
            else { present = false; return null; }
        }
        return node;
    }

    /// <summary>Removes what a path names from an object (a field, or a list element for paths ending in <c>.</c>).</summary>
    public static void Remove(JsonObject obj, IReadOnlyList<string> path)
    {
        var last = path[^1] == "." ? path.Count - 2 : path.Count - 1;
        var parent = Resolve(obj, path.Take(last).ToList(), out var present);
        if (!present) return;
        var element = path[last];
        switch (parent)
        {
            case JsonObject o when element.StartsWith("f:", StringComparison.Ordinal):
                o.Remove(element[2..]);
                break;
            case JsonArray a:
                var target = Resolve(a, [element], out var found);
                if (found) a.Remove(target);
                break;
        }
    }
}
