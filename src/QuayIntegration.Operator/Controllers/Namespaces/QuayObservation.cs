using System.Collections.Concurrent;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// What Quay was last seen to hold in one namespace's organization: every robot with (the digest of) its credentials, the default
/// permissions, and the repository permissions (with roles) of the robots the namespace uses. It is read at a drift
/// check (the robot list, the default-permission list and one permission list per robot: 2 + S calls whatever the
/// number of ImageStreams) and then kept in step with every write the operator makes, so the reconciles in between
/// ask Quay nothing. Only one reconcile of a namespace runs at a time, so an observation is never shared by two.
/// </summary>
public sealed class QuayObservation(string organization, ObservationBasis basis, DateTimeOffset verifiedAt)
{
    public string Organization { get; } = organization;

    /// <summary>What the observation was made under: a change makes it worthless.</summary>
    public ObservationBasis Basis { get; } = basis;

    public DateTimeOffset VerifiedAt { get; } = verifiedAt;

    // One per managed namespace for a whole drift interval: the maps are compact (a handful of entries each), and a
    // robot's name is held once, as the key of Credentials, wherever the observation names that robot.

    /// <summary>
    /// Every robot of the organization, by full name, with the <see cref="RobotSecret.DataDigestOf">digest</see> of the
    /// Secret data its token makes (<see cref="NoCredentials"/> when Quay's answer carried no token). Not the token: the
    /// digest is all that comparing with a Secret needs, and the token itself is only held by the reconcile that got
    /// it from Quay (<see cref="NamespaceWork.TokenSeen"/>).
    /// </summary>
    public IDictionary<string, UInt128> Credentials => _credentials;

    /// <summary>A robot Quay listed without its token: known to exist, its credentials unknown.</summary>
    public static readonly UInt128 NoCredentials = UInt128.Zero;

    private readonly CompactDictionary<UInt128> _credentials = CompactDictionary.Create<UInt128>();

    /// <summary>Robot full name → repository → role, for the robots whose permissions were read (or that were created empty).</summary>
    public IDictionary<string, IDictionary<string, string>> Permissions { get; } = CompactDictionary.Create<IDictionary<string, string>>();

    public List<QuayPrototype> Prototypes { get; } = [];

    public string? RoleOf(string robot, string repository) =>
        Permissions.TryGetValue(robot, out var repositories) && repositories.TryGetValue(repository, out var role) ? role : null;

    public void Grant(string robot, string repository, string role)
    {
        if (!Permissions.TryGetValue(robot, out var repositories)) Permissions[NameOf(robot)] = repositories = CompactDictionary.Create<string>();
        repositories[repository] = StringPool.Shared.Share(role)!;
    }

    /// <summary>The robot's permission on the repository was deleted.</summary>
    public void Revoke(string robot, string repository)
    {
        if (Permissions.TryGetValue(robot, out var repositories)) repositories.Remove(repository);
    }

    /// <summary>The robot's permissions were read (or it was just created): what <see cref="Grant"/> adds is all it holds.</summary>
    public void PermissionsKnown(string robot, bool replace)
    {
        if (replace || !Permissions.ContainsKey(robot)) Permissions[NameOf(robot)] = CompactDictionary.Create<string>();
    }

    /// <summary>A default permission seen in Quay or just applied; its role and kind come from a handful of values.</summary>
    public void AddPrototype(QuayPrototype prototype)
    {
        var pool = StringPool.Shared;
        prototype.Role = pool.Share(prototype.Role)!;
        if (prototype.Delegate is { } user)
        {
            user.Name = NameOf(user.Name);
            user.Kind = pool.Share(user.Kind);
        }
        Prototypes.Add(prototype);
    }

    /// <summary>The instance of a robot's name this observation already holds, so that it is held once.</summary>
    private string NameOf(string robot) => _credentials.TryGetKey(robot, out var held) ? held : robot;

    /// <summary>A repository was deleted: no robot holds anything on it any more.</summary>
    public void RepositoryDeleted(string repository)
    {
        foreach (var repositories in Permissions.Values) repositories.Remove(repository);
    }

    /// <summary>A robot was deleted: Quay removed its permissions and the default permissions naming it.</summary>
    public void RobotDeleted(string robot)
    {
        Credentials.Remove(robot);
        Permissions.Remove(robot);
        Prototypes.RemoveAll(p => p.Delegate?.Name == robot);
    }

    /// <summary>The repositories some robot of <paramref name="robots"/> holds a permission on.</summary>
    public IEnumerable<string> RepositoriesOf(IEnumerable<string> robots) =>
        robots.SelectMany(r => Permissions.TryGetValue(r, out var repositories) ? repositories.Keys : Enumerable.Empty<string>()).Distinct(StringComparer.Ordinal);
}

/// <summary>
/// What an observation of a namespace's organization depends on: the Quay connection (URL, token, CA), the
/// organization, the desired state of the configuration and the namespace's UID (a namespace deleted and created again
/// under the same name starts over). Kept as references to strings that already exist, compared by value: a joined
/// fingerprint string was a fresh ~380 bytes per namespace held for the life of the observation, and built again on
/// every reconcile.
/// </summary>
public readonly record struct ObservationBasis(string Connection, string Organization, string DesiredState, string? NamespaceUid)
{
    public static ObservationBasis Of(NamespaceWork work) =>
        new(work.Quay.Connection.Fingerprint, work.Organization, work.Config!.DesiredStateFingerprint, work.Namespace?.Metadata.Uid);
}

/// <summary>The observations of every namespace, valid until the next drift check or until what they depend on changes.</summary>
public sealed class QuayObservations
{
    private readonly ConcurrentDictionary<string, QuayObservation> _byNamespace = new();

    /// <summary>The namespace's observation if it was made under <paramref name="basis"/> less than <paramref name="validity"/> ago.</summary>
    public QuayObservation? Current(string ns, ObservationBasis basis, DateTimeOffset now, TimeSpan validity) =>
        _byNamespace.TryGetValue(ns, out var observation) && observation.Basis == basis && now - observation.VerifiedAt < validity
            ? observation
            : null;

    public void Set(string ns, QuayObservation observation) => _byNamespace[ns] = observation;

    /// <summary>Quay contradicted the observation (an organization gone, a refused create): the next reconcile reads again.</summary>
    public void Forget(string ns) => _byNamespace.TryRemove(ns, out _);

    public DateTimeOffset? VerifiedAt(string ns) => _byNamespace.TryGetValue(ns, out var o) ? o.VerifiedAt : null;
}
