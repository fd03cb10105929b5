using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using QuayIntegration.Deploy.Tests.Support;

namespace QuayIntegration.Deploy.Tests;

/// <summary>hack/publish.sh for the platform asked for (what the Dockerfile passes from TARGETARCH), once per test class.</summary>
public sealed class Arm64Publish : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("publish-arm64-").FullName;
    public (int Code, string Stdout, string Stderr) Result { get; private set; }

    public async Task InitializeAsync() =>
        Result = await Tools.RunAsync("bash", ["hack/publish.sh", Directory, "arm64"], timeout: TimeSpan.FromMinutes(8));

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The image's publish step for another architecture than the host's (arm64 on the amd64 CI machine; the
/// Dockerfile does the same for each platform of a multi-arch build), and the SBOM of its output.
/// </summary>
public sealed class ImageTests(Arm64Publish publish) : IClassFixture<Arm64Publish>
{
    /// <summary>ReadyToRun images carry the machine XOR an OS value (Linux 0x7B79): arm64 0xAA64 → 0xD11D, x64 0x8664 → 0xFD1D.</summary>
    private const ushort LinuxArm64ReadyToRun = 0xAA64 ^ 0x7B79;
    private const ushort LinuxX64ReadyToRun = 0x8664 ^ 0x7B79;

    private static ushort Machine(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var pe = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(0x3C));
        Assert.Equal("PE\0\0", System.Text.Encoding.ASCII.GetString(bytes, pe, 4));
        return BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pe + 4));
    }

    [Fact]
    public void Publish_compiles_ReadyToRun_code_for_the_platform_it_is_asked_for_not_the_host()
    {
        Assert.True(publish.Result.Code == 0, $"hack/publish.sh arm64 failed:\n{publish.Result.Stdout}\n{publish.Result.Stderr}");
        foreach (var dll in new[] { "QuayIntegration.Operator.dll", "QuayIntegration.Runtime.dll", "KubernetesClient.dll" })
            Assert.True(Machine(Path.Combine(publish.Directory, dll)) == LinuxArm64ReadyToRun, $"{dll} is not ReadyToRun code for linux-arm64 (machine 0x{Machine(Path.Combine(publish.Directory, dll)):X4})");
        // The host's own publish (CI's, for the benchmarks) is x64 code on this x64 machine.
        var host = Path.Combine(Repo.Root, "artifacts", "benchmark-operator", "QuayIntegration.Operator.dll");
        if (File.Exists(host) && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64)
            Assert.Equal(LinuxX64ReadyToRun, Machine(host));
    }

    [Fact]
    public async Task Publish_refuses_an_architecture_it_has_no_target_for()
    {
        var (code, _, stderr) = await Tools.RunAsync("bash", ["hack/publish.sh", Path.Combine(publish.Directory, "never"), "s390x"]);
        Assert.NotEqual(0, code);
        Assert.Contains("no ReadyToRun target for architecture 's390x' (amd64 or arm64)", stderr);
    }

    [Fact]
    public void The_Dockerfile_builds_on_the_builders_platform_for_the_target_platform()
    {
        var lines = File.ReadAllLines(Path.Combine(Repo.Root, "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Contains(lines, l => l.StartsWith("FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal));
        Assert.Contains("ARG TARGETARCH", lines);
        Assert.Contains(lines, l => l.Contains("bash hack/publish.sh /app \"$TARGETARCH\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("bash hack/sbom.sh /app", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("uname", StringComparison.Ordinal));
        // Every port the Deployment names is one the image exposes.
        var exposed = lines.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))["EXPOSE ".Length..].Split(' ').ToHashSet();
        var deployment = Manifests.Load(Path.Combine(Repo.Base, "deployment.yaml")).Single().Body;
        foreach (var port in deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]!.AsArray())
            Assert.Contains(((int)port!["containerPort"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), exposed);
    }

    [Fact]
    public async Task The_SBOM_lists_the_packages_the_operator_was_built_from_and_hashes_every_published_file()
    {
        Assert.True(publish.Result.Code == 0, "the publish failed");
        var (code, stdout, stderr) = await Tools.RunAsync("bash", ["hack/sbom.sh", publish.Directory], timeout: TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"hack/sbom.sh failed:\n{stdout}\n{stderr}");
        var sbom = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(publish.Directory, "_manifest", "spdx_2.2", "manifest.spdx.json")))!;
        Assert.Equal("SPDX-2.2", (string?)sbom["spdxVersion"]);

        // Every package the operator references, at the version Directory.Packages.props pins.
        var packages = sbom["packages"]!.AsArray().Select(p => $"{(string?)p!["name"]}@{(string?)p["versionInfo"]}").ToHashSet();
        var pinned = XDocument.Load(Path.Combine(Repo.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);
        var referenced = XDocument.Load(Path.Combine(Repo.Root, "src", "QuayIntegration.Operator", "QuayIntegration.Operator.csproj"))
            .Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!).ToList();
        Assert.NotEmpty(referenced);
        foreach (var package in referenced) Assert.Contains($"{package}@{pinned[package]}", packages);
        Assert.Contains($"quay-integration-operator@{(string)Manifests.Load(Path.Combine(Repo.Base, "kustomization.yaml")).Single().Body["images"]![0]!["newTag"]!}", packages);

        // Every published file, with the SHA-256 of its bytes.
        var files = sbom["files"]!.AsArray().ToDictionary(f => ((string)f!["fileName"]!).TrimStart('.', '/'),
            f => (string)f!["checksums"]!.AsArray().Single(c => (string?)c!["algorithm"] == "SHA256")!["checksumValue"]!);
        var published = Directory.EnumerateFiles(publish.Directory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(publish.Directory, f)).Where(f => !f.StartsWith("_manifest", StringComparison.Ordinal)).ToList();
        Assert.Equal(published.Order(StringComparer.Ordinal), files.Keys.Order(StringComparer.Ordinal));
        foreach (var file in published)
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(publish.Directory, file)))), files[file]);
    }
}
