using System.Text.RegularExpressions;
using k8s.Models;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// A QuayIntegration's <c>spec.namespaceSelector</c>: a Kubernetes label selector (matchLabels and matchExpressions,
/// all of them required), checked the way the API server checks one (<c>metav1.LabelSelectorAsSelector</c>) so that a
/// selector kubectl accepts means the same here. No selector selects every namespace.
/// </summary>
public sealed partial class NamespaceSelector
{
    public static readonly NamespaceSelector Everything = new([], "");

    private readonly IReadOnlyList<Requirement> _requirements;

    private NamespaceSelector(IReadOnlyList<Requirement> requirements, string text)
    {
        _requirements = requirements;
        Text = text;
    }

    /// <summary>kubectl's spelling (<c>team=a,tier in (dev,test),!legacy</c>): in messages and fingerprints.</summary>
    public string Text { get; }

    public bool Matches(IDictionary<string, string>? labels) => _requirements.All(r => r.Matches(labels));

    private sealed record Requirement(string Key, string Operator, IReadOnlyList<string> Values)
    {
        public bool Matches(IDictionary<string, string>? labels)
        {
            var has = labels is not null && labels.TryGetValue(Key, out var value);
            var current = has ? labels![Key] : null;
            return Operator switch
            {
                "In" => has && Values.Contains(current!),
                "NotIn" => !has || !Values.Contains(current!),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
        }

        public override string ToString() => Operator switch
        {
            "In" when Values.Count == 1 => $"{Key}={Values[0]}",
            "In" => $"{Key} in ({string.Join(',', Values)})",
            "NotIn" => $"{Key} notin ({string.Join(',', Values)})",
            "Exists" => Key,
            _ => "!" + Key,
        };
    }

    // Label keys: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters; values at most 63
    // (k8s.io/apimachinery/pkg/util/validation IsQualifiedName and IsValidLabelValue).
    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePart();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Subdomain();

    /// <summary>The selector, or null with the errors (field by field) added.</summary>
    public static NamespaceSelector? Parse(V1LabelSelector? selector, List<string> errors)
    {
        if (selector is null) return Everything;
        var before = errors.Count;
        var requirements = new List<Requirement>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
        {
            CheckKey("spec.namespaceSelector.matchLabels", key, errors);
            CheckValue($"spec.namespaceSelector.matchLabels[{key}]", value, errors);
            requirements.Add(new Requirement(key, "In", [value]));
        }
        var index = 0;
        foreach (var expression in selector.MatchExpressions ?? [])
        {
            var field = $"spec.namespaceSelector.matchExpressions[{index++}]";
            CheckKey(field + ".key", expression.Key ?? "", errors);
            var values = expression.Values?.ToList() ?? [];
            switch (expression.OperatorProperty)
            {
                case "In" or "NotIn":
                    if (values.Count == 0) errors.Add($"{field}: operator {expression.OperatorProperty} needs at least one value");
                    foreach (var v in values) CheckValue(field + ".values", v, errors);
                    break;
                case "Exists" or "DoesNotExist":
                    if (values.Count > 0) errors.Add($"{field}: operator {expression.OperatorProperty} takes no values");
                    break;
                default:
                    errors.Add($"{field}: operator '{expression.OperatorProperty}' must be In, NotIn, Exists or DoesNotExist");
                    break;
            }
            requirements.Add(new Requirement(expression.Key ?? "", expression.OperatorProperty ?? "", values.Order(StringComparer.Ordinal).ToList()));
        }
        if (errors.Count > before) return null;
        requirements.Sort((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
        return new NamespaceSelector(requirements, string.Join(',', requirements));
    }

    private static void CheckKey(string field, string key, List<string> errors)
    {
        var slash = key.LastIndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        var prefix = slash < 0 ? null : key[..slash];
        if (name.Length is 0 or > 63 || !NamePart().IsMatch(name) || (prefix is not null && (prefix.Length is 0 or > 253 || !Subdomain().IsMatch(prefix))))
            errors.Add($"{field}: '{Bounded(key)}' is not a label key (an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.')");
    }

    private static void CheckValue(string field, string value, List<string> errors)
    {
        if (value.Length > 63 || (value.Length > 0 && !NamePart().IsMatch(value)))
            errors.Add($"{field}: '{Bounded(value)}' is not a label value (at most 63 letters, digits, '-', '_' or '.')");
    }

    private static string Bounded(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
