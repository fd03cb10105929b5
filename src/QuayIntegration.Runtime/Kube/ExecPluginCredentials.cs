using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// A bearer token from a client-go credential plugin (kubeconfig's <c>user.exec</c>: <c>oc</c>, cloud CLIs, OIDC
/// helpers), run as client-go runs it: the command with its arguments, the operator's environment plus the plugin's
/// own variables, <c>KUBERNETES_EXEC_INFO</c> describing the request (never interactive: the operator has no terminal),
/// no standard input. Its <c>ExecCredential</c> answer is kept until its <c>expirationTimestamp</c> (for ever without
/// one) or until the server answers 401 to it; one run at a time, whoever asks meanwhile shares its result.
/// </summary>
public sealed class ExecPluginCredentials : KubeCredentials
{
    /// <summary>The longest a plugin may run by default; client-go has no limit, but an operator that waits for ever on one is stuck.</summary>
    public static readonly TimeSpan DefaultRunTimeout = TimeSpan.FromMinutes(1);

    /// <summary>A token this close to its expiry is renewed before it is sent, so it does not expire in flight.</summary>
    private static readonly TimeSpan RenewBefore = TimeSpan.FromSeconds(10);

    private readonly ExecPlugin _plugin;
    private readonly ExecClusterInfo? _cluster;
    private readonly TimeProvider _time;
    private readonly TimeSpan _runTimeout;
    private readonly Lock _gate = new();
    private Task<Issued>? _renewal;
    private volatile Issued? _issued;

    public ExecPluginCredentials(ExecPlugin plugin, ExecClusterInfo? cluster, TimeProvider time, TimeSpan? runTimeout = null)
    {
        if (plugin.ApiVersion is not (V1 or V1Beta1))
            throw new KubeconfigException($"the exec plugin '{plugin.Command}' asks for apiVersion '{plugin.ApiVersion}'; supported: {V1}, {V1Beta1}");
        if (plugin.InteractiveMode == "Always")
            throw new KubeconfigException($"the exec plugin '{plugin.Command}' has interactiveMode Always: it needs a terminal, and the operator never has one");
        _plugin = plugin;
        _cluster = plugin.ProvideClusterInfo ? cluster : null;
        _time = time;
        _runTimeout = runTimeout ?? DefaultRunTimeout;
    }

    public const string V1 = "client.authentication.k8s.io/v1";
    public const string V1Beta1 = "client.authentication.k8s.io/v1beta1";

    public override async ValueTask<AuthenticationHeaderValue> AuthorizationAsync(CancellationToken ct)
    {
        if (Current() is { } valid) return valid.Header;
        Task<Issued> renewal;
        lock (_gate) renewal = _renewal ??= RenewAsync();
        // A caller that gives up does not stop the run others wait for; the run has its own limit.
        return (await renewal.WaitAsync(ct)).Header;
    }

    private async Task<Issued> RenewAsync()
    {
        // Never complete before _renewal is assigned: the finally below must clear what was assigned.
        await Task.Yield();
        try
        {
            // A caller that came in after the last renewal ended, but read _issued before it was set.
            if (Current() is { } renewed) return renewed;
            var issued = await RunAsync();
            _issued = issued;
            return issued;
        }
        finally
        {
            lock (_gate) _renewal = null;
        }
    }

    public override void Rejected(AuthenticationHeaderValue sent)
    {
        var issued = _issued;
        if (issued is not null && ReferenceEquals(issued.Header, sent)) Interlocked.CompareExchange(ref _issued, null, issued);
    }

    private Issued? Current() => _issued is { } issued && (issued.Expires is null || _time.GetUtcNow() < issued.Expires - RenewBefore) ? issued : null;

