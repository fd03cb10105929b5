using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>The configuration a history has reached, as the test set it.</summary>
public sealed record HistoryConfig(
    string ClusterId,
    string? OrganizationPrefix,
    IReadOnlySet<string> Allow,
    IReadOnlySet<string> Deny,
    IReadOnlyList<(string Name, string Role)> Matrix,
    bool DeleteRepositories,
    bool DeleteOnCleanup)
{
    public string Prefix => OrganizationPrefix ?? ClusterId;
    public string OrganizationOf(string ns) => $"{Prefix}_{ns}";
    public bool InScope(string ns) => Allow.Contains(ns) && !Deny.Contains(ns);
}

/// <summary>
/// The end state the ownership promise requires, given the configuration, the cluster and what the test knows of the
/// history (which namespace was managed when it was deleted, what a person made by hand). Every object in the emulated
/// Quay says who created it; from that alone the oracle tells (a) whether each object the operator created may still
/// exist, (b) whether everything made by hand is untouched, (c) whether everything wanted exists, and (d) whether the
/// ownership records say who made what truthfully. <see cref="ViolationsAsync"/> is empty exactly when all hold.
/// </summary>
public sealed class OwnershipOracle(OperatorEnvironment env, string operatorUser, IReadOnlyCollection<string> universe, IReadOnlyCollection<string> prefixes)
{
    /// <summary>Namespaces deleted while managed (their content had to go) or while released (it stayed by policy).</summary>
    public Dictionary<string, bool> ManagedWhenDeleted { get; } = new(StringComparer.Ordinal);

    /// <summary>Robot tokens and default-permission roles of what a person made, as made.</summary>
    public Dictionary<string, string> HandRobotTokens { get; } = new(StringComparer.Ordinal);
    public HashSet<string> HandOrganizations { get; } = new(StringComparer.Ordinal);
    public HashSet<string> HandRepositories { get; } = new(StringComparer.Ordinal);

    public async Task<List<string>> ViolationsAsync(HistoryConfig config)
    {
        var problems = new List<string>();
        var quay = env.Quay.State;
        var namespaces = new Dictionary<string, V1Namespace>(StringComparer.Ordinal);
        foreach (var ns in (await env.Kube.CoreV1.ListNamespaceAsync()).Items)
            if (universe.Contains(ns.Metadata.Name)) namespaces[ns.Metadata.Name] = ns;
        bool Exists(string ns) => namespaces.TryGetValue(ns, out var n) && n.Metadata.DeletionTimestamp is null;
        bool Managed(string ns) => Exists(ns) && config.InScope(ns);

        // (b) what a person made is untouched.
        foreach (var org in HandOrganizations.Where(o => quay.Organization(o) is null)) problems.Add($"hand-made organization {org} was deleted");
        foreach (var repo in HandRepositories.Where(r => quay.Repository(r.Split('/')[0], r.Split('/')[1]) is null))
            problems.Add($"hand-made repository {repo} was deleted");
        foreach (var (robot, token) in HandRobotTokens)
        {
            var found = quay.Organizations.SelectMany(o => o.Robots).FirstOrDefault(r => r.Name == robot);
            if (found is null) problems.Add($"hand-made robot {robot} was deleted");
            else if (found.Token != token) problems.Add($"hand-made robot {robot} had its token changed");
        }

        // (a) what the operator made exists only where wanted, or where a policy keeps it.
        foreach (var (name, ns) in namespaces)
            if (ns.Metadata.DeletionTimestamp is not null) problems.Add($"namespace {name} is stuck terminating");
        foreach (var org in quay.Organizations)
        {
            if (Owner(org.Name) is not { } ns) continue;
            var current = Managed(ns) && org.Name == config.OrganizationOf(ns);
            // Not current and not kept by policy: what the operator made in it must go. Its own organization goes whole,
            // unless someone put a repository or robot of their own in it, which would go with it.
            var cleaned = !current && !Kept(ns, config, Exists(ns));
            var foreign = org.Robots.Any(r => r.CreatedBy != operatorUser) || quay.Repositories.Any(r => r.Namespace == org.Name && r.CreatedBy != operatorUser);
            if (org.CreatedBy == operatorUser && cleaned && !foreign) problems.Add($"organization {org.Name} (operator's) should have been deleted");
            foreach (var robot in org.Robots.Where(r => r.CreatedBy == operatorUser))
            {
                var inMatrix = config.Matrix.Any(m => $"{org.Name}+{m.Name}" == robot.Name);
                if (current ? !inMatrix : cleaned) problems.Add($"robot {robot.Name} (operator's) should have been deleted");
            }
            foreach (var prototype in org.Prototypes.Where(p => p.CreatedBy == operatorUser))
            {
                var role = config.Matrix.FirstOrDefault(m => $"{org.Name}+{m.Name}" == prototype.DelegateName).Role;
                if (current ? role is null : cleaned) problems.Add($"default permission of {prototype.DelegateName} (operator's) should have been deleted");
                if (current && role is not null && prototype.Role != role) problems.Add($"default permission of {prototype.DelegateName} is {prototype.Role}, not {role}");
            }
            foreach (var repo in quay.Repositories.Where(r => r.Namespace == org.Name && r.CreatedBy == operatorUser))
            {
                var allowed = current ? !config.DeleteRepositories || await StreamExistsAsync(ns, repo.Name) : !cleaned || !config.DeleteRepositories;
                if (!allowed) problems.Add($"repository {org.Name}/{repo.Name} (operator's) should have been deleted");
            }
        }

        // (c) what is wanted exists; (d) the records tell the truth.
        foreach (var ns in universe.Where(Managed))
            await WantedAsync(ns, config, namespaces[ns], problems);
        foreach (var ns in universe)
            await RecordTruthAsync(ns, problems);
        return problems;
    }

