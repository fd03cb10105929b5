using QuayIntegration.Emulators.Kubernetes.Hosting;

namespace QuayIntegration.Emulators.Kubernetes.Authorization;

/// <summary>
/// pkg/apis/certificates IsAuthorizedForSignerName, used by the CertificateApproval and CertificateSigning admission
/// plugins: approving (<c>approve</c>) or signing (<c>sign</c>) a CSR needs that verb on the <c>signers</c> resource of
/// certificates.k8s.io, named after the signer, or after its domain with <c>/*</c>.
/// </summary>
public static class SignerAuthorization
{
    public static bool IsAuthorized(RbacAuthorizer authorizer, ApiUser user, string verb, string signerName)
    {
        AuthorizationAttributes For(string name) => new(user, verb, true, "certificates.k8s.io", "", "signers", "", "", name);
        if (authorizer.Authorize(For(signerName)).Allowed) return true;
        var slash = signerName.IndexOf('/');
        return slash > 0 && authorizer.Authorize(For(signerName[..slash] + "/*")).Allowed;
    }
}
