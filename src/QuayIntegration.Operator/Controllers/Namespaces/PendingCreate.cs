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
    /// operator's, or none when the pending create was written by a version that sent none.
    /// </summary>
    Operators,
}

/// <summary>
/// Tells an organization found while the record says <see cref="Origin.Creating"/> (a create the operator wrote ahead
/// and may or may not have made) from one someone else made meanwhile, by what Quay's organization lookup shows:
/// every create of the operator sends <see cref="QuayNames.OrganizationEmailFor"/>, and Quay shows the email to the
/// organization's administrators (some releases to superusers too). A visible email decides first; without one, an
/// organization the token's user does not administer stays undecided, since whoever made it, the operator's create
/// would have made the user an owner. One it administers with no email was made without one: not by a create that
/// recorded its time (<see cref="OrganizationRecord.PendingSince"/>), since every version that records it sends the
/// email, so someone else's, however long the entry waited (a team's organization made weeks later, with the
/// operator's user among its owners, was taken for the create's and deleted with the namespace); for an entry with no
/// time (written by a version before the email), left to the record: the operator's.
/// </summary>
public static class PendingCreate
{
    /// <summary>
    /// <see cref="Judge"/>, with the token checked before an organization is called undecided: an unaccepted token gets
    /// the anonymous view, which shows no administrator either, and that is an error to report, not a verdict.
    /// </summary>
    public static async Task<PendingVerdict> JudgeAsync(QuayClient quay, OrganizationRecord pending, QuayOrganization? shown, CancellationToken ct)
    {
        var verdict = Judge(pending, shown);
        if (verdict == PendingVerdict.Undecided) (await quay.VerifyTokenAsync(ct)).ValueOrThrow("verify the token");
        return verdict;
    }

    /// <summary>
    /// Whether the organization Quay shows carries an email other than the one every create of the operator sends: then
    /// someone else made it, whatever the record says (an organization of the operator's deleted in Quay and made again
    /// by a person, say). No email shown (the token's user does not administer it, or it was made without one, as
    /// versions of the operator before the email made theirs) tells nothing.
    /// </summary>
    public static bool ShowsAnotherMaker(string org, QuayOrganization? shown) =>
        shown is { Email: { Length: > 0 } email } && !string.Equals(email, QuayNames.OrganizationEmailFor(org), StringComparison.OrdinalIgnoreCase);

    private static PendingVerdict Judge(OrganizationRecord pending, QuayOrganization? shown) => shown switch
    {
        null => PendingVerdict.Absent,
        _ when ShowsAnotherMaker(pending.Name, shown) => PendingVerdict.SomeoneElses,
        { IsAdmin: false } => PendingVerdict.Undecided,
        { Email: null or "" } when pending.PendingSince is not null => PendingVerdict.SomeoneElses,
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
