using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Sandbox.Output;
using QuayIntegration.Sandbox.World;
using Xunit.Abstractions;

namespace QuayIntegration.Sandbox.Tests;

/// <summary>Runs only where skopeo is installed (.ci/run installs the Debian package), and says so otherwise.</summary>
public sealed class SkopeoFactAttribute : FactAttribute
{
    public SkopeoFactAttribute()
    {
        if (SkopeoRobotTests.Skopeo is null) Skip = "skopeo is not on PATH (apt-get install -y skopeo; .ci/run installs it)";
    }
}

/// <summary>
/// A real registry client, skopeo, with the robot credentials the operator wrote into the sandbox world: the builder
/// robot's Secret pushes an image to the repository the operator made for an ImageStream, the default robot's Secret
/// pulls and inspects it (tags/list included, no --no-tags) and cannot push.
/// </summary>
public sealed class SkopeoRobotTests(ITestOutputHelper output)
{
    private const string Project = "skopeo-demo";
    private const string Org = "openshift_" + Project;

    public static string? Skopeo => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "skopeo")).FirstOrDefault(File.Exists);

    [SkopeoFact]
    public async Task The_builder_robot_pushes_the_default_robot_pulls_and_cannot_push()
    {
        var work = Directory.CreateTempSubdirectory("skopeo-").FullName;
        var text = new StringWriter();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await using var world = await SandboxWorld.StartAsync(new SandboxOptions { WorkDirectory = Path.Combine(work, "sandbox"), StepTimeout = TimeSpan.FromSeconds(30) },
                new Report(text, color: false), deadline.Token);
            await world.Oc.NewProjectAsync(Project, cancellationToken: deadline.Token);
            await world.Kube.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
            {
                ["apiVersion"] = "image.openshift.io/v1", ["kind"] = "ImageStream", ["metadata"] = new JsonObject { ["name"] = "images" },
            }, "image.openshift.io", "v1", Project, "imagestreams", cancellationToken: deadline.Token);
            var builder = await RobotCredentialsAsync(world, "builder", deadline.Token);
            var reader = await RobotCredentialsAsync(world, "default", deadline.Token);
            while (world.Quay.State.Repository(Org, "images") is null) await Task.Delay(100, deadline.Token);

            var certs = Directory.CreateDirectory(Path.Combine(work, "certs")).FullName;
            await File.WriteAllTextAsync(Path.Combine(certs, "ca.crt"), world.Quay.CaCertificatePem);
            var layout = OciLayout.Write(Path.Combine(work, "layout"), seed: Guid.NewGuid().ToString());
            var target = $"docker://{world.Quay.RegistryHost}/{Org}/images";

            var (exit, log) = await RunAsync(work, "copy", "--insecure-policy", "--dest-creds", builder, "--dest-cert-dir", certs, $"oci:{layout}:latest", $"{target}:v1");
            Assert.True(exit == 0, "the builder robot could not push:\n" + log);
            Assert.Contains(world.Quay.State.Repository(Org, "images")!.Tags, t => t.Name == "v1");

            (exit, log) = await RunAsync(work, "inspect", "--creds", reader, "--cert-dir", certs, $"{target}:v1");
            Assert.True(exit == 0, "the default robot could not inspect:\n" + log);
            var inspected = JsonNode.Parse(log[log.IndexOf('{')..])!;
            Assert.Equal(["v1"], inspected["RepoTags"]!.AsArray().Select(t => (string)t!));
            Assert.StartsWith("sha256:", (string?)inspected["Digest"]);

            var pulled = Path.Combine(work, "pulled");
            (exit, log) = await RunAsync(work, "copy", "--insecure-policy", "--src-creds", reader, "--src-cert-dir", certs, $"{target}:v1", $"dir:{pulled}");
            Assert.True(exit == 0, "the default robot could not pull:\n" + log);
            Assert.True(File.Exists(Path.Combine(pulled, "manifest.json")));

            (exit, log) = await RunAsync(work, "copy", "--insecure-policy", "--dest-creds", reader, "--dest-cert-dir", certs, $"oci:{layout}:latest", $"{target}:v2");
            Assert.True(exit != 0, "the default robot pushed:\n" + log);
            Assert.Matches("(?i)unauthorized|denied|authentication required", log);
            Assert.DoesNotContain(world.Quay.State.Repository(Org, "images")!.Tags, t => t.Name == "v2");
        }
        finally
        {
            output.WriteLine(text.ToString());
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>"user:password" of the robot Secret the operator wrote for a service account (its one auths entry).</summary>
    private static async Task<string> RobotCredentialsAsync(SandboxWorld world, string serviceAccount, CancellationToken ct)
    {
        var name = $"{serviceAccount}-quay-openshift";
        while (true)
        {
            var secrets = await world.Kube.CoreV1.ListNamespacedSecretAsync(Project, fieldSelector: $"metadata.name={name}", cancellationToken: ct);
            if (secrets.Items.SingleOrDefault() is { Type: "kubernetes.io/dockerconfigjson" } secret)
            {
                var auths = JsonNode.Parse(secret.Data[".dockerconfigjson"])!["auths"]!.AsObject();
                var entry = auths[world.Quay.RegistryHost] ?? throw new InvalidOperationException($"{name} has no entry for {world.Quay.RegistryHost}");
                return Encoding.UTF8.GetString(Convert.FromBase64String((string)entry["auth"]!));
            }
            await Task.Delay(100, ct);
        }
    }

    private async Task<(int Exit, string Output)> RunAsync(string home, params string[] args)
    {
        var start = new ProcessStartInfo(Skopeo!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["HOME"] = home; // no auth.json or registries.conf of the user's
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var text = await stdout + await stderr;
        output.WriteLine($"$ skopeo {string.Join(' ', args.Select(a => a.Contains(':') && a.Length > 40 ? a : a))}\n{text}");
        return (process.ExitCode, text);
    }

    /// <summary>A one-layer OCI image layout (image-spec image-layout.md): oci-layout, index.json, blobs/sha256/….</summary>
    private static class OciLayout
    {
        public static string Write(string directory, string seed)
        {
            var blobs = Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256")).FullName;
            string Blob(byte[] content)
            {
                var hex = Convert.ToHexStringLower(SHA256.HashData(content));
                File.WriteAllBytes(Path.Combine(blobs, hex), content);
                return "sha256:" + hex;
            }
            var layer = TarGz("hello.txt", Encoding.UTF8.GetBytes("hello from " + seed + "\n"));
            var layerDigest = Blob(layer);
            var diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Tar("hello.txt", Encoding.UTF8.GetBytes("hello from " + seed + "\n"))));
            var config = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["architecture"] = "amd64", ["os"] = "linux",
                ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId) },
            }.ToJsonString());
            var manifest = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["size"] = config.Length, ["digest"] = Blob(config) },
                ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["size"] = layer.Length, ["digest"] = layerDigest }),
            }.ToJsonString());
            var manifestDigest = Blob(manifest);
            File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
            File.WriteAllText(Path.Combine(directory, "index.json"), new JsonObject
            {
                ["schemaVersion"] = 2,
                ["manifests"] = new JsonArray(new JsonObject
                {
                    ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["size"] = manifest.Length, ["digest"] = manifestDigest,
                    ["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "latest" },
                }),
            }.ToJsonString());
            return directory;
        }

        private static byte[] Tar(string name, byte[] content)
        {
            using var buffer = new MemoryStream();
            using (var writer = new System.Formats.Tar.TarWriter(buffer, System.Formats.Tar.TarEntryFormat.Pax, leaveOpen: true))
            {
                var entry = new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) };
                entry.ModificationTime = DateTimeOffset.UnixEpoch;
                writer.WriteEntry(entry);
            }
            return buffer.ToArray();
        }

        private static byte[] TarGz(string name, byte[] content)
        {
            using var buffer = new MemoryStream();
            using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
                gzip.Write(Tar(name, content));
            return buffer.ToArray();
        }
    }
}
