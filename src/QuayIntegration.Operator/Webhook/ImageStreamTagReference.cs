namespace QuayIntegration.Operator.Webhook;

/// <summary>An ImageStreamTag a Build outputs to: <c>namespace/stream:tag</c>, the tag defaulting to <c>latest</c>.</summary>
public sealed record ImageStreamTagReference(string Namespace, string Stream, string Tag)
{
    public const string DefaultTag = "latest";

    /// <summary>The form recorded in <see cref="BuildAnnotations.DestinationImageStream"/>.</summary>
    public override string ToString() => $"{Namespace}/{Stream}:{Tag}";

    /// <summary>Parses an output reference's name (<c>stream</c> or <c>stream:tag</c>) in its namespace.</summary>
    public static ImageStreamTagReference? FromOutputName(string ns, string? name)
    {
        if (string.IsNullOrEmpty(ns) || string.IsNullOrEmpty(name)) return null;
        var colon = name.IndexOf(':');
        var stream = colon < 0 ? name : name[..colon];
        var tag = colon < 0 ? DefaultTag : name[(colon + 1)..];
        if (stream.Length == 0 || tag.Length == 0 || tag.Contains(':') || stream.Contains('/') || stream.Contains('@')) return null;
        return new(ns, stream, tag);
    }

    /// <summary>Parses the annotation form <c>namespace/stream:tag</c>; null when it is not exactly that.</summary>
    public static ImageStreamTagReference? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var slash = value.IndexOf('/');
        if (slash <= 0 || !value.Contains(':')) return null;
        return FromOutputName(value[..slash], value[(slash + 1)..]);
    }
}
