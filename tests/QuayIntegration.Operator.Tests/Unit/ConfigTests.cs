using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;

namespace QuayIntegration.Operator.Tests.Unit;

public class ConfigTests
{
    internal static QuayIntegrationSpec Valid() => new()
    {
        QuayHostname = "https://quay.example.com",
        CredentialsSecret = new SecretKeyReference { Namespace = "ops", Name = "quay-token" },
    };

    [Fact]
    public void Defaults_match_upstream_and_the_crd()
    {
        var config = IntegrationConfig.Parse(Valid(), out var errors);
        Assert.Empty(errors);
        Assert.NotNull(config);
        Assert.Equal("openshift", config.ClusterId);
        Assert.Equal("openshift", config.OrganizationPrefix);
        Assert.Equal("token", config.CredentialsKey);
        Assert.Equal(["builder=write", "default=read", "deployer=read"], config.ServiceAccounts.Select(a => $"{a.Name}={a.Role}"));
        Assert.False(config.DeleteRepositories);
        Assert.False(config.DeleteOrganizationsOnCleanup);
        Assert.Equal(TimeSpan.FromMinutes(10), config.DriftCheckInterval);
        Assert.Equal(new Uri("https://quay.example.com/"), config.QuayUrl);
    }

    [Theory]
    [InlineData("quay.example.com", "not an http(s) URL")]
    [InlineData("ftp://quay.example.com", "not an http(s) URL")]
    [InlineData("https://quay.example.com/api", "without a path")]
    [InlineData("", "is required")]
    public void Bad_hostname_says_what_to_fix(string hostname, string fragment)
    {
        var spec = Valid();
        spec.QuayHostname = hostname;
        Assert.Null(IntegrationConfig.Parse(spec, out var errors));
        Assert.Contains(errors, e => e.Contains(fragment));
    }

    [Fact]
    public void Other_bad_values_are_reported_together()
    {
        var spec = Valid();
        spec.CredentialsSecret = null;
        spec.DriftCheckInterval = "ten minutes";
        spec.ServiceAccounts = [new() { Name = "builder", Role = "owner" }, new() { Name = "builder", Role = "read" }];
        spec.OrganizationPrefix = "bad--prefix";
        Assert.Null(IntegrationConfig.Parse(spec, out var errors));
        Assert.Contains(errors, e => e.Contains("credentialsSecret"));
        Assert.Contains(errors, e => e.Contains("driftCheckInterval"));
        Assert.Contains(errors, e => e.Contains("role 'owner'"));
        Assert.Contains(errors, e => e.Contains("more than once"));
        Assert.Contains(errors, e => e.Contains("prefix"));
    }

    [Theory]
    [InlineData("10m", 600_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("500ms", 500)]
    public void Go_durations_parse(string text, double ms)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(ms, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("m")]
    [InlineData("1d")]
    [InlineData("")]
    public void Bad_durations_do_not_parse(string text) => Assert.False(GoDuration.TryParse(text, out _));
}
