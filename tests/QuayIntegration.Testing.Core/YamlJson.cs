using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace QuayIntegration.Testing.Core;

/// <summary>
/// YAML to JSON as kubectl and kube-apiserver do it, so that a manifest read here is the object kubectl would send.
/// Both go through sigs.k8s.io/yaml's <c>YAMLToJSON</c>/<c>Unmarshal</c> (kubectl's YAML reader, kube-apiserver's
/// <c>application/yaml</c> bodies and server-side apply patches), which decode with go-yaml v2 into untyped Go values and
/// marshal those as JSON: YAML 1.1 scalar rules, not YAML 1.2's core schema. Sources: sigs.k8s.io/yaml yaml.go
/// (<c>YAMLToJSON</c>, <c>convertToJSONableObject</c>) and go-yaml v2 resolve.go (<c>resolve</c>) and decode.go
/// (<c>scalar</c>, <c>merge</c>).
/// <para>Plain (unquoted, untagged) scalars, in go-yaml v2 <c>resolve</c>'s order:</para>
/// <list type="bullet">
/// <item><c>""</c> (nothing), <c>~</c>, <c>null</c>, <c>Null</c>, <c>NULL</c>: null.</item>
/// <item><c>true</c>/<c>True</c>/<c>TRUE</c>, <c>false</c>/<c>False</c>/<c>FALSE</c>, and YAML 1.1's <c>y</c>/<c>Y</c>,
/// <c>yes</c>/<c>Yes</c>/<c>YES</c>, <c>on</c>/<c>On</c>/<c>ON</c> (true) and <c>n</c>/<c>N</c>, <c>no</c>/<c>No</c>/<c>NO</c>,
/// <c>off</c>/<c>Off</c>/<c>OFF</c> (false): booleans. go-yaml v2 resolves these for untyped values, and YAMLToJSON's
/// target is untyped; sigs.k8s.io/yaml documents it ("literal 'yes' and 'no' strings without quotation marks will be
/// converted to true/false"). It only turns them back into strings when unmarshalling into a typed Go string field,
/// which a JSON object has not.</item>
/// <item>Integers as Go's <c>strconv.ParseInt(s, 0, 64)</c> reads them once underscores are removed: an optional sign,
/// decimal, <c>0x</c> hex, <c>0o</c> or leading-<c>0</c> octal (<c>0755</c> is 493), <c>0b</c> binary; then, unsigned,
/// up to 2^64-1. A JSON number.</item>
/// <item>Floats matching <c>[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?</c> (so <c>1e3</c> and <c>1.0</c>, and
/// <c>08</c>, which is no octal), and anything starting with <c>.</c> that parses as a float (<c>.5</c>): a JSON
/// number. <c>.inf</c>, <c>-.inf</c>, <c>.nan</c> are floats JSON cannot hold: an error, as Go's <c>json.Marshal</c>
/// fails on them. A float out of range (<c>1e999</c>) stays a string.</item>
/// <item>Everything else, timestamps included (go-yaml v2 hands a timestamp to an untyped value as its text): a string.</item>
/// </list>
/// <para>Quoted scalars and block scalars (<c>|</c>, <c>&gt;</c>) are always strings. An explicit <c>!!str</c> makes a
/// string; <c>!!int</c>, <c>!!float</c>, <c>!!bool</c>, <c>!!null</c> resolve the text as if plain and must match
/// (<c>!!float 1</c> is 1.0); <c>!!binary</c> is unsupported, as sigs.k8s.io/yaml says; any other tag keeps the text.</para>
/// <para>Mapping keys resolve the same way and become JSON names as <c>convertToJSONableObject</c> writes them: a
/// boolean key is <c>"true"</c>/<c>"false"</c> (so <c>on:</c> is <c>"true"</c>), an integer its decimal digits
/// (<c>0x10:</c> is <c>"16"</c>), a float Go's <c>FormatFloat(f, 'g', -1, 32)</c>; a null, unsigned 64-bit or
/// non-scalar key is an error.</para>
/// <para>Streams: every <c>---</c> document, as kubectl's YAML reader splits them; an empty (or null) document is
/// skipped by <see cref="LoadAll"/>, as kubectl skips it. Anchors and aliases are expanded; merge keys (<c>&lt;&lt;</c>)
/// apply in document order, later keys overriding earlier ones, as go-yaml v2 decodes them (a list of merged mappings
/// gives the earlier ones precedence).</para>
/// <para>One difference on purpose: a key repeated within one mapping is an error here, as in sigs.k8s.io/yaml's
/// <c>YAMLToJSONStrict</c> and the YAML spec, where plain <c>YAMLToJSON</c> keeps one of them; a manifest that repeats
/// a key is a mistake to report, not a value to pick. Also not followed: go-yaml's <c>big.Int</c> for hex, octal or
/// binary literals beyond 64 bits (a string here).</para>
/// Errors are <see cref="FormatException"/>s naming the line and column.
/// <para>The one copy: it replaces five readers that disagreed. The sandbox's typed plain scalars by YAML 1.2's core
/// schema (<c>yes</c> a string, <c>0755</c> 755), the emulator test suite's by YamlDotNet's guesses (the same there),
/// the deploy suite kept every scalar as text (<c>replicas: "2"</c> passed for <c>2</c>), the emulated API server read
/// every scalar of an apply body as a string, and the benchmark world used KubernetesClient's own YAML typing. The
/// rules kept are kubectl's and kube-apiserver's above, since every one of those callers stands for them: a manifest
/// read here is meant to be the object kubectl sends, and an apply body the object kube-apiserver decodes. YAML 1.2,
/// though the newer schema, is what neither of them implements.</para>
/// </summary>
public static partial class YamlJson
{
    private const string TagPrefix = "tag:yaml.org,2002:";

