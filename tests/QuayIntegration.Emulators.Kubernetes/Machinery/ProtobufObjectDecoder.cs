using System.Text;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>
/// Decodes <c>application/vnd.kubernetes.protobuf</c> request bodies for the few core types kubectl ≥1.33 sends that
/// way (<c>kubectl create namespace|configmap|secret|serviceaccount</c> and <c>kubectl create token</c>'s TokenRequest
/// use typed clients that prefer protobuf):
/// the <c>k8s\0</c> + runtime.Unknown envelope, then the type's generated.proto message, into the JSON the rest of the
/// server works with. Other kinds answer 415.
/// </summary>
public static class ProtobufObjectDecoder
{
    private enum T { String, Bytes, Bool, Int, Message, StringMap, BytesMap, Time, Skip }
    private sealed record Field(string Name, T Type, bool Repeated = false, Dictionary<int, Field>? Message = null);

    private static readonly Dictionary<int, Field> OwnerReference = new()
    {
        [1] = new("kind", T.String), [3] = new("name", T.String), [4] = new("uid", T.String), [5] = new("apiVersion", T.String),
        [6] = new("controller", T.Bool), [7] = new("blockOwnerDeletion", T.Bool),
    };

    private static readonly Dictionary<int, Field> ObjectMeta = new()
    {
        [1] = new("name", T.String), [2] = new("generateName", T.String), [3] = new("namespace", T.String), [5] = new("uid", T.String),
        [6] = new("resourceVersion", T.String), [7] = new("generation", T.Int), [8] = new("creationTimestamp", T.Skip),
        [9] = new("deletionTimestamp", T.Skip), [10] = new("deletionGracePeriodSeconds", T.Int), [11] = new("labels", T.StringMap),
        [12] = new("annotations", T.StringMap), [13] = new("ownerReferences", T.Message, true, OwnerReference),
        [14] = new("finalizers", T.String, true), [17] = new("managedFields", T.Skip),
    };

    private static readonly Dictionary<int, Field> ObjectReference = new()
    {
        [1] = new("kind", T.String), [2] = new("namespace", T.String), [3] = new("name", T.String), [4] = new("uid", T.String),
        [5] = new("apiVersion", T.String), [6] = new("resourceVersion", T.String), [7] = new("fieldPath", T.String),
    };

