using System.Security.Cryptography.X509Certificates;

namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>
/// What each kubernetes.io signer accepts (pkg/apis/certificates/v1 helpers: ValidateKubeletServingCSR,
/// ValidateKubeletClientCSR; pkg/controller/certificates/signer isKubeAPIServerClient…), with Kubernetes' error texts.
/// Null means acceptable.
/// </summary>
public static class SignerRules
{
    private const string SubjectAlternativeNameOid = "2.5.29.17";

    public static string? Check(string signer, CertificateRequest request, IList<string> usages)
    {
        var (organizations, commonName) = Subject(request.SubjectName);
        var (dnsNames, addresses) = SubjectAlternativeNames(request);
        switch (signer)
        {
            case "kubernetes.io/kubelet-serving":
                if (organizations.Count != 1 || organizations[0] != "system:nodes") return "subject organization is not system:nodes";
                if (dnsNames.Count == 0 && addresses.Count == 0) return "DNS or IP subjectAltName is required";
                if (!SameUsages(usages, "key encipherment", "digital signature", "server auth") && !SameUsages(usages, "digital signature", "server auth"))
                    return "usages did not match [digital signature key encipherment server auth]";
                if (!commonName.StartsWith("system:node:", StringComparison.Ordinal)) return "subject common name does not begin with system:node:";
                return null;
            case "kubernetes.io/kube-apiserver-client-kubelet":
                if (organizations.Count != 1 || organizations[0] != "system:nodes") return "subject organization is not system:nodes";
                if (dnsNames.Count > 0 || addresses.Count > 0) return "DNS subjectAltNames are not allowed";
                if (!SameUsages(usages, "key encipherment", "digital signature", "client auth") && !SameUsages(usages, "digital signature", "client auth"))
                    return "usages did not match [digital signature key encipherment client auth]";
                if (!commonName.StartsWith("system:node:", StringComparison.Ordinal)) return "subject common name does not begin with system:node:";
                return null;
            case "kubernetes.io/kube-apiserver-client":
                return usages.Contains("client auth") && !usages.Contains("server auth") ? null : "invalid usage for client certificate: server auth";
            default:
                return null;
        }
    }

    private static bool SameUsages(IList<string> usages, params string[] expected) =>
        usages.Count == expected.Length && expected.All(usages.Contains);

    private static (List<string> Organizations, string CommonName) Subject(X500DistinguishedName name)
    {
        var organizations = new List<string>();
        var commonName = "";
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            switch (rdn.GetSingleElementType().Value)
            {
                case "2.5.4.10": organizations.Add(rdn.GetSingleElementValue() ?? ""); break;
                case "2.5.4.3": commonName = rdn.GetSingleElementValue() ?? ""; break;
            }
        }
        return (organizations, commonName);
    }

    public static (List<string> DnsNames, List<System.Net.IPAddress> Addresses) SubjectAlternativeNames(CertificateRequest request)
    {
        var extension = request.CertificateExtensions.FirstOrDefault(e => e.Oid?.Value == SubjectAlternativeNameOid);
        if (extension is null) return ([], []);
        var san = new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
        return (san.EnumerateDnsNames().ToList(), san.EnumerateIPAddresses().ToList());
    }
}