    /// <summary>Every document of the stream, as JSON (an empty document is null).</summary>
    public static IReadOnlyList<JsonNode?> Documents(string yaml)
    {
        var documents = new List<JsonNode?>();
        try
        {
            var parser = new Parser(new StringReader(yaml));
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                // Read back from its text, so that values behave as JSON read from a server (GetValue<int>() of a number).
                documents.Add(new DocumentReader(parser).Read() is { } document ? JsonNode.Parse(document.ToJsonString()) : null);
                parser.Consume<DocumentEnd>();
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            throw new FormatException($"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {Reason(e)}", e);
        }
        return documents;
    }

    /// <summary>
    /// The objects of a manifest stream (<c>kubectl apply -f</c>): every document that is not empty, each of which must
    /// be a mapping.
    /// </summary>
    public static IReadOnlyList<JsonObject> LoadAll(string yaml)
    {
        var objects = new List<JsonObject>();
        foreach (var document in Documents(yaml))
        {
            if (document is null) continue;
            objects.Add(document as JsonObject
                ?? throw new FormatException($"YAML document {objects.Count} is not a mapping but {document.GetValueKind().ToString().ToLowerInvariant()}"));
        }
        return objects;
    }

    /// <summary>The one object of a single-manifest file.</summary>
    public static JsonObject LoadSingle(string yaml) =>
        LoadAll(yaml) is [var single] ? single : throw new FormatException("expected exactly one YAML document");

    private static string Reason(YamlException e)
    {
        // YamlDotNet prefixes its messages with "(Line: 1, Col: 2, Idx: 1) - (Line: …): "; the position is said once above.
        var message = e.Message;
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && cut >= 0 ? message[(cut + 3)..] : message;
    }

    private static FormatException Error(Mark at, string message) =>
        new($"invalid YAML at line {at.Line}, column {at.Column}: {message}");

    /// <summary>One document: its anchors, and the conversion of its nodes.</summary>
    private sealed class DocumentReader(IParser parser)
    {
        private readonly Dictionary<string, JsonNode?> _anchors = new(StringComparer.Ordinal);

        public JsonNode? Read()
        {
            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                return _anchors.TryGetValue(alias.Value.Value, out var anchored)
                    ? anchored?.DeepClone()
                    : throw Error(alias.Start, $"unknown anchor '{alias.Value.Value}' referenced");
            }
            if (parser.TryConsume<Scalar>(out var scalar)) return Remember(scalar, ToJson(Resolve(scalar), scalar));
            if (parser.TryConsume<SequenceStart>(out var sequenceStart))
            {
                var array = new JsonArray();
                while (!parser.TryConsume<SequenceEnd>(out _)) array.Add(Read());
                return Remember(sequenceStart, array);
            }
            if (parser.TryConsume<MappingStart>(out var mappingStart)) return Remember(mappingStart, ReadMapping());
            var unexpected = parser.Current!;
            throw Error(unexpected.Start, $"unexpected {unexpected.GetType().Name}");
        }

