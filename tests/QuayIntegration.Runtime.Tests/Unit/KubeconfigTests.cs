using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using Microsoft.Extensions.Time.Testing;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>
/// The operator reads kubeconfig files itself (<see cref="Kubeconfig"/>). What a file says must come out as kubectl
/// and client-go read it; where KubernetesClient reads the same field, its own loader is the reference.
/// </summary>
public sealed class KubeconfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubeconfig-").FullName;
    private readonly CertificateAuthority _ca = CertificateAuthority.Create("kubeconfig test CA");

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_current_context_its_cluster_user_namespace_and_a_CA_file_relative_to_the_kubeconfig_read_as_the_client_reads_them()
    {
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), _ca.CertificatePem);
        var path = Write("config", """
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

        var ours = Kubeconfig.Load(path);
        var theirs = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);

        Assert.Equal(new Uri(theirs.Host), ours.Server);
        Assert.Equal(new AuthenticationHeaderValue("Bearer", theirs.AccessToken), await ours.Credentials!.AuthorizationAsync(CancellationToken.None));
        Assert.Equal((theirs.Namespace, theirs.TlsServerName, theirs.SkipTlsVerify), (ours.Namespace, ours.TlsServerName, ours.InsecureSkipTlsVerify));
        Assert.Equal(theirs.SslCaCerts.Select(c => c.Thumbprint), ours.CertificateAuthorities!.Select(c => c.Thumbprint));
        Assert.Equal("https://other.example:6443/", Kubeconfig.Load(path, context: "other").Server.ToString());
    }

    [Fact]
    public async Task Inline_CA_data_user_and_password_and_insecure_skip_read_as_the_client_reads_them()
    {
        var path = Write("config", $$"""
            apiVersion: v1
            kind: Config
            current-context: admin
            clusters:
            - name: c
              cluster:
                server: "https://10.0.0.1:6443"
                certificate-authority-data: {{Base64(_ca.CertificatePem)}}
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

        var theirs = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        var ours = Kubeconfig.Load(path);
        Assert.Equal(new Uri(theirs.Host), ours.Server);
        Assert.Equal(theirs.SslCaCerts.Select(c => c.Thumbprint), ours.CertificateAuthorities!.Select(c => c.Thumbprint));
        Assert.Equal(new AuthenticationHeaderValue("Basic", Base64($"{theirs.Username}:{theirs.Password}")), await ours.Credentials!.AuthorizationAsync(CancellationToken.None));

        var insecure = Kubeconfig.Load(path, context: "insecure");
        Assert.Equal(KubernetesClientConfiguration.BuildConfigFromConfigFile(path, currentContext: "insecure").SkipTlsVerify, insecure.InsecureSkipTlsVerify);
        Assert.True(insecure.InsecureSkipTlsVerify);
        Assert.Null(insecure.CertificateAuthorities);
    }

    [Fact]
    public async Task Several_files_merge_as_KUBECONFIG_does_the_first_to_name_something_wins_and_paths_are_relative_to_their_own_file()
    {
        var first = Directory.CreateDirectory(Path.Combine(_dir, "first")).FullName;
        var second = Directory.CreateDirectory(Path.Combine(_dir, "second")).FullName;
        File.WriteAllText(Path.Combine(second, "token"), "second-token");
        File.WriteAllText(Path.Combine(second, "ca.crt"), _ca.CertificatePem);
        var a = Write("first/config", """
            current-context: work
            contexts:
            - name: work
              context: {cluster: shared, user: me, namespace: first}
            users:
            - name: me
              user: {tokenFile: ../second/token}
            """);
        var b = Write("second/config", """
            current-context: ignored
            clusters:
            - name: shared
              cluster: {server: "https://shared.example", certificate-authority: ca.crt}
            contexts:
            - name: work
              context: {cluster: nowhere, user: nobody, namespace: second}
            users:
            - name: me
              user: {token: not-this-one}
            """);

        var access = Kubeconfig.Load([a, Path.Combine(_dir, "absent"), b], time: null);

        Assert.Equal("https://shared.example/", access.Server.ToString());
        Assert.Equal("first", access.Namespace);
        Assert.Equal(_ca.Certificate.Thumbprint, Assert.Single(access.CertificateAuthorities!).Thumbprint);
        Assert.Equal(new AuthenticationHeaderValue("Bearer", "second-token"), await access.Credentials!.AuthorizationAsync(CancellationToken.None));
        Assert.Equal(Path.Combine(second, "token"), Assert.IsType<TokenFileCredentials>(access.Credentials).Path);
    }

    [Fact]
    public async Task An_address_without_a_scheme_is_https_and_a_token_file_beside_a_token_is_what_stays_current()
    {
        File.WriteAllText(Path.Combine(_dir, "token"), "from-file");
        var access = Kubeconfig.Load(Write("config", Single("10.0.0.1:6443", "token: initial, tokenFile: token")));
        Assert.Equal("https://10.0.0.1:6443/", access.Server.ToString());
        Assert.Equal("from-file", (await access.Credentials!.AuthorizationAsync(CancellationToken.None)).Parameter);
    }

    [Fact]
    public void A_client_certificate_inline_or_as_files_comes_with_its_key()
    {
        using var issued = _ca.IssueClientCertificate("operator", "system:masters");
        var certificatePem = issued.ExportCertificatePem();
        var keyPem = issued.GetRSAPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? issued.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(Path.Combine(_dir, "tls.crt"), certificatePem);
        File.WriteAllText(Path.Combine(_dir, "tls.key"), keyPem);
        var inline = Write("inline", Single("https://k", $"client-certificate-data: {Base64(certificatePem)}, client-key-data: {Base64(keyPem)}"));
        var files = Write("files", Single("https://k", "client-certificate: tls.crt, client-key: tls.key"));

        foreach (var path in new[] { inline, files })
        {
            var access = Kubeconfig.Load(path);
            Assert.Equal(issued.Thumbprint, access.ClientCertificate!.Thumbprint);
            Assert.True(access.ClientCertificate.HasPrivateKey);
            Assert.Null(access.Credentials);
        }
    }

    [Fact]
    public async Task A_token_file_is_read_again_after_a_minute_and_a_vanished_file_keeps_the_last_token()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokenPath = Path.Combine(_dir, "token");
        File.WriteAllText(tokenPath, "first\n");
        var credentials = Kubeconfig.Load(Write("config", Single("https://k", "tokenFile: token")), time).Credentials!;

        Assert.Equal("first", (await credentials.AuthorizationAsync(CancellationToken.None)).Parameter);
        File.WriteAllText(tokenPath, "second");
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal("first", (await credentials.AuthorizationAsync(CancellationToken.None)).Parameter);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("second", (await credentials.AuthorizationAsync(CancellationToken.None)).Parameter);

        File.Delete(tokenPath);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("second", (await credentials.AuthorizationAsync(CancellationToken.None)).Parameter);
    }

    [Fact]
    public async Task An_unreadable_token_file_at_the_start_is_an_error_that_names_the_file()
    {
        var credentials = Kubeconfig.Load(Write("config", Single("https://k", "tokenFile: missing-token"))).Credentials!;
        var e = await Assert.ThrowsAsync<KubeconfigException>(async () => await credentials.AuthorizationAsync(CancellationToken.None));
        Assert.Contains(Path.Combine(_dir, "missing-token"), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k', certificate-authority: ca.crt, certificate-authority-data: QUJD}}]", "both certificate-authority and certificate-authority-data")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k', certificate-authority-data: QUJD, insecure-skip-tls-verify: true}}]", "insecure-skip-tls-verify")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k', insecure-skip-tls-verify: maybe}}]", "insecure-skip-tls-verify is not true or false")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k', certificate-authority-data: '%%%'}}]", "certificate-authority-data is not base64")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k', certificate-authority-data: QUJD}}]", "holds no PEM certificate")]
    [InlineData("clusters: [{name: c, cluster: {certificate-authority-data: QUJD}}]", "cluster 'c' in")]
    [InlineData("clusters: [{name: c, cluster: {server: 'ftp://kubernetes:6443'}}]", "'ftp://kubernetes:6443' is not an http or https URL")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k', proxy-url: 'ftp://proxy'}}]", "proxy-url 'ftp://proxy'")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k', proxy-url: 'ftp://me:sekrit-token@proxy'}}]", "proxy-url 'ftp://…@proxy'")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {auth-provider: {name: oidc}}}]", "auth-provider")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {token: t, as: admin}}]", "impersonate (as)")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {token: sekrit-token, username: a, password: b}}]", "more than one way to authenticate (token, username/password)")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {client-certificate-data: QUJD}}]", "client certificate without its key")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}}]", "apiVersion 'client.authentication.k8s.io/v1alpha1'")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x, interactiveMode: Always}}}]", "interactiveMode Always")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1}}}]", "exec has no command")]
    [InlineData("clusters: [{name: d, cluster: {server: 'https://k'}}]", "cluster 'c' of context 'x' is not in the kubeconfig")]
    [InlineData("clusters: [{name: c, cluster: {server: 'https://k'}}]\nusers: [{name: someone, user: {token: t}}]", "user 'u' of context 'x' is not in the kubeconfig")]
    public void A_kubeconfig_client_go_would_refuse_or_the_operator_cannot_honour_is_refused_with_what_is_wrong(string clustersAndUsers, string expected)
    {
        var users = clustersAndUsers.Contains("users:", StringComparison.Ordinal) ? "" : "\nusers: [{name: u, user: {token: t}}]";
        var path = Write("config", "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n" + clustersAndUsers + users);
        var e = Assert.Throws<KubeconfigException>(() => Kubeconfig.Load(path));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sekrit-token", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("clusters: []", "sets no current-context")]
    [InlineData("current-context: gone\ncontexts: []", "context 'gone' is not in the kubeconfig")]
    [InlineData("current-context: x\ncontexts: {x: y}", "contexts is not a list")]
    [InlineData("current-context: x\ncontexts: [{context: {cluster: c}}]", "an entry of contexts has no name")]
    [InlineData("current-context: [x\n", "is not valid YAML")]
    [InlineData("- a list", "is not a YAML mapping")]
    public void A_kubeconfig_without_a_usable_context_is_refused_with_what_is_wrong(string yaml, string expected)
    {
        var path = Write("config", yaml);
        var e = Assert.Throws<KubeconfigException>(() => Kubeconfig.Load(path));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_kubeconfig_is_refused_with_its_full_path_and_a_list_with_no_file_says_so()
    {
        var missing = Path.Combine(_dir, "nope", "config");
        Assert.Contains(missing, Assert.Throws<KubeconfigException>(() => Kubeconfig.Load(missing)).Message, StringComparison.Ordinal);
        Assert.Contains("none of the kubeconfig files", Assert.Throws<KubeconfigException>(() => Kubeconfig.Load([missing], null)).Message, StringComparison.Ordinal);
    }

    /// <summary>One context "x" of cluster "c" at <paramref name="server"/> and user "u" with the given fields.</summary>
    private static string Single(string server, string userFields) => $$$"""
        current-context: x
        contexts: [{name: x, context: {cluster: c, user: u}}]
        clusters: [{name: c, cluster: {server: "{{{server}}}"}}]
        users: [{name: u, user: { {{{userFields}}} }}]
        """;

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
