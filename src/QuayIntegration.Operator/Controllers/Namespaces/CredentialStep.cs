using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Caching;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// The cluster side of the robots: a <c>kubernetes.io/dockerconfigjson</c> Secret <c>&lt;sa&gt;-quay-&lt;clusterID&gt;</c> per
/// service account holding its robot's current credentials, listed in the service account's <c>secrets</c> (mountable)
/// and <c>imagePullSecrets</c>; and the removal of the operator's Secrets nobody wants any more (a service account left
/// the matrix, the cluster ID changed), taken out of every service account that lists them first. Every Secret the
/// operator writes carries its label; those are the ones it may delete. Each service account is handled on its own.
/// </summary>
public sealed class CredentialStep(ClusterCaches caches, KubeApi api, QuayObservations observations)
{
    // The service accounts and Secrets as this step last wrote them, until the caches catch up: the reconcile that a
    // write's own watch event (or anything else) brings before that event arrives must not link or write again.
    private readonly ReadYourWrites<V1ServiceAccount, CachedServiceAccount> _accounts = new(caches.ServiceAccounts);
    private readonly ReadYourWrites<V1Secret, CachedSecret> _secrets = new(caches.Secrets);

    public async Task RunAsync(NamespaceWork work, CancellationToken ct)
    {
        var observation = work.Observation!;
        var wanted = work.Robots.Where(r => observation.Credentials.ContainsKey(r.FullName)).ToList();
        var wantedNames = work.Robots.Select(r => QuayNames.SecretNameFor(r.ServiceAccount, work.Config!.ClusterId)).ToHashSet(StringComparer.Ordinal);
        // A Secret is on record as soon as it is in place, whatever comes of its link: unrecorded, it is the operator's
        // only under the name the current cluster ID gives it (RemoveUnwantedAsync), so a cluster ID changed before the
        // next sync got through would leave it, with its robot's login, for good.
        var inPlace = new ConcurrentQueue<DesiredRobot>();
        Done<List<SyncChange>>?[] results;
        try
        {
            results = await Task.WhenAll(wanted.Select(robot =>
                Isolation.RunAsync(work, $"service account {robot.ServiceAccount}", () => EnsureAsync(work, robot, inPlace, ct))));
        }
        finally
        {
            foreach (var robot in inPlace)
            {
                work.Record.SetSecret(QuayNames.SecretNameFor(robot.ServiceAccount, work.Config!.ClusterId), robot.ServiceAccount, work.IntegrationName);
                work.SecretsInPlace.Add(robot.FullName);
            }
        }
        foreach (var (robot, result) in wanted.Zip(results))
        {
            if (result is not { Value: var changes }) continue;
            foreach (var change in changes) work.Changed(change.Reason, change.Message);
            if (_accounts.Get(work.Name, robot.ServiceAccount) is null) work.MissingServiceAccounts.Add(robot.ServiceAccount);
        }
        await RemoveUnwantedAsync(work, wantedNames, ct);
    }

    private async Task<List<SyncChange>> EnsureAsync(NamespaceWork work, DesiredRobot robot, ConcurrentQueue<DesiredRobot> inPlace, CancellationToken ct)
    {
        var changes = new List<SyncChange>();
        var secretName = QuayNames.SecretNameFor(robot.ServiceAccount, work.Config!.ClusterId);
        if (await EnsureSecretAsync(work, robot, secretName, ct) is { } change) changes.Add(change);
        inPlace.Enqueue(robot);
        var account = _accounts.Get(work.Name, robot.ServiceAccount);
        if (account is not null && await PatchLinksAsync(account, secretName, ServiceAccountLinkPatch.Link, ct))
            changes.Add(new("ServiceAccountLinked", $"Listed Secret {secretName} in service account {robot.ServiceAccount}"));
        return changes; // a missing service account is linked when it appears (its ADDED event enqueues the namespace)
    }

