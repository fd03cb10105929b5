using QuayIntegration.Operator.Hosting;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// Which kubeconfig the operator reads. How a kubeconfig is read is <see cref="Kubeconfig"/>'s, tested with the
/// runtime (KubeconfigTests, ExecPluginCredentialsTests).
/// </summary>
public sealed class ClusterConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubeconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_kubeconfig_option_names_the_file_whose_current_context_is_used()
    {
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, """
            current-context: operator
            clusters: [{name: main, cluster: {server: "https://api.cluster.example:6443"}}]
            users: [{name: quay-integration, user: {token: sha256~operator-token}}]
            contexts: [{name: operator, context: {cluster: main, user: quay-integration, namespace: openshift-operators}}]
            """);

        var access = ClusterConnection.Configuration(new OperatorOptions { Kubeconfig = path });

        Assert.Equal("https://api.cluster.example:6443/", access.Server.ToString());
        Assert.Equal("openshift-operators", access.Namespace);
        Assert.NotNull(access.Credentials);
    }

    [Fact]
    public void A_missing_kubeconfig_is_refused_with_its_full_path()
    {
        var missing = Path.Combine(_dir, "nope", "config");
        var e = Assert.Throws<KubeconfigException>(() => ClusterConnection.Configuration(new OperatorOptions { Kubeconfig = missing }));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }
}
