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

    public async Task InitializeAsync()
    {
        // Without the toolchain the tests that need this publish are skipped (Arm64ToolchainFact), and it is not tried.
        if (Arm64ToolchainFactAttribute.Available)
            Result = await Tools.RunAsync("bash", ["hack/publish.sh", Directory, "arm64"], timeout: TimeSpan.FromMinutes(8));
    }

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
    /// <summary>ELF's e_machine values: EM_X86_64 and EM_AARCH64.</summary>
    private const ushort X64 = 62, Arm64 = 183;

    private static ushort Machine(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.AsSpan(0, 4).SequenceEqual((ReadOnlySpan<byte>)[0x7F, (byte)'E', (byte)'L', (byte)'F']), $"{path} is not an ELF executable");
        return BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(18));
    }

    [Arm64ToolchainFact]
    public async Task Publish_compiles_a_native_executable_for_the_platform_it_is_asked_for_not_the_host()
    {
        Assert.True(publish.Result.Code == 0, $"hack/publish.sh arm64 failed:\n{publish.Result.Stdout}\n{publish.Result.Stderr}");
        var executable = Path.Combine(publish.Directory, "QuayIntegration.Operator");
        Assert.Equal(Arm64, Machine(executable));
        // One self-contained executable: no assemblies beside it for a runtime to load.
        Assert.Empty(Directory.EnumerateFiles(publish.Directory, "*.dll"));
        // The host's own publish (CI's, which the process-level tests run) is x64 code on this x64 machine.
        var host = Path.Combine(Repo.Root, "artifacts", "benchmark-operator", "QuayIntegration.Operator");
        if (File.Exists(host) && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64)
            Assert.Equal(X64, Machine(host));
        // Where an arm64 emulator and arm64's C runtime are installed (CI installs both), the arm64 executable runs.
        if (Tools.Find("qemu-aarch64") is { } qemu && File.Exists("/lib/ld-linux-aarch64.so.1"))
        {
            var (code, stdout, stderr) = await Tools.RunAsync(qemu, ["-L", "/", executable, "--help"], timeout: TimeSpan.FromMinutes(3));
            Assert.True(code == 0, $"the arm64 executable did not run under {qemu}:\n{stdout}\n{stderr}");
            Assert.StartsWith("Usage: QuayIntegration.Operator [flags]", stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Publish_refuses_an_architecture_it_has_no_target_for()
    {
        var (code, _, stderr) = await Tools.RunAsync("bash", ["hack/publish.sh", Path.Combine(publish.Directory, "never"), "s390x"]);
        Assert.NotEqual(0, code);
        Assert.Contains("no Native AOT target for architecture 's390x' (amd64 or arm64)", stderr);
    }

    [Fact]
    public void The_Dockerfile_builds_on_the_builders_platform_for_the_target_platform()
    {
        var lines = File.ReadAllLines(Path.Combine(Repo.Root, "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Contains(lines, l => l.StartsWith("FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal));
        Assert.Contains("ARG TARGETARCH", lines);
        // The target's cross toolchain, then the publish for the target.
        var toolchain = lines.FindIndex(l => l.Contains("bash hack/aot-toolchain.sh \"$TARGETARCH\"", StringComparison.Ordinal));
        var publishLine = lines.FindIndex(l => l.Contains("bash hack/publish.sh /app \"$TARGETARCH\"", StringComparison.Ordinal));
        Assert.True(toolchain >= 0 && publishLine > toolchain, "the Dockerfile installs the target's toolchain (hack/aot-toolchain.sh) before it publishes");
        Assert.Contains(lines, l => l.Contains("bash hack/sbom.sh /app", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("uname", StringComparison.Ordinal));
        // A native executable needs no .NET runtime in the image: only its system libraries.
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/runtime-deps:", StringComparison.Ordinal));
        Assert.Contains("ENTRYPOINT [\"/app/QuayIntegration.Operator\"]", lines);
        // Every port the Deployment names is one the image exposes.
        var exposed = lines.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))["EXPOSE ".Length..].Split(' ').ToHashSet();
        var deployment = Manifests.Load(Path.Combine(Repo.Base, "deployment.yaml")).Single().Body;
        foreach (var port in deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]!.AsArray())
            Assert.Contains(((int)port!["containerPort"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), exposed);
    }

    [Fact]
    public async Task The_toolchain_script_refuses_an_architecture_it_has_no_target_for()
    {
        var (code, _, stderr) = await Tools.RunAsync("bash", ["hack/aot-toolchain.sh", "s390x"]);
        Assert.NotEqual(0, code);
        Assert.Contains("no Native AOT target for architecture 's390x' (amd64 or arm64)", stderr);
    }

    [Arm64ToolchainFact]
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
