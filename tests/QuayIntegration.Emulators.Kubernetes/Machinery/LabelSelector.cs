namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>A parsed label selector in the string syntax of <c>?labelSelector=</c>: <c>a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a</c>.</summary>
public sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }
    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;
    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly LabelSelector Everything = new([]);
    public bool IsEverything => _requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r.Op switch
    {
        Op.Equals => labels.TryGetValue(r.Key, out var v) && v == r.Values[0],
        Op.NotEquals => !labels.TryGetValue(r.Key, out var v) || v != r.Values[0],
        Op.In => labels.TryGetValue(r.Key, out var v) && r.Values.Contains(v),
        Op.NotIn => !labels.TryGetValue(r.Key, out var v) || !r.Values.Contains(v),
        Op.Exists => labels.ContainsKey(r.Key),
        Op.DoesNotExist => !labels.ContainsKey(r.Key),
        _ => false,
    });

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var requirements = new List<Requirement>();
        foreach (var clause in SplitTopLevel(text))
        {
            var c = clause.Trim();
            if (c.Length == 0) throw Invalid(text, "empty requirement");
            requirements.Add(ParseRequirement(c, text));
        }
        return new LabelSelector(requirements);
    }

    /// <summary>Builds a selector from a metav1.LabelSelector object (matchLabels + matchExpressions), as webhooks use.</summary>
    public static LabelSelector FromObject(System.Text.Json.Nodes.JsonNode? selector)
    {
        if (selector is not System.Text.Json.Nodes.JsonObject o) return Everything;
        var requirements = new List<Requirement>();
        foreach (var (k, v) in o["matchLabels"].StringMap()) requirements.Add(new Requirement(k, Op.Equals, [v]));
        if (o["matchExpressions"] is System.Text.Json.Nodes.JsonArray exprs)
            foreach (var e in exprs)
            {
                var key = e.Str("key") ?? "";
                var values = e?["values"].StringList() ?? [];
                var op = e.Str("operator") switch
                {
                    "In" => Op.In, "NotIn" => Op.NotIn, "Exists" => Op.Exists, "DoesNotExist" => Op.DoesNotExist,
                    var other => throw Errors.BadRequest($"\"{other}\" is not a valid label selector operator"),
                };
                requirements.Add(new Requirement(key, op, values));
            }
        return new LabelSelector(requirements);
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        if (depth != 0) throw Invalid(text, "unbalanced parentheses");
        yield return text[start..];
    }

    private static Requirement ParseRequirement(string c, string whole)
    {
        if (c.StartsWith('!')) return new Requirement(Key(c[1..].Trim(), whole), Op.DoesNotExist, []);
        var setMatch = System.Text.RegularExpressions.Regex.Match(c, @"^(\S+)\s+(in|notin)\s*\((.*)\)$");
        if (setMatch.Success)
        {
            var values = setMatch.Groups[3].Value.Split(',').Select(v => v.Trim()).ToList();
            foreach (var v in values)
                if (!NameRules.IsLabelValue(v)) throw Invalid(whole, $"invalid label value: \"{v}\"");
            return new Requirement(Key(setMatch.Groups[1].Value, whole), setMatch.Groups[2].Value == "in" ? Op.In : Op.NotIn, values);
        }
        foreach (var (token, op) in new[] { ("!=", Op.NotEquals), ("==", Op.Equals), ("=", Op.Equals) })
        {
            var idx = c.IndexOf(token, StringComparison.Ordinal);
            if (idx < 0) continue;
            var value = c[(idx + token.Length)..].Trim();
            if (!NameRules.IsLabelValue(value)) throw Invalid(whole, $"invalid label value: \"{value}\"");
            return new Requirement(Key(c[..idx].Trim(), whole), op, [value]);
        }
        return new Requirement(Key(c, whole), Op.Exists, []);
    }

    private static string Key(string key, string whole) =>
        NameRules.IsQualifiedName(key) ? key : throw Invalid(whole, $"invalid label key \"{key}\"");

    private static ApiException Invalid(string text, string why) => Errors.BadRequest($"unable to parse requirement: {why} (selector \"{text}\")");
}