    /// <summary>
    /// The robot's Secret, checked against the digest the observation keeps and written only when it differs. Labels or
    /// annotations alone are restored without the token. Writing the data takes the token: the one Quay gave this
    /// reconcile, else (after the cluster's own copy was checked, in case the cache has not caught up with the
    /// operator's last write) one read from Quay now. So a Secret deleted or edited between drift checks costs that one
    /// Quay call, and the steady state none.
    /// </summary>
    private async Task<SyncChange?> EnsureSecretAsync(NamespaceWork work, DesiredRobot robot, string name, CancellationToken ct)
    {
        var ns = work.Name;
        var path = ResourceType.Secrets.ObjectPath(ns, name);
        var wanted = RobotSecret.Metadata(ns, name, work.Host, robot.FullName, robot.ServiceAccount);
        var existing = _secrets.Get(ns, name);
        if (existing is not null && RobotSecret.HoldsCredentials(existing, work.CredentialsOf(robot.FullName)))
            return await RestoreMetadataAsync(path, existing, wanted, ct);
        var token = work.TokenOf(robot.FullName);
        if (token is null)
        {
            existing = await GetOwnSecretAsync(path, work, robot, ct);
            if (existing is not null && RobotSecret.HoldsCredentials(existing, work.CredentialsOf(robot.FullName)))
                return await RestoreMetadataAsync(path, existing, wanted, ct);
            token = await ReadTokenAsync(work, robot, ct);
        }
        var desired = RobotSecret.Desired(ns, name, work.Host, robot.FullName, token, robot.ServiceAccount);
        var desiredDigest = DataDigest.OfData(desired.Data);
        if (existing is null)
        {
            try
            {
                _secrets.Written(null, await api.CreateAsync(ResourceType.Secrets.CollectionPath(ns), desired, ct));
                return new("SecretCreated", $"Created Secret {name}");
            }
            catch (KubeApiException e) when (e.IsAlreadyExists)
            {
                // The cache has not seen it yet, or a Secret of that name exists without the operator's label.
                existing = await GetOwnSecretAsync(path, work, robot, ct)
                           ?? throw new ReconcileException($"Secret {name} vanished while being created; retrying");
                if (RobotSecret.HoldsCredentials(existing, desiredDigest)) return await RestoreMetadataAsync(path, existing, wanted, ct);
            }
        }
        if (existing.Type != desired.Type || existing.Immutable)
        {
            // The type of a Secret is immutable, and so is the data of one marked immutable (by someone, or by a policy
            // that marks Secrets so), for good: patched, it would be refused at every retry while Quay has already
            // invalidated the login it holds. It is the operator's, so it is written again as a whole.
            await api.DeleteAsync(path, ct);
            _secrets.Deleted(new ObjectKey(ns, name), existing);
            _secrets.Written(null, await api.CreateAsync(ResourceType.Secrets.CollectionPath(ns), desired, ct));
        }
        else
        {
            // Keys someone added go too (null removes a key in a merge patch): the Secret holds the credentials and nothing else.
            var data = new JsonObject { [RobotSecret.DataKey] = Convert.ToBase64String(desired.Data[RobotSecret.DataKey]) };
            foreach (var key in existing.DataKeys.Where(k => k != RobotSecret.DataKey)) data[key] = null;
            await PatchAsync(path, existing, wanted, data, ct);
        }
        return new("SecretRepaired", $"Restored Secret {name} to the robot's current credentials");
    }

    /// <summary>
    /// Whether a Secret found under the robot Secret's name may be taken over: one the operator wrote (its label; the
    /// cache had not caught up, or it was written just before a crash), or a Docker config holding this very robot's
    /// login (the Go operator's, or one whose label someone removed). Anything else is someone's own Secret that happens
    /// to have the name, even under a name the record holds: a Secret kept when the namespace was released may have been
    /// deleted and its name taken since.
    /// </summary>
    /// <remarks>
    /// Also one the record names, holding the login of this service account's robot in an organization the record holds
    /// as the operator's: the Go operator's Secret recorded at a release, the namespace since moved to another prefix's
    /// organization (a found organization's robot is someone's, and so may be a Secret holding its login).
    /// </remarks>
    private static bool IsOperators(V1Secret secret, NamespaceWork work, DesiredRobot robot) =>
        secret.Metadata.Labels?.TryGetValue(WellKnown.ManagedByLabel, out var by) == true && by == WellKnown.ManagedByValue
        || RobotSecret.HoldsLoginOf(secret, robot.FullName) && work.Record.MadeRobot(robot.FullName)
        || work.Record.Spec.Secrets?.Any(s => s.Name == secret.Metadata.Name) == true
           && work.Record.Organizations.Any(o => o.Host == work.Host && o.IsOwned()
                                                 && QuayNames.RobotFullNameFor(o.Name, robot.ServiceAccount) is var login
                                                 && RobotSecret.HoldsLoginOf(secret, login) && work.Record.MadeRobot(login));

