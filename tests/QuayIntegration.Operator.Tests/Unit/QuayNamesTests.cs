using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Tests.Unit;

public class QuayNamesTests
{
    [Theory]
    [InlineData("openshift_e2e-demo", true)]
    [InlineData("a--b", false)]
    [InlineData("a__b", false)]
    [InlineData("a._b", false)]
    [InlineData("-a", false)]
    [InlineData("a-", false)]
    [InlineData("a", false)]
    [InlineData("MyOrg", false)]
    [InlineData("ab", true)]
    public void Namespace_rule_matches_quay(string name, bool valid) => Assert.Equal(valid, QuayNames.IsValidNamespace(name));

    /// <summary>The organization any prefix gives a namespace, plain or mapped, and none of another namespace's.</summary>
    [Theory]
    [InlineData("openshift_team", "team", true)]
    [InlineData("team_a_team", "team", true)] // a prefix with an underscore
    [InlineData("openshift_team", "team-copy", false)]
    [InlineData("openshift_team-copy", "team", false)]
    [InlineData("openshift_team-copy", "copy", false)]
    [InlineData("team", "team", false)] // no prefix
    [InlineData("_team", "team", false)]
    public void An_organization_name_tells_which_namespace_it_is_for(string organization, string ns, bool expected) =>
        Assert.Equal(expected, QuayNames.IsOrganizationNameOf(organization, ns));

    [Fact]
    public void Every_organization_the_operator_names_is_its_namespaces()
    {
        foreach (var ns in new[] { "team", "team-copy", "a--b", "x-", "e2e-demo", "a-b-c--d" })
            foreach (var prefix in new[] { "openshift", "p_q", "Team" })
            {
                string organization;
                try { organization = QuayNames.OrganizationFor(prefix, ns); }
                catch (ArgumentException) { continue; }
                Assert.True(QuayNames.IsOrganizationNameOf(organization, ns), $"{organization} for {ns}");
                Assert.False(QuayNames.IsOrganizationNameOf(organization, ns + "-other"), $"{organization} for {ns}-other");
            }
    }

    [Fact]
    public void Namespace_length_limits_match_quay()
    {
        Assert.True(QuayNames.IsValidNamespace(new string('x', 255)));
        Assert.False(QuayNames.IsValidNamespace(new string('x', 256)));
    }

    [Fact]
    public void Organization_email_is_valid_for_quay_unique_per_organization_and_fits_quays_column()
    {
        Assert.Equal("openshift_e2e-demo@quay-integration.invalid", QuayNames.OrganizationEmailFor("openshift_e2e-demo"));
        // The longest organization names differ only at the end: their emails must still differ and fit 255 characters.
        var longA = new string('x', 250) + "_aaaa";
        var longB = new string('x', 250) + "_bbbb";
        var emails = new[] { longA, longB, new string('y', 230), new string('y', 231) }.Select(QuayNames.OrganizationEmailFor).ToList();
        Assert.Equal(emails.Count, emails.Distinct().Count());
        Assert.All(emails, e =>
        {
            Assert.InRange(e.Length, 1, 255);
            Assert.Matches(@"^[^@]+@[^@]+\.[^@]+$", e); // Quay's validate_email
            Assert.EndsWith("@quay-integration.invalid", e);
        });
        Assert.Equal(255, emails[0].Length);
        Assert.Equal(new string('y', 230) + "@quay-integration.invalid", emails[2]);
    }

    [Theory]
    [InlineData("openshift", "e2e-demo", "openshift_e2e-demo")]
    [InlineData("Prod", "My-App", "prod_my-app")]
    [InlineData("openshift", "a--b", "openshift_a.2.b")]
    [InlineData("openshift", "a---b--c", "openshift_a.3.b.2.c")]
    public void Organization_is_prefix_underscore_namespace_mapped_when_quay_rejects_it(string prefix, string ns, string expected) =>
        Assert.Equal(expected, QuayNames.OrganizationFor(prefix, ns));

    [Fact]
    public void Organization_mapping_is_valid_and_collision_free_over_many_namespace_names()
    {
        var names = new List<string>();
        var parts = new[] { "a", "b1", "x" };
        var seps = new[] { "-", "--", "---" };
        foreach (var p1 in parts)
        foreach (var s1 in seps)
        foreach (var p2 in parts)
        foreach (var s2 in seps)
        foreach (var p3 in parts)
        {
            names.Add($"{p1}{s1}{p2}");
            names.Add($"{p1}{s1}{p2}{s2}{p3}");
        }
        names.AddRange(["a2", "a-2-b", "a-2b", "a2-b", "a.2.b"[..1] + "-2-b"]);
        var distinct = names.Distinct().ToList();
        var mapped = distinct.Select(n => QuayNames.OrganizationFor("openshift", n)).ToList();
        Assert.All(mapped, m => Assert.True(QuayNames.IsValidNamespace(m), m));
        Assert.Equal(distinct.Count, mapped.Distinct().Count());
    }

    [Theory]
    [InlineData("builder", "builder")]
    [InlineData("pipeline", "pipeline")]
    [InlineData("my.sa", "my.sa")]
    [InlineData("a--b", "a_hh_b")]
    [InlineData("a.-b", "a_dh_b")]
    [InlineData("x", "x_sa")]
    public void Robot_short_name_maps_service_accounts_quay_rejects(string sa, string expected)
    {
        var shortName = QuayNames.RobotShortNameFor("openshift_demo", sa);
        Assert.Equal(expected, shortName);
        Assert.True(QuayNames.IsValidRobotShortName(shortName));
    }

    [Fact]
    public void Robot_short_name_is_shortened_with_a_hash_when_the_full_name_would_exceed_255()
    {
        var org = "openshift_" + new string('n', 60);
        var longSa = new string('s', 250);
        var shortName = QuayNames.RobotShortNameFor(org, longSa);
        Assert.True(QuayNames.RobotFullName(org, shortName).Length <= 255);
        Assert.True(QuayNames.IsValidRobotShortName(shortName));
        Assert.NotEqual(shortName, QuayNames.RobotShortNameFor(org, new string('s', 249) + "t"));
    }

    [Theory]
    [InlineData("openshift_demo", "builder")]
    [InlineData("openshift_demo", "a_dh_b")]
    [InlineData("openshift_my_team", "x_sa")]
    public void A_robots_full_name_gives_back_its_short_name(string org, string shortName) =>
        Assert.Equal(shortName, QuayNames.RobotShortNameOf(QuayNames.RobotFullName(org, shortName)));

    [Fact]
    public void Secret_name_follows_upstream() => Assert.Equal("builder-quay-openshift", QuayNames.SecretNameFor("builder", "openshift"));

    [Theory]
    [InlineData("my-app", true)]
    [InlineData("a--b", true)]
    [InlineData("foo/bar", true)]
    [InlineData("-a", false)]
    [InlineData("Upper", false)]
    public void Repository_rule_matches_quay(string name, bool valid) => Assert.Equal(valid, QuayNames.IsValidRepository(name));
}