    private static readonly Dictionary<string, Dictionary<int, Field>> Kinds = new()
    {
        ["Namespace"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta),
            [2] = new("spec", T.Message, false, new() { [1] = new("finalizers", T.String, true) }),
            [3] = new("status", T.Skip),
        },
        ["ConfigMap"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta), [2] = new("data", T.StringMap), [3] = new("binaryData", T.BytesMap), [4] = new("immutable", T.Bool),
        },
        ["Secret"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta), [2] = new("data", T.BytesMap), [3] = new("type", T.String),
            [4] = new("stringData", T.StringMap), [5] = new("immutable", T.Bool),
        },
        ["ServiceAccount"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta), [2] = new("secrets", T.Message, true, ObjectReference),
            [3] = new("imagePullSecrets", T.Message, true, new() { [1] = new("name", T.String) }), [4] = new("automountServiceAccountToken", T.Bool),
        },
        // k8s.io/api/authentication/v1/generated.proto: TokenRequestSpec audiences = 1, boundObjectRef = 3, expirationSeconds = 4.
        ["TokenRequest"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta),
            [2] = new("spec", T.Message, false, new()
            {
                [1] = new("audiences", T.String, true), [4] = new("expirationSeconds", T.Int),
                [3] = new("boundObjectRef", T.Message, false, new() { [1] = new("kind", T.String), [2] = new("apiVersion", T.String), [3] = new("name", T.String), [4] = new("uid", T.String) }),
            }),
            [3] = new("status", T.Skip),
        },
        // k8s.io/api/authorization/v1 and authentication/v1 generated.proto: the reviews kubectl auth can-i/whoami send.
        ["SelfSubjectAccessReview"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta),
            [2] = new("spec", T.Message, false, new() { [1] = new("resourceAttributes", T.Message, false, ResourceAttributes), [2] = new("nonResourceAttributes", T.Message, false, NonResourceAttributes) }),
            [3] = new("status", T.Skip),
        },
        ["SubjectAccessReview"] = SubjectAccessReview,
        ["LocalSubjectAccessReview"] = SubjectAccessReview,
        ["SelfSubjectRulesReview"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta), [2] = new("spec", T.Message, false, new() { [1] = new("namespace", T.String) }), [3] = new("status", T.Skip),
        },
        ["SelfSubjectReview"] = new() { [1] = new("metadata", T.Message, false, ObjectMeta), [2] = new("status", T.Skip) },
        // k8s.io/api/certificates/v1/generated.proto: what kubectl certificate approve|deny PUTs to /approval.
        ["CertificateSigningRequest"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta),
            [2] = new("spec", T.Message, false, new()
            {
                [1] = new("request", T.Bytes), [2] = new("username", T.String), [3] = new("uid", T.String), [4] = new("groups", T.String, true),
                [5] = new("usages", T.String, true), [7] = new("signerName", T.String), [8] = new("expirationSeconds", T.Int),
            }),
            [3] = new("status", T.Message, false, new()
            {
                [1] = new("conditions", T.Message, true, new()
                {
                    [1] = new("type", T.String), [6] = new("status", T.String), [2] = new("reason", T.String), [3] = new("message", T.String),
                    [4] = new("lastUpdateTime", T.Time), [5] = new("lastTransitionTime", T.Time),
                }),
                [2] = new("certificate", T.Bytes),
            }),
        },
        ["TokenReview"] = new()
        {
            [1] = new("metadata", T.Message, false, ObjectMeta),
            [2] = new("spec", T.Message, false, new() { [1] = new("token", T.String), [2] = new("audiences", T.String, true) }),
            [3] = new("status", T.Skip),
        },
    };

    private static Dictionary<int, Field> ResourceAttributes => new()
    {
        [1] = new("namespace", T.String), [2] = new("verb", T.String), [3] = new("group", T.String), [4] = new("version", T.String),
        [5] = new("resource", T.String), [6] = new("subresource", T.String), [7] = new("name", T.String),
    };

    private static Dictionary<int, Field> NonResourceAttributes => new() { [1] = new("path", T.String), [2] = new("verb", T.String) };

    private static Dictionary<int, Field> SubjectAccessReview => new()
    {
        [1] = new("metadata", T.Message, false, ObjectMeta),
        [2] = new("spec", T.Message, false, new()
        {
            [1] = new("resourceAttributes", T.Message, false, ResourceAttributes), [2] = new("nonResourceAttributes", T.Message, false, NonResourceAttributes),
            [3] = new("user", T.String), [4] = new("groups", T.String, true), [6] = new("uid", T.String),
        }),
        [3] = new("status", T.Skip),
    };

    /// <summary>The groups whose kinds above may arrive as protobuf.</summary>
    private static readonly HashSet<string> ProtobufGroups = ["", "authorization.k8s.io", "authentication.k8s.io", "certificates.k8s.io"];

    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static JsonObject Decode(byte[] body, ResourceType type) =>
        !ProtobufGroups.Contains(type.Group) ? throw Errors.UnsupportedMediaType("application/vnd.kubernetes.protobuf") : Decode(body, type.Kind, type.GroupVersion);

    /// <summary>Decodes a body of the given kind (for subresources whose body is another kind, like TokenRequest).</summary>
    public static JsonObject Decode(byte[] body, string expectedKind, string defaultApiVersion)
    {
        if (body.Length < 4 || !body.AsSpan(0, 4).SequenceEqual(Magic)) throw Errors.BadRequest("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        if (!Kinds.TryGetValue(expectedKind, out var schema))
            throw Errors.UnsupportedMediaType("application/vnd.kubernetes.protobuf");
        try
        {
            var envelope = Read(body.AsSpan(4).ToArray(), new Dictionary<int, Field>
            {
                [1] = new("typeMeta", T.Message, false, new() { [1] = new("apiVersion", T.String), [2] = new("kind", T.String) }),
                [2] = new("raw", T.Bytes), [3] = new("contentEncoding", T.String), [4] = new("contentType", T.String),
            });
            var kind = envelope.At("typeMeta", "kind").AsString();
            if (kind is not null && kind != expectedKind) throw Errors.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({expectedKind})");
            var raw = envelope["raw"] is JsonValue v && v.TryGetValue<string>(out var b64) ? Convert.FromBase64String(b64) : [];
            var obj = Read(raw, schema);
            obj["apiVersion"] = envelope.At("typeMeta", "apiVersion")?.DeepClone() ?? defaultApiVersion;
            obj["kind"] = expectedKind;
            return obj;
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or FormatException or InvalidDataException)
        {
            throw Errors.BadRequest($"error decoding protobuf body: {e.Message}");
        }
    }

    private static JsonObject Read(byte[] data, Dictionary<int, Field> schema)
    {
        var obj = new JsonObject();
        var pos = 0;
        while (pos < data.Length)
        {
            var tag = ReadVarint(data, ref pos);
            var number = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            byte[]? payload = null;
            ulong scalar = 0;
            switch (wire)
            {
                case 0: scalar = ReadVarint(data, ref pos); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                    var length = (int)ReadVarint(data, ref pos);
                    payload = data.AsSpan(pos, length).ToArray();
                    pos += length;
                    break;
                default: throw new InvalidDataException($"unsupported wire type {wire}");
            }
            if (!schema.TryGetValue(number, out var field) || field.Type == T.Skip) continue;
            JsonNode? value = field.Type switch
            {
                T.String => Encoding.UTF8.GetString(payload ?? []),
                T.Bytes => Convert.ToBase64String(payload ?? []),
                T.Bool => scalar != 0,
                T.Int => (long)scalar,
                T.Message => Read(payload ?? [], field.Message!),
                // meta/v1 Time: message { int64 seconds = 1; int32 nanos = 2; }, serialized as RFC 3339 seconds.
                T.Time => Read(payload ?? [], new() { [1] = new("seconds", T.Int) }).Long("seconds") is { } seconds
                    ? Json.Timestamp(DateTimeOffset.FromUnixTimeSeconds(seconds)) : null,
                _ => null,
            };
            if (field.Type is T.StringMap or T.BytesMap)
            {
                var entry = Read(payload ?? [], new() { [1] = new("key", T.String), [2] = new("value", field.Type == T.StringMap ? T.String : T.Bytes) });
                if (obj[field.Name] is not JsonObject map) obj[field.Name] = map = new JsonObject();
                map[entry.Str("key") ?? ""] = entry["value"]?.DeepClone() ?? (field.Type == T.StringMap ? "" : "");
                continue;
            }
            // Generated marshalling writes every string and scalar, even empty; JSON omits them (omitempty).
            if (!field.Repeated && value is JsonValue jv && (jv.AsString() is "" || (field.Type == T.Bool && !(bool)jv) || (field.Type == T.Int && (long)jv == 0))) continue;
            if (field.Repeated)
            {
                if (obj[field.Name] is not JsonArray list) obj[field.Name] = list = new JsonArray();
                list.Add(value);
            }
            else obj[field.Name] = value;
        }
        return obj;
    }

    private static ulong ReadVarint(byte[] data, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[pos++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("varint too long");
    }
}
