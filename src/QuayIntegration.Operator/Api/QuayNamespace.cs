using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Api;

/// <summary>
/// The cluster-scoped QuayNamespace (deploy/base/crds/quay.redhat.com_quaynamespaces.yaml): one per namespace the operator
/// ever managed, named after it. Its spec is the ownership record (what the operator created, in Quay and in the
/// cluster), kept in spec rather than status because it cannot be observed again once lost, and backups restore spec.
/// Its status is the namespace's state as a person reads it (<c>kubectl get qns</c>).
/// </summary>
public sealed class QuayNamespaceResource : IKubernetesObject<V1ObjectMeta>
{
    public const string Plural = "quaynamespaces";
    public const string KindName = "QuayNamespace";

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = $"{QuayIntegrationResource.Group}/{QuayIntegrationResource.Version}";
    [JsonPropertyName("kind")] public string Kind { get; set; } = KindName;
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public OwnershipRecord Spec { get; set; } = new();
    [JsonPropertyName("status")] public QuayNamespaceStatus? Status { get; set; }
}

/// <summary>Values of the <c>origin</c> fields of the ownership record.</summary>
public static class Origin
{
    /// <summary>Quay said the organization was absent and the operator was about to create it: if it exists, the operator made it.</summary>
    public const string Creating = "Creating";
    /// <summary>The operator created it, so the operator deletes it when it is no longer wanted (as the policies say).</summary>
    public const string Created = "Created";
    /// <summary>It existed before the operator used it: never deleted; only what the operator added inside is removed.</summary>
    public const string Found = "Found";
}

/// <summary>Everything the operator created for one namespace. Written by the operator only.</summary>
public sealed class OwnershipRecord
{
    [JsonPropertyName("namespaceUID")]
    public string? NamespaceUid
    {
        get => _namespaceUid.Value;
        set => _namespaceUid = CompactUuid.Of(value);
    }

    // One per namespace in the records' cache for the life of the process.
    private CompactUuid _namespaceUid;
    /// <summary>The QuayIntegration that manages (or last managed) the namespace; null in records older than several integrations.</summary>
    [JsonPropertyName("integration")] public string? Integration { get; set; }
    [JsonPropertyName("released")] public bool? Released { get; set; }
    /// <summary>
    /// The QuayIntegration a released namespace moves to, until that one syncs it (or the namespace leaves every scope):
    /// a namespace deleted meanwhile was deleted while managed, and what was kept is owed to its deletion.
    /// </summary>
    [JsonPropertyName("movingTo")] public string? MovingTo { get; set; }
    [JsonPropertyName("organizations")] public List<OrganizationRecord>? Organizations { get; set; }
    [JsonPropertyName("secrets")] public List<SecretRecord>? Secrets { get; set; }
}

public sealed class OrganizationRecord
{
    public const string AdoptedFromGoOperator = "quay-bridge-operator";

