namespace QuayIntegration.Operator.Webhook;

/// <summary>An ImageStreamTag a Build outputs to: <c>namespace/stream:tag</c>, every part valid by OpenShift's rules.</summary>
public sealed record ImageStreamTagReference(string Namespace, string Stream, string Tag)
{
    /// <summary>The form recorded in <see cref="BuildAnnotations.DestinationImageStream"/>.</summary>
    public override string ToString() => $"{Namespace}/{Stream}:{Tag}";

    /// <summary>The tag OpenShift reads an empty one as (library-go's DefaultImageTag).</summary>
    public const string DefaultTag = "latest";

    /// <summary>
    /// Reads an ImageStreamTag output's name, which must be <c>&lt;imagestream&gt;:&lt;tag&gt;</c> with exactly one
    /// <c>:</c>, in namespace <paramref name="ns"/>. OpenShift's Build validation refuses a name without a <c>:</c>
    /// (so <c>app</c> is never turned into <c>app:latest</c> here), but accepts an empty tag, and the build controller
    /// then pushes <c>app:</c> to <c>app:latest</c> (both split the name with library-go's SplitImageStreamTag, which
    /// defaults an empty tag): so does this. Otherwise null and what is wrong, with the offending value quoted.
    /// </summary>
    public static ImageStreamTagReference? FromOutputName(string ns, string? name, out string? problem)
    {
        problem = Problem(ns, name);
        if (problem is not null) return null;
        var colon = name!.IndexOf(':');
        var tag = name[(colon + 1)..];
        return new(ns, name[..colon], tag.Length == 0 ? DefaultTag : tag);
    }

    private static string? Problem(string ns, string? name)
    {
        if (string.IsNullOrEmpty(name)) return "an ImageStreamTag output needs a name, <imagestream>:<tag>";
        // Before counting colons: a digest has one of its own (sha256:…).
        if (name.Contains('@'))
            return $"ImageStreamTag {UserText.Quote(name)} names a digest; a build can only push to a tag, <imagestream>:<tag>";
        var colon = name.IndexOf(':');
        if (colon < 0) return $"ImageStreamTag {UserText.Quote(name)} has no tag; it must be <imagestream>:<tag>";
        if (name.IndexOf(':', colon + 1) >= 0) return $"ImageStreamTag {UserText.Quote(name)} has more than one ':'; it must be <imagestream>:<tag>";
        var stream = name[..colon];
        if (!ImageReferenceGrammar.IsValidImageStreamName(stream))
            return $"ImageStream name {UserText.Quote(stream)} is invalid ({ImageReferenceGrammar.ImageStreamNameRule})";
        var tag = name[(colon + 1)..];
        if (tag.Length > 0 && !ImageReferenceGrammar.IsValidTag(tag)) return $"tag {UserText.Quote(tag)} is invalid ({ImageReferenceGrammar.TagRule})";
        if (!ImageReferenceGrammar.IsValidNamespace(ns)) return $"namespace {UserText.Quote(ns)} is invalid ({ImageReferenceGrammar.NamespaceRule})";
        return null;
    }

    /// <summary>Parses the annotation form <c>namespace/stream:tag</c>; null when it is not exactly that.</summary>
    public static ImageStreamTagReference? Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        var slash = value.IndexOf('/');
        if (slash <= 0) return null;
        return FromOutputName(value[..slash], value[(slash + 1)..], out _);
    }
}
