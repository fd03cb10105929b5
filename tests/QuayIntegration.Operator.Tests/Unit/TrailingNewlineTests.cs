using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// .NET's <c>$</c> also matches before a final newline, where Go's (the API server's, Quay's, the registry's grammars)
/// matches only at the end. Every name and value the operator checks against a pattern must refuse a trailing
/// newline, or it would accept what the systems it writes to refuse (or worse, put it in an organization or Secret name).
/// </summary>
public class TrailingNewlineTests
{
    public static TheoryData<string, Func<string, bool>> Validators => new()
    {
        { "tag", ImageReferenceGrammar.IsValidTag },
        { "imagestream", ImageReferenceGrammar.IsValidImageStreamName },
        { "namespace", ImageReferenceGrammar.IsValidNamespace },
        { "quay.example.com/org/app", r => ImageReferenceGrammar.IsValidTaggedReference(r, "v1") },
        { "v1", t => ImageReferenceGrammar.IsValidTaggedReference("quay.example.com/org/app", t) },
        { "org_name", QuayNames.IsValidNamespace },
        { "app/sub", QuayNames.IsValidRepository },
        { "5m", text => GoDuration.TryParse(text, out _) },
        { "cluster-a", ClusterIdIsValid },
        { "builder", ServiceAccountIsValid },
        { "team", value => SelectorIsValid("team", value) },
        { "example.com/team", key => SelectorIsValid(key, "a") },
    };

    [Theory]
    [MemberData(nameof(Validators))]
    public void A_valid_value_with_a_trailing_newline_is_refused(string valid, Func<string, bool> isValid)
    {
        Assert.True(isValid(valid), $"'{valid}' should be valid");
        Assert.False(isValid(valid + "\n"), $"'{valid}' followed by a newline was accepted");
    }

    private static bool ClusterIdIsValid(string id)
    {
        IntegrationConfig.Parse(Spec(s => s.ClusterId = id), out var errors);
        return errors.Count == 0;
    }

    private static bool ServiceAccountIsValid(string name)
    {
        IntegrationConfig.Parse(Spec(s => s.ServiceAccounts = [new() { Name = name, Role = "read" }]), out var errors);
        return errors.Count == 0;
    }

    private static bool SelectorIsValid(string key, string value)
    {
        var errors = new List<string>();
        NamespaceSelector.Parse(new V1LabelSelector { MatchLabels = new Dictionary<string, string> { [key] = value } }, errors);
        return errors.Count == 0;
    }

    private static QuayIntegrationSpec Spec(Action<QuayIntegrationSpec> change)
    {
        var spec = ConfigTests.Valid();
        change(spec);
        return spec;
    }
}
