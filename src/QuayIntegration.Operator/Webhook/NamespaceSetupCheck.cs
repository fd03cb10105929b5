using k8s.Models;
using QuayIntegration.Runtime;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Whether a namespace is ready to push to Quay, read from the caches only: the operator labelled it managed,
/// annotated its organization, holds that organization on record on the integration's current Quay, and the service
/// account that pushes (when one of the integration's robots pushes) lists the robot Secret, written for that Quay and
/// that organization.
/// The label alone says the namespace was set up once: after quayHostname changes it stays until the namespace is set
/// up again, and a build let through meanwhile would push where no organization or credentials are. (After an
/// organizationPrefix change the annotated organization, on record, is used until the move is done.)
/// </summary>
public sealed class NamespaceSetupCheck(ClusterCaches caches)
{
    /// <summary>How what is missing begins when the namespace's setup failed, or is in conflict: states that last until fixed.</summary>
    public const string SetupFailed = "its Quay setup failed: ", NotSynced = "it is not synced: ";

    /// <summary>How what is missing begins when the QuayIntegration cannot set namespaces up (its token, its Quay): it lasts until fixed.</summary>
    public const string IntegrationCannotAct = "its QuayIntegration cannot set namespaces up now: ";

    /// <summary>
    /// How what is missing ends for states that last until someone acts: a namespace being deleted, a service account
    /// that does not exist (the operator makes none).
    /// </summary>
    private const string BeingDeleted = " is being deleted", DoesNotExist = " does not exist";

    /// <summary>Whether what <see cref="OrganizationIfReady"/> says is missing lasts until someone fixes it.</summary>
    public static bool LastsUntilFixed(string? missing) =>
        missing is not null && (missing.StartsWith(SetupFailed, StringComparison.Ordinal) || missing.StartsWith(NotSynced, StringComparison.Ordinal)
                                || missing.StartsWith(IntegrationCannotAct, StringComparison.Ordinal)
                                || missing.EndsWith(BeingDeleted, StringComparison.Ordinal) || missing.EndsWith(DoesNotExist, StringComparison.Ordinal));

    /// <summary>
    /// The organization when the namespace, as the cache holds it (<paramref name="namespaceObject"/>), is set up by
    /// <paramref name="integration"/>; otherwise null and what is missing.
    /// </summary>
    /// <param name="settingUpTo">
    /// When the namespace is not set up yet but is being set up by <paramref name="integration"/> (nothing failed, no
    /// move under way, nobody else has to act): the organization its builds will push to, with the robot Secret of
    /// <paramref name="serviceAccount"/> once the operator has written it. Otherwise null.
    /// </param>
    public string? OrganizationIfReady(V1Namespace namespaceObject, string integration, IntegrationConfig config, string? serviceAccount, out string? missing,
        out string? settingUpTo)
    {
        var ns = namespaceObject.Metadata.Name;
        settingUpTo = null;
        if (namespaceObject.Metadata.DeletionTimestamp is not null)
        {
            missing = $"namespace {ns}{BeingDeleted}";
            return null;
        }
        var labels = namespaceObject.Metadata.Labels;
        var annotations = namespaceObject.Metadata.Annotations;
        if (labels is null || !labels.TryGetValue(WellKnown.ManagedNamespaceLabel, out var managed) || managed != WellKnown.ManagedNamespace.Ready
            || annotations is null || !annotations.TryGetValue(WellKnown.OrganizationAnnotation, out var organization) || organization.Length == 0)
        {
            missing = NotReadyYet(ns, integration);
            settingUpTo = FirstSetUpTo(namespaceObject, integration, config, serviceAccount);
            return null;
        }
        var record = caches.QuayNamespaces.Get(ObjectKey.Cluster(ns));
        if (!OnRecord(record, config.RegistryHost, organization))
        {
            missing = NotReadyYet(ns, integration, $"its Quay organization is being set up on {config.RegistryHost}");
            settingUpTo = FirstSetUpTo(namespaceObject, integration, config, serviceAccount);
            return null;
        }
        // Set up by another integration, which has not let go of it yet (the namespace moves to this one while that one
        // cannot act): the label and the organization are that integration's, whose cleanup may delete what is pushed.
        if (record!.Spec?.Integration is { } owner && owner != integration)
        {
            missing = NotReadyYet(ns, integration, $"it is moving to QuayIntegration {integration} from QuayIntegration {owner}", failureFirst: true);
            return null;
        }
        missing = null;
        if (serviceAccount is null) return organization;
        var secretName = QuayNames.SecretNameFor(serviceAccount, config.ClusterId);
        var account = caches.ServiceAccounts.Get(ns, serviceAccount);
        if (account is null)
        {
            // OpenShift makes builder, default and deployer in every project a moment after it is made; any other is
            // someone's to make.
            var madeByOpenShift = serviceAccount is "builder" or "default" or "deployer";
            missing = $"service account {ns}/{serviceAccount}" + (madeByOpenShift ? " does not exist yet" : DoesNotExist);
            settingUpTo = madeByOpenShift && !Stalled(ns, integration) ? PushableOnceSetUp(ns, serviceAccount, config, organization) : null;
            return null;
        }
        // The organization is in place and the Secret being written: a moment's matter.
        var secret = caches.Secrets.Get(ns, secretName);
        if (!account.ListsForBuilds(secretName) || secret is null)
        {
            // A setup that failed (on someone's Secret under this name, say) is told as such, not as a moment's wait; the
            // robot Secret in place, only unlinked, serves all the same (the rewrite names it).
            var stalled = secret is null && Stalled(ns, integration);
            missing = stalled ? NotReadyYet(ns, integration) : $"service account {ns}/{serviceAccount} does not carry the Quay Secret {secretName} yet";
            settingUpTo = stalled ? null : PushableOnceSetUp(ns, serviceAccount, config, organization);
            return null;
        }
        if (secret.Annotations?.TryGetValue(WellKnown.QuayHostAnnotation, out var host) != true || host != config.RegistryHost)
        {
            missing = $"the Quay Secret {secretName} of service account {ns}/{serviceAccount} does not hold credentials for {config.RegistryHost} yet";
            return null;
        }
        // During a move to another organization the Secret holds the new organization's robot before the namespace's
        // annotation names that organization: a push to the annotated one with it would be refused. (A sync that failed
        // part-way may leave them so for longer: then its failure is what is told.)
        if (secret.Annotations?.TryGetValue(WellKnown.RobotAnnotation, out var robot) != true || !IsRobotOf(robot!, organization))
        {
            missing = NotReadyYet(ns, integration, $"the Quay Secret {secretName} of service account {ns}/{serviceAccount} holds the robot of another organization than {organization} (the namespace is moving to its new one)",
                failureFirst: true);
            return null;
        }
        return organization;
    }

