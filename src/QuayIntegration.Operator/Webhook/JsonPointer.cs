namespace QuayIntegration.Operator.Webhook;

/// <summary>RFC 6901 JSON pointers.</summary>
public static class JsonPointer
{
    /// <summary>Escapes one reference token: <c>~</c> first (so the <c>~</c> of <c>~1</c> is not escaped again), then <c>/</c>.</summary>
    public static string Escape(string token) => token.Replace("~", "~0").Replace("/", "~1");

    public static string Of(params string[] tokens) => "/" + string.Join('/', tokens.Select(Escape));
}
