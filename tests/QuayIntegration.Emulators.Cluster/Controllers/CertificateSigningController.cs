using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>
/// kube-controller-manager's csrsigning controllers (pkg/controller/certificates/signer/signer.go) for the
/// kubernetes.io signers, signing with the cluster CA (<c>--cluster-signing-cert-file/-key-file</c>): an approved CSR
/// that is not Failed and has no certificate yet is checked against its signer's rules — a CSR a signer does not
/// accept gets a <c>Failed</c> condition (reason <c>SignerValidationFailure</c>) — then signed and written through
/// <c>/status</c>. Signing follows pkg/controller/certificates/authority/policies.go: subject and DNS/IP SANs from
/// the request, key usages and extended key usages from <c>spec.usages</c>, not a CA, valid from five minutes ago
/// (backdate) for <c>spec.expirationSeconds</c> or the cluster signing duration (one year), never past the CA.
/// Signers: <c>kubernetes.io/kubelet-serving</c> (ValidateKubeletServingCSR: organization exactly system:nodes, common
/// name "system:node:…", a DNS or IP SAN, usages digital signature + server auth (+ key encipherment for RSA)),
/// <c>kubernetes.io/kube-apiserver-client</c> and <c>-client-kubelet</c> (client auth usages), <c>kubernetes.io/legacy-unknown</c>;
/// other signer names are left alone, as there.
/// </summary>
public sealed class CertificateSigningController(k8s.Kubernetes client, string caCertificatePem, string caKeyPem, ILogger logger) : IClusterController
{
    private static readonly TimeSpan SigningDuration = TimeSpan.FromDays(365);
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    public string Name => "csrsigning";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = new WorkQueue<string>(Name, logger);
        var watch = ListWatches.CertificateSigningRequests(client).RunAsync((type, csr) =>
        {
            if (type != WatchEventType.Deleted) queue.Enqueue(csr.Metadata.Name);
        }, logger, cancellationToken);
        await Task.WhenAll(watch, queue.RunAsync(ReconcileAsync, workers: 1, cancellationToken));
    }

    private async Task<ReconcileResult> ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        V1CertificateSigningRequest csr;
        try
        {
            csr = await client.CertificatesV1.ReadCertificateSigningRequestAsync(name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return ReconcileResult.Done;
        }
        var conditions = csr.Status?.Conditions ?? [];
        if (!conditions.Any(c => c.Type == "Approved" && c.Status == "True") || conditions.Any(c => c.Type == "Failed" && c.Status == "True")
            || csr.Status?.Certificate is { Length: > 0 })
        {
            return ReconcileResult.Done;
        }
        if (!IsKubernetesSigner(csr.Spec.SignerName)) return ReconcileResult.Done;

        var request = CertificateRequest.LoadSigningRequestPem(Encoding.UTF8.GetString(csr.Spec.Request), HashAlgorithmName.SHA256,
            CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        var usages = csr.Spec.Usages ?? [];
        csr.Status ??= new V1CertificateSigningRequestStatus();
        if (SignerRules.Check(csr.Spec.SignerName, request, usages) is { } problem)
        {
            csr.Status.Conditions = [.. conditions, new V1CertificateSigningRequestCondition
            {
                Type = "Failed", Status = "True", Reason = "SignerValidationFailure", Message = problem, LastUpdateTime = DateTime.UtcNow,
            }];
        }
        else
        {
            csr.Status.Certificate = Encoding.UTF8.GetBytes(Sign(request, usages, csr.Spec.ExpirationSeconds));
        }
        try
        {
            await client.CertificatesV1.ReplaceCertificateSigningRequestStatusAsync(csr, name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict)
        {
            return ReconcileResult.After(TimeSpan.FromMilliseconds(100));
        }
        return ReconcileResult.Done;
    }

    private static bool IsKubernetesSigner(string signer) => signer is "kubernetes.io/kubelet-serving" or "kubernetes.io/kube-apiserver-client"
        or "kubernetes.io/kube-apiserver-client-kubelet" or "kubernetes.io/legacy-unknown";

    private string Sign(CertificateRequest request, IList<string> usages, int? expirationSeconds)
    {
        using var ca = X509Certificate2.CreateFromPem(caCertificatePem, caKeyPem);
        using var caKey = ca.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the cluster CA key is not ECDSA");
        var template = new CertificateRequest(request.SubjectName, request.PublicKey, HashAlgorithmName.SHA256);
        foreach (var extension in request.CertificateExtensions.Where(e => e.Oid?.Value == "2.5.29.17")) template.CertificateExtensions.Add(extension);
        template.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var keyUsage = X509KeyUsageFlags.None;
        var extended = new OidCollection();
        foreach (var usage in usages)
        {
            switch (usage)
            {
                case "digital signature": keyUsage |= X509KeyUsageFlags.DigitalSignature; break;
                case "key encipherment": keyUsage |= X509KeyUsageFlags.KeyEncipherment; break;
                case "content commitment": keyUsage |= X509KeyUsageFlags.NonRepudiation; break;
                case "key agreement": keyUsage |= X509KeyUsageFlags.KeyAgreement; break;
                case "data encipherment": keyUsage |= X509KeyUsageFlags.DataEncipherment; break;
                case "server auth": extended.Add(new Oid("1.3.6.1.5.5.7.3.1")); break;
                case "client auth": extended.Add(new Oid("1.3.6.1.5.5.7.3.2")); break;
            }
        }
        if (keyUsage != X509KeyUsageFlags.None) template.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, true));
        if (extended.Count > 0) template.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(extended, false));
        template.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(template.PublicKey, false));
        template.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));

        var now = DateTimeOffset.UtcNow;
        var lifetime = expirationSeconds is { } seconds ? TimeSpan.FromSeconds(Math.Min(seconds, SigningDuration.TotalSeconds)) : SigningDuration;
        var notAfter = now + lifetime < ca.NotAfter.ToUniversalTime() ? now + lifetime : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var certificate = template.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now - Backdate, notAfter, serial);
        return certificate.ExportCertificatePem() + "\n";
    }
}
