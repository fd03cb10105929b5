using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Sandbox.World;

/// <summary>
/// What <c>hack/webhook-create-signed-cert.sh</c> produces on a real cluster, made locally: a serving certificate for the
/// webhook Service's DNS name (<c>&lt;service&gt;.&lt;namespace&gt;.svc</c>) signed by a CA whose PEM goes into the
/// MutatingWebhookConfiguration's <c>caBundle</c>, written as <c>apiserver.crt</c>/<c>apiserver.key</c> into the directory
/// the operator reads (<c>WEBHOOK_CERT_DIR</c>). The certificates come from the operator's own
/// <see cref="CertificateAuthority"/>, the code its self-managed mode uses.
/// </summary>
public sealed class WebhookCertificates
{
    /// <summary>Longer than the 14 days under which the QuayIntegrationWebhookCertificateExpiring alert warns, so a sandbox raises no alert.</summary>
    private static readonly TimeSpan Validity = TimeSpan.FromDays(30);

    private WebhookCertificates(string directory, string caPem)
    {
        Directory = directory;
        CaCertificatePem = caPem;
    }

    public string Directory { get; }
    public string CaCertificatePem { get; }

    public static WebhookCertificates Create(string directory, string service, string ns)
    {
        System.IO.Directory.CreateDirectory(directory);
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        var ca = CertificateAuthority.CreateCa("quay-integration-sandbox-webhook-ca", notBefore, Validity);
        var serving = CertificateAuthority.IssueServing(ca, CertificateAuthority.ServiceDnsNames(service, ns), notBefore, Validity);

        File.WriteAllText(Path.Combine(directory, "apiserver.crt"), serving.CertificatePem);
        File.WriteAllText(Path.Combine(directory, "apiserver.key"), serving.KeyPem);
        File.WriteAllText(Path.Combine(directory, "ca.crt"), ca.CertificatePem);
        return new WebhookCertificates(directory, ca.CertificatePem);
    }
}