    /// <summary>
    /// The Secret under the robot Secret's name as the API server has it now (the cache holds only labelled ones, and
    /// may not have caught up with a write), in the cache's form; one that is not the operator's stops here.
    /// </summary>
    private async Task<CachedSecret?> GetOwnSecretAsync(string path, NamespaceWork work, DesiredRobot robot, CancellationToken ct)
    {
        if (await api.GetAsync<V1Secret>(path, ct) is not { } secret) return null;
        if (!IsOperators(secret, work, robot))
            throw new ObjectInTheWayException($"Secret {secret.Metadata.Name} exists and is not the operator's (it has no label {WellKnown.ManagedByLabel}, " +
                                              $"and holds no login of a robot the operator made: robot {robot.FullName} is not one, or it holds another login): " +
                                              "it is left as it is; rename or delete it so that the robot's credentials can be written there");
        return CachedSecret.Of(secret);
    }

    /// <summary>A Secret holding the right credentials gets back the operator's labels and annotations if it lost any.</summary>
    private async Task<SyncChange?> RestoreMetadataAsync(string path, CachedSecret existing, V1ObjectMeta wanted, CancellationToken ct)
    {
        if (RobotSecret.HasMetadata(existing, wanted)) return null;
        await PatchAsync(path, existing, wanted, data: null, ct);
        return new("SecretRepaired", $"Restored the labels and annotations of Secret {wanted.Name}");
    }

