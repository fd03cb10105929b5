using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// Turns a Quay HTTP answer into a <see cref="QuayOutcome"/>. Pure: it sees only status, content type and body.
/// Quay mixes three error body shapes (A: detail/error_message/error_type, B: message, C: error with text/html),
/// so the message is read from whichever is present and matched on the few literals a client may rely on.
/// </summary>
public static partial class QuayResponseClassifier
{
    /// <summary>2xx: whatever the body says, the call did what it asked.</summary>
    public static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;

    /// <summary>
    /// The outcome of an answer, and its message: Quay's error text, or the short form of a page that is not Quay's.
    /// A success has no message, so its body (which can be megabytes) is never searched for one.
    /// </summary>
    public static QuayOutcome Classify(HttpStatusCode status, string? contentType, string body, out string message)
    {
        var code = (int)status;
        if (IsSuccess(status))
        {
            message = "";
            return QuayOutcome.Success;
        }
        var error = ParseError(body, out var errorType);
        message = error.Length > 0 ? error : Truncate(body);

        switch (code)
        {
            case 400:
                if (Contains(error, "Could not find robot")) return QuayOutcome.NotFound;
                // "has already been taken": Quay's insert lost a race with a concurrent create after its own existence check.
                if (Contains(error, "Existing robot") || Contains(error, "already exists") || Contains(error, "has already been taken"))
                    return QuayOutcome.AlreadyExists;
                if (Contains(error, "is not available")) return QuayOutcome.NameNotAvailableYet;
                if (Contains(error, "Invalid namespace") || Contains(error, "is invalid") || Contains(error, "Invalid repository name"))
                    return QuayOutcome.InvalidName;
                if (Contains(error, "User does not have permission for repo")) return QuayOutcome.NotFound;
                return QuayOutcome.Unexpected;
            case 401:
                // Anonymous (the token was unknown and silently dropped) or a token without user:read on /user/.
                return QuayOutcome.BadToken;
            case 403:
                // A write without a valid OAuth token is refused by Quay's CSRF check before any endpoint logic.
                if (Contains(error, "CSRF")) return QuayOutcome.BadToken;
                if (errorType == "insufficient_scope" || IsJson(contentType)) return QuayOutcome.Forbidden;
                return QuayOutcome.Unexpected; // an HTML 403 from a catch-all route: wrong base URL or trailing slash
            case 404:
                return IsJson(contentType) ? QuayOutcome.NotFound : QuayOutcome.Unexpected;
            case 408 or 429 or 502 or 503 or 504 or 520:
                return QuayOutcome.Unavailable;
            case >= 500:
                return QuayOutcome.Unavailable;
            default:
                return QuayOutcome.Unexpected;
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && contentType.Contains("json", StringComparison.OrdinalIgnoreCase);

    private static bool Contains(string text, string fragment) => text.Contains(fragment, StringComparison.OrdinalIgnoreCase);

    private static string ParseError(string body, out string? errorType)
    {
        errorType = null;
        if (string.IsNullOrWhiteSpace(body)) return "";
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return "";
            var root = doc.RootElement;
            if (root.TryGetProperty("error_type", out var t) && t.ValueKind == JsonValueKind.String) errorType = t.GetString();
            foreach (var key in new[] { "error_message", "detail", "message", "error" })
                if (root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s)
                    return s;
            return "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    [GeneratedRegex("<title>([^<]*)</title>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HtmlTitle();

    private static string Truncate(string body)
    {
        // nginx and Quay error pages are HTML: their <title> says it all ("503 Service Temporarily Unavailable").
        var title = HtmlTitle().Match(body);
        if (title.Success) return title.Groups[1].Value.Trim();
        var oneLine = body.ReplaceLineEndings(" ").Trim();
        return oneLine.Length <= 200 ? oneLine : oneLine[..200] + "…";
    }
}
