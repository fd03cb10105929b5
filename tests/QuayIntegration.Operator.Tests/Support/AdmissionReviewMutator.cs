using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// Seeded, deterministic generator of AdmissionReview bodies for the fuzz test: valid Build reviews (random but
/// grammatical ImageStreamTag outputs, so the rewrite path runs), then one to three mutations each, on the tree (a
/// value of another type anywhere, odd names and tags, removed or added fields, deep nesting) or on the bytes
/// (repeated property names, invalid UTF-8, unpaired surrogate escapes, truncation, flipped bytes).
/// </summary>
public sealed class AdmissionReviewMutator(int seed)
{
    private const string Surrogate = "@@UNPAIRED-SURROGATE@@";
    private readonly Random _random = new(seed);

    private static readonly string[] OddNames =
    [
        "", "app", "notag", "-bad", "app:-bad", "app:.v1", "app:v1:v2", "app@sha256:" + new string('a', 64), "App:v1", "a..b:v1", "a__b:v1",
        "a/b:v1", ":v1", "app:", "app:x.y-z_1", "über:v1", "app:v1\n", "app:v1 ", " app:v1", "app:" + new string('t', 129),
        "app:" + new string('t', 10_000), new string('s', 300) + ":v1", new string('s', 253) + ":v1", "a-:v1", "a.b-c_d:V1.0-rc_2", "0:0",
        "app:v\u0000", "~1/~0:v1", "app:\ud83d\ude00",
    ];

    private static readonly string[] OddKinds = ["ImageStreamTag", "DockerImage", "ImageStreamImage", "", "imagestreamtag", "Image", "ImageStreamTag "];
    private static readonly string[] OddNamespaces = ["", "app", "other", "App", "-x", "a.b", new string('n', 64), "kube-system", "x_y"];
    private static readonly string[] Operations = ["CREATE", "UPDATE", "DELETE", "CONNECT", "create", "", "PATCH", "SELECT * FROM"];

    public (byte[] Body, string Description) Next()
    {
        var review = ServedWebhook.BuildReview("uid-" + _random.Next(), new JsonObject
        {
            ["to"] = new JsonObject { ["kind"] = "ImageStreamTag", ["name"] = $"{RandomStream()}:{RandomTag()}" },
        });
        Decorate(review);
        var steps = new List<string>();
        var duplicateAt = -1;
        for (var i = _random.Next(0, 4); i > 0; i--)
        {
            switch (_random.Next(12))
            {
                case 0: steps.Add(ReplaceAnyNode(review)); break;
                case 1: steps.Add(RemoveAnyProperty(review)); break;
                case 2: steps.Add(Set(review, ["request", "object", "spec", "output", "to", "name"], Pick(OddNames))); break;
                case 3: steps.Add(Set(review, ["request", "object", "spec", "output", "to", "kind"], Pick(OddKinds))); break;
                case 4: steps.Add(Set(review, ["request", "object", "spec", "output", "to", "namespace"], Pick(OddNamespaces))); break;
                case 5: steps.Add(Set(review, ["request", "operation"], Pick(Operations))); break;
                case 6: steps.Add(Set(review, ["request", "namespace"], Pick(OddNamespaces))); break;
                case 7: steps.Add(Nest(review)); break;
                case 8: steps.Add(SurrogateInAnyString(review)); break;
                case 9: duplicateAt = _random.Next(1, 30); steps.Add($"repeat a property name in object #{duplicateAt}"); break;
                default: break; // left valid: most cases must reach the policy and its patch
            }
        }
        var bytes = Serialize(review, duplicateAt);
        if (_random.Next(10) == 0)
        {
            (bytes, var byteStep) = MutateBytes(bytes);
            steps.Add(byteStep);
        }
        return (bytes, steps.Count == 0 ? "valid" : string.Join("; ", steps));
    }

    private void Decorate(JsonObject review)
    {
        var build = review["request"]!["object"]!.AsObject();
        var metadata = build["metadata"]!.AsObject();
        switch (_random.Next(5))
        {
            case 0: metadata["annotations"] = new JsonObject { ["openshift.io/build.number"] = "1" }; break;
            case 1: metadata["annotations"] = null; break;
            case 2: metadata["labels"] = new JsonObject { ["buildconfig"] = "app" }; break;
            // What a Rebuild copies from an imported original: the mark the webhook must remove.
            case 3:
                metadata["annotations"] = new JsonObject
                {
                    ["openshift.io/build.clone-of"] = "app-1",
                    ["quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported"] = _random.Next(2) == 0 ? "true" : null,
                };
                break;
        }
        if (_random.Next(4) == 0) build["spec"]!["output"]!["to"]!["namespace"] = _random.Next(2) == 0 ? "" : ServedWebhook.Namespace;
        if (_random.Next(6) == 0) build["spec"]!["strategy"] = new JsonObject { ["type"] = "Source", ["sourceStrategy"] = new JsonObject { ["from"] = new JsonObject() } };
        if (_random.Next(8) == 0) review["request"]!["dryRun"] = true;
    }

    private string RandomStream()
    {
        var sb = new StringBuilder();
        for (var parts = _random.Next(1, 4); parts > 0; parts--)
        {
            if (sb.Length > 0) sb.Append("._-"[_random.Next(3)]);
            for (var n = _random.Next(1, 12); n > 0; n--) sb.Append("abcdefghijklmnopqrstuvwxyz0123456789"[_random.Next(36)]);
        }
        return sb.ToString();
    }