    [JsonPropertyName("host")] public string Host { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("origin")]
    public string Origin
    {
        get => _origin;
        set
        {
            // Settled either way: no create is pending any more, so no time of one is kept.
            if (_origin == Api.Origin.Creating && value != Api.Origin.Creating) PendingSince = null;
            _origin = value;
        }
    }
    private string _origin = Api.Origin.Found;
    /// <summary>
    /// While <see cref="Api.Origin.Creating"/>: when the operator's last create was written ahead. A create that got no
    /// answer may still be carried out by Quay after the operator gave up on it, so an organization absent at the
    /// namespace's deletion is looked for again until a grace after this time (QuayOptions.UnansweredCreateGrace).
    /// </summary>
    [JsonPropertyName("pendingSince")] public DateTime? PendingSince { get; set; }
    /// <summary>
    /// Set when the organization was taken over from the Go Quay Bridge Operator (<see cref="AdoptedFromGoOperator"/>),
    /// which marked nothing it made: its robots and repositories without a mark count as made by this operator.
    /// </summary>
    [JsonPropertyName("adoptedFrom")] public string? AdoptedFrom { get; set; }
    /// <summary>
    /// True once what the Go operator left in the organization is in this record (taken at the first look after the
    /// takeover, <see cref="Controllers.Namespaces.TakeoverInventory"/>): from then on an unmarked robot or repository
    /// counts as the operator's only if the record names it Created, so what a person makes there later is never taken.
    /// </summary>
    [JsonPropertyName("adoptedContentRecorded")] public bool? AdoptedContentRecorded { get; set; }
    /// <summary>
    /// True once who made the organization was asked (an email the Go operator never gave makes it someone's: Found).
    /// Versions before this field took the inventory without asking; such an entry is asked once, at the next look.
    /// </summary>
    [JsonPropertyName("adoptedMakerChecked")] public bool? AdoptedMakerChecked { get; set; }
    /// <summary>
    /// On an organization taken over from the Go operator under an organizationPrefix that gives another name (the Go
    /// operator named organizations after the cluster ID, whatever the prefix said): that prefix. While the
    /// integration's prefix is still this one, the namespace keeps this organization, so the takeover moves nothing and
    /// breaks no pull; a prefix changed afterwards moves it, as any prefix change does.
    /// </summary>
    [JsonPropertyName("keptWhilePrefix")] public string? KeptWhilePrefix { get; set; }
    /// <summary>
    /// The QuayIntegration whose cleanupPolicy Keep kept the organization (on its own Quay) when it released the
    /// namespace: another integration never removes it by its own policy (a Delete of the one the namespace moved to
    /// deleted an organization, and its images, that the first had promised to keep). It goes when the namespace is
    /// deleted while managed, or by the keeping integration's own policy where that one reaches it; cleared when the
    /// keeping integration takes it up again as the namespace's organization.
    /// </summary>
    [JsonPropertyName("keptBy")] public string? KeptBy { get; set; }
    [JsonPropertyName("robots")] public List<RobotRecord>? Robots { get; set; }
    /// <summary>
    /// Not stored: the robots recorded as created that were taken off this entry (deleted, or found gone) since it was
    /// read, so that their Secrets are still known for the operator's when they are removed after them.
    /// </summary>
    [JsonIgnore] public HashSet<string>? RemovedCreatedRobots { get; set; }
    [JsonPropertyName("defaultPermissions")] public List<DefaultPermissionRecord>? DefaultPermissions { get; set; }
    [JsonPropertyName("repositories")] public List<RepositoryRecord>? Repositories { get; set; }
    [JsonPropertyName("repositoryPermissions")] public List<RepositoryPermissionRecord>? RepositoryPermissions { get; set; }
}

public sealed class RobotRecord
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("serviceAccount")] public string ServiceAccount { get; set; } = "";
    [JsonPropertyName("origin")] public string Origin { get; set; } = Api.Origin.Found;
    /// <summary>
    /// For a robot the operator created: when Quay made it, as Quay gave it. A robot listed under its name with another
    /// time was deleted and made again, by someone else unless it carries the operator's mark (<see cref="Controllers.Namespaces.RemadeRobots"/>).
    /// </summary>
    [JsonPropertyName("created")] public string? Created { get; set; }
}

/// <summary>A default permission the operator created for a robot it did not create; an empty id means "about to create".</summary>
public sealed class DefaultPermissionRecord
{
    [JsonPropertyName("robot")] public string Robot { get; set; } = "";
    [JsonPropertyName("id")]
    public string? Id
    {
        get => _id.Value;
        set
        {
            _id = CompactUuid.Of(value);
            // Known now: no create is pending any more, so no time of one is kept.
            if (!string.IsNullOrEmpty(value)) PendingSince = null;
        }
    }

    /// <summary>
    /// While the id is empty: when the operator's last create was written ahead. Quay may carry out a create whose
    /// answer the operator gave up on, and nothing in a default permission says who made it, so for a grace after this
    /// time (QuayOptions.UnansweredCreateGrace) the robot's one default permission no entry names is taken as the
    /// operator's late create: no other is created meanwhile, and the entry is not forgotten.
    /// </summary>
    [JsonPropertyName("pendingSince")] public DateTime? PendingSince { get; set; }

    // One per robot per namespace in the records' cache for the life of the process.
    private CompactUuid _id;
}

public sealed class RepositoryRecord
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("origin")] public string Origin { get; set; } = Api.Origin.Found;
}

