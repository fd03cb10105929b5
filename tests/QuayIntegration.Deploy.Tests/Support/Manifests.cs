using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace QuayIntegration.Deploy.Tests.Support;

/// <summary>One YAML document of a file under deploy/, as JSON (scalars kept as their YAML text).</summary>
public sealed record Manifest(string File, int Index, JsonObject Body)
{
    public string ApiVersion => (string?)Body["apiVersion"] ?? "";
    public string Kind => (string?)Body["kind"] ?? "";
    public string Name => (string?)Body["metadata"]?["name"] ?? "";
    public string? Namespace => (string?)Body["metadata"]?["namespace"];
    public override string ToString() => $"{File}#{Index} {Kind} {Name}";
}

public static class Manifests
{
    /// <summary>Every YAML file under <paramref name="directory"/> (recursively) except kustomization.yaml.</summary>
    public static IReadOnlyList<string> Files(string directory) =>
        Directory.EnumerateFiles(directory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Parses every document of the file; a YAML error names the file and the position.</summary>
    public static IReadOnlyList<Manifest> Load(string path) => Parse(File.ReadAllText(path), Relative(path));

    /// <summary>Parses the documents of YAML text (kubectl kustomize's output, say); <paramref name="source"/> names it in messages.</summary>
    public static IReadOnlyList<Manifest> Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new Xunit.Sdk.XunitException($"{source} is not valid YAML at {e.Start}: {e.Message}");
        }
        return stream.Documents
            .Where(d => d.RootNode is not YamlScalarNode { Value: null or "" })
            .Select((d, i) => new Manifest(source, i, ToJson(d.RootNode) as JsonObject
                ?? throw new Xunit.Sdk.XunitException($"{source} document {i} is not a mapping")))
            .ToList();
    }

    public static string Relative(string path) => Path.GetRelativePath(Repo.Root, path);

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "null" or "~" or "" } => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    /// <summary>
    /// Where <paramref name="expected"/> (a manifest) is not contained in <paramref name="actual"/> (what the server
    /// stored): every field of the manifest must be there with the same value; the server may add defaults. Scalars are
    /// compared as text, since YAML scalars were kept as text (<c>5</c>, <c>"5"</c> and <c>true</c> are all text here).
    /// </summary>
    public static IEnumerable<string> Missing(JsonNode? expected, JsonNode? actual, string path = "")
    {
        switch (expected)
        {
            case null:
                yield break;
            case JsonObject obj:
                if (actual is not JsonObject actualObj)
                {
                    yield return $"{path}: expected an object, stored {actual?.ToJsonString() ?? "nothing"}";
                    yield break;
                }
                foreach (var (key, value) in obj)
                    foreach (var m in Missing(value, actualObj[key], $"{path}.{key}")) yield return m;
                break;
            case JsonArray array:
                if (actual is not JsonArray actualArray || actualArray.Count != array.Count)
                {
                    yield return $"{path}: expected {array.ToJsonString()}, stored {actual?.ToJsonString() ?? "nothing"}";
                    yield break;
                }
                for (var i = 0; i < array.Count; i++)
                    foreach (var m in Missing(array[i], actualArray[i], $"{path}[{i}]")) yield return m;
                break;
            default:
                var want = Text(expected);
                var got = actual is JsonValue ? Text(actual) : actual?.ToJsonString();
                // caBundle and the like are base64 in JSON and in YAML alike; no conversion needed.
                if (want != got) yield return $"{path}: expected {want}, stored {got ?? "nothing"}";
                break;
        }
    }

    private static string Text(JsonNode node) => node.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.String => node.GetValue<string>(),
        System.Text.Json.JsonValueKind.True => "true",
        System.Text.Json.JsonValueKind.False => "false",
        _ => node.ToJsonString(),
    };
}
