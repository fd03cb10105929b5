using System.Text.Json.Nodes;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Deploy.Tests.Support;

/// <summary>
/// One YAML document of a file under deploy/, as the JSON kubectl sends for it (<see cref="YamlJson"/>: <c>2</c> is a
/// number, <c>"2"</c> and <c>2Gi</c> strings, <c>true</c> a boolean).
/// </summary>
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
    /// <remarks>
    /// This used to keep every scalar as its YAML text. It now types scalars as kubectl does (the shared
    /// <see cref="YamlJson"/>): text hid what the API server would be sent, so <c>replicas: "2"</c>, which kube-apiserver
    /// refuses, passed for <c>replicas: 2</c>. Empty documents are skipped, as kubectl skips them.
    /// </remarks>
    public static IReadOnlyList<Manifest> Parse(string yaml, string source)
    {
        IReadOnlyList<JsonNode?> documents;
        try
        {
            documents = YamlJson.Documents(yaml);
        }
        catch (FormatException e)
        {
            throw new Xunit.Sdk.XunitException($"{source} is not valid YAML: {e.Message}");
        }
        return documents
            .Where(d => d is not null)
            .Select((d, i) => new Manifest(source, i, d as JsonObject
                ?? throw new Xunit.Sdk.XunitException($"{source} document {i} is not a mapping")))
            .ToList();
    }

    public static string Relative(string path) => Path.GetRelativePath(Repo.Root, path);

    /// <summary>
    /// Where <paramref name="expected"/> (a manifest) is not contained in <paramref name="actual"/> (what the server
    /// stored): every field of the manifest must be there with the same value and JSON type (<c>5</c> is not <c>"5"</c>);
    /// the server may add defaults.
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
                // caBundle and the like are base64 in JSON and in YAML alike; no conversion needed.
                if (!JsonNode.DeepEquals(expected, actual))
                    yield return $"{path}: expected {expected.ToJsonString()}, stored {actual?.ToJsonString() ?? "nothing"}";
                break;
        }
    }
}
