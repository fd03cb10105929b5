using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Authorization;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.Certificates;

/// <summary>
/// certificates.k8s.io/v1 CertificateSigningRequest (pkg/registry/certificates/certificates/strategy.go): create
/// records who asked (spec.username, uid, groups, extra) and drops status; the spec never changes afterwards (writes
/// keep the old one); the main resource keeps status; <c>/approval</c> changes only status.conditions (a missing
/// lastUpdateTime is stamped, lastTransitionTime filled in) and needs <c>approve</c> on the signer
/// (CertificateApproval admission); <c>/status</c> changes only status, the certificate cannot change once issued, and
/// issuing one needs <c>sign</c> on the signer (CertificateSigning admission). The CertificateSubjectRestriction
/// admission plugin refuses <c>kubernetes.io/kube-apiserver-client</c> requests for the system:masters group.
/// Signing itself is a controller's job (tests/QuayIntegration.Emulators.Cluster, CertificateSigningController).
/// </summary>
public sealed class CertificateSigningRequestStrategy : ResourceStrategy
{
    private static readonly HashSet<string> Fields = ["spec", "status"];
    public override IReadOnlySet<string>? KnownTopLevelFields => Fields;
    public override bool HasStatusSubresource => true;
    public override string? ValidateName(string name) => NameRules.ValidateDns1123Subdomain(name);

    public override IReadOnlyList<TableColumn> Columns =>
    [
        new("SignerName", "string", "", "", 0, o => o.At("spec", "signerName")?.DeepClone()),
        new("Requestor", "string", "", "", 0, o => o.At("spec", "username")?.DeepClone()),
        new("Condition", "string", "", "", 0, o => Condition(o)),
    ];

    public override void PrepareForCreate(JsonObject obj, RequestContext ctx)
    {
        obj.Remove("status");
        var spec = obj.ChildObject("spec");
        spec["username"] = ctx.User.Username;
        if (ctx.User.Uid.Length > 0) spec["uid"] = ctx.User.Uid; else spec.Remove("uid");
        spec["groups"] = ctx.User.Groups.ToJsonArray();
        if (ctx.User.Extra.Count > 0)
            spec["extra"] = new JsonObject(ctx.User.Extra.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value.ToJsonArray())));
        else spec.Remove("extra");
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old, RequestContext ctx) => obj["spec"] = old["spec"]?.DeepClone();

    public override void PrepareForSubresourceUpdate(JsonObject obj, JsonObject old, RequestContext ctx)
    {
        if (ctx.Subresource == "approval")
        {
            var conditions = obj.At("status", "conditions")?.DeepClone();
            foreach (var key in obj.Select(p => p.Key).ToList()) obj.Remove(key);
            foreach (var (key, value) in old) obj[key] = value?.DeepClone();
            if (conditions is null) obj.ChildObject("status").Remove("conditions");
            else obj.ChildObject("status")["conditions"] = conditions;
        }
        obj["spec"] = old["spec"]?.DeepClone();
        var now = Json.Now();
        if (obj.At("status", "conditions") is JsonArray list)
            foreach (var condition in list.OfType<JsonObject>())
            {
                condition["lastUpdateTime"] ??= now;
                condition["lastTransitionTime"] ??= condition["lastUpdateTime"]!.DeepClone();
            }
    }

    public override void Validate(JsonObject obj, List<FieldError> errors, RequestContext ctx)
    {
        if (ctx.Verb == "create" || ctx.Verb == "patch" && ctx.Subresource is null) CsrValidation.ValidateSpec(obj, errors);
    }

    public override void ValidateUpdate(JsonObject obj, JsonObject old, List<FieldError> errors, RequestContext ctx)
    {
        if (ctx.Subresource is "approval" or "status") CsrValidation.ValidateConditions(obj, old, errors);
        if (ctx.Subresource == "status" && old.At("status", "certificate").AsString() is { Length: > 0 } issued
            && obj.At("status", "certificate").AsString() != issued)
            errors.Add(FieldError.Forbidden("status.certificate", "updates may not modify existing certificate content"));
    }

    /// <summary>The admission plugins that look at who approves, signs, or asks.</summary>
    public override void Admit(JsonObject obj, JsonObject? old, RequestContext ctx)
    {
        var signer = obj.At("spec", "signerName").AsString() ?? "";
        var name = obj.At("metadata", "name").AsString() ?? "";
        if (ctx.Verb == "create" && signer == "kubernetes.io/kube-apiserver-client" && RequestsSystemMasters(obj))
            throw Forbidden(name, $"use of {signer} signer with system:masters group is not allowed");
        if (ctx.Subresource == "approval" && !SignerAuthorization.IsAuthorized(ctx.Server.Authorizer, ctx.User, "approve", signer))
            throw Forbidden(name, $"user not permitted to approve requests with signerName \"{signer}\"");
        if (ctx.Subresource == "status" && old is not null && obj.At("status", "certificate").AsString() is { Length: > 0 } certificate
            && certificate != old.At("status", "certificate").AsString()
            && !SignerAuthorization.IsAuthorized(ctx.Server.Authorizer, ctx.User, "sign", signer))
            throw Forbidden(name, $"user not permitted to sign requests with signerName \"{signer}\"");
    }

    private static ApiException Forbidden(string name, string why) =>
        Errors.Forbidden($"certificatesigningrequests.certificates.k8s.io \"{name}\" is forbidden: {why}",
            new JsonObject { ["name"] = name, ["group"] = "certificates.k8s.io", ["kind"] = "certificatesigningrequests" });

    private static bool RequestsSystemMasters(JsonObject csr)
    {
        try
        {
            var pem = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(csr.At("spec", "request").AsString() ?? ""));
            var request = System.Security.Cryptography.X509Certificates.CertificateRequest.LoadSigningRequestPem(pem,
                System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.X509Certificates.CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
            return request.SubjectName.EnumerateRelativeDistinguishedNames()
                .Any(rdn => rdn.GetSingleElementType().Value == "2.5.4.10" && rdn.GetSingleElementValue() == "system:masters");
        }
        catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    /// <summary>kubectl's CONDITION column: the condition types joined (Approved,Issued once a certificate is there), else Pending.</summary>
    private static JsonNode Condition(JsonObject csr)
    {
        var types = (csr.At("status", "conditions") as JsonArray ?? []).Select(c => c.Str("type") ?? "").Where(t => t.Length > 0).ToList();
        if (csr.At("status", "certificate").AsString() is { Length: > 0 }) types.Add("Issued");
        return types.Count == 0 ? "Pending" : string.Join(",", types);
    }
}
