using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Cli;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using QuayIntegration.Emulators.Quay.Model;
using QuayIntegration.Sandbox.Output;
using QuayIntegration.Sandbox.World;

namespace QuayIntegration.Sandbox.Steps;

/// <summary>How the walkthrough went: every step is passed, failed, skipped (by choice, with the reason) or not run.</summary>
public sealed record WalkthroughResult(int Total, int Passed, int Failed, int Skipped, int NotRun)
{
    public bool Success => Failed == 0 && NotRun == 0 && Passed + Skipped == Total;
}

/// <summary>
/// The product walkthrough, one method per step, each doing what a user does (<c>oc new-project</c>, <c>oc new-app</c>,
/// <c>oc delete project</c>) and then waiting for the evidence, read back from the emulated Quay's state and from the API
/// server: nothing is printed as ✓ that was not observed.
/// </summary>
public sealed class Walkthrough(SandboxWorld world, Report report, SandboxOptions options)
{
    public const string Project = "e2e-demo";
    /// <summary>The namespace finalizer shared with the upstream operator (docs/ARCHITECTURE.md).</summary>
    private const string NamespaceFinalizer = "quay.redhat.com/quayintegrations";
    private const string AnnotationPrefix = "quay-registry-operator.quay.redhat.com/";
    private const string ManagedAnnotation = AnnotationPrefix + "quay-registry-operator-managed";
    private const string DestinationAnnotation = AnnotationPrefix + "destination-imagestream";
    private const string ImportedAnnotation = AnnotationPrefix + "destination-imagestreamtag-imported";
    private static readonly AppTemplate App = AppTemplate.HttpdExample;
    private const string Tag = "latest";

    private enum Outcome { NotRun, Passed, Failed, Skipped }

    private sealed record Step(string Title, Func<CancellationToken, Task> Run, bool IsBuildStep, params int[] DependsOn);
    private sealed record ServiceAccountRole(string Name, string Role);

    // Facts learnt in one step and used by the next ones.
    private string _organization = "";
    private string _clusterId = "";
    private IReadOnlyList<ServiceAccountRole> _matrix = [];
    private string? _buildName;
    private string? _pushedDigest;

    private TimeSpan Timeout => options.StepTimeout;
    private string QuayImage => $"{world.Quay.RegistryHost}/{_organization}/{App.Name}";
    private string Robot(ServiceAccountRole sa) => $"{_organization}+{sa.Name}";

    public async Task<WalkthroughResult> RunAsync(CancellationToken ct)
    {
        Step[] steps =
        [
            new($"oc new-project {Project}  →  Quay organization, robots and default permissions", NewProjectAsync, false),
            new("robot Secrets and the service accounts that carry them", SecretsAndServiceAccountsAsync, false, 1),
            new($"oc new-app --template={App.Name}  →  Quay repository", NewAppAsync, false, 1),
            new("the build's output rewritten to Quay", BuildRewrittenAsync, true, 3),
            new("the build completes, pushing to Quay", BuildCompleteAsync, true, 4),
            new("the ImageStream tag points at Quay", ImageStreamTagAsync, true, 5),
            new($"oc delete project {Project}  →  organization gone", DeleteProjectAsync, false, 1),
        ];
        var skipBuilds = options.BuildSteps == BuildSteps.Skip || (options.BuildSteps == BuildSteps.Auto && !world.WebhookServed);
        var (skipReason, skipShort) = options.BuildSteps == BuildSteps.Skip
            ? ("build steps skipped (--skip-build-steps)", "--skip-build-steps")
            : ("build steps skipped: this operator build has no admission webhook (issue 5), so Builds are not rewritten to push to Quay; " +
               "--run-build-steps runs them anyway", "no admission webhook in this operator build");

        var outcomes = new Outcome[steps.Length];
        try
        {
            ReadIntegration();
        }
        catch (StepFailedException e)
        {
            report.Summary(false, $"the walkthrough cannot start: {e.Message}");
            return new WalkthroughResult(steps.Length, 0, 0, 0, steps.Length);
        }
        for (var i = 0; i < steps.Length; i++)
        {
            var step = steps[i];
            report.Step(i + 1, steps.Length, step.Title);
            if (step.IsBuildStep && skipBuilds)
            {
                var first = Array.IndexOf(outcomes, Outcome.Skipped);
                report.Skipped(first < 0 ? skipReason : $"skipped, like step {first + 1}");
                outcomes[i] = Outcome.Skipped;
                continue;
            }
            if (step.DependsOn.FirstOrDefault(d => outcomes[d - 1] != Outcome.Passed) is var blocker and > 0)
            {
                report.Skipped($"not run: it needs step {blocker}, which {(outcomes[blocker - 1] == Outcome.Skipped ? "was skipped" : "did not pass")}");
                outcomes[i] = Outcome.NotRun;
                continue;
            }
            outcomes[i] = await RunStepAsync(step, ct) ? Outcome.Passed : Outcome.Failed;
        }

        var result = new WalkthroughResult(steps.Length, outcomes.Count(o => o == Outcome.Passed), outcomes.Count(o => o == Outcome.Failed),
            outcomes.Count(o => o == Outcome.Skipped), outcomes.Count(o => o == Outcome.NotRun));
        report.Summary(result.Success, result.Success
            ? $"all {result.Passed} steps observed{(result.Skipped > 0 ? $", {result.Skipped} skipped ({skipShort})" : "")}"
            : $"{result.Passed} of {result.Total} steps observed; {result.Failed} failed, {result.NotRun} not run, {result.Skipped} skipped");
        return result;
    }

