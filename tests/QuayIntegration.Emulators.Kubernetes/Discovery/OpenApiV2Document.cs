using System.Text;
using System.Text.Json.Nodes;

namespace QuayIntegration.Emulators.Kubernetes.Discovery;

/// <summary>
/// <c>/openapi/v2</c>: an empty Swagger 2.0 document (no definitions). Older kubectl (≤1.29) fetches it before
/// <c>apply</c>, in the gnostic protobuf encoding it asks for, and fails if it is missing; with no definitions it falls
/// back to its compiled-in patch metadata and to JSON merge patch for other types, while validation goes through
/// OpenAPI v3's <c>fieldValidation</c> support.
/// </summary>
public static class OpenApiV2Document
{
    public const string ProtobufMediaType = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

    public static JsonObject Json(string version) => new()
    {
        ["swagger"] = "2.0",
        ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = version },
        ["paths"] = new JsonObject(),
        ["definitions"] = new JsonObject(),
    };

    /// <summary>openapi_v2.Document{swagger=1, info=2{title=1, version=2}, paths=8{}} in protobuf wire format.</summary>
    public static byte[] Protobuf(string version)
    {
        var info = Concat(LengthDelimited(1, Encoding.UTF8.GetBytes("Kubernetes")), LengthDelimited(2, Encoding.UTF8.GetBytes(version)));
        return Concat(LengthDelimited(1, Encoding.UTF8.GetBytes("2.0")), LengthDelimited(2, info), LengthDelimited(8, []));
    }

    private static byte[] LengthDelimited(int field, byte[] payload) => Concat(Varint((ulong)(field << 3 | 2)), Varint((ulong)payload.Length), payload);

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            if (value != 0) b |= 0x80;
            bytes.Add(b);
        } while (value != 0);
        return [.. bytes];
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
