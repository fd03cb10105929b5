using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Sandbox.World;

/// <summary>
/// Applies manifests the way a user installs the product: with the real <c>kubectl apply</c> when it is on PATH, so the
/// files of <c>deploy/</c> go through kubectl's parsing and validation; otherwise the same YAML is sent by
/// KubernetesClient as a server-side apply. Either way the API server is the judge.
/// </summary>
public interface IManifestApplier : IDisposable
{
    /// <summary>How manifests are applied, for the output (e.g. "kubectl v1.32.4").</summary>
    string Description { get; }

    /// <summary>The command a person would type for <paramref name="file"/> (<c>-</c> = standard input).</summary>
    string CommandFor(string file, bool dryRun);

    /// <summary>Applies every document of a file; returns the result lines (one per object).</summary>
    Task<IReadOnlyList<string>> ApplyFileAsync(string path, bool dryRun, CancellationToken cancellationToken);

    /// <summary>Applies one object built by the sandbox (the token Secret, the QuayIntegration).</summary>
    Task<IReadOnlyList<string>> ApplyAsync(JsonObject manifest, CancellationToken cancellationToken);

    public static IManifestApplier Create(string kubeconfig, bool preferKubectl, RepoLayout repo) =>
        !preferKubectl ? new ClientApplier(kubeconfig, repo, "--no-kubectl")
        : KubectlApplier.FindKubectl() is { } kubectl ? new KubectlApplier(kubectl, kubeconfig, repo)
        : new ClientApplier(kubeconfig, repo, "kubectl not found on PATH");
}

public sealed class KubectlApplier(string kubectl, string kubeconfig, RepoLayout repo) : IManifestApplier
{
    public string Description { get; } = $"{kubectl} ({Version(kubectl)})";

    public string CommandFor(string file, bool dryRun) =>
        $"kubectl apply{(dryRun ? " --dry-run=server" : "")} -f {(file == "-" ? "-" : repo.Relative(file))}";

    public static string? FindKubectl() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "kubectl.exe" : "kubectl"))
            .FirstOrDefault(File.Exists);

    public Task<IReadOnlyList<string>> ApplyFileAsync(string path, bool dryRun, CancellationToken cancellationToken) =>
        RunAsync(["apply", .. dryRun ? new[] { "--dry-run=server" } : [], "-f", path], stdin: null, cancellationToken);

    // JSON is YAML, so the object goes to kubectl's standard input as it is.
    public Task<IReadOnlyList<string>> ApplyAsync(JsonObject manifest, CancellationToken cancellationToken) =>
        RunAsync(["apply", "-f", "-"], manifest.ToJsonString(), cancellationToken);

    private async Task<IReadOnlyList<string>> RunAsync(string[] args, string? stdin, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(kubeconfig);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start");
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = Lines(await stdout);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"kubectl {string.Join(' ', args)} exited {process.ExitCode}: {(await stderr).Trim()}");
        return output;
    }

    private static string Version(string kubectl)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(kubectl, "version --client") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            return Lines(text).FirstOrDefault(l => l.StartsWith("Client Version:", StringComparison.Ordinal))?["Client Version:".Length..].Trim() ?? "unknown version";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "version unknown";
        }
    }

    private static IReadOnlyList<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Dispose()
    {
    }
}

/// <summary>No kubectl: the same manifests, read from the same files, sent as server-side apply by KubernetesClient.</summary>
public sealed class ClientApplier(string kubeconfig, RepoLayout repo, string why) : IManifestApplier
{
    private const string FieldManager = "quay-integration-sandbox";
    private readonly KubernetesConnection _connection = KubernetesConnection.FromKubeconfig(kubeconfig);

    public string Description => $"KubernetesClient server-side apply ({why})";

    public string CommandFor(string file, bool dryRun) =>
        $"server-side apply{(dryRun ? " (dry run)" : "")} of {(file == "-" ? "a generated manifest" : repo.Relative(file))}";

    public async Task<IReadOnlyList<string>> ApplyFileAsync(string path, bool dryRun, CancellationToken cancellationToken)
    {
        var results = new List<string>();
        foreach (var manifest in YamlJson.LoadAll(await File.ReadAllTextAsync(path, cancellationToken)))
            results.Add(await ApplyOneAsync(manifest, dryRun, cancellationToken));
        return results;
    }

    public async Task<IReadOnlyList<string>> ApplyAsync(JsonObject manifest, CancellationToken cancellationToken) =>
        [await ApplyOneAsync(manifest, dryRun: false, cancellationToken)];

    private async Task<string> ApplyOneAsync(JsonObject manifest, bool dryRun, CancellationToken cancellationToken)
    {
        var apiVersion = manifest.Str("apiVersion") ?? throw new InvalidDataException("manifest without apiVersion");
        var kind = manifest.Str("kind") ?? throw new InvalidDataException("manifest without kind");
        var name = manifest.Str("metadata", "name") ?? throw new InvalidDataException($"{kind} without metadata.name");
        var ns = manifest.Str("metadata", "namespace");
        var (group, version) = apiVersion.Contains('/') ? (apiVersion[..apiVersion.IndexOf('/')], apiVersion[(apiVersion.IndexOf('/') + 1)..]) : ("", apiVersion);
        var patch = new V1Patch(manifest.ToJsonString(), V1Patch.PatchType.ApplyPatch);
        var dry = dryRun ? "All" : null;
        var client = _connection.Client;

        var plural = await PluralAsync(group, version, kind, cancellationToken);
        switch (group, plural)
        {
            case ("", "namespaces"):
                await client.CoreV1.PatchNamespaceAsync(patch, name, dryRun: dry, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
                break;
            case ("", "secrets"):
                await client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns ?? "default", dryRun: dry, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
                break;
            case ("", "serviceaccounts"):
                await client.CoreV1.PatchNamespacedServiceAccountAsync(patch, name, ns ?? "default", dryRun: dry, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
                break;
            case ("", "configmaps"):
                await client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns ?? "default", dryRun: dry, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
                break;
            case ("", _):
                throw new NotSupportedException($"the sandbox's kubectl-less apply does not handle core kind {kind}");
            default:
                if (ns is null)
                    await client.CustomObjects.PatchClusterCustomObjectAsync(patch, group, version, plural, name, dryRun: dry, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
                else
                    await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, group, version, ns, plural, name, dryRun: dry, fieldManager: FieldManager, force: true, cancellationToken: cancellationToken);
                break;
        }
        var resource = group.Length == 0 ? kind.ToLowerInvariant() : $"{kind.ToLowerInvariant()}.{group}";
        return $"{resource}/{name} serverside-applied{(dryRun ? " (server dry run)" : "")}";
    }

    /// <summary>The resource name of a kind, from the API server's discovery (as kubectl's REST mapper does).</summary>
    private async Task<string> PluralAsync(string group, string version, string kind, CancellationToken cancellationToken)
    {
        var discovery = await _connection.Dynamic.DiscoverAsync(cancellationToken);
        return discovery.Resources.FirstOrDefault(r => r.Group == group && r.Version == version && r.Kind == kind)?.Plural
            ?? throw new InvalidOperationException($"the API server does not serve {kind} in {(group.Length == 0 ? version : group + "/" + version)}");
    }

    public void Dispose() => _connection.Dispose();
}
