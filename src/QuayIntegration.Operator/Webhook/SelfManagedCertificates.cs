using QuayIntegration.Operator.Observability;
using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Self-managed certificate mode: on every replica, keeps the webhook's CA and serving certificate in a Secret
/// (created by whichever replica comes first; writes carry the resourceVersion, so concurrent replicas converge on one
/// pair), writes the pair to the certificate directory the HTTPS listener reloads from, and keeps the caBundle of the
/// MutatingWebhookConfiguration equal to the CA. Certificates are renewed <see cref="WebhookOptions.RenewBefore"/>
/// ahead of expiry; a new CA is published next to the old one until the old one has expired from the serving side.
/// </summary>
public sealed class SelfManagedCertificates(KubeApi api, IOptions<OperatorOptions> options, LeaderElectionOptions operatorNamespace, TimeProvider time,
    ILogger<SelfManagedCertificates> log)
    : BackgroundService
{
    private const string ConfigurationsPath = "apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";

    private WebhookOptions Options => options.Value.Webhook;
    private string Namespace => Options.ServiceNamespace is { Length: > 0 } ns ? ns : operatorNamespace.Namespace;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                var bundle = await EnsureSecretAsync(stoppingToken);
                WriteFiles(bundle);
                await EnsureCaBundleAsync(bundle.CaBundlePem, stoppingToken);
                failures = 0;
                var untilRenewal = bundle.RenewAt(Options.RenewBefore) - time.GetUtcNow();
                wait = untilRenewal < Options.RecheckInterval ? untilRenewal : Options.RecheckInterval;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                failures++;
                log.SelfManagedCertificatesFailed(e.Message);
                wait = TimeSpan.FromMilliseconds(Math.Min(Options.RecheckInterval.TotalMilliseconds, 200 * Math.Pow(2, Math.Min(failures, 10))));
            }
            try { await Task.Delay(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task<WebhookCertificateBundle> EnsureSecretAsync(CancellationToken ct)
    {
        var path = QuayIntegration.Runtime.Kube.ResourceType.Secrets.ObjectPath(Namespace, Options.SecretName);
        var dnsNames = CertificateAuthority.ServiceDnsNames(Options.ServiceName, Namespace);
        for (var attempt = 0; ; attempt++)
        {
            var secret = await api.GetAsync<V1Secret>(path, ct);
            var current = WebhookCertificateBundle.FromSecret(secret);
            var now = time.GetUtcNow();
            if (current is not null && current.CaIsGood(now, Options.RenewBefore, Options.CertificateValidity) && current.ServingIsGood(dnsNames, now, Options.RenewBefore))
                return current;

            var next = Renew(current, dnsNames, now);
            try
            {
                if (secret is null)
                {
                    await api.CreateAsync(QuayIntegration.Runtime.Kube.ResourceType.Secrets.CollectionPath(Namespace), new V1Secret
                    {
                        ApiVersion = "v1", Kind = "Secret", Type = "Opaque",
                        Metadata = new V1ObjectMeta { Name = Options.SecretName, NamespaceProperty = Namespace },
                        Data = next.ToData(),
                    }, ct);
                }
                else
                {
                    secret.Data = next.ToData();
                    await api.ReplaceAsync(path, secret, ct); // carries the resourceVersion read: a concurrent writer wins
                }
                log.CertificateIssued(string.Join(", ", dnsNames), next.Serving.NotAfter);
                return next;
            }
            catch (KubeApiException e) when (e.IsConflict && attempt < 3)
            {
                // Another replica wrote first: use its pair.
            }
        }
    }

    private WebhookCertificateBundle Renew(WebhookCertificateBundle? current, string[] dnsNames, DateTimeOffset now)
    {
        var notBefore = now.AddMinutes(-5); // tolerate clock skew between the API server and this pod
        var keepCa = current is not null && current.CaIsGood(now, Options.RenewBefore, Options.CertificateValidity);
        var ca = keepCa ? current!.Ca : CertificateAuthority.CreateCa($"quay-integration-webhook-ca@{now.ToUnixTimeSeconds()}", notBefore, Options.CaValidity);
        var serving = CertificateAuthority.IssueServing(ca, dnsNames, notBefore, Options.CertificateValidity);
        // While a new CA rolls out, the old one stays trusted so a replica still serving the old pair keeps working.
        var bundle = keepCa ? current!.CaBundlePem : current is null ? ca.CertificatePem : ca.CertificatePem + current.Ca.CertificatePem;
        return new WebhookCertificateBundle(ca, serving, bundle);
    }

    /// <summary>
    /// Writes key then certificate through temporary files, only when they changed (the listener reloads on change).
    /// A read-only directory (the Secret itself mounted there) is not fatal: the kubelet then projects the Secret's
    /// tls.crt/tls.key, which the listener also reads, and the caBundle must still be published.
    /// </summary>
    private void WriteFiles(WebhookCertificateBundle bundle)
    {
        try
        {
            Directory.CreateDirectory(Options.CertDir);
            WriteIfChanged(Path.Combine(Options.CertDir, "apiserver.key"), bundle.Serving.KeyPem);
            WriteIfChanged(Path.Combine(Options.CertDir, "apiserver.crt"), bundle.Serving.CertificatePem);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.CertificateNotWritten(Options.CertDir, e.Message, Options.SecretName);
        }
    }

    private static void WriteIfChanged(string path, string content)
    {
        if (File.Exists(path) && File.ReadAllText(path) == content) return;
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    private async Task EnsureCaBundleAsync(string caBundlePem, CancellationToken ct)
    {
        var path = $"{ConfigurationsPath}/{Uri.EscapeDataString(Options.ConfigurationName)}";
        var configuration = await api.GetAsync<V1MutatingWebhookConfiguration>(path, ct);
        if (configuration is null)
        {
            log.WebhookConfigurationMissing(Options.ConfigurationName);
            return;
        }
        var wanted = Encoding.UTF8.GetBytes(caBundlePem);
        var patch = new JsonArray(); // operations added as JsonNode, not through the generic Add<T> (Native AOT)
        for (var i = 0; i < (configuration.Webhooks?.Count ?? 0); i++)
        {
            if (configuration.Webhooks![i].ClientConfig?.CaBundle is { } existing && existing.AsSpan().SequenceEqual(wanted)) continue;
            patch.Add((JsonNode)new JsonObject { ["op"] = "add", ["path"] = $"/webhooks/{i}/clientConfig/caBundle", ["value"] = Convert.ToBase64String(wanted) });
        }
        if (patch.Count == 0) return;
        // The test pins the list we indexed into; a concurrent edit fails the patch and the next pass retries.
        patch.Insert(0, new JsonObject { ["op"] = "test", ["path"] = "/metadata/resourceVersion", ["value"] = configuration.Metadata.ResourceVersion });
        await api.PatchAsync<V1MutatingWebhookConfiguration>(path, new V1Patch(patch.ToJsonString(), V1Patch.PatchType.JsonPatch), ct);
        log.CaBundleSet(Options.ConfigurationName);
    }
}
