using System.Diagnostics.CodeAnalysis;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>What an organization Quay shows says of who made it, when the record says a create of the operator's was pending.</summary>
public enum PendingVerdict
{
    /// <summary>Quay shows no organization of that name.</summary>
    Absent,
    /// <summary>It shows an email other than the one every create of the operator sends: someone else made it.</summary>
    SomeoneElses,
    /// <summary>The token's user does not administer it and no email tells: whose it is cannot be told.</summary>
    Undecided,
    /// <summary>
    /// The token's user administers it, as the maker of an organization always does, and the email shown is the
    /// operator's, or none while a create of the operator's may still land (an earlier version's sent none).
    /// </summary>
    Operators,
}

/// <summary>
/// Tells an organization found while the record says <see cref="Origin.Creating"/> (a create the operator wrote ahead
/// and may or may not have made) from one someone else made meanwhile, by what Quay's organization lookup shows:
/// every create of the operator sends <see cref="QuayNames.OrganizationEmailFor"/>, and Quay shows the email to the
/// organization's administrators (some releases to superusers too). A visible email decides first; without one, an
/// organization the token's user does not administer stays undecided, since whoever made it, the operator's create
/// would have made the user an owner. One it administers with no email address was made without one, as versions of
/// the operator before the email made theirs: the operator's while a create may still land (the grace after
/// <see cref="OrganizationRecord.PendingSince"/>, or with no time at all), so an earlier version's create that lands
/// late is still its own; someone else's once no create of the operator's can land any more (a team's organization
/// made weeks after a create was left pending, with the operator's user among its owners, was taken for the create's
/// and deleted with the namespace).
/// </summary>
public static class PendingCreate
{
    /// <summary>
    /// <see cref="Judge"/>, with the token checked before an organization is called undecided: an unaccepted token gets
    /// the anonymous view, which shows no administrator either, and that is an error to report, not a verdict.
    /// </summary>
    public static async Task<PendingVerdict> JudgeAsync(QuayClient quay, OrganizationRecord pending, QuayOrganization? shown, DateTimeOffset now,
        TimeSpan grace, CancellationToken ct)
    {
        var verdict = Judge(pending, shown, now, grace);
        if (verdict == PendingVerdict.Undecided) (await quay.VerifyTokenAsync(ct)).ValueOrThrow("verify the token");
        return verdict;
    }

    /// <summary>
    /// Whether the organization Quay shows carries an email address other than the one every create of the operator
    /// sends: then someone else made it, whatever the record says (an organization of the operator's deleted in Quay
    /// and made again by a person, say). No address tells nothing: none shown (the token's user does not administer
    /// it), or the placeholder Quay keeps for an organization made without one (a random UUID, no <c>@</c>; some
    /// releases show it to administrators, others show nothing), as versions of the operator before the email made theirs.
    /// </summary>
    public static bool ShowsAnotherMaker(string org, [NotNullWhen(true)] QuayOrganization? shown) =>
        ShowsAnAddress(shown) && !string.Equals(shown!.Email, QuayNames.OrganizationEmailFor(org), StringComparison.OrdinalIgnoreCase);

    private static bool ShowsAnAddress(QuayOrganization? shown) => shown?.Email?.Contains('@') == true;

    /// <summary>What the organization's email says, for a message: the address, or that it shows none.</summary>
    public static string EmailShown(QuayOrganization shown) => ShowsAnAddress(shown) ? $"its email is {shown.Email}" : "it shows no email address";

    /// <summary>
    /// The verdict on what Quay shows of <paramref name="pending"/>'s organization, the token left unchecked.
    /// <paramref name="grace"/> is how long after <see cref="OrganizationRecord.PendingSince"/> a create of the
    /// operator's may still land (QuayOptions.UnansweredCreateGrace).
    /// </summary>
    public static PendingVerdict Judge(OrganizationRecord pending, QuayOrganization? shown, DateTimeOffset now, TimeSpan grace) => shown switch
    {
        null => PendingVerdict.Absent,
        _ when ShowsAnotherMaker(pending.Name, shown) => PendingVerdict.SomeoneElses,
        { IsAdmin: false } => PendingVerdict.Undecided,
        _ when !ShowsAnAddress(shown) && pending.PendingSince is { } since && now > new DateTimeOffset(since, TimeSpan.Zero) + grace => PendingVerdict.SomeoneElses,
        _ => PendingVerdict.Operators,
    };

    /// <summary>
    /// The error for an organization the token's user does not administer; with <paramref name="pending"/>, the one that
    /// keeps an undecided organization pending, which also says what being made an owner will decide.
    /// </summary>
    public static QuayOperationException NotAnAdministrator(string org, bool pending) =>
        new("list robots of " + org, QuayOutcome.Forbidden, 403,
            $"organization {org} exists but the token's user is not one of its administrators; make it an owner of the organization" + (pending
                ? " (a create of the operator's was pending when it appeared: as an owner, the operator tells it apart by its email, and takes one made without an email for its own)"
                : ""));
}
