using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// The cache transform of the ownership records (<see cref="CacheTransforms"/>): one per namespace for the life of the
/// process, each deserialized with its own copy of strings that come from a small set: origins, hosts, service
/// account names, Secret names (one per service account of the matrix), the integration's name, the phase and the
/// conditions' type, status and reason. Those go through the shared pool; names unique to the namespace (organization,
/// robots, repositories) and free text (messages, errors) stay as they are, so the pool is not filled with them; where
/// the record names them twice (a default permission's robot, the status's organization) both take one instance. The
/// record's own UID is dropped: records are written back by name under their resourceVersion, and nothing reads it.
/// Everything else of the metadata stays, since a record write carries it back.
/// </summary>
public static class RecordCompaction
{
    public static QuayNamespaceResource Compact(QuayNamespaceResource record)
    {
        // Not Compact: records are written back whole (a PUT, OwnershipRecords.SaveAsync), so kubectl's last-applied
        // annotation, which the other caches drop, is kept; dropped here, the next write would delete it. Named after
        // its namespace, whose name the cached namespace and the objects in it share; pooled even when the records are
        // listed before the namespaces, since an update keeps the first version's instance.
        CacheTransforms.ShareMetadata(CacheTransforms.ShareName(CacheTransforms.DropManagedFields(CacheTransforms.DropUid(record))));
        var spec = record.Spec;
        spec.Integration = Share(spec.Integration);
        foreach (var org in spec.Organizations ?? [])
        {
            org.Host = Share(org.Host)!;
            org.Origin = Share(org.Origin)!;
            org.KeptBy = Share(org.KeptBy);
            org.AdoptedFrom = Share(org.AdoptedFrom);
            foreach (var robot in org.Robots ?? [])
            {
                robot.ServiceAccount = Share(robot.ServiceAccount)!;
                robot.Origin = Share(robot.Origin)!;
            }
            foreach (var permission in org.DefaultPermissions ?? [])
                if (org.Robots?.Find(r => r.Name == permission.Robot) is { } robot) permission.Robot = robot.Name;
            foreach (var repository in org.Repositories ?? []) repository.Origin = Share(repository.Origin)!;
        }
        foreach (var secret in spec.Secrets ?? [])
        {
            secret.Name = Share(secret.Name)!;
            secret.ServiceAccount = Share(secret.ServiceAccount)!;
        }
        if (record.Status is { } status)
        {
            status.Origin = Share(status.Origin);
            if (spec.Organizations?.Find(o => o.Name == status.Organization) is { } current) status.Organization = current.Name;
            status.Integration = Share(status.Integration);
            status.Phase = Share(status.Phase);
            foreach (var condition in status.Conditions ?? [])
            {
                condition.Type = Share(condition.Type);
                condition.Status = Share(condition.Status);
                condition.Reason = Share(condition.Reason);
            }
        }
        return record;
    }

    private static string? Share(string? value) => StringPool.Shared.Share(value);
}