    private async Task<Issued> RunAsync()
    {
        var start = new ProcessStartInfo(_plugin.Command)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var arg in _plugin.Args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in _plugin.Env) start.Environment[name] = value;
        start.Environment["KUBERNETES_EXEC_INFO"] = JsonSerializer.Serialize(
            new ExecCredential { ApiVersion = _plugin.ApiVersion, Kind = Kind, Spec = new ExecCredentialSpec { Interactive = false, Cluster = _cluster } },
            ExecCredentialJsonContext.Default.ExecCredential);

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            var hint = string.IsNullOrWhiteSpace(_plugin.InstallHint) ? "" : $" ({_plugin.InstallHint.Trim()})";
            throw new KubeconfigException($"cannot run the exec plugin '{_plugin.Command}': {e.Message}{hint}", e);
        }
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(_runTimeout);
        var output = process.StandardOutput.ReadToEndAsync(limit.Token);
        var errors = process.StandardError.ReadToEndAsync(limit.Token);
        try
        {
            await process.WaitForExitAsync(limit.Token);
            await Task.WhenAll(output, errors);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It ended as the limit struck.
            }
            throw new KubeconfigException($"the exec plugin '{_plugin.Command}' did not finish within {_runTimeout.TotalSeconds:0.#} s");
        }
        if (process.ExitCode != 0)
            throw new KubeconfigException($"the exec plugin '{_plugin.Command}' failed with exit code {process.ExitCode}{Excerpt(errors.Result)}");
        return Parse(output.Result);
    }

    private Issued Parse(string output)
    {
        ExecCredential? answer;
        try
        {
            answer = JsonSerializer.Deserialize(output, ExecCredentialJsonContext.Default.ExecCredential);
        }
        catch (JsonException e)
        {
            // Not the output itself: it may hold a token.
            throw new KubeconfigException($"the exec plugin '{_plugin.Command}' wrote no ExecCredential JSON ({e.Message})", e);
        }
        if (answer?.Kind != Kind || answer.ApiVersion != _plugin.ApiVersion)
            throw new KubeconfigException(
                $"the exec plugin '{_plugin.Command}' answered kind '{answer?.Kind}' apiVersion '{answer?.ApiVersion}'; expected {Kind} {_plugin.ApiVersion}");
        var status = answer.Status;
        if (string.IsNullOrEmpty(status?.Token))
            throw new KubeconfigException(status is { ClientCertificateData.Length: > 0 }
                ? $"the exec plugin '{_plugin.Command}' issued a client certificate; the operator takes tokens from exec plugins, and client certificates from the kubeconfig (client-certificate, client-key)"
                : $"the exec plugin '{_plugin.Command}' issued no token");
        return new Issued(new AuthenticationHeaderValue("Bearer", status.Token), status.ExpirationTimestamp);
    }

    private static string Excerpt(string stderr)
    {
        var text = stderr.Trim();
        if (text.Length == 0) return "";
        return ": " + (text.Length > 500 ? text[..500] + "…" : text);
    }

    public override string ToString() => $"exec plugin {_plugin.Command}";

    private const string Kind = "ExecCredential";

    private sealed record Issued(AuthenticationHeaderValue Header, DateTimeOffset? Expires);
}

/// <summary>kubeconfig's <c>user.exec</c>, its relative command already resolved against the kubeconfig's directory.</summary>
public sealed record ExecPlugin(string Command, string ApiVersion)
{
    public IReadOnlyList<string> Args { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];
    public string? InstallHint { get; init; }
    public bool ProvideClusterInfo { get; init; }
    public string? InteractiveMode { get; init; }
}

/// <summary>The cluster as a plugin that asks for it (<c>provideClusterInfo</c>) is told of it.</summary>
public sealed class ExecClusterInfo
{
    [JsonPropertyName("server")] public string? Server { get; init; }
    [JsonPropertyName("tls-server-name")] public string? TlsServerName { get; init; }
    [JsonPropertyName("insecure-skip-tls-verify")] public bool InsecureSkipTlsVerify { get; init; }
    [JsonPropertyName("certificate-authority-data")] public byte[]? CertificateAuthorityData { get; init; }
    [JsonPropertyName("proxy-url")] public string? ProxyUrl { get; init; }
}

internal sealed class ExecCredential
{
    public string? ApiVersion { get; init; }
    public string? Kind { get; init; }
    public ExecCredentialSpec? Spec { get; init; }
    public ExecCredentialStatus? Status { get; init; }
}

internal sealed class ExecCredentialSpec
{
    public bool Interactive { get; init; }
    public ExecClusterInfo? Cluster { get; init; }
}

internal sealed class ExecCredentialStatus
{
    public string? Token { get; init; }
    public DateTimeOffset? ExpirationTimestamp { get; init; }
    public string? ClientCertificateData { get; init; }
    public string? ClientKeyData { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ExecCredential))]
internal sealed partial class ExecCredentialJsonContext : JsonSerializerContext;