    private async Task<bool> RunStepAsync(Step step, CancellationToken ct)
    {
        try
        {
            await step.Run(ct);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            report.Fail(StepFailedException.Describe(e));
            world.ReportOperatorLog();
            return false;
        }
    }

    /// <summary>The service-account matrix, cluster ID and organization prefix, as the API server holds them (CRD defaults applied).</summary>
    private void ReadIntegration()
    {
        var spec = world.Integration["spec"] as JsonObject ?? throw new StepFailedException("the QuayIntegration has no spec");
        _clusterId = spec.Str("clusterID") ?? "openshift";
        _organization = $"{spec.Str("organizationPrefix") ?? _clusterId}_{Project}".ToLowerInvariant();
        _matrix = spec["serviceAccounts"]?.AsArray().OfType<JsonObject>()
            .Select(sa => new ServiceAccountRole(sa.Str("name")!, sa.Str("role")!)).ToList() ?? [];
        if (_matrix.Count == 0) throw new StepFailedException("the QuayIntegration's spec.serviceAccounts is empty (the CRD's default was not applied)");
    }

    // ── Step 1 ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private async Task NewProjectAsync(CancellationToken ct)
    {
        report.Action($"oc new-project {Project} --display-name=\"E2E demo\"");
        var project = await world.Oc.NewProjectAsync(Project, "E2E demo", "The product walkthrough's project", ct);
        report.Ok($"Project {project.Name()} created", $"(status {project.Str("status", "phase") ?? "Active"})");

        var accounts = string.Join(", ", _matrix.Select(sa => sa.Name));
        var (org, elapsed) = await Eventually.WaitAsync(
            $"Quay organization {_organization} with a robot and a default permission for each of {accounts}", Timeout, _ =>
            {
                var state = world.Quay.State.Organization(_organization);
                if (state is null) return Task.FromResult(Eventually.Probe<OrganizationState>.NotYet($"no organization {_organization} in Quay"));
                var missingRobots = _matrix.Where(sa => state.Robots.All(r => r.Name != Robot(sa))).Select(Robot).ToList();
                if (missingRobots.Count > 0)
                    return Task.FromResult(Eventually.Probe<OrganizationState>.NotYet($"organization exists; robots missing: {string.Join(", ", missingRobots)}"));
                var missingPermissions = _matrix.Where(sa => !state.Prototypes.Any(p => p.DelegateName == Robot(sa) && p.Role == sa.Role))
                    .Select(sa => $"{Robot(sa)} → {sa.Role}").ToList();
                return Task.FromResult(missingPermissions.Count > 0
                    ? Eventually.Probe<OrganizationState>.NotYet($"robots exist; default permissions missing: {string.Join(", ", missingPermissions)}")
                    : Eventually.Probe<OrganizationState>.Done(state));
            }, ct);

        report.Ok($"Quay organization {org.Name}", $"(after {SandboxWorld.Seconds(elapsed)})");
        var robots = _matrix.Select(sa => org.Robots.Single(r => r.Name == Robot(sa))).ToList();
        report.Ok($"{robots.Count} robot accounts", string.Join(", ", robots.Select(r => r.Name)));
        report.Ok($"{_matrix.Count} default permissions (new repositories get them)");
        foreach (var sa in _matrix)
        {
            var prototype = org.Prototypes.First(p => p.DelegateName == Robot(sa) && p.Role == sa.Role);
            report.Detail($"{prototype.DelegateName,-36} {prototype.Role,-6} (prototype {prototype.Id}, for service account {sa.Name})");
        }
    }

