using QuayIntegration.Benchmarks.Operator;

namespace QuayIntegration.Benchmarks.Tests;

/// <summary>When the harness publishes the operator again before measuring it.</summary>
public sealed class OperatorBuildTests
{
    [Fact]
    public void A_change_to_any_project_under_src_makes_the_published_operator_stale_and_build_outputs_do_not() => InScratchRepository(root =>
    {
        var script = Write(root.FullName, "hack/publish.sh", Origin);
        Write(root.FullName, "src/QuayIntegration.Operator/Program.cs", Origin.AddMinutes(1));
        var runtime = Write(root.FullName, "src/QuayIntegration.Runtime/Kube/KubeApi.cs", Origin.AddMinutes(5));
        Write(root.FullName, "src/QuayIntegration.Runtime/obj/Release/Generated.cs", Origin.AddMinutes(9));
        Write(root.FullName, "src/QuayIntegration.Operator/bin/Release/app.json", Origin.AddMinutes(9));
        Write(root.FullName, "src/QuayIntegration.Operator/notes.txt", Origin.AddMinutes(9));
        SetDirectoryTimes(Path.Combine(root.FullName, "src"), Origin);

        Assert.Equal(File.GetLastWriteTimeUtc(runtime), OperatorBuild.NewestInput(Path.Combine(root.FullName, "src"), script));
    });

    [Fact]
    public void A_source_file_taken_out_makes_the_published_operator_stale() => InScratchRepository(root =>
    {
        var script = Write(root.FullName, "hack/publish.sh", Origin);
        Write(root.FullName, "src/QuayIntegration.Operator/Program.cs", Origin);
        var experiment = Write(root.FullName, "src/QuayIntegration.Operator/Hosting/Experiment.cs", Origin);
        var sources = Path.Combine(root.FullName, "src");
        SetDirectoryTimes(sources, Origin);
        var published = Origin.AddMinutes(1);
        Assert.True(OperatorBuild.NewestInput(sources, script) < published);

        File.Delete(experiment);

        Assert.True(OperatorBuild.NewestInput(sources, script) > published, "a deleted source file must make the published operator stale");
    });

    /// <summary>
    /// The story's clock: every file and directory of a scratch repository is given a time from it, long before any
    /// clock the tests run under, so what the file system stamps "now" is always later.
    /// </summary>
    private static readonly DateTime Origin = new(2001, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static void InScratchRepository(Action<DirectoryInfo> test)
    {
        var root = Directory.CreateTempSubdirectory("bench-build-");
        try
        {
            test(root);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary>Directories get the time their last entry was added; the tests set it, like the files', to the story's clock.</summary>
    private static void SetDirectoryTimes(string directory, DateTime writtenAt)
    {
        foreach (var sub in Directory.EnumerateDirectories(directory, "*", SearchOption.AllDirectories)) Directory.SetLastWriteTimeUtc(sub, writtenAt);
        Directory.SetLastWriteTimeUtc(directory, writtenAt);
    }

    private static string Write(string root, string relative, DateTime writtenAt)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "//");
        File.SetLastWriteTimeUtc(path, writtenAt);
        return path;
    }
}
