namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Quotes a value taken from a request for a warning, a denial or a 400 answer: shortened and with control characters
/// replaced, so a hostile value can neither bloat the answer (the API server cuts warnings beyond a few KiB) nor break
/// it over several lines.
/// </summary>
public static class UserText
{
    public const int MaxQuoted = 40;

    public static string Quote(string? value)
    {
        if (value is null) return "null";
        var shown = value.Length > MaxQuoted ? value[..MaxQuoted] + "…" : value;
        return "'" + string.Create(shown.Length, shown, static (chars, text) =>
        {
            for (var i = 0; i < text.Length; i++) chars[i] = char.IsControl(text[i]) || char.IsSurrogate(text[i]) ? '?' : text[i];
        }) + "'";
    }
}