    // ── Step 2 ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private async Task SecretsAndServiceAccountsAsync(CancellationToken ct)
    {
        foreach (var sa in _matrix)
        {
            var secretName = $"{sa.Name}-quay-{_clusterId}";
            var ((secret, host, user), _) = await Eventually.WaitAsync(
                $"Secret {Project}/{secretName} (kubernetes.io/dockerconfigjson) holding robot {Robot(sa)}'s current token for {world.Quay.RegistryHost}",
                Timeout, t => ProbeRobotSecretAsync(sa, secretName, t), ct);
            report.Ok($"Secret {secretName}", $"{secret.Type}: {host} → {user} (the robot's token in Quay)");

            var (account, _) = await Eventually.WaitAsync(
                $"service account {Project}/{sa.Name} to list {secretName} in secrets and imagePullSecrets", Timeout, async t =>
                {
                    var account = await ReadOrNullAsync(() => world.Kube.CoreV1.ReadNamespacedServiceAccountAsync(sa.Name, Project, cancellationToken: t));
                    if (account is null) return Eventually.Probe<V1ServiceAccount>.NotYet("no such service account");
                    var linked = account.Secrets?.Any(s => s.Name == secretName) == true && account.ImagePullSecrets?.Any(s => s.Name == secretName) == true;
                    return linked ? Eventually.Probe<V1ServiceAccount>.Done(account) : Eventually.Probe<V1ServiceAccount>.NotYet(Links(account));
                }, ct);
            report.Ok($"ServiceAccount {sa.Name}", Links(account));
        }

        var selector = world.WebhookNamespaceSelector;
        var (ns, _) = await Eventually.WaitAsync(
            $"namespace {Project} to carry the finalizer {NamespaceFinalizer} and match the webhook's namespaceSelector ({selector})",
            Timeout, async t =>
            {
                var ns = await world.Kube.CoreV1.ReadNamespaceAsync(Project, cancellationToken: t);
                var held = ns.Metadata.Finalizers?.Contains(NamespaceFinalizer) == true;
                return held && selector.Matches(ns.Metadata.Labels)
                    ? Eventually.Probe<V1Namespace>.Done(ns)
                    : Eventually.Probe<V1Namespace>.NotYet($"labels {Labels(ns.Metadata.Labels)}; finalizers [{string.Join(", ", ns.Metadata.Finalizers ?? [])}]");
            }, ct);
        var selected = selector.Keys.Select(k => ns.Metadata.Labels?.TryGetValue(k, out var v) == true ? $"{k}={v}" : $"no {k}");
        report.Ok($"Namespace {Project}", $"finalizers [{string.Join(", ", ns.Metadata.Finalizers!)}]" +
            (selector.IsEverything ? "" : $"; labelled {string.Join(", ", selected)}, so the webhook's namespaceSelector ({selector}) selects it"));

        // What the operator created, as it records it (kubectl get quaynamespaces).
        var (record, _) = await Eventually.WaitAsync($"QuayNamespace {Project} (the ownership record) to say Synced", Timeout, async t =>
        {
            JsonObject? found = null;
            try
            {
                var raw = (System.Text.Json.JsonElement)await world.Kube.CustomObjects.GetClusterCustomObjectAsync("quay.redhat.com", "v1", "quaynamespaces", Project, cancellationToken: t);
                found = JsonNode.Parse(raw.GetRawText())!.AsObject();
            }
            catch (k8s.Autorest.HttpOperationException) { }
            return found?.Str("status", "phase") == "Synced"
                ? Eventually.Probe<JsonObject>.Done(found)
                : Eventually.Probe<JsonObject>.NotYet(found is null ? "no QuayNamespace" : $"phase {found.Str("status", "phase") ?? "(none)"}");
        }, ct);
        report.Ok($"QuayNamespace {Project}", $"organization {record.Str("status", "organization")} ({record.Str("status", "origin")}), " +
            $"phase {record.Str("status", "phase")}, last verified {record.Str("status", "lastVerified")}");
    }

