using System.Text.Json;
using System.Text.Unicode;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Parses a request body as strict JSON, or says in one fixed line why not: never the parser's exception text, which
/// quotes the input. Everything System.Text.Json would only notice later, lazily, inside the policy (invalid UTF-8,
/// an escaped unpaired surrogate) is found here, so once this returns a document every string in it can be read.
/// The document is read in place: no tree of nodes, its index rented from the shared pool until it is disposed.
/// </summary>
public static class StrictJson
{
    /// <summary>Far deeper than any Kubernetes object (managedFields included), shallow enough to bound the work.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = MaxDepth,
        // Two values for one key: the API server would have used one, this parser another. Refuse instead.
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>The document (which reads <paramref name="utf8"/> in place: keep it unchanged until the document is disposed), or null and why not.</summary>
    public static JsonDocument? Parse(ReadOnlyMemory<byte> utf8, out string? problem)
    {
        problem = null;
        // System.Text.Json checks UTF-8 only when a string is read, which would be in the middle of the policy.
        if (!Utf8.IsValid(utf8.Span))
        {
            problem = "the body is not valid UTF-8";
            return null;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException e)
        {
            // The position is the reader's (absent for a repeated name, found after reading); the text never quotes the body.
            var at = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            problem = $"the body is not valid JSON{at}: it must be one object, without repeated property names, nested at most {MaxDepth} deep";
            return null;
        }
        catch (InvalidOperationException)
        {
            // The duplicate-name check unescapes property names: an escaped unpaired surrogate in one ends here.
            problem = UnpairedSurrogate;
            return null;
        }
        if (MayHoldSurrogateEscapes(utf8.Span) && !AllStringsReadable(document.RootElement))
        {
            document.Dispose();
            problem = UnpairedSurrogate;
            return null;
        }
        return document;
    }

    private const string UnpairedSurrogate = "the body holds a string with an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF)";

    /// <summary>
    /// Valid UTF-8 cannot encode a surrogate, so an unpaired one can only come from a <c>\uD…</c> escape. Looking for
    /// that first keeps the walk below off the path of ordinary reviews.
    /// </summary>
    private static bool MayHoldSurrogateEscapes(ReadOnlySpan<byte> utf8)
    {
        for (var rest = utf8; ;)
        {
            var at = rest.IndexOf("\\u"u8);
            if (at < 0 || at + 2 >= rest.Length) return false;
            if (rest[at + 2] is (byte)'d' or (byte)'D') return true;
            rest = rest[(at + 2)..];
        }
    }

    /// <summary>Reads every string and property name once (recursion bounded by <see cref="MaxDepth"/>).</summary>
    private static bool AllStringsReadable(JsonElement root)
    {
        try
        {
            Visit(root);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        static void Visit(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        Visit(property.Value);
                    }
                    break;
                case JsonValueKind.Array:
                    foreach (var child in element.EnumerateArray()) Visit(child);
                    break;
                case JsonValueKind.String:
                    element.GetString();
                    break;
            }
        }
    }
}
