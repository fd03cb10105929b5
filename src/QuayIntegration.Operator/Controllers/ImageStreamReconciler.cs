using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// One private Quay repository per ImageStream, in the namespace's organization, with an explicit permission for each
/// robot of the service account matrix (so access never depends on default permissions alone). A deleted ImageStream
/// deletes its repository only with repositoryDeletionPolicy Delete. Keys are <c>namespace/name</c>.
///
/// Repositories are created first and asked about never: a new repository receives the robots' permissions from the
/// organization's default permissions, which the namespace's sync has just verified; one that already exists gets them
/// written explicitly. Whether they are still there is the namespace's drift check's job: its robot list names every
/// repository each robot can use, and the ones not covered come back here through <see cref="VerifiedRepositories"/>.
/// </summary>
public sealed class ImageStreamReconciler(
    ClusterCaches caches,
    NamespaceScope namespaceScope,
    IntegrationState state,
    NamespaceSyncRegistry registry,
    VerifiedRepositories repositories,
    EventRecorder events,
    ILogger<ImageStreamReconciler> log) : IReconciler
{
    public string Name => "imagestream";

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/');
        var nsName = key[..slash];
        var name = key[(slash + 1)..];
        var snapshot = state.Current;
        if (snapshot.Mode != IntegrationMode.Active) return ReconcileResult.Done;
        var config = snapshot.Config!;
        var quay = snapshot.Client!;

        var ns = caches.Namespaces.Get(nsName);
        if (ns is null || ns.Metadata.DeletionTimestamp is not null || !namespaceScope.Includes(nsName, config))
            return ReconcileResult.Done; // the organization goes (or stays) with the namespace
        var org = ns.Metadata.Annotations is { } a && a.TryGetValue(WellKnown.OrganizationAnnotation, out var o) ? o : null;
        if (org is null || registry.Get(nsName)?.Synced != true)
            return ReconcileResult.Done; // the namespace reconciler enqueues its ImageStreams once verified

        using var scope = log.BeginScope(new Dictionary<string, object> { ["namespace"] = nsName, ["organization"] = org, ["imagestream"] = name });
        var stream = caches.ImageStreams.Get(key);
        if (stream is null)
        {
            repositories.Remove(nsName, name);
            if (!config.DeleteRepositories) return ReconcileResult.Done;
            (await quay.DeleteRepositoryAsync(org, name, ct)).ValueOrThrow($"delete repository {org}/{name}");
            events.Normal(ns, "RepositoryDeleted", $"Deleted Quay repository {org}/{name} with its ImageStream (repositoryDeletionPolicy Delete)");
            return ReconcileResult.Done;
        }

        if (!QuayNames.IsValidRepository(name))
        {
            events.Warning(stream, "InvalidRepositoryName", $"ImageStream name '{name}' is not a valid Quay repository name; no repository is created");
            return ReconcileResult.Done;
        }

        var fingerprint = VerifiedRepositories.Fingerprint(config, quay.Connection, ns.Metadata.Uid, org);
        if (repositories.Contains(nsName, fingerprint, name)) return ReconcileResult.Done;

        try
        {
            var created = await quay.CreatePrivateRepositoryAsync(org, name, $"ImageStream {nsName}/{name}", ct);
            if (created.Outcome == QuayOutcome.AlreadyExists)
            {
                foreach (var sa in config.ServiceAccounts)
                {
                    var robot = QuayNames.RobotFullNameFor(org, sa.Name);
                    (await quay.SetRepositoryPermissionAsync(org, name, robot, sa.Role, ct)).ValueOrThrow($"give {robot} {sa.Role} on {org}/{name}");
                }
                log.LogInformation("Repository {Organization}/{Repository} existed; gave the robots their permissions", org, name);
            }
            else
            {
                created.ValueOrThrow($"create repository {org}/{name}");
                events.Normal(stream, "RepositoryCreated", $"Created private Quay repository {org}/{name}");
            }
        }
        catch (QuayOperationException e)
        {
            if (e.Outcome == QuayOutcome.Forbidden) repositories.Distrust(nsName);
            events.Warning(stream, "RepositorySyncFailed", e.Message);
            throw new ReconcileException(e.Message, e);
        }
        repositories.Add(nsName, fingerprint, name);
        log.LogDebug("Repository {Organization}/{Repository} verified (outcome {Outcome})", org, name, "synced");
        return ReconcileResult.Done;
    }
}
