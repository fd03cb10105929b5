using System.Security.Cryptography;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// The official JavaScript client (@kubernetes/client-node 1.4.0, pinned by JsClient/package-lock.json, installed with
/// npm ci into artifacts/ by the test) runs JsClient/scenario.mjs against the emulator: list, an informer whose first
/// watch is expired (410 ERROR event) and must relist, merge/JSON/strategic patches, a CRD and a custom object, a 409
/// on a stale update, a Lease with MicroTimes (the client writes six fractional digits, as the server demands).
/// </summary>
public sealed class JsClientTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private static readonly string Sources = Path.Combine(ApiServerFixture.RepoRoot(), "tests", "QuayIntegration.Emulators.Kubernetes.Tests", "JsClient");

    [NpmFact]
    public async Task The_javascript_client_lists_watches_through_a_410_patches_and_handles_crds_conflicts_and_leases()
    {
        var directory = await InstallAsync();
        File.Copy(Path.Combine(Sources, "scenario.mjs"), Path.Combine(directory, "scenario.mjs"), overwrite: true);
        var ns = "js-" + Guid.NewGuid().ToString("N")[..8];
        f.Server.Faults.ExpireNextWatches(1, "configmaps");
        var listsBefore = f.Server.Requests.Count("list", "configmaps");

        var (exit, output) = await CommandLine.RunAsync(CommandLine.Find("node")!, ["scenario.mjs"], directory,
            new Dictionary<string, string> { ["KUBECONFIG"] = f.KubeconfigPath, ["SCENARIO_NAMESPACE"] = ns }, TimeSpan.FromMinutes(2));

        Assert.True(exit == 0, output);
        foreach (var step in new[] { "ok list", "ok informer-410", "ok patches", "ok crd", "ok conflict", "ok lease", "scenario complete" })
            Assert.Contains(step, output);
        // The informer really went through the 410: it listed again after its first watch expired.
        Assert.True(f.Server.Requests.Count("list", "configmaps") - listsBefore >= 2, "the informer relisted after the 410");
        var lease = f.Server.Peek("coordination.k8s.io", "leases", ns, "leader")!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", (string?)lease["spec"]!["renewTime"]);
    }

    /// <summary>npm ci into artifacts/js-client-node/&lt;lockfile hash&gt;, once per lockfile.</summary>
    private static async Task<string> InstallAsync()
    {
        var lockFile = Path.Combine(Sources, "package-lock.json");
        var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(lockFile)))[..16];
        var directory = Path.Combine(ApiServerFixture.RepoRoot(), "artifacts", "js-client-node", hash);
        var marker = Path.Combine(directory, "node_modules", ".installed");
        if (File.Exists(marker)) return directory;
        Directory.CreateDirectory(directory);
        File.Copy(Path.Combine(Sources, "package.json"), Path.Combine(directory, "package.json"), overwrite: true);
        File.Copy(lockFile, Path.Combine(directory, "package-lock.json"), overwrite: true);
        var (exit, output) = await CommandLine.RunAsync(CommandLine.Find("npm")!, ["ci", "--no-audit", "--no-fund"], directory, timeout: TimeSpan.FromMinutes(5));
        Assert.True(exit == 0, "npm ci of @kubernetes/client-node failed:\n" + output);
        await File.WriteAllTextAsync(marker, DateTime.UtcNow.ToString("O"));
        return directory;
    }
}