    /// <summary>
    /// May what the operator made for a namespace stay where the namespace no longer points (a former organization,
    /// a namespace out of scope, a deleted one)? Only with cleanupPolicy Keep, and never once a namespace was deleted
    /// while managed.
    /// </summary>
    private bool Kept(string ns, HistoryConfig config, bool exists) =>
        !config.DeleteOnCleanup && (exists || !ManagedWhenDeleted.GetValueOrDefault(ns, false));

    private async Task WantedAsync(string ns, HistoryConfig config, V1Namespace namespaceObject, List<string> problems)
    {
        var orgName = config.OrganizationOf(ns);
        var org = env.Quay.State.Organization(orgName);
        if (namespaceObject.Metadata.Finalizers?.Contains("quay.redhat.com/quayintegrations") != true) problems.Add($"namespace {ns} has no finalizer");
        if (org is null)
        {
            problems.Add($"organization {orgName} of {ns} is missing");
            return;
        }
        var secrets = (await env.Kube.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: "app.kubernetes.io/managed-by=quay-integration-operator")).Items;
        var wantedSecrets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (account, role) in config.Matrix)
        {
            var robot = org.Robots.FirstOrDefault(r => r.Name == $"{orgName}+{account}");
            if (robot is null)
            {
                problems.Add($"robot {orgName}+{account} is missing");
                continue;
            }
            if (robot.CreatedBy == operatorUser && !org.Prototypes.Any(p => p.DelegateName == robot.Name && p.Role == role && p.ActivatingUser is null))
                problems.Add($"default permission {role} of {robot.Name} is missing");
            var secretName = $"{account}-quay-{config.ClusterId}";
            wantedSecrets.Add(secretName);
            var secret = secrets.FirstOrDefault(s => s.Metadata.Name == secretName);
            if (secret is null || env.DockerAuth(secret) != $"{robot.Name}:{robot.Token}")
            {
                problems.Add($"Secret {ns}/{secretName} is missing or stale");
                continue;
            }
            V1ServiceAccount? sa = null;
            try { sa = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync(account, ns); } catch (k8s.Autorest.HttpOperationException) { }
            if (sa is not null && (sa.Secrets?.Any(s => s.Name == secretName) != true || sa.ImagePullSecrets?.Any(s => s.Name == secretName) != true))
                problems.Add($"service account {ns}/{account} does not list {secretName}");
            foreach (var repo in await StreamsAsync(ns))
            {
                var repository = env.Quay.State.Repository(orgName, repo);
                if (repository is null) problems.Add($"repository {orgName}/{repo} is missing");
                else if (repository.UserPermissions.GetValueOrDefault(robot.Name) != role)
                    problems.Add($"{robot.Name} has {repository.UserPermissions.GetValueOrDefault(robot.Name) ?? "nothing"} on {orgName}/{repo}, not {role}");
            }
        }
        foreach (var extra in secrets.Where(s => !wantedSecrets.Contains(s.Metadata.Name)))
            problems.Add($"Secret {ns}/{extra.Metadata.Name} is no longer wanted but still exists");
        foreach (var sa in (await env.Kube.CoreV1.ListNamespacedServiceAccountAsync(ns)).Items)
            foreach (var link in (sa.ImagePullSecrets ?? []).Where(l => l.Name.Contains("-quay-") && !wantedSecrets.Contains(l.Name)))
                problems.Add($"service account {ns}/{sa.Metadata.Name} still lists {link.Name}");
    }

    /// <summary>Every organization, robot and repository a record names must have been made by whom it says.</summary>
    private async Task RecordTruthAsync(string ns, List<string> problems)
    {
        var record = await env.GetRecordAsync(ns);
        foreach (var org in record?["spec"]?["organizations"]?.AsArray() ?? [])
        {
            var name = org!["name"]!.GetValue<string>();
            var origin = org["origin"]!.GetValue<string>();
            var actual = env.Quay.State.Organization(name);
            if (actual is not null && origin != "Creating" && (origin == "Created") != (actual.CreatedBy == operatorUser))
                problems.Add($"the record of {ns} says organization {name} is {origin}, but it was made by {actual.CreatedBy}");
            foreach (var robot in org["robots"]?.AsArray() ?? [])
            {
                var robotName = robot!["name"]!.GetValue<string>();
                var made = actual?.Robots.FirstOrDefault(r => r.Name == robotName);
                if (made is not null && (robot["origin"]!.GetValue<string>() == "Created") != (made.CreatedBy == operatorUser))
                    problems.Add($"the record of {ns} says robot {robotName} is {robot["origin"]}, but it was made by {made.CreatedBy}");
            }
            foreach (var repo in org["repositories"]?.AsArray() ?? [])
            {
                var made = env.Quay.State.Repository(name, repo!["name"]!.GetValue<string>());
                if (made is not null && (repo["origin"]!.GetValue<string>() == "Created") != (made.CreatedBy == operatorUser))
                    problems.Add($"the record of {ns} says repository {name}/{made.Name} is {repo["origin"]}, but it was made by {made.CreatedBy}");
            }
        }
    }

    /// <summary>The namespace of the universe an organization name belongs to, under any prefix the history used.</summary>
    private string? Owner(string org)
    {
        foreach (var prefix in prefixes)
            foreach (var ns in universe)
                if (org == $"{prefix}_{ns}") return ns;
        return null;
    }

    private async Task<bool> StreamExistsAsync(string ns, string name) => (await StreamsAsync(ns)).Contains(name);

    private async Task<List<string>> StreamsAsync(string ns)
    {
        var answer = (System.Text.Json.JsonElement)await env.Kube.CustomObjects.ListNamespacedCustomObjectAsync("image.openshift.io", "v1", ns, "imagestreams");
        return JsonNode.Parse(answer.GetRawText())!["items"]!.AsArray()
            .Where(i => i!["metadata"]!["deletionTimestamp"] is null)
            .Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();
    }

    public static string Describe(IEnumerable<string> problems)
    {
        var text = new StringBuilder();
        foreach (var p in problems.Take(30)) text.AppendLine("  - " + p);
        return text.ToString();
    }
}