    /// <summary>A merge patch of the wanted labels and annotations (and data, if given), under the resourceVersion read.</summary>
    private async Task PatchAsync(string path, CachedSecret existing, V1ObjectMeta wanted, JsonObject? data, CancellationToken ct)
    {
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = existing.ResourceVersion,
                ["labels"] = ToJson(wanted.Labels),
                ["annotations"] = ToJson(wanted.Annotations),
            },
        };
        if (data is not null) patch["data"] = data;
        _secrets.Written(existing, await api.PatchAsync<V1Secret>(path, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), ct));
    }

    /// <summary>The robot's token read from Quay, for a reconcile Quay gave none (its digest is kept).</summary>
    private async Task<string> ReadTokenAsync(NamespaceWork work, DesiredRobot robot, CancellationToken ct)
    {
        var operation = "read robot " + robot.FullName;
        var result = await work.Quay.GetRobotAsync(work.Organization, robot.ShortName, ct);
        if (result.Outcome is QuayOutcome.NotFound or QuayOutcome.Forbidden)
        {
            // Deleted in Quay since the drift check (Quay answers 403 for a robot of an organization that is gone): the
            // retry reads the organization again and makes anew what is missing.
            observations.Forget(work.Name);
            throw new ReconcileException($"reading Quay robot {robot.FullName} failed ({QuayOperationException.Describe(result.Outcome)}); " +
                                         "the organization is read again on the retry");
        }
        var read = result.ValueOrThrow(operation);
        if (string.IsNullOrEmpty(read?.Token))
            throw new QuayOperationException(operation, QuayOutcome.Unexpected, result.StatusCode, "Quay's answer carried no token");
        // Made again since the organization was read (deleted, and someone, or another cluster's operator, made theirs
        // under the name): its token must not go into this cluster's Secret before the robot is judged, which the
        // organization's full read on the retry does first.
        if (work.Entry?.Robot(robot.FullName)?.Created is { } recorded && read.Created is { Length: > 0 } made && made != recorded)
        {
            observations.Forget(work.Name);
            throw new ReconcileException($"Quay robot {robot.FullName} was made again since the organization was read; it is read again, and judged, before its token is used");
        }
        work.TokenSeen(work.Observation!, robot.FullName, read.Token);
        return read.Token;
    }

    /// <summary>Applies a link or unlink patch, re-reading the service account when another writer got there first; true if it was patched.</summary>
    private async Task<bool> PatchLinksAsync(CachedServiceAccount account, string secretName, Func<CachedServiceAccount, string, string?> build,
        CancellationToken ct)
    {
        var path = ResourceType.ServiceAccounts.ObjectPath(account.Namespace, account.Name);
        KubeApiException? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var patch = build(account, secretName);
            if (patch is null) return false;
            try
            {
                _accounts.Written(account, await api.PatchAsync<V1ServiceAccount>(path, new V1Patch(patch, V1Patch.PatchType.MergePatch), ct));
                return true;
            }
            catch (KubeApiException e) when (e.IsPreconditionFailure)
            {
                last = e;
                // Someone else (for example OpenShift's pull-secret controller) changed it: re-read and retry.
                account = await api.GetAsync<V1ServiceAccount>(path, ct) is { } current
                    ? new CachedServiceAccount(current)
                    : throw new ReconcileException($"service account {account.Name} disappeared");
            }
            catch (KubeApiException e) when (e.IsNotFound)
            {
                _accounts.Forget(new ObjectKey(account.Namespace, account.Name));
                return false;
            }
        }
        throw new ReconcileException($"service account {account.Name} kept changing while its Quay Secret was written ({last?.ApiMessage}); retrying");
    }

    /// <summary>
    /// The operator's Secrets that no service account of the matrix wants: unlinked everywhere, then deleted. Those the
    /// record says another QuayIntegration wrote are that one's, kept under its cleanupPolicy Keep when the namespace
    /// moved (they still pull what is in its Quay): left alone, listed as kept, gone with the namespace.
    /// </summary>
    /// <param name="why">Why they go, for the Events: by default, the matrix no longer wants them.</param>
    private async Task RemoveUnwantedAsync(NamespaceWork work, HashSet<string> wanted, CancellationToken ct,
        string why = "no service account of spec.serviceAccounts uses it any more")
    {
        var othersKept = work.Record.Secrets
            .Where(s => s.Integration is { } writer && writer != work.IntegrationName && !wanted.Contains(s.Name))
            .ToDictionary(s => s.Name, s => s.Integration!, StringComparer.Ordinal);
        foreach (var (name, writer) in othersKept)
        {
            // Deleted by someone since: nothing is kept any more. (The cache holds only Secrets with the operator's
            // label: one whose label someone removed is asked for before it is forgotten.)
            if (_secrets.Get(work.Name, name) is null && await api.GetAsync<V1Secret>(ResourceType.Secrets.ObjectPath(work.Name, name), ct) is null)
                work.Record.RemoveSecret(name);
            else work.Kept.Add($"Secret {name} and its service account links, written for QuayIntegration {writer} and kept by its cleanupPolicy Keep");
        }
        // Labelled ones the record does not name yet (written just before a crash) are found by the name the operator
        // gives them; a copy someone made of one under a name of their own (labels, annotations and all) is theirs.
        var labelled = _secrets.ListInNamespace(work.Name)
            .Where(s => s.Annotations?.ContainsKey(WellKnown.RobotAnnotation) == true && IsNamedAsOperators(s, work.Config!.ClusterId))
            .Select(s => s.Name);
        var unwanted = labelled.Concat(work.Record.Secrets.Select(s => s.Name))
            .Where(n => !wanted.Contains(n) && !othersKept.ContainsKey(n)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var name in unwanted)
        {
            var removed = await Isolation.RunAsync(work, $"Secret {name}", () => RemoveAsync(work, name, ct));
            if (removed is null) continue;
            work.Record.RemoveSecret(name);
            if (removed.Value == Removal.Deleted)
                work.Changed("SecretDeleted", $"Deleted Secret {name} and took it out of the service accounts: {why}");
            else if (removed.Value == Removal.SomeoneElses)
                work.Changed("SecretLeftAlone", $"Secret {name}, on record as the operator's, now carries neither its label nor the login of a robot the operator made: " +
                                                "it cannot be told from someone's own pull secret, so it is left as it is, and forgotten");
        }
    }

    private enum Removal { Deleted, Gone, SomeoneElses }

    /// <summary>
    /// Unlinks and deletes one of the operator's Secrets. The cache holds only labelled Secrets: a name on record that it
    /// lacks is asked for, since the Secret may have been deleted since (a released namespace is not watched for it) and
    /// its name taken by someone's own, which is not the operator's to delete, nor its links.
    /// </summary>
    private async Task<Removal> RemoveAsync(NamespaceWork work, string name, CancellationToken ct)
    {
        var path = ResourceType.Secrets.ObjectPath(work.Name, name);
        var before = _secrets.Get(work.Name, name);
        if (before is null && await api.GetAsync<V1Secret>(path, ct) is { } unlabelled
            && !(work.Record.Secrets.FirstOrDefault(s => s.Name == name) is { ServiceAccount.Length: > 0 } recorded
                 && HoldsTheLoginOfItsRobot(work.Record, unlabelled, recorded.ServiceAccount)))
            return Removal.SomeoneElses;
        await UnlinkEverywhereAsync(work.Name, name, ct);
        var deleted = await api.DeleteAsync(path, ct);
        _secrets.Deleted(new ObjectKey(work.Name, name), before);
        return deleted ? Removal.Deleted : Removal.Gone;
    }

    /// <summary>
    /// A Docker config with the login of the robot the operator names after <paramref name="serviceAccount"/> in an
    /// organization of the record (or one this reconcile took off it: a release deletes the organizations before the
    /// Secrets), a robot the operator made: one the operator or the Go operator wrote, its label removed. A team's own
    /// pull secret holds the login of a robot of theirs (in that organization, found under the service account's
    /// robot name, or in their own), or a user's, and stays.
    /// </summary>
    private static bool HoldsTheLoginOfItsRobot(OwnershipDraft record, V1Secret secret, string serviceAccount) =>
        secret.Type == RobotSecret.Type
        && RobotSecret.LoginUsersOf(secret).Any(user => user.IndexOf('+') is > 0 and var plus
                                                        && user == QuayNames.RobotFullNameFor(user[..plus], serviceAccount)
                                                        && record.MadeRobot(user)); // only in an organization the record names or named

    /// <summary>
    /// Named <c>&lt;sa&gt;-quay-&lt;clusterID&gt;</c> after the service account it names, under the current cluster ID: the only
    /// name an unrecorded one of the operator's can have (written just before a crash or before a failure the record's
    /// save after it did not survive; one written under an earlier cluster ID is on record from its write on, unless
    /// the process died before any save, and the cluster ID changed before it ran again). A copy named
    /// <c>builder-quay-backup</c> is someone's.
    /// </summary>
    private static bool IsNamedAsOperators(CachedSecret secret, string clusterId) =>
        secret.Annotations?.TryGetValue(WellKnown.ServiceAccountAnnotation, out var account) == true
        && secret.Name == QuayNames.SecretNameFor(account, clusterId);

    /// <summary>Takes the Secret out of every service account of the namespace that lists it.</summary>
    public async Task UnlinkEverywhereAsync(string ns, string secretName, CancellationToken ct)
    {
        foreach (var account in _accounts.ListInNamespace(ns).Where(a => ServiceAccountLinkPatch.Unlink(a, secretName) is not null))
            await PatchLinksAsync(account, secretName, ServiceAccountLinkPatch.Unlink, ct);
    }

    /// <summary>Every Secret of the operator in the namespace, unlinked and deleted (the namespace is released with cleanupPolicy Delete, <paramref name="why"/>).</summary>
    public async Task RemoveAllAsync(NamespaceWork work, string why, CancellationToken ct) => await RemoveUnwantedAsync(work, [], ct, why);

    private static JsonObject ToJson(IDictionary<string, string> map)
    {
        var o = new JsonObject();
        foreach (var (k, v) in map) o[k] = v;
        return o;
    }
}
