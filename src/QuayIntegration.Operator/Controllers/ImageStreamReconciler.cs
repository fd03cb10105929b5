using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// One private Quay repository per ImageStream, in the namespace's organization, with explicit permissions for the
/// robots of the service account matrix (so access never depends on default permissions alone). A deleted
/// ImageStream deletes its repository only with repositoryDeletionPolicy Delete. Keys are <c>namespace/name</c>.
/// </summary>
public sealed class ImageStreamReconciler(
    ClusterCaches caches,
    NamespaceScope namespaceScope,
    IntegrationState state,
    NamespaceSyncRegistry registry,
    EventRecorder events,
    TimeProvider time,
    ILogger<ImageStreamReconciler> log) : IReconciler
{
    private readonly ConcurrentDictionary<string, (string Fingerprint, DateTimeOffset At)> _verified = new();

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
        {
            _verified.TryRemove(key, out _);
            return ReconcileResult.Done; // the organization goes (or stays) with the namespace
        }
        var org = ns.Metadata.Annotations is { } a && a.TryGetValue(WellKnown.OrganizationAnnotation, out var o) ? o : null;
        if (org is null || registry.Get(nsName)?.Synced != true)
            return ReconcileResult.Done; // the namespace reconciler enqueues its ImageStreams once synced

        using var scope = log.BeginScope(new Dictionary<string, object> { ["namespace"] = nsName, ["organization"] = org, ["imagestream"] = name });
        var stream = caches.ImageStreams.Get(key);
        if (stream is null)
        {
            _verified.TryRemove(key, out _);
            if (!config.DeleteRepositories) return ReconcileResult.Done;
            Check($"delete repository {org}/{name}", await quay.DeleteRepositoryAsync(org, name, ct));
            events.Normal(ns, "RepositoryDeleted", $"Deleted Quay repository {org}/{name} with its ImageStream (repositoryDeletionPolicy Delete)");
            return ReconcileResult.Done;
        }

        if (!QuayNames.IsValidRepository(name))
        {
            events.Warning(stream, "InvalidRepositoryName", $"ImageStream name '{name}' is not a valid Quay repository name; no repository is created");
            return ReconcileResult.Done;
        }

        var now = time.GetUtcNow();
        var fingerprint = $"{config.DesiredStateFingerprint}|{quay.Connection.Fingerprint}|{stream.Metadata.Uid}|{org}";
        if (_verified.TryGetValue(key, out var v) && v.Fingerprint == fingerprint && now - v.At < config.DriftCheckInterval)
            return ReconcileResult.After(v.At + config.DriftCheckInterval - now);

        try
        {
            var exists = Check($"look up repository {org}/{name}", await quay.RepositoryExistsAsync(org, name, ct));
            if (!exists)
            {
                var created = await quay.CreatePrivateRepositoryAsync(org, name, $"ImageStream {nsName}/{name}", ct);
                if (created.Outcome != QuayOutcome.AlreadyExists)
                {
                    Check($"create repository {org}/{name}", created);
                    events.Normal(stream, "RepositoryCreated", $"Created private Quay repository {org}/{name}");
                }
            }
            foreach (var sa in config.ServiceAccounts)
            {
                var robot = QuayNames.RobotFullName(org, QuayNames.RobotShortNameFor(org, sa.Name));
                Check($"give {robot} {sa.Role} on {org}/{name}", await quay.SetRepositoryPermissionAsync(org, name, robot, sa.Role, ct));
            }
        }
        catch (QuayOperationException e)
        {
            events.Warning(stream, "RepositorySyncFailed", e.Message);
            throw new ReconcileException(e.Message, e);
        }
        _verified[key] = (fingerprint, now);
        log.LogDebug("Repository {Organization}/{Repository} verified (outcome {Outcome})", org, name, "synced");
        return ReconcileResult.After(config.DriftCheckInterval);
    }

    private static T? Check<T>(string operation, QuayResult<T> result) =>
        result.IsSuccess ? result.Value : throw QuayOperationException.From(operation, result);
}