        private JsonObject ReadMapping()
        {
            var mapping = new JsonObject();
            var explicitKeys = new HashSet<string>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyStart = parser.Current!.Start;
                if (parser.Current is Scalar { Value: "<<" } merge && (merge.IsPlainImplicit || merge.Tag.Value == TagPrefix + "merge"))
                {
                    parser.MoveNext();
                    Merge(mapping, Read(), keyStart);
                    continue;
                }
                var key = ReadKey(keyStart);
                var value = Read();
                if (!explicitKeys.Add(key)) throw Error(keyStart, $"mapping key \"{key}\" already defined");
                mapping[key] = value;
            }
            return mapping;
        }

        /// <summary>go-yaml v2 <c>merge</c>: the merged keys are set where the merge key stands; of a list of mappings, the earlier win.</summary>
        private static void Merge(JsonObject into, JsonNode? source, Mark at)
        {
            var sources = source switch
            {
                JsonObject single => [single],
                JsonArray list when list.All(s => s is JsonObject) => list.Select(s => (JsonObject)s!).Reverse().ToList(),
                _ => throw Error(at, "map merge requires map or sequence of maps as the value"),
            };
            foreach (var mapping in sources)
                foreach (var (key, value) in mapping)
                    into[key] = value?.DeepClone();
        }

        /// <summary>A key, resolved as a scalar is (<c>.inf</c> is a float key, though no float value JSON can hold).</summary>
        private string ReadKey(Mark at)
        {
            if (!parser.TryConsume<Scalar>(out var scalar)) return KeyName(Untyped(Read()), at);
            var resolved = Resolve(scalar);
            var key = KeyName(resolved, at);
            Remember(scalar, resolved is double d && !double.IsFinite(d) ? JsonValue.Create(key) : ToJson(resolved, scalar));
            return key;
        }

        private JsonNode? Remember(NodeEvent node, JsonNode? value)
        {
            if (!node.Anchor.IsEmpty) _anchors[node.Anchor.Value] = value?.DeepClone();
            return value;
        }
    }

    /// <summary>A JSON name for a resolved key, as sigs.k8s.io/yaml's <c>convertToJSONableObject</c> writes one.</summary>
    private static string KeyName(object? key, Mark at) => key switch
    {
        string text => text,
        bool flag => flag ? "true" : "false",
        long integer => integer.ToString(CultureInfo.InvariantCulture),
        double number => GoFloat32(number),
        // null, ulong (convertToJSONableObject has no uint64 case), a mapping or a sequence.
        JsonNode node => throw Error(at, $"unsupported map key {node.ToJsonString()}"),
        _ => throw Error(at, $"unsupported map key {key ?? "null"}"),
    };

    /// <summary>An aliased key's value back as <see cref="Resolve"/> gives it.</summary>
    private static object? Untyped(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<ulong>(out var u) => u,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => node,
    };

    private static JsonNode? ToJson(object? resolved, Scalar scalar) => resolved switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        ulong u => JsonValue.Create(u),
        double d when double.IsFinite(d) => JsonValue.Create(d),
        double => throw Error(scalar.Start, $"json: unsupported value: {scalar.Value} (a float JSON cannot hold)"),
        _ => throw new InvalidOperationException(resolved.GetType().Name),
    };

    /// <summary>The scalar's value as go-yaml v2 decodes it into an untyped Go value: null, string, bool, long, ulong or double.</summary>
    private static object? Resolve(Scalar scalar)
    {
        var text = scalar.Value;
        var tag = scalar.Tag;
        if (tag.IsEmpty)
            return scalar.IsPlainImplicit && scalar.Style is ScalarStyle.Plain or ScalarStyle.Any ? ResolvePlain(text) : text;
        switch (tag.Value)
        {
            case TagPrefix + "str":
                return text;
            case TagPrefix + "binary":
                throw Error(scalar.Start, "!!binary is not supported (sigs.k8s.io/yaml: encode the data as base64 without the tag)");
            case TagPrefix + "null":
                return ResolvePlain(text) is null ? null : throw Mismatch(scalar, "null");
            case TagPrefix + "bool":
                return ResolvePlain(text) as bool? ?? throw Mismatch(scalar, "bool");
            case TagPrefix + "int":
                return ResolvePlain(text) is long or ulong ? ResolvePlain(text) : throw Mismatch(scalar, "int");
            case TagPrefix + "float":
                return ResolvePlain(text) switch
                {
                    double d => d,
                    long l => (double)l,
                    ulong u => (double)u,
                    _ => throw Mismatch(scalar, "float"),
                };
            default:
                // !!timestamp (an untyped value gets its text), "!" and application tags: the text.
                return text;
        }
    }

    private static FormatException Mismatch(Scalar scalar, string tag) => Error(scalar.Start, $"cannot decode `{scalar.Value}` as a !!{tag}");

    /// <summary>go-yaml v2 <c>resolve</c> for a plain scalar (see the class summary).</summary>
    private static object? ResolvePlain(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON":
                return true;
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                return false;
            case ".nan" or ".NaN" or ".NAN":
                return double.NaN;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return double.PositiveInfinity;
            case "-.inf" or "-.Inf" or "-.INF":
                return double.NegativeInfinity;
        }
        switch (text[0])
        {
            case '.':
                // strconv.ParseFloat on the text; out of range is an error there, so the text stays a string.
                return double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var fraction)
                    && double.IsFinite(fraction) ? fraction : text;
            case '+' or '-' or (>= '0' and <= '9'):
                var plain = text.Replace("_", "", StringComparison.Ordinal);
                if (GoInteger(plain) is { } integer) return integer;
                if (YamlStyleFloat().IsMatch(plain)
                    && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
                    return number;
                return text;
            default:
                return text;
        }
    }

    /// <summary>go-yaml v2's <c>yamlStyleFloat</c>.</summary>
    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex YamlStyleFloat();

    /// <summary>
    /// <c>strconv.ParseInt(s, 0, 64)</c>, then <c>strconv.ParseUint(s, 0, 64)</c> (which takes no sign): a long, a
    /// ulong, or null when neither reads it.
    /// </summary>
    private static object? GoInteger(string s)
    {
        var signed = s.Length > 0 && s[0] is '+' or '-';
        var negative = s.Length > 0 && s[0] == '-';
        var digits = signed ? s[1..] : s;
        var radix = 10;
        if (digits.Length > 1 && digits[0] == '0')
        {
            (radix, digits) = char.ToLowerInvariant(digits[1]) switch
            {
                'x' => (16, digits[2..]),
                'o' => (8, digits[2..]),
                'b' => (2, digits[2..]),
                _ => (8, digits[1..]),
            };
        }
        if (digits.Length == 0) return null;
        var magnitude = BigInteger.Zero;
        foreach (var c in digits)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'f' => c - 'a' + 10,
                >= 'A' and <= 'F' => c - 'A' + 10,
                _ => int.MaxValue,
            };
            if (digit >= radix) return null;
            magnitude = magnitude * radix + digit;
        }
        var value = negative ? -magnitude : magnitude;
        if (value >= long.MinValue && value <= long.MaxValue) return (long)value;
        if (!signed && value <= ulong.MaxValue) return (ulong)value;
        return null;
    }

    /// <summary>Go's <c>strconv.FormatFloat(f, 'g', -1, 32)</c>, with go-yaml's names for the infinities and NaN.</summary>
    private static string GoFloat32(double value)
    {
        var single = (float)value;
        if (float.IsNaN(single)) return ".nan";
        if (float.IsPositiveInfinity(single)) return ".inf";
        if (float.IsNegativeInfinity(single)) return "-.inf";
        // The shortest digits that read back as this float32 ("R"), then Go's layout of them: %e when the decimal
        // exponent is below -4 or at least 6 (the precision Go uses for the shortest 'g'), %f otherwise.
        var text = single.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        if (negative) text = text[1..];
        var exponent = 0;
        var e = text.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var point = text.IndexOf('.', StringComparison.Ordinal);
        var whole = point < 0 ? text : text[..point];
        var all = whole + (point < 0 ? "" : text[(point + 1)..]);
        var digits = all.TrimStart('0');
        var decimalPoint = whole.Length + exponent - (all.Length - digits.Length); // value = 0.digits × 10^decimalPoint
        digits = digits.TrimEnd('0');
        string formatted;
        if (digits.Length == 0)
        {
            formatted = "0";
        }
        else if (decimalPoint - 1 < -4 || decimalPoint - 1 >= 6)
        {
            var power = decimalPoint - 1;
            formatted = digits[..1] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (power < 0 ? "-" : "+")
                + Math.Abs(power).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (decimalPoint <= 0)
        {
            formatted = "0." + new string('0', -decimalPoint) + digits;
        }
        else if (decimalPoint >= digits.Length)
        {
            formatted = digits + new string('0', decimalPoint - digits.Length);
        }
        else
        {
            formatted = digits[..decimalPoint] + "." + digits[decimalPoint..];
        }
        return negative ? "-" + formatted : formatted;
    }
}