    private async Task<Eventually.Probe<(V1Secret Secret, string Host, string User)>> ProbeRobotSecretAsync(ServiceAccountRole sa, string secretName, CancellationToken ct)
    {
        var secret = await ReadOrNullAsync(() => world.Kube.CoreV1.ReadNamespacedSecretAsync(secretName, Project, cancellationToken: ct));
        if (secret is null) return Eventually.Probe<(V1Secret, string, string)>.NotYet("no such Secret");
        if (secret.Type != "kubernetes.io/dockerconfigjson") return Eventually.Probe<(V1Secret, string, string)>.NotYet($"type {secret.Type}");
        if (secret.Data?.TryGetValue(".dockerconfigjson", out var raw) != true) return Eventually.Probe<(V1Secret, string, string)>.NotYet("no .dockerconfigjson key");
        var auths = JsonNode.Parse(raw!)?["auths"] as JsonObject ?? [];
        var entry = auths.FirstOrDefault(a => a.Key == world.Quay.RegistryHost || a.Key == $"https://{world.Quay.RegistryHost}");
        if (entry.Value is not JsonObject credentials)
            return Eventually.Probe<(V1Secret, string, string)>.NotYet($"auths for [{string.Join(", ", auths.Select(a => a.Key))}], none for {world.Quay.RegistryHost}");
        var (user, password) = Credentials(credentials);
        var robot = world.Quay.State.Organization(_organization)?.Robots.FirstOrDefault(r => r.Name == Robot(sa));
        if (user != Robot(sa)) return Eventually.Probe<(V1Secret, string, string)>.NotYet($"credentials of {user}");
        if (robot is null || robot.Token != password) return Eventually.Probe<(V1Secret, string, string)>.NotYet($"{user}'s password differs from the robot's token in Quay");
        return Eventually.Probe<(V1Secret, string, string)>.Done((secret, entry.Key, user));
    }

