using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Benchmarks.World;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Benchmarks.Measuring;

/// <summary>
/// Decides whether namespaces are fully set up by reading both sides in-process, so the measurement adds no Quay call
/// and no API request that the operator would see: Quay through the emulator's state snapshot, the cluster through
/// the API server's storage. Fully set up = organization; per service account a robot, a default permission with the
/// matrix's role, the <c>&lt;sa&gt;-quay-&lt;cluster&gt;</c> Secret holding that robot's current token, the Secret in the
/// service account's <c>secrets</c> and <c>imagePullSecrets</c>; per ImageStream a private repository with the robots'
/// explicit permissions.
/// </summary>
public sealed class ConvergenceProbe(BenchmarkWorld world)
{
    /// <summary>
    /// One organization of the emulated Quay with its repositories, copied on its own: the emulator's lock is held for
    /// that organization only, never for a copy of the whole store, which at 10,000 namespaces took long enough, four
    /// times a second, to stall the Quay calls being measured.
    /// </summary>
    public sealed class OrganizationView(OrganizationState organization, IReadOnlyList<RepositoryState> repositories)
    {
        public OrganizationState Organization { get; } = organization;
        public IReadOnlyDictionary<string, RepositoryState> Repositories { get; } = repositories.ToDictionary(r => r.Name, StringComparer.Ordinal);
    }

    public OrganizationView? Organization(string orgName) =>
        world.Quay.SnapshotOrganization(orgName) is { } copy ? new OrganizationView(copy.Organization, copy.Repositories) : null;

    /// <summary>Null when the namespace is fully set up, otherwise the first thing missing (for diagnostics).</summary>
    public string? Missing(string ns, int imageStreams)
    {
        var orgName = BenchmarkWorld.OrganizationFor(ns);
        if (Organization(orgName) is not { } view) return "organization";
        var org = view.Organization;
        foreach (var sa in BenchmarkWorld.ServiceAccounts)
        {
            var robotName = $"{orgName}+{sa}";
            var robot = org.Robots.FirstOrDefault(r => r.Name == robotName);
            if (robot is null) return $"robot {sa}";
            if (!org.Prototypes.Any(p => p.DelegateName == robotName && p.Role == BenchmarkWorld.Roles[sa])) return $"default permission {sa}";

            var secretName = $"{sa}-quay-{BenchmarkWorld.ClusterId}";
            var secret = world.Api.Peek("", "secrets", ns, secretName);
            if (secret is null) return $"secret {secretName}";
            if (!SecretHolds(secret, robotName, robot.Token)) return $"secret {secretName} content";
            var account = world.Api.Peek("", "serviceaccounts", ns, sa);
            if (account is null) return $"service account {sa}";
            if (!Lists(account["secrets"], secretName) || !Lists(account["imagePullSecrets"], secretName)) return $"link {sa}";
        }
        for (var i = 0; i < imageStreams; i++)
        {
            var name = BenchmarkWorld.ImageStreamName(i);
            if (!view.Repositories.TryGetValue(name, out var repo)) return $"repository {name}";
            if (repo.IsPublic) return $"repository {name} is public";
            foreach (var sa in BenchmarkWorld.ServiceAccounts)
                if (!repo.UserPermissions.TryGetValue($"{orgName}+{sa}", out var role) || role != BenchmarkWorld.Roles[sa])
                    return $"repository {name} permission {sa}";
        }
        return null;
    }

    public bool OrganizationExists(string ns) => world.Quay.SnapshotOrganization(BenchmarkWorld.OrganizationFor(ns)) is not null;

    private static bool Lists(JsonNode? list, string name) =>
        list is JsonArray array && array.Any(e => e?["name"]?.GetValue<string>() == name);

    private static bool SecretHolds(JsonObject secret, string robot, string token)
    {
        if (secret["type"]?.GetValue<string>() != "kubernetes.io/dockerconfigjson") return false;
        if (secret["data"]?[".dockerconfigjson"]?.GetValue<string>() is not { } encoded) return false;
        try
        {
            var config = JsonNode.Parse(Convert.FromBase64String(encoded));
            if (config?["auths"] is not JsonObject auths) return false;
            var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{robot}:{token}"));
            return auths.Any(a => a.Value?["auth"]?.GetValue<string>() == expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits until every namespace is fully set up; returns the time it took (from <paramref name="since"/>) or null on
    /// timeout, with what is still missing. Polls every <paramref name="interval"/>: the measurement's resolution.
    /// </summary>
    /// <param name="progress">When given, gets (seconds since <paramref name="since"/>, namespaces fully set up) at every poll: the convergence curve.</param>
    public async Task<(TimeSpan? Elapsed, int Remaining, string? Example)> WaitAllAsync(IReadOnlyList<string> namespaces, int imageStreams,
        Stopwatch since, TimeSpan timeout, TimeSpan interval, Func<bool>? abort, CancellationToken ct, List<(double Seconds, double Done)>? progress = null)
    {
        var pending = new HashSet<string>(namespaces);
        string? example = null;
        while (true)
        {
            example = null;
            foreach (var ns in pending.ToList())
            {
                var missing = Missing(ns, imageStreams);
                if (missing is null) pending.Remove(ns);
                else example ??= $"{ns}: {missing}";
            }
            progress?.Add((since.Elapsed.TotalSeconds, namespaces.Count - pending.Count));
            if (pending.Count == 0) return (since.Elapsed, 0, null);
            if (since.Elapsed > timeout || abort?.Invoke() == true) return (null, pending.Count, example);
            await Task.Delay(interval, ct);
        }
    }
}
