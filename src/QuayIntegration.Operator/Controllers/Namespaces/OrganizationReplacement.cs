using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// The record knows an organization the operator created by its name, and a name is not an identity: an administrator
/// may delete it in Quay while nothing of the operator's watches (the namespace released under Keep, the operator
/// stopped) and a person make their own under the name. Taken for the operator's, theirs would be deleted with the
/// namespace. Quay shows an organization's email to its administrators, and every create of the operator sends its own
/// (<see cref="PendingCreate.ShowsAnotherMaker"/>): one showing another address was made again by someone else, or
/// had its email changed by an owner. Which, cannot be told, so the organization is kept (found from then on, never
/// deleted) and what the record says the operator made in it stays on record, removed by its marks as in any found
/// organization. Only an address counts (an "@"): a Quay that stored a placeholder for an organization made without an
/// email, as versions of the operator before the email made theirs, tells nothing. One the Go operator made (adopted,
/// it never sent that email) is left to the record.
/// </summary>
public static class OrganizationReplacement
{
    /// <summary>
    /// At a read of the organization: looked up (one call) only when every robot the record holds as created is missing
    /// from the list, the sign of an organization made anew; in the steady state nothing more is asked.
    /// </summary>
    public static async Task CheckAsync(NamespaceWork work, OrganizationRecord entry, Func<string, bool> listed, CancellationToken ct)
    {
        if (!Checkable(entry)) return;
        var own = entry.Robots?.Where(r => r.Origin == Origin.Created).Select(r => r.Name).ToList() ?? [];
        if (own.Count == 0 || own.Any(listed)) return;
        var shown = (await work.Quay.GetOrganizationAsync(entry.Name, ct)).ValueOrThrow("look up organization " + entry.Name);
        Judge(work, entry, shown);
    }

    /// <summary>
    /// With the organization as Quay shows it: one showing another address is recorded as found, and an Event says so.
    /// True when it was.
    /// </summary>
    public static bool Judge(NamespaceWork work, OrganizationRecord entry, QuayOrganization? shown)
    {
        if (!Checkable(entry) || !PendingCreate.ShowsAnotherMaker(entry.Name, shown)) return false;
        entry.Origin = Origin.Found;
        work.Changed("OrganizationReplaced", $"Quay organization {entry.Name}, which the operator had created, shows the email {shown.Email}, not the one the " +
                                             "operator gives its organizations: it was made again by someone else, or its email was changed; it is used, and never " +
                                             "deleted by the operator, and what the operator made in it is removed by its marks");
        return true;
    }

    private static bool Checkable(OrganizationRecord entry) => entry.Origin == Origin.Created && entry.AdoptedFrom is null;
}
