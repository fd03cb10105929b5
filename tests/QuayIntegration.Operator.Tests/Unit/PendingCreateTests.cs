using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// Who made an organization found while a create of the operator's was pending, by what Quay shows of it: the email
/// (to its administrators), which every create that records its time sends as <c>&lt;org&gt;@quay-integration.invalid</c>.
/// </summary>
public sealed class PendingCreateTests
{
    private static readonly DateTime Since = new(2026, 12, 7, 5, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(3);
    private static readonly DateTimeOffset Later = new(Since.AddMinutes(4), TimeSpan.Zero);

    private static OrganizationRecord Pending(bool timed) =>
        new() { Host = "quay.example.com", Name = "openshift_team", Origin = Origin.Creating, PendingSince = timed ? Since : null };

    private static QuayOrganization Shown(string? email, bool admin = true) => new() { Name = "openshift_team", Email = email, IsAdmin = admin };

    [Theory]
    [InlineData("openshift_team@quay-integration.invalid", true, PendingVerdict.Operators)]
    [InlineData("OpenShift_Team@Quay-Integration.invalid", true, PendingVerdict.Operators)]
    [InlineData("platform@example.org", true, PendingVerdict.SomeoneElses)]
    // Made without an email (Quay shows nothing, or, in releases that show it, the random UUID it keeps in its place)
    // after no create of the operator's can land any more: someone else's.
    [InlineData("", true, PendingVerdict.SomeoneElses)]
    [InlineData("2f1c9a3e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", true, PendingVerdict.SomeoneElses)]
    // An entry an earlier version wrote (no time, and no email sent): an organization without an address is its create's.
    [InlineData("", false, PendingVerdict.Operators)]
    [InlineData("2f1c9a3e-5b7d-4e8f-9a0b-1c2d3e4f5a6b", false, PendingVerdict.Operators)]
    [InlineData("platform@example.org", false, PendingVerdict.SomeoneElses)]
    public void An_administrator_is_told_by_the_email_once_the_grace_is_over(string email, bool timed, PendingVerdict verdict)
    {
        Assert.Equal(verdict, PendingCreate.Judge(Pending(timed), Shown(email), Later, Grace));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2f1c9a3e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")]
    public void Within_the_grace_an_organization_without_an_address_may_be_an_earlier_versions_late_create(string email)
    {
        Assert.Equal(PendingVerdict.Operators, PendingCreate.Judge(Pending(timed: true), Shown(email), new DateTimeOffset(Since.AddMinutes(2), TimeSpan.Zero), Grace));
        Assert.Equal(PendingVerdict.SomeoneElses, PendingCreate.Judge(Pending(timed: true), Shown("other@example.org"), new DateTimeOffset(Since.AddMinutes(2), TimeSpan.Zero), Grace));
    }

    [Fact]
    public void Without_administration_and_no_email_shown_it_cannot_be_told_and_absent_is_absent()
    {
        Assert.Equal(PendingVerdict.Undecided, PendingCreate.Judge(Pending(timed: true), Shown("", admin: false), Later, Grace));
        Assert.Equal(PendingVerdict.Absent, PendingCreate.Judge(Pending(timed: true), null, Later, Grace));
    }
}
