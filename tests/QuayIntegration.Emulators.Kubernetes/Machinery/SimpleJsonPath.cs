using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>
/// The JSONPath subset printer columns use: <c>.a.b</c>, <c>[0]</c>, <c>[*]</c> and <c>[?(@.k=="v")]</c> filters.
/// Several results are joined with commas, as the Table convertor prints them.
/// </summary>
public static partial class SimpleJsonPath
{
    [GeneratedRegex(@"\.(?<name>[A-Za-z0-9_\-]+)|\[(?<index>\d+|\*)\]|\[\?\(@\.(?<field>[A-Za-z0-9_.\-]+)\s*==\s*[""'](?<value>[^""']*)[""']\)\]")]
    private static partial Regex TokenRegex();

    public static JsonNode? Evaluate(JsonNode? root, string path)
    {
        IEnumerable<JsonNode?> current = [root];
        var text = path.Trim().TrimStart('{').TrimEnd('}');
        if (text.StartsWith('$')) text = text[1..];
        foreach (Match m in TokenRegex().Matches(text))
        {
            if (m.Groups["name"].Success)
            {
                var name = m.Groups["name"].Value;
                current = current.Select(n => n is JsonObject o ? o[name] : null).Where(n => n is not null).ToList();
            }
            else if (m.Groups["index"].Success)
            {
                var index = m.Groups["index"].Value;
                current = current.OfType<JsonArray>().SelectMany(a => index == "*" ? a.ToList() : int.Parse(index) < a.Count ? [a[int.Parse(index)]] : []).ToList();
            }
            else
            {
                var field = m.Groups["field"].Value.Split('.');
                var value = m.Groups["value"].Value;
                current = current.OfType<JsonArray>().SelectMany(a => a.Where(e => e.At(field).AsString() == value)).ToList();
            }
        }
        var results = current.Where(n => n is not null).ToList();
        return results.Count switch
        {
            0 => null,
            1 => results[0]!.DeepClone(),
            _ => JsonValue.Create(string.Join(",", results.Select(r => r.AsString() ?? r!.ToJsonString()))),
        };
    }
}
