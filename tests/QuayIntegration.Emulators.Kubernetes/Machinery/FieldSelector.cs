namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>A parsed <c>?fieldSelector=</c>: comma-separated <c>field=value</c>, <c>field==value</c>, <c>field!=value</c>.</summary>
public sealed class FieldSelector
{
    private sealed record Term(string Field, bool Equal, string Value);
    private readonly List<Term> _terms;
    private FieldSelector(List<Term> terms) => _terms = terms;

    public static readonly FieldSelector Everything = new([]);

    /// <summary>The name an exact <c>metadata.name=</c> term pins, which single-object watches use.</summary>
    public string? RequiredName => _terms.FirstOrDefault(t => t.Field == "metadata.name" && t.Equal)?.Value;

    public static FieldSelector Parse(string? text, IReadOnlySet<string> supportedFields, string resource)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var terms = new List<Term>();
        foreach (var raw in text.Split(','))
        {
            var clause = raw.Trim();
            Term term;
            if (clause.IndexOf("!=", StringComparison.Ordinal) is var ne and > 0) term = new Term(clause[..ne], false, clause[(ne + 2)..]);
            else if (clause.IndexOf("==", StringComparison.Ordinal) is var eq2 and > 0) term = new Term(clause[..eq2], true, clause[(eq2 + 2)..]);
            else if (clause.IndexOf('=') is var eq and > 0) term = new Term(clause[..eq], true, clause[(eq + 1)..]);
            else throw Errors.BadRequest($"invalid selector: '{text}'; can't understand '{clause}'");
            if (!supportedFields.Contains(term.Field))
                throw Errors.BadRequest($"field label not supported: {term.Field}");
            terms.Add(term);
        }
        return new FieldSelector(terms);
    }

    public bool Matches(IReadOnlyDictionary<string, string> fields) =>
        _terms.All(t => (fields.TryGetValue(t.Field, out var v) ? v : "") == t.Value == t.Equal);
}