    /// <summary>
    /// The organization a namespace being set up for the first time is to get, when nothing can be in the way of its
    /// robot Secret: the setup has not failed (nor is the integration unable to act), no other integration set it up,
    /// no earlier operator left its mark (the Go operator's finalizer without a record: its own Secret of that name, holding another
    /// organization's robot, would be pushed with at once), and the cache holds no robot Secret of the operator's under
    /// that name (one restored from a backup would hold a dead login; the setup writes it anew). A Secret someone made under that
    /// name is not visible here (the cache holds the operator's only): the sync reports it, and the push with it fails.
    /// </summary>
    private string? FirstSetUpTo(V1Namespace namespaceObject, string integration, IntegrationConfig config, string? serviceAccount)
    {
        var ns = namespaceObject.Metadata.Name;
        if (serviceAccount is null || Stalled(ns, integration)) return null;
        // The operator adds the finalizer only once the namespace's record exists: with none, it is the Go operator's.
        if (namespaceObject.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true && caches.QuayNamespaces.Get(ObjectKey.Cluster(ns)) is null)
            return null;
        return caches.Secrets.Get(ns, QuayNames.SecretNameFor(serviceAccount, config.ClusterId)) is null ? OrganizationToBe(ns, config) : null;
    }

    /// <summary>
    /// Whether nothing is being set up for the namespace now: its setup failed or is in conflict, the integration
    /// cannot act, or another integration's record holds it (a move, which waits for that one).
    /// </summary>
    private bool Stalled(string ns, string integration) =>
        caches.QuayNamespaces.Get(ObjectKey.Cluster(ns))?.Spec?.Integration is { } owner && owner != integration
        || LastsUntilFixed(NotReadyYet(ns, integration));

