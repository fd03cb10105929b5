using k8s;
using k8s.Exceptions;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// The operator reads a kubeconfig with its own YamlDotNet reader instead of KubernetesClient's loader (which keeps
/// YAML metadata for every model for the life of the process, and cannot run under Native AOT). Whatever the file
/// says must come out exactly as the client's own loader reads it.
/// </summary>
public sealed class ClusterConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubeconfig-").FullName;
    private readonly PemPair _ca = CertificateAuthority.CreateCa("kubeconfig test CA", DateTimeOffset.UtcNow.AddMinutes(-5), TimeSpan.FromDays(30));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_current_context_its_cluster_user_namespace_and_a_CA_file_relative_to_the_kubeconfig_read_as_the_client_reads_them()
    {
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), _ca.CertificatePem);
        var path = Write("""
            apiVersion: v1
            kind: Config
            preferences: {}
            current-context: operator
            clusters:
            - name: other
              cluster:
                server: https://other.example:6443
                insecure-skip-tls-verify: true
            - name: main
              cluster:
                server: https://api.cluster.example:6443
                certificate-authority: ca.crt
                tls-server-name: kubernetes.default.svc
                a-field-from-a-newer-kubectl: true
            users:
            - name: someone-else
              user:
                token: not-this-one
            - name: quay-integration
              user:
                token: sha256~operator-token
            contexts:
            - name: other
              context: {cluster: other, user: someone-else}
            - name: operator
              context:
                cluster: main
                user: quay-integration
                namespace: openshift-operators
            """);

        var ours = ClusterConnection.Configuration(new OperatorOptions { Kubeconfig = path });
        var theirs = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);

        Assert.Equal("https://api.cluster.example:6443", ours.Host);
        Assert.Equal("sha256~operator-token", ours.AccessToken);
        Assert.Equal("openshift-operators", ours.Namespace);
        Assert.Equal("kubernetes.default.svc", ours.TlsServerName);
        Assert.False(ours.SkipTlsVerify);
        Assert.Single(ours.SslCaCerts!);
        AssertSame(theirs, ours);
    }

    [Fact]
    public void Embedded_CA_data_basic_credentials_and_insecure_skip_read_as_the_client_reads_them()
    {
        var path = Write($$"""
            apiVersion: v1
            kind: Config
            current-context: admin
            clusters:
            - name: c
              cluster:
                server: "https://10.0.0.1:6443"
                certificate-authority-data: {{Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(_ca.CertificatePem))}}
            - name: insecure
              cluster:
                server: https://127.0.0.1:8443
                insecure-skip-tls-verify: true
            users:
            - name: admin
              user: {username: admin, password: "s3cr3t:with:colons"}
            contexts:
            - name: admin
              context: {cluster: c, user: admin}
            - name: insecure
              context: {cluster: insecure, user: admin}
            """);

        AssertSame(KubernetesClientConfiguration.BuildConfigFromConfigFile(path), ClusterConnection.Configuration(new OperatorOptions { Kubeconfig = path }));
        var ours = ClusterConnection.Configuration(new OperatorOptions { Kubeconfig = path });
        Assert.Equal(("admin", "s3cr3t:with:colons"), (ours.Username, ours.Password));

        File.WriteAllText(path, File.ReadAllText(path).Replace("current-context: admin", "current-context: insecure", StringComparison.Ordinal));
        var insecure = ClusterConnection.Configuration(new OperatorOptions { Kubeconfig = path });
        Assert.True(insecure.SkipTlsVerify);
        AssertSame(KubernetesClientConfiguration.BuildConfigFromConfigFile(path), insecure);
    }

    [Fact]
    public void A_missing_kubeconfig_is_refused_with_its_full_path()
    {
        var missing = Path.Combine(_dir, "nope", "config");
        var e = Assert.Throws<KubeConfigException>(() => ClusterConnection.Configuration(new OperatorOptions { Kubeconfig = missing }));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static void AssertSame(KubernetesClientConfiguration expected, KubernetesClientConfiguration actual)
    {
        Assert.Equal(expected.Host, actual.Host);
        Assert.Equal(expected.AccessToken, actual.AccessToken);
        Assert.Equal(expected.Username, actual.Username);
        Assert.Equal(expected.Password, actual.Password);
        Assert.Equal(expected.Namespace, actual.Namespace);
        Assert.Equal(expected.CurrentContext, actual.CurrentContext);
        Assert.Equal(expected.TlsServerName, actual.TlsServerName);
        Assert.Equal(expected.SkipTlsVerify, actual.SkipTlsVerify);
        Assert.Equal(expected.SslCaCerts?.Select(c => c.Thumbprint), actual.SslCaCerts?.Select(c => c.Thumbprint));
    }
}
