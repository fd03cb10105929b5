namespace QuayIntegration.Sandbox.World;

/// <summary>Where the repository's files are: the sandbox applies the manifests of <c>deploy/base</c> as they are checked in.</summary>
public sealed record RepoLayout(string Root)
{
    /// <summary>The kustomize base every install builds on (deploy/base).</summary>
    public string Deploy => Path.Combine(Root, "deploy", "base");
    /// <summary>The CRDs of deploy/base/crds (QuayIntegration, QuayNamespace).</summary>
    public IReadOnlyList<string> Crds => Directory.GetFiles(Path.Combine(Deploy, "crds"), "*.yaml").Order(StringComparer.Ordinal).ToList();
    public string OperatorNamespace => Path.Combine(Deploy, "namespace.yaml");
    /// <summary>The operator's ServiceAccount and the RBAC rules bound to it: the sandbox runs the operator as that account.</summary>
    public string ServiceAccount => Path.Combine(Deploy, "service_account.yaml");
    public string Rbac => Path.Combine(Deploy, "rbac.yaml");
    /// <summary>The ClusterRole a scraper of the secure /metrics is bound to.</summary>
    public string MetricsReaderRole => Path.Combine(Deploy, "metrics_reader_role.yaml");
    /// <summary>The alerts (deploy/monitoring), which the sandbox's Prometheus evaluates.</summary>
    public string PrometheusRule => Path.Combine(Root, "deploy", "monitoring", "prometheus_rule.yaml");
    public string WebhookConfiguration => Path.Combine(Deploy, "mutating_webhook_configuration.yaml");
    public string SampleIntegration => Path.Combine(Root, "deploy", "samples", "quayintegration.yaml");
    /// <summary>Runtime files of the default run (gitignored).</summary>
    public string SandboxDirectory => Path.Combine(Root, ".sandbox");

    /// <summary>Walks up from the binary (and then the working directory) to the folder holding <c>QuayIntegration.sln</c>.</summary>
    public static RepoLayout Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "QuayIntegration.sln")) && Directory.Exists(Path.Combine(dir.FullName, "deploy")))
                    return new RepoLayout(dir.FullName);
            }
        }
        throw new InvalidOperationException("Cannot find the repository root (a folder with QuayIntegration.sln and deploy/) above " + AppContext.BaseDirectory);
    }

    /// <summary>A path as a person would type it from the repository root.</summary>
    public string Relative(string path)
    {
        var relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
