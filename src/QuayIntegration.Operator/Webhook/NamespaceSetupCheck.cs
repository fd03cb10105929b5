using QuayIntegration.Runtime;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Whether a namespace is ready to push to Quay, read from the caches only: the operator labelled it managed,
/// recorded its organization, and the service account that pushes (when one of the integration's robots pushes) lists
/// the robot Secret.
/// </summary>
public sealed class NamespaceSetupCheck(ClusterCaches caches)
{
    /// <summary>The organization when the namespace is set up; otherwise null and what is missing.</summary>
    public string? OrganizationIfReady(string ns, IntegrationConfig config, string? serviceAccount, out string? missing)
    {
        var namespaceObject = caches.Namespaces.Get(ObjectKey.Cluster(ns));
        if (namespaceObject is null)
        {
            missing = $"namespace {ns} is not known to the operator yet";
            return null;
        }
        if (namespaceObject.Metadata.DeletionTimestamp is not null)
        {
            missing = $"namespace {ns} is being deleted";
            return null;
        }
        var labels = namespaceObject.Metadata.Labels;
        var annotations = namespaceObject.Metadata.Annotations;
        if (labels is null || !labels.TryGetValue(WellKnown.ManagedNamespaceLabel, out var managed) || managed != WellKnown.ManagedNamespace.Ready
            || annotations is null || !annotations.TryGetValue(WellKnown.OrganizationAnnotation, out var organization) || organization.Length == 0)
        {
            missing = NotReadyYet(ns);
            return null;
        }
        missing = null;
        if (serviceAccount is null) return organization;
        var secretName = QuayNames.SecretNameFor(serviceAccount, config.ClusterId);
        var account = caches.ServiceAccounts.Get(ns, serviceAccount);
        if (account is null)
        {
            missing = $"service account {ns}/{serviceAccount} does not exist yet";
            return null;
        }
        if (!account.Lists(secretName) || caches.Secrets.Get(ns, secretName) is null)
        {
            missing = $"service account {ns}/{serviceAccount} does not carry the Quay Secret {secretName} yet";
            return null;
        }
        return organization;
    }

    /// <summary>Why a namespace is not set up, as its QuayNamespace tells it: not started, being set up, or failing and why.</summary>
    private string NotReadyYet(string ns)
    {
        var status = caches.QuayNamespaces.Get(ObjectKey.Cluster(ns))?.Status;
        return status switch
        {
            { Phase: NamespacePhase.Failing, LastError: { Length: > 0 } error } => $"its Quay setup failed: {Shorten(error)}",
            { Phase: NamespacePhase.Conflict, LastError: { Length: > 0 } error } => $"it is not synced: {Shorten(error)}",
            { Organization: { Length: > 0 } organization } => $"its Quay organization {organization} is being set up",
            _ => "it has no Quay organization yet",
        };
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
