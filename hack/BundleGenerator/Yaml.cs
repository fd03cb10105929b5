using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QuayIntegration.BundleGenerator;

/// <summary>
/// YAML to JSON trees and back. Reading follows YAML 1.2's core schema for plain scalars (true/false, null, integers,
/// floats; everything else, and every quoted scalar, is a string). Writing is block style with keys in their source
/// order, so the same input always gives the same bytes.
/// </summary>
public static partial class Yaml
{
    public static IReadOnlyList<JsonObject> LoadDocuments(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(File.ReadAllText(path));
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new BundleException($"{path} is not valid YAML at {e.Start}: {e.Message}");
        }
        var documents = new List<JsonObject>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" }) continue;
            documents.Add(ToJson(document.RootNode) as JsonObject ?? throw new BundleException($"{path}: a document is not a mapping"));
        }
        return documents;
    }

    public static JsonObject LoadSingle(string path) =>
        LoadDocuments(path) is [var only] ? only : throw new BundleException($"{path} must hold exactly one YAML document");

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(
            ((YamlScalarNode)p.Key).Value ?? throw new BundleException($"a null key at {p.Key.Start}"), ToJson(p.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } plain => Plain(plain.Value ?? ""),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value ?? ""),
        _ => throw new BundleException($"unsupported YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonValue? Plain(string text)
    {
        if (text is "" or "~" or "null" or "Null" or "NULL") return null;
        if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    /// <summary>Strings written without quotes: nothing YAML could read as another type or as syntax.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_/.$][A-Za-z0-9_/.$ :@()+=,&'-]*$")]
    private static partial Regex SafePlain();

    public static string Write(JsonNode node)
    {
        var sb = new StringBuilder();
        WriteValueAfterKey(sb, node, 0);
        return sb.ToString();
    }

    private static void WriteValueAfterKey(StringBuilder sb, JsonNode? node, int indent)
    {
        switch (node)
        {
            case JsonObject { Count: 0 }:
                sb.Append(" {}\n");
                break;
            case JsonArray { Count: 0 }:
                sb.Append(" []\n");
                break;
            case JsonObject obj:
                if (sb.Length > 0) sb.Append('\n');
                WriteObjectBody(sb, obj, indent);
                break;
            case JsonArray array:
                if (sb.Length > 0) sb.Append('\n');
                WriteArrayBody(sb, array, indent);
                break;
            default:
                if (sb.Length > 0) sb.Append(' ');
                sb.Append(Scalar(node, indent)).Append('\n');
                break;
        }
    }

    private static void WriteObjectBody(StringBuilder sb, JsonObject obj, int indent, bool firstOnDashLine = false)
    {
        var first = true;
        foreach (var (key, value) in obj)
        {
            if (!(first && firstOnDashLine)) sb.Append(' ', indent);
            first = false;
            sb.Append(Key(key)).Append(':');
            WriteValueAfterKey(sb, value, indent + 2);
        }
    }

    private static void WriteArrayBody(StringBuilder sb, JsonArray array, int indent)
    {
        foreach (var item in array)
        {
            sb.Append(' ', indent).Append("- ");
            switch (item)
            {
                case JsonObject { Count: > 0 } obj:
                    WriteObjectBody(sb, obj, indent + 2, firstOnDashLine: true);
                    break;
                case JsonArray { Count: > 0 } nested:
                    sb.Append('\n');
                    WriteArrayBody(sb, nested, indent + 2);
                    break;
                case JsonObject:
                    sb.Append("{}\n");
                    break;
                case JsonArray:
                    sb.Append("[]\n");
                    break;
                default:
                    sb.Append(Scalar(item, indent + 2)).Append('\n');
                    break;
            }
        }
    }

    private static string Key(string key) => IsSafePlain(key) ? key : Quoted(key);

    private static string Scalar(JsonNode? node, int indent)
    {
        if (node is null) return "null";
        var value = node.AsValue();
        switch (value.GetValueKind())
        {
            case JsonValueKind.True: return "true";
            case JsonValueKind.False: return "false";
            case JsonValueKind.Number: return value.ToJsonString();
            case JsonValueKind.String:
                var text = value.GetValue<string>();
                if (IsSafePlain(text)) return text;
                if (text.Contains('\n', StringComparison.Ordinal) && !text.StartsWith(' ') && !text.Contains('\t', StringComparison.Ordinal)
                    && !text.Contains(" \n", StringComparison.Ordinal))
                    return Literal(text, indent);
                return Quoted(text);
            default:
                throw new BundleException($"cannot write {value.GetValueKind()} as YAML");
        }
    }

    private static bool IsSafePlain(string text) =>
        SafePlain().IsMatch(text) && !text.EndsWith(' ') && !text.EndsWith(':') && !text.Contains(": ", StringComparison.Ordinal)
        && !text.Contains(" #", StringComparison.Ordinal) && Plain(text) is JsonValue v && v.GetValueKind() == JsonValueKind.String
        && text is not ("yes" or "no" or "on" or "off" or "Yes" or "No" or "On" or "Off" or "y" or "n");

    private static string Literal(string text, int indent)
    {
        var trailing = text.Length - text.TrimEnd('\n').Length;
        var chomp = trailing switch { 0 => "-", 1 => "", _ => "+" };
        var body = trailing == 0 ? text : text[..^trailing];
        var pad = new string(' ', indent);
        var lines = body.Split('\n').Select(l => l.Length == 0 ? "" : pad + l);
        return "|" + chomp + "\n" + string.Join('\n', lines) + (trailing > 1 ? new string('\n', trailing - 1) : "");
    }

    private static string Quoted(string text) => JsonSerializer.Serialize(text, QuotedOptions);

    private static readonly JsonSerializerOptions QuotedOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

public sealed class BundleException(string message) : Exception(message);
