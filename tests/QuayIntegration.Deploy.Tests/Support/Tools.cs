using QuayIntegration.Testing;
using System.Diagnostics;

namespace QuayIntegration.Deploy.Tests.Support;

/// <summary>
/// The real programs some tests drive (Debian's prometheus package: prometheus and promtool; Debian's chromium).
/// .ci/run installs them; elsewhere a test that needs a missing one is skipped and says how to install it.
/// </summary>
public static class Tools
{
    public static string? Promtool { get; } = Find("promtool");
    public static string? Prometheus { get; } = Find("prometheus");
    public static string? Chromium { get; } = Find("chromium") ?? Find("chromium-browser");

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>Runs a program to its end (at most <paramref name="timeout"/>) and returns its exit code and both streams.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args, string? workingDirectory = null,
        TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory ?? Repo.Root };
        foreach (var a in args) start.ArgumentList.Add(a);
        return await ChildProcess.RunAsync(start, timeout ?? TimeSpan.FromSeconds(60));
    }
}

public sealed class PromtoolFactAttribute : FactAttribute
{
    public PromtoolFactAttribute()
    {
        if (Tools.Promtool is null) Skip = "promtool is not on PATH (apt-get install -y prometheus; .ci/run installs it)";
    }
}

public sealed class PrometheusFactAttribute : FactAttribute
{
    public PrometheusFactAttribute()
    {
        if (Tools.Prometheus is null) Skip = "prometheus is not on PATH (apt-get install -y prometheus; .ci/run installs it)";
    }
}

public sealed class PrometheusAndChromiumFactAttribute : FactAttribute
{
    public PrometheusAndChromiumFactAttribute()
    {
        if (Tools.Prometheus is null) Skip = "prometheus is not on PATH (apt-get install -y prometheus; .ci/run installs it)";
        else if (Tools.Chromium is null) Skip = "chromium is not on PATH (apt-get install -y chromium; .ci/run installs it)";
    }
}

/// <summary>
/// hack/publish.sh for arm64 on a host of another architecture needs clang and arm64's cross binutils and zlib
/// (hack/aot-toolchain.sh arm64, which .ci/run runs); on an arm64 host, the host's own toolchain.
/// </summary>
public sealed class Arm64ToolchainFactAttribute : FactAttribute
{
    public static bool Available { get; } =
        System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64
        || (Tools.Find("aarch64-linux-gnu-ld") is not null && File.Exists("/usr/lib/aarch64-linux-gnu/libz.a")
            && (Tools.Find("clang") is not null || Directory.EnumerateFiles("/usr/bin", "clang-*").Any(f => char.IsDigit(Path.GetFileName(f)["clang-".Length]))));

    public Arm64ToolchainFactAttribute()
    {
        if (!Available) Skip = "the arm64 cross toolchain is not installed (sudo bash hack/aot-toolchain.sh arm64; .ci/run installs it)";
    }
}
