using System.Xml.Linq;

namespace QuayIntegration.Testing.Core.Tests;

/// <summary>Test code stays out of the operator's binary: nothing under src/ references a project under tests/.</summary>
public sealed class ProjectBoundaryTests
{
    [Fact]
    public void No_project_under_src_references_a_project_under_tests()
    {
        var root = RepoRoot();
        var projects = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(projects);
        var tests = Path.Combine(root, "tests") + Path.DirectorySeparatorChar;
        var offending = (
            from project in projects
            from reference in XDocument.Load(project).Descendants("ProjectReference")
            let target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, ((string?)reference.Attribute("Include") ?? "").Replace('\\', '/')))
            where target.StartsWith(tests, StringComparison.Ordinal)
            select $"{Path.GetRelativePath(root, project)} -> {Path.GetRelativePath(root, target)}").ToList();
        Assert.True(offending.Count == 0, "src/ must not reference test code:\n" + string.Join("\n", offending));
    }

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "QuayIntegration.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }
}
