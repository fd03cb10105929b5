using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Testing;

namespace QuayIntegration.Runtime.Tests.Integration;

/// <summary>
/// A kubeconfig user whose token comes from a client-go credential plugin (<c>user.exec</c>), against the emulated API
/// server over TLS. The plugin is a shell script that records how it was run and answers with the token held in a
/// file the test changes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the plugin is a shell script
public sealed class ExecPluginCredentialsTests : IAsyncLifetime
{
    private EmulatedApiServer _world = null!;
    private readonly string _dir = Directory.CreateTempSubdirectory("exec-plugin-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private string Runs => Path.Combine(_dir, "runs");
    private string TokenFile => Path.Combine(_dir, "token");
    private string Expiry => Path.Combine(_dir, "expires");

    public async Task InitializeAsync()
    {
        _world = await EmulatedApiServer.StartAsync();
        File.WriteAllText(TokenFile, _world.Server.AdminToken);
        File.WriteAllText(Expiry, "");
        Directory.CreateDirectory(Path.Combine(_dir, "bin"));
        var plugin = Path.Combine(_dir, "bin", "credential-plugin");
        // $1 chooses the answer; each run appends a line, and leaves its arguments and KUBERNETES_EXEC_INFO behind.
        File.WriteAllText(plugin, """
            #!/bin/sh
            echo run >> "$PLUGIN_DIR/runs"
            printf '%s\n' "$@" > "$PLUGIN_DIR/args"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$PLUGIN_DIR/exec-info"
            case "$1" in
              fail) echo "login required: run 'login --sso'" >&2; exit 3 ;;
              garbage) echo "not json"; exit 0 ;;
              wrong-version) echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}}'; exit 0 ;;
              hang) sleep 30; exit 0 ;;
              certificate) echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"PEM","clientKeyData":"PEM"}}'; exit 0 ;;
            esac
            expires=$(cat "$PLUGIN_DIR/expires")
            if [ -n "$expires" ]; then expiry=",\"expirationTimestamp\":\"$expires\""; fi
            echo "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"$(cat "$PLUGIN_DIR/token")\"$expiry}}"
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A kubeconfig next to bin/, whose user runs the plugin by a path relative to it.</summary>
    private ClusterAccess Access(string mode = "ok", bool provideClusterInfo = true, string command = "./bin/credential-plugin")
    {
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, $"""
            current-context: emulated
            clusters:
            - name: emulated
              cluster:
                server: {_world.Server.BaseUrl}
                certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(_world.Server.CaCertificatePem))}
            users:
            - name: sso
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: {command}
                  args: [{mode}, --cluster, "with space"]
                  env:
                  - name: PLUGIN_DIR
                    value: {_dir}
                  installHint: install the credential plugin from your platform team
                  provideClusterInfo: {(provideClusterInfo ? "true" : "false")}
                  interactiveMode: Never
            contexts:
            - name: emulated
              context: {"{"}cluster: emulated, user: sso{"}"}
            """);
        return Kubeconfig.Load(path, _time);
    }

    private int RunCount => File.Exists(Runs) ? File.ReadAllLines(Runs).Length : 0;

    private static Task<V1Namespace?> ReadDefault(KubeApi api) => api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None);

    [Fact]
    public async Task The_plugins_token_authenticates_requests_and_is_kept_while_it_is_valid()
    {
        using var api = new KubeApi(Access());
        Assert.Equal("default", (await ReadDefault(api))?.Metadata.Name);
        Assert.Equal("default", (await ReadDefault(api))?.Metadata.Name);
        Assert.Equal(1, RunCount);

        Assert.Equal(["ok", "--cluster", "with space"], File.ReadAllLines(Path.Combine(_dir, "args")));
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "exec-info")))!;
        Assert.Equal("ExecCredential", (string?)info["kind"]);
        Assert.Equal("client.authentication.k8s.io/v1", (string?)info["apiVersion"]);
        Assert.False((bool)info["spec"]!["interactive"]!);
        Assert.Equal(_world.Server.BaseUrl.TrimEnd('/'), ((string?)info["spec"]!["cluster"]!["server"])?.TrimEnd('/'));
        Assert.Equal(_world.Server.CaCertificatePem, Encoding.UTF8.GetString(Convert.FromBase64String((string)info["spec"]!["cluster"]!["certificate-authority-data"]!)));
    }

    [Fact]
    public async Task Without_provideClusterInfo_the_plugin_is_not_told_of_the_cluster()
    {
        using var api = new KubeApi(Access(provideClusterInfo: false));
        await ReadDefault(api);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "exec-info")))!["spec"]!["cluster"]);
    }

    [Fact]
    public async Task An_expiring_token_is_renewed_shortly_before_its_expirationTimestamp()
    {
        File.WriteAllText(Expiry, _time.GetUtcNow().AddMinutes(10).ToString("yyyy-MM-ddTHH:mm:ssZ"));
        var credentials = Access().Credentials!;
        await credentials.AuthorizationAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(9));
        await credentials.AuthorizationAsync(CancellationToken.None);
        Assert.Equal(1, RunCount);
        _time.Advance(TimeSpan.FromSeconds(55));
        await credentials.AuthorizationAsync(CancellationToken.None);
        Assert.Equal(2, RunCount);
    }

    [Fact]
    public async Task A_token_the_server_refuses_is_renewed_for_the_next_request()
    {
        File.WriteAllText(TokenFile, "revoked-token");
        using var api = new KubeApi(Access());
        var e = await Assert.ThrowsAsync<KubeApiException>(() => ReadDefault(api));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.Status);

        File.WriteAllText(TokenFile, _world.Server.AdminToken);
        Assert.Equal("default", (await ReadDefault(api))?.Metadata.Name);
        Assert.Equal(2, RunCount);
    }

    [Fact]
    public async Task Callers_that_need_a_token_at_once_share_one_run_of_the_plugin()
    {
        var credentials = Access().Credentials!;
        var headers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => credentials.AuthorizationAsync(CancellationToken.None).AsTask()));
        Assert.All(headers, h => Assert.Equal(_world.Server.AdminToken, h.Parameter));
        Assert.Equal(1, RunCount);
    }

    [Theory]
    [InlineData("fail", "failed with exit code 3: login required: run 'login --sso'")]
    [InlineData("garbage", "wrote no ExecCredential JSON")]
    [InlineData("wrong-version", "apiVersion 'client.authentication.k8s.io/v1beta1'; expected ExecCredential client.authentication.k8s.io/v1")]
    [InlineData("certificate", "issued a client certificate")]
    public async Task A_plugin_that_fails_or_answers_what_cannot_be_used_is_an_error_that_says_so_and_is_retried_next_time(string mode, string expected)
    {
        var credentials = Access(mode).Credentials!;
        var e = await Assert.ThrowsAsync<KubeconfigException>(async () => await credentials.AuthorizationAsync(CancellationToken.None));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("credential-plugin", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<KubeconfigException>(async () => await credentials.AuthorizationAsync(CancellationToken.None));
        Assert.Equal(2, RunCount);
    }

    [Fact]
    public async Task A_plugin_that_is_not_installed_is_an_error_with_its_install_hint()
    {
        var credentials = Access(command: "quay-integration-no-such-plugin").Credentials!;
        var e = await Assert.ThrowsAsync<KubeconfigException>(async () => await credentials.AuthorizationAsync(CancellationToken.None));
        Assert.Contains("cannot run the exec plugin 'quay-integration-no-such-plugin'", e.Message, StringComparison.Ordinal);
        Assert.Contains("install the credential plugin from your platform team", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plugin_that_does_not_finish_in_time_is_stopped_and_said_to_have_timed_out()
    {
        var plugin = new ExecPlugin(Path.Combine(_dir, "bin", "credential-plugin"), ExecPluginCredentials.V1)
        {
            Args = ["hang"],
            Env = [new("PLUGIN_DIR", _dir)],
        };
        var credentials = new ExecPluginCredentials(plugin, null, _time, runTimeout: TimeSpan.FromSeconds(1));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<KubeconfigException>(async () => await credentials.AuthorizationAsync(CancellationToken.None));
        Assert.Contains("did not finish within 1 s", e.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"waited {started.Elapsed} for a plugin stopped after 1 s");
    }
}
