using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Certificates;

/// <summary>
/// pkg/apis/certificates/validation/validation.go for certificates.k8s.io/v1 CertificateSigningRequests: the request
/// must be a PEM CERTIFICATE REQUEST whose signature checks; signerName is required and of the form
/// <c>example.com/name</c>; usages come from the KeyUsage list and may not repeat; expirationSeconds is at least 600;
/// on approval, Approved and Denied exclude each other, must be True, and once there cannot be removed; a condition
/// type appears once.
/// </summary>
public static class CsrValidation
{
    public static readonly IReadOnlyList<string> KnownUsages =
    [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment", "cert sign",
        "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing", "email protection", "s/mime",
        "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc",
    ];

    public static void ValidateSpec(JsonObject csr, List<FieldError> errors)
    {
        var spec = csr["spec"] as JsonObject ?? new JsonObject();
        var request = spec.Str("request");
        if (string.IsNullOrEmpty(request)) errors.Add(FieldError.Required("spec.request"));
        else if (ParseRequestError(request) is { } problem) errors.Add(FieldError.InvalidRendered("spec.request", "[]byte{...}", problem));
        var signer = spec.Str("signerName");
        if (string.IsNullOrEmpty(signer)) errors.Add(FieldError.Required("spec.signerName"));
        else if (!IsSignerName(signer))
            errors.Add(FieldError.Invalid("spec.signerName", JsonValue.Create(signer), "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
        var usages = spec["usages"].StringList();
        var seen = new HashSet<string>();
        for (var i = 0; i < usages.Count; i++)
        {
            if (!KnownUsages.Contains(usages[i])) errors.Add(FieldError.NotSupported($"spec.usages[{i}]", JsonValue.Create(usages[i]), KnownUsages));
            else if (!seen.Add(usages[i])) errors.Add(FieldError.Duplicate($"spec.usages[{i}]", JsonValue.Create(usages[i])));
        }
        if (spec.Long("expirationSeconds") is < 600 and var seconds)
            errors.Add(FieldError.InvalidRendered("spec.expirationSeconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "may not specify a duration less than 600 seconds (10 minutes)"));
    }

    /// <summary>ValidateCertificateSigningRequestApprovalUpdate's condition rules.</summary>
    public static void ValidateConditions(JsonObject csr, JsonObject old, List<FieldError> errors)
    {
        var conditions = csr.At("status", "conditions") as JsonArray ?? [];
        var types = new HashSet<string>();
        var hasApproved = false;
        var hasDenied = false;
        for (var i = 0; i < conditions.Count; i++)
        {
            var type = conditions[i].Str("type") ?? "";
            var path = $"status.conditions[{i}]";
            if (type.Length == 0) errors.Add(FieldError.Required($"{path}.type"));
            if (!types.Add(type)) errors.Add(FieldError.Duplicate($"{path}.type", JsonValue.Create(type)));
            if (type is "Approved" or "Denied" && conditions[i].Str("status") != "True")
                errors.Add(FieldError.NotSupported($"{path}.status", JsonValue.Create(conditions[i].Str("status") ?? ""), ["True"]));
            hasApproved |= type == "Approved";
            hasDenied |= type == "Denied";
            if (hasApproved && hasDenied && type is "Approved" or "Denied")
                errors.Add(FieldError.Invalid($"{path}.type", JsonValue.Create(type), "Approved and Denied conditions are mutually exclusive"));
        }
        foreach (var kept in new[] { "Approved", "Denied" })
            if (HasCondition(old, kept) && !HasCondition(csr, kept))
                errors.Add(FieldError.Forbidden("status.conditions", $"updates may not remove a condition of type \"{kept}\""));
    }

    public static bool HasCondition(JsonObject csr, string type) =>
        csr.At("status", "conditions") is JsonArray list && list.Any(c => c.Str("type") == type && c.Str("status") == "True");

    /// <summary>certificates.ParseCSR and CheckSignature, worded as Go words their failures.</summary>
    public static string? ParseRequestError(string base64Pem)
    {
        string pem;
        try { pem = Encoding.UTF8.GetString(Convert.FromBase64String(base64Pem)); }
        catch (FormatException) { return "PEM block type must be CERTIFICATE REQUEST"; }
        if (!pem.Contains("-----BEGIN CERTIFICATE REQUEST-----", StringComparison.Ordinal)) return "PEM block type must be CERTIFICATE REQUEST";
        try
        {
            CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            return null;
        }
        catch (CryptographicException e)
        {
            return e.Message.Contains("signature", StringComparison.OrdinalIgnoreCase) ? "x509: ECDSA verification failure" : "asn1: structure error: " + e.Message;
        }
    }

    /// <summary>ValidateSignerName: <c>domain/path</c>, the domain a DNS subdomain.</summary>
    private static bool IsSignerName(string signer)
    {
        var slash = signer.IndexOf('/');
        return slash > 0 && slash < signer.Length - 1 && NameRules.ValidateDns1123Subdomain(signer[..slash]) is null;
    }
}