    /// <summary>
    /// <paramref name="organization"/> when a build rewritten to push there now, naming the robot Secret of
    /// <paramref name="serviceAccount"/>, would wait for that Secret (it does not exist yet, and the sync is to write it
    /// for that organization: the build controller holds the build until it does) or push with the right credentials
    /// (it holds this Quay's login of a robot of that organization, only not linked yet); null when the Secret there
    /// holds another Quay's or organization's login, or is to (the namespace moving), with which the push would fail.
    /// </summary>
    private string? PushableOnceSetUp(string ns, string? serviceAccount, IntegrationConfig config, string? organization)
    {
        if (organization is null || serviceAccount is null) return null;
        // None yet: the sync writes it for the robot of the organization it maps the namespace to, which is not the
        // annotated one while a change of clusterID or organizationPrefix has not reached the namespace (the push
        // would go to the former organization with the new one's robot).
        if (caches.Secrets.Get(ns, QuayNames.SecretNameFor(serviceAccount, config.ClusterId)) is not { } secret)
            return OrganizationToBe(ns, config) == organization ? organization : null;
        return secret.Annotations?.TryGetValue(WellKnown.QuayHostAnnotation, out var host) == true && host == config.RegistryHost
               && secret.Annotations.TryGetValue(WellKnown.RobotAnnotation, out var robot) && IsRobotOf(robot, organization)
            ? organization
            : null;
    }

    /// <summary>
    /// The organization the namespace is being set up with, as its sync chooses it: the one taken over from the Go
    /// operator that it keeps under this prefix, else the prefix's. Null for a namespace no organization name can be
    /// made for (its sync fails on that).
    /// </summary>
    private string? OrganizationToBe(string ns, IntegrationConfig config)
    {
        var record = caches.QuayNamespaces.Get(ObjectKey.Cluster(ns));
        foreach (var entry in record?.Spec?.Organizations ?? [])
            if (LegacyOwnership.IsKeptUnder(entry, config.RegistryHost, config.OrganizationPrefix)) return entry.Name;
        try
        {
            return QuayNames.OrganizationFor(config.OrganizationPrefix, ns);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static bool IsRobotOf(string robot, string organization) =>
        robot.Length > organization.Length + 1 && robot[organization.Length] == '+' && robot.StartsWith(organization, StringComparison.Ordinal);

    /// <summary>
    /// Whether the namespace's record holds the organization on that Quay, made or found (not a create still pending).
    /// A loop, not a query: asked on every review.
    /// </summary>
    private static bool OnRecord(QuayNamespaceResource? record, string host, string organization)
    {
        foreach (var entry in record?.Spec?.Organizations ?? [])
            if (entry.Name == organization && entry.Host == host && entry.Origin is Origin.Created or Origin.Found) return true;
        return false;
    }

    /// <summary>
    /// Why a namespace is not set up, as its QuayNamespace tells it: not started, being set up, or failing and why.
    /// <paramref name="settingUp"/> says what is being set up when the status, written for an earlier configuration, does
    /// not; with <paramref name="failureFirst"/> it is said unless the status tells a failure or a conflict.
    /// </summary>
    private string NotReadyYet(string ns, string integration, string? settingUp = null, bool failureFirst = false)
    {
        var status = caches.QuayNamespaces.Get(ObjectKey.Cluster(ns))?.Status;
        if (failureFirst && status?.Phase is not (NamespacePhase.Failing or NamespacePhase.Conflict)) return settingUp!;
        return status switch
        {
            { Phase: NamespacePhase.Failing, LastError: { Length: > 0 } error } => SetupFailed + Shorten(error),
            { Phase: NamespacePhase.Conflict, LastError: { Length: > 0 } error } => NotSynced + Shorten(error),
            // Nothing is being set up while the integration cannot act (a token missing or refused, Quay out of reach):
            // said with its reason, and that it needs someone, rather than "retry in a few seconds" for as long as it
            // lasts (a namespace waiting for it says so in its status too).
            _ when CannotAct(integration) is { } why => IntegrationCannotAct + why,
            { Phase: NamespacePhase.Pending, LastError: { Length: > 0 } error } => $"it waits: {Shorten(error)}",
            _ when settingUp is not null => settingUp,
            { Organization: { Length: > 0 } organization } => $"its Quay organization {organization} is being set up",
            _ => "it has no Quay organization yet",
        };
    }

    /// <summary>
    /// Why the integration cannot set namespaces up, as its Ready condition says (the leader writes it; any replica's
    /// cache holds it), or null: ready, or not ready only because some namespaces fail.
    /// </summary>
    private string? CannotAct(string integration) =>
        StatusConditions.Find(caches.QuayIntegrations.Get(ObjectKey.Cluster(integration))?.Status?.Conditions, StatusConditions.Ready) is
            { Status: "False" } ready && ready.Reason != StatusConditions.NamespacesFailing
            ? $"QuayIntegration {integration} is not ready ({ready.Reason}: {Shorten(ready.Message ?? "")})"
            : null;

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
