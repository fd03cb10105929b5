using QuayIntegration.Testing;

namespace QuayIntegration.Deploy.Tests.Support;

public static class Repo
{
    public static string Root { get; } = Find();

    public static string Deploy => Path.Combine(Root, "deploy");

    /// <summary>The kustomize base (deploy/base): the files every install and overlay is made of.</summary>
    public static string Base => Path.Combine(Root, "deploy", "base");

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuayIntegration.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root (QuayIntegration.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Polls <paramref name="condition"/> until true; a timeout names what was awaited (20 s unless told).</summary>
    public static Task Eventually(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Polling.Eventually(condition, what, timeout ?? TimeSpan.FromSeconds(20));
}