    /// <summary>A docker config entry's credentials: <c>auth</c> (base64 of user:password), else <c>username</c>/<c>password</c>.</summary>
    private static (string? User, string? Password) Credentials(JsonObject entry)
    {
        if (entry.Str("auth") is { Length: > 0 } auth)
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            var colon = decoded.IndexOf(':');
            return colon < 0 ? (decoded, null) : (decoded[..colon], decoded[(colon + 1)..]);
        }
        return (entry.Str("username"), entry.Str("password"));
    }

    private static string Links(V1ServiceAccount account) =>
        $"secrets: [{string.Join(", ", account.Secrets?.Select(s => s.Name) ?? [])}]  imagePullSecrets: [{string.Join(", ", account.ImagePullSecrets?.Select(s => s.Name) ?? [])}]";

    private static string Labels(IEnumerable<KeyValuePair<string, string>>? labels) =>
        string.Join(", ", (labels ?? []).Select(l => $"{l.Key}={l.Value}"));

    // ── Step 3 ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private async Task NewAppAsync(CancellationToken ct)
    {
        report.Action($"oc new-app --template={App.Name} -n {Project}");
        var app = await world.Oc.NewAppAsync(Project, App, ct);
        _buildName = app.Build.Name();
        report.Ok($"ImageStream {app.ImageStream.Name()}, BuildConfig {app.BuildConfig.Name()} and Build {_buildName} created",
            $"(output {app.BuildConfig.Str("spec", "output", "to", "kind")} {app.BuildConfig.Str("spec", "output", "to", "name")})");

        var (repository, elapsed) = await Eventually.WaitAsync(
            $"Quay repository {_organization}/{App.Name} with {string.Join(", ", _matrix.Select(sa => $"{Robot(sa)} {sa.Role}"))}", Timeout, _ =>
            {
                var repository = world.Quay.State.Repository(_organization, App.Name);
                if (repository is null) return Task.FromResult(Eventually.Probe<RepositoryState>.NotYet($"no repository {_organization}/{App.Name}"));
                var missing = _matrix.Where(sa => !repository.UserPermissions.TryGetValue(Robot(sa), out var role) || role != sa.Role)
                    .Select(sa => $"{Robot(sa)} {sa.Role}").ToList();
                return Task.FromResult(missing.Count > 0
                    ? Eventually.Probe<RepositoryState>.NotYet($"repository exists; permissions {Permissions(repository)}; missing {string.Join(", ", missing)}")
                    : Eventually.Probe<RepositoryState>.Done(repository));
            }, ct);
        report.Ok($"Quay repository {repository.Namespace}/{repository.Name}", $"{(repository.IsPublic ? "public" : "private")} (after {SandboxWorld.Seconds(elapsed)})");
        report.Ok("repository permissions", Permissions(repository));
    }

    private static string Permissions(RepositoryState repository) =>
        string.Join(", ", repository.UserPermissions.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));

    // ── Step 4 ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private async Task BuildRewrittenAsync(CancellationToken ct)
    {
        // A Build's spec is immutable after CREATE, so what admission made of it is final: one read is the whole evidence.
        var build = await world.Oc.GetBuildAsync(Project, _buildName!, ct) ?? throw new StepFailedException($"Build {Project}/{_buildName} does not exist");
        var kind = build.Str("spec", "output", "to", "kind");
        var name = build.Str("spec", "output", "to", "name");
        var expected = $"{QuayImage}:{Tag}";
        if (kind != "DockerImage")
        {
            throw new StepFailedException($"Build {_buildName}'s output is still {kind} {name}: it was not rewritten to DockerImage {expected} when it was " +
                (world.WebhookServed ? "created" : "created (no admission webhook: this operator build does not serve one, issue 5)"));
        }
        if (name != expected) throw new StepFailedException($"Build {_buildName}'s output is DockerImage {name}, expected {expected}");
        report.Ok($"Build {_buildName} output", $"ImageStreamTag {App.Name}:{Tag}  →  DockerImage {name}");

        var annotations = build["metadata"]?["annotations"] as JsonObject ?? [];
        var destination = annotations.Str(DestinationAnnotation);
        if (annotations.Str(ManagedAnnotation) is null || destination != $"{Project}/{App.Name}:{Tag}")
        {
            throw new StepFailedException($"Build {_buildName} lacks the annotations recording its original output: {ManagedAnnotation}={annotations.Str(ManagedAnnotation) ?? "(none)"}, " +
                $"{DestinationAnnotation}={destination ?? "(none)"} (expected {Project}/{App.Name}:{Tag})");
        }
        report.Ok("annotations", $"{ManagedAnnotation}={annotations.Str(ManagedAnnotation)}");
        report.Detail($"{DestinationAnnotation}={destination}");
    }

    // ── Step 5 ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private async Task BuildCompleteAsync(CancellationToken ct)
    {
        JsonObject build;
        try
        {
            build = await world.Oc.WaitForBuildPhaseAsync(Project, _buildName!, "Complete", Timeout, ct);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new StepFailedException(e.Message);
        }
        _pushedDigest = build.Str("status", "output", "to", "imageDigest") ?? throw new StepFailedException($"Build {_buildName} is Complete but reports no status.output.to.imageDigest");
        report.Ok($"Build {_buildName} Complete", $"pushed with Secret {build.Str("spec", "output", "pushSecret", "name") ?? "(none)"}; digest {_pushedDigest}");

        var (tag, _) = await Eventually.WaitAsync($"tag {Tag} of Quay repository {_organization}/{App.Name} at {_pushedDigest}", Timeout, _ =>
        {
            var current = world.Quay.State.Repository(_organization, App.Name)?.Tags.FirstOrDefault(t => t.Name == Tag && t.EndTs is null);
            return Task.FromResult(current?.ManifestDigest == _pushedDigest
                ? Eventually.Probe<TagState>.Done(current!)
                : Eventually.Probe<TagState>.NotYet(current is null ? $"no tag {Tag}" : $"tag {Tag} at {current.ManifestDigest}"));
        }, ct);
        report.Ok($"Quay tag {_organization}/{App.Name}:{tag.Name}", $"manifest {tag.ManifestDigest}, {tag.Size} bytes");
    }

    // ── Step 6 ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private async Task ImageStreamTagAsync(CancellationToken ct)
    {
        var expected = $"{QuayImage}@{_pushedDigest}";
        var (reference, elapsed) = await Eventually.WaitAsync($"ImageStream {Project}/{App.Name} tag {Tag} to point at {expected}", Timeout, async t =>
        {
            var stream = await world.Oc.GetImageStreamAsync(Project, App.Name, t);
            var item = stream?["status"]?["tags"]?.AsArray().OfType<JsonObject>().FirstOrDefault(x => x.Str("tag") == Tag)?["items"]?.AsArray().OfType<JsonObject>().FirstOrDefault();
            var current = item.Str("dockerImageReference");
            return current == expected
                ? Eventually.Probe<string>.Done(current)
                : Eventually.Probe<string>.NotYet(current is null ? $"no image in tag {Tag}" : $"tag {Tag} → {current}");
        }, ct);
        report.Ok($"ImageStream {App.Name} tag {Tag}", $"→ {reference}  (after {SandboxWorld.Seconds(elapsed)})");

        var (imported, _) = await Eventually.WaitAsync($"Build {_buildName} to be marked {ImportedAnnotation}", Timeout, async t =>
        {
            var build = await world.Oc.GetBuildAsync(Project, _buildName!, t);
            var value = build.Str("metadata", "annotations", ImportedAnnotation);
            return value is null ? Eventually.Probe<string>.NotYet("not marked") : Eventually.Probe<string>.Done(value);
        }, ct);
        report.Ok($"Build {_buildName} marked imported", $"{ImportedAnnotation}={imported}");
    }

    // ── Step 7 ──────────────────────────────────────────────────────────────────────────────────────────────────────

    private async Task DeleteProjectAsync(CancellationToken ct)
    {
        report.Action($"oc delete project {Project}");
        await world.Kube.CustomObjects.DeleteClusterCustomObjectAsync("project.openshift.io", "v1", "projects", Project, cancellationToken: ct);

        var (_, orgGoneAfter) = await Eventually.WaitAsync($"Quay organization {_organization} to be deleted", Timeout, _ =>
        {
            var org = world.Quay.State.Organization(_organization);
            return Task.FromResult(org is null
                ? Eventually.Probe<bool>.Done(true)
                : Eventually.Probe<bool>.NotYet($"organization exists with robots {string.Join(", ", org.Robots.Select(r => r.Name))}"));
        }, ct);
        var reserved = world.Quay.State.DeletedNamespaces.FirstOrDefault(d => d.Name == _organization);
        report.Ok($"Quay organization {_organization} deleted", $"(after {SandboxWorld.Seconds(orgGoneAfter)})" +
            (reserved is null ? "" : $"; Quay keeps the name until its garbage collection at {reserved.PurgeAt:HH:mm:ss}"));

        var (_, nsGoneAfter) = await Eventually.WaitAsync($"namespace {Project} to be gone", Timeout, async t =>
        {
            var ns = await ReadOrNullAsync(() => world.Kube.CoreV1.ReadNamespaceAsync(Project, cancellationToken: t));
            return ns is null
                ? Eventually.Probe<bool>.Done(true)
                : Eventually.Probe<bool>.NotYet($"{ns.Status?.Phase}, finalizers [{string.Join(", ", ns.Metadata.Finalizers ?? [])}], spec.finalizers [{string.Join(", ", ns.Spec?.Finalizers ?? [])}]");
        }, ct);
        report.Ok($"Namespace {Project} gone", $"(after {SandboxWorld.Seconds(nsGoneAfter)}; the operator's finalizer was released)");
    }

    private static async Task<T?> ReadOrNullAsync<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
