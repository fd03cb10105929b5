using System.Globalization;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Patch;

/// <summary>
/// How Go's fmt <c>%v</c> prints a decoded JSON value, for the error messages apimachinery builds that way:
/// <c>map[image:nginx name:a]</c> (keys sorted), <c>[a b]</c>, strings bare, <c>&lt;nil&gt;</c>.
/// </summary>
public static class GoFormat
{
    public static string Value(JsonNode? node) => node switch
    {
        null => "<nil>",
        JsonObject o => "map[" + string.Join(" ", o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}:{Value(p.Value)}")) + "]",
        JsonArray a => "[" + string.Join(" ", a.Select(Value)) + "]",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<double>(out var d) => d.ToString(CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };
}