    private string RandomTag()
    {
        const string first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
        var sb = new StringBuilder().Append(first[_random.Next(first.Length)]);
        for (var n = _random.Next(0, _random.Next(2) == 0 ? 10 : 127); n > 0; n--) sb.Append((first + ".-")[_random.Next(first.Length + 2)]);
        return sb.ToString();
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private List<(JsonNode Parent, string? Key, int Index)> Slots(JsonNode root)
    {
        var slots = new List<(JsonNode, string?, int)>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (key, child) in o) { slots.Add((o, key, -1)); Walk(child); }
                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++) { slots.Add((a, null, i)); Walk(a[i]); }
                    break;
            }
        }
        Walk(root);
        return slots;
    }

    private JsonNode? RandomValue() => _random.Next(9) switch
    {
        0 => null,
        1 => _random.Next(2) == 0,
        2 => _random.Next(int.MinValue, int.MaxValue),
        3 => 1.5e300,
        4 => new JsonObject(),
        5 => new JsonArray(1, "x", null),
        6 => Pick(OddNames),
        7 => new JsonObject { ["kind"] = Pick(OddKinds), ["name"] = Pick(OddNames) },
        _ => "",
    };

    private string ReplaceAnyNode(JsonObject review)
    {
        var slots = Slots(review);
        var (parent, key, index) = slots[_random.Next(slots.Count)];
        var value = RandomValue();
        if (key is not null) parent[key] = value; else parent.AsArray()[index] = value;
        return $"replace {key ?? index.ToString()} with {value?.ToJsonString() ?? "null"}";
    }

    private string RemoveAnyProperty(JsonObject review)
    {
        var slots = Slots(review).Where(s => s.Key is not null).ToList();
        var (parent, key, _) = slots[_random.Next(slots.Count)];
        parent.AsObject().Remove(key!);
        return "remove " + key;
    }

    private static string Set(JsonObject review, string[] path, string value)
    {
        JsonNode? node = review;
        foreach (var segment in path[..^1])
        {
            if (node is not JsonObject o) return "set skipped";
            node = o[segment] ??= new JsonObject();
        }
        if (node is not JsonObject target) return "set skipped";
        target[path[^1]] = value;
        return $"set {string.Join('.', path)} = {(value.Length > 40 ? value[..40] + "…" : value)}";
    }

    private string Nest(JsonObject review)
    {
        var depth = _random.Next(10, 120);
        JsonNode nested = "deep";
        for (var i = 0; i < depth; i++) nested = _random.Next(2) == 0 ? new JsonArray(nested) : new JsonObject { ["n"] = nested };
        var slots = Slots(review).Where(s => s.Key is not null).ToList();
        var (parent, key, _) = slots[_random.Next(slots.Count)];
        parent[key!] = nested;
        return $"nest {depth} deep at {key}";
    }

    private string SurrogateInAnyString(JsonObject review)
    {
        var slots = Slots(review).Where(s => s.Key is not null && s.Parent[s.Key] is JsonValue v && v.GetValueKind() == JsonValueKind.String).ToList();
        if (slots.Count == 0) return "no string for a surrogate";
        var (parent, key, _) = slots[_random.Next(slots.Count)];
        parent[key!] = parent[key!]!.GetValue<string>() + Surrogate;
        return "unpaired surrogate escape in " + key;
    }

    /// <summary>Writes the tree; object number <paramref name="duplicateAt"/> (in document order) gets its first property twice.</summary>
    private static byte[] Serialize(JsonNode root, int duplicateAt)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true, MaxDepth = 1000 }))
        {
            var objects = 0;
            void Write(JsonNode? node)
            {
                switch (node)
                {
                    case JsonObject o:
                        writer.WriteStartObject();
                        var duplicate = ++objects == duplicateAt;
                        foreach (var (key, child) in o)
                        {
                            writer.WritePropertyName(key);
                            Write(child);
                            if (!duplicate) continue;
                            writer.WritePropertyName(key);
                            Write(child);
                            duplicate = false;
                        }
                        writer.WriteEndObject();
                        break;
                    case JsonArray a:
                        writer.WriteStartArray();
                        foreach (var child in a) Write(child);
                        writer.WriteEndArray();
                        break;
                    case null:
                        writer.WriteNullValue();
                        break;
                    default:
                        node.WriteTo(writer);
                        break;
                }
            }
            Write(root);
        }
        var text = Encoding.UTF8.GetString(buffer.ToArray());
        return Encoding.UTF8.GetBytes(text.Replace(Surrogate, "\\ud800"));
    }

    private (byte[], string) MutateBytes(byte[] bytes)
    {
        var at = _random.Next(bytes.Length);
        switch (_random.Next(4))
        {
            case 0:
                byte[] invalid = Pick<byte[]>([[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF]]);
                return ([.. bytes[..at], .. invalid, .. bytes[at..]], $"invalid UTF-8 at byte {at}");
            case 1:
                return (bytes[..at], $"truncated at byte {at}");
            case 2:
                var flipped = (byte[])bytes.Clone();
                flipped[at] ^= (byte)(1 << _random.Next(8));
                return (flipped, $"bit flip at byte {at}");
            default:
                return ([0xEF, 0xBB, 0xBF, .. bytes], "byte order mark");
        }
    }
}
