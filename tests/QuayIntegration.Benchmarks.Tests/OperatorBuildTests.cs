using QuayIntegration.Benchmarks.Operator;

namespace QuayIntegration.Benchmarks.Tests;

/// <summary>When the harness publishes the operator again before measuring it.</summary>
public sealed class OperatorBuildTests
{
    [Fact]
    public void A_change_to_any_project_under_src_makes_the_published_operator_stale_and_build_outputs_do_not()
    {
        var root = Directory.CreateTempSubdirectory("bench-build-");
        try
        {
            var origin = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
            var script = Write(root.FullName, "hack/publish.sh", origin);
            Write(root.FullName, "src/QuayIntegration.Operator/Program.cs", origin.AddMinutes(1));
            var runtime = Write(root.FullName, "src/QuayIntegration.Runtime/Kube/KubeApi.cs", origin.AddMinutes(5));
            Write(root.FullName, "src/QuayIntegration.Runtime/obj/Release/Generated.cs", origin.AddMinutes(9));
            Write(root.FullName, "src/QuayIntegration.Operator/bin/Release/app.json", origin.AddMinutes(9));
            Write(root.FullName, "src/QuayIntegration.Operator/notes.txt", origin.AddMinutes(9));

            Assert.Equal(File.GetLastWriteTimeUtc(runtime), OperatorBuild.NewestInput(Path.Combine(root.FullName, "src"), script));
        }
        finally
        {
            root.Delete(recursive: true);
        }
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
