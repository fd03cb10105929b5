using System.Text.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// The API server prunes what a CustomResourceDefinition's schema does not know, silently. Run against an older
/// QuayNamespace CustomResourceDefinition (the operator's image upgraded, its CRDs not), a record written loses the
/// fields this version added: a create's <c>pendingSince</c>, for one, after which every look starts the create's
/// grace afresh and the wait never ends. What was sent is compared with what the API server kept, so the loss is told
/// at the first write it happens to, not guessed from behaviour later.
/// </summary>
public static partial class DroppedRecordFields
{
    /// <summary>The most paths a report names; the rest are counted.</summary>
    private const int MostNamed = 5;

    /// <summary>
    /// The JSON paths (<c>spec.organizations[0].pendingSince</c>) that <paramref name="sent"/> holds with a value and
    /// <paramref name="kept"/> does not. Values that differ are not losses (the API server may normalise a time); nulls
    /// are never sent.
    /// </summary>
    public static List<string> Between(OwnershipRecord sent, OwnershipRecord kept)
    {
        var dropped = new List<string>();
        Walk(JsonSerializer.SerializeToNode(sent, ApiJsonContext.Default.OwnershipRecord),
            JsonSerializer.SerializeToNode(kept, ApiJsonContext.Default.OwnershipRecord), "spec", dropped);
        return dropped;
    }

    /// <summary>
    /// The fields a write with <c>fieldValidation=Strict</c> was refused for, from the API server's message; empty for
    /// any other refusal. A create's or an update's is <c>QuayNamespace in version "v1" cannot be handled as a
    /// QuayNamespace: strict decoding error: unknown field "spec.a", unknown field "spec.b"</c> (the decoding error
    /// behind the kind, as for every decoding error of a create or an update), a patch's the strict error alone.
    /// </summary>
    public static List<string> Refused(string message) =>
        message.IndexOf(StrictDecodingError, StringComparison.Ordinal) is >= 0 and var at
            ? UnknownField().Matches(message, at).Select(m => m.Groups[1].Value).ToList()
            : [];

    private const string StrictDecodingError = "strict decoding error:";

    [System.Text.RegularExpressions.GeneratedRegex("unknown field \"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex UnknownField();

    /// <summary>The paths, for a message: the first few, and how many more.</summary>
    public static string Describe(IReadOnlyList<string> paths) =>
        string.Join(", ", paths.Take(MostNamed)) + (paths.Count > MostNamed ? $" and {paths.Count - MostNamed} more" : "");

    private static void Walk(JsonNode? sent, JsonNode? kept, string path, List<string> dropped)
    {
        switch (sent)
        {
            case null:
                return;
            case JsonObject fields:
                foreach (var (name, value) in fields)
                {
                    if (value is null) continue;
                    var keptValue = (kept as JsonObject)?[name];
                    if (keptValue is null) dropped.Add($"{path}.{name}");
                    else Walk(value, keptValue, $"{path}.{name}", dropped);
                }
                return;
            case JsonArray items:
                var keptItems = kept as JsonArray;
                for (var i = 0; i < items.Count; i++)
                {
                    if (keptItems is null || i >= keptItems.Count) dropped.Add($"{path}[{i}]");
                    else Walk(items[i], keptItems[i], $"{path}[{i}]", dropped);
                }
                return;
        }
    }
}

/// <summary>
/// A record refused, or written without, fields this operator relies on (<see cref="DroppedRecordFields"/>): nothing more is done
/// in Quay for its namespace, since what would be done could not be remembered, until the CustomResourceDefinition is
/// brought up to this version. Not a retry's matter: reported at once.
/// </summary>
public sealed class RecordFieldsDroppedException(string ns, IReadOnlyList<string> paths)
    : Exception($"the API server does not know {DroppedRecordFields.Describe(paths)} of the ownership record (QuayNamespace {ns}), and refuses or drops it: " +
                "the QuayNamespace CustomResourceDefinition is older than this operator, so what the operator must remember of what it does " +
                "in Quay cannot be kept, and nothing more is done there for this namespace; apply this version's " +
                "deploy/base/crds/quay.redhat.com_quaynamespaces.yaml (or its bundle's), and it goes on");