/// <summary>
/// A role the operator gave, on one repository, to a robot it did not create (a robot it created takes its permissions
/// with it when deleted). Written into the record before the grant, with the role the robot held there before
/// (<see cref="Previous"/>, null when none), so that it can be given back exactly when the robot's service account
/// leaves the matrix or the operator lets go of the organization.
/// </summary>
public sealed class RepositoryPermissionRecord
{
    [JsonPropertyName("robot")] public string Robot { get; set; } = "";
    [JsonPropertyName("repository")] public string Repository { get; set; } = "";
    [JsonPropertyName("role")] public string Role { get; set; } = "";
    [JsonPropertyName("previous")] public string? Previous { get; set; }
    /// <summary>
    /// A role being given in place of <see cref="Role"/> (the matrix changed it): written ahead, and made the role once
    /// Quay has given it. Until then the robot may hold either, both the operator's.
    /// </summary>
    [JsonPropertyName("pending")] public string? Pending { get; set; }
}

public sealed class SecretRecord
{
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("serviceAccount")] public string ServiceAccount { get; set; } = "";
    /// <summary>
    /// The QuayIntegration that wrote it: one the namespace moves to leaves it alone, as the writer's cleanupPolicy Keep
    /// kept it (with Delete the writer removed it as it let go). Absent in records of earlier versions.
    /// </summary>
    [JsonPropertyName("integration")] public string? Integration { get; set; }
}

public sealed class QuayNamespaceStatus
{
    [JsonPropertyName("organization")] public string? Organization { get; set; }
    [JsonPropertyName("origin")] public string? Origin { get; set; }
    [JsonPropertyName("integration")] public string? Integration { get; set; }
    [JsonPropertyName("phase")] public string? Phase { get; set; }
    [JsonPropertyName("lastVerified")] public DateTime? LastVerified { get; set; }
    /// <summary>Always serialized, null included, so that a merge patch of the status clears an error that is gone.</summary>
    [JsonPropertyName("lastError")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? LastError { get; set; }
    /// <summary>Always serialized too: what is no longer kept leaves the status (a null left out would leave the old list).</summary>
    [JsonPropertyName("kept")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public List<string>? Kept { get; set; }
    [JsonPropertyName("keptCount")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int? KeptCount { get; set; }
    [JsonPropertyName("tokensRotatedAt")] public DateTime? TokensRotatedAt { get; set; }
    [JsonPropertyName("rotationRequestHandled")] public string? RotationRequestHandled { get; set; }
    /// <summary>
    /// A rotation Quay refused for some robots: those regenerated already are not regenerated again by its retry.
    /// Always serialized, so that a merge patch of the status clears it once the rotation is complete or given up.
    /// </summary>
    [JsonPropertyName("rotationInProgress")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public RotationInProgress? RotationInProgress { get; set; }
    [JsonPropertyName("conditions")] public List<V1Condition>? Conditions { get; set; }
}

/// <summary>
/// A rotation not yet complete: what it is for, where, from which last rotation, and the robots (full names) whose
/// tokens it regenerated. Every field is always serialized: a merge patch merges objects field by field, so one left out
/// would keep the value of an earlier rotation.
/// </summary>
public sealed class RotationInProgress
{
    public const string Scheduled = "schedule";
    public const string RequestPrefix = "request:";

    /// <summary><see cref="RequestPrefix"/> and the request's value as <c>rotationRequestHandled</c> keeps it, or <see cref="Scheduled"/>.</summary>
    [JsonPropertyName("cause")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Cause { get; set; }
    /// <summary>The Quay host and organization, <c>host/organization</c>.</summary>
    [JsonPropertyName("organization")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Organization { get; set; }
    /// <summary>The <c>tokensRotatedAt</c> the rotation started from.</summary>
    [JsonPropertyName("since")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public DateTime? Since { get; set; }
    [JsonPropertyName("robots")] [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public List<string>? Robots { get; set; }

    public bool IsSameRotationAs(RotationInProgress other) =>
        Cause == other.Cause && Organization == other.Organization && Since == other.Since;
}

/// <summary>Values of <see cref="QuayNamespaceStatus.Phase"/>.</summary>
public static class NamespacePhase
{
    public const string Pending = "Pending";
    public const string Synced = "Synced";
    public const string Failing = "Failing";
    /// <summary>Selected by more than one QuayIntegration, or its organization belongs to another cluster: nothing is changed.</summary>
    public const string Conflict = "Conflict";
    public const string Released = "Released";
    public const string NamespaceDeleted = "NamespaceDeleted";
}
