using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Storage;

namespace QuayIntegration.Emulators.Kubernetes.Authentication;

/// <summary>
/// Bound service-account tokens as kube-apiserver issues (TokenRequest) and checks them: JWTs with the claims of
/// pkg/serviceaccount/claims.go (<c>iss</c>, <c>sub</c> = <c>system:serviceaccount:ns:name</c>, <c>aud</c>, <c>exp</c>,
/// <c>iat</c>, <c>nbf</c>, <c>jti</c>, <c>kubernetes.io.{namespace, serviceaccount.{name, uid}}</c>), signed with a key
/// made at start (ES256 here; clusters usually sign RS256 — clients never look inside). Validation follows
/// pkg/serviceaccount/jwt.go and legacy/bound validators: signature, issuer, audience among the API server's audiences,
/// not expired, and the service account still existing with the same uid.
/// </summary>
public sealed class ServiceAccountTokens(ObjectStore store) : IDisposable
{
    /// <summary>The issuer and the API server's only audience (<c>--service-account-issuer</c>, <c>--api-audiences</c> default).</summary>
    public const string Issuer = "https://kubernetes.default.svc";
    private const string ServiceAccountsKey = "/serviceaccounts";
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly string _keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public sealed record Issued(string Token, DateTimeOffset Expires);

    public Issued Issue(JsonObject serviceAccount, IReadOnlyList<string> audiences, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow;
        var expires = now + lifetime;
        var ns = serviceAccount.At("metadata", "namespace").AsString()!;
        var name = serviceAccount.At("metadata", "name").AsString()!;
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = _keyId };
        var claims = new JsonObject
        {
            ["aud"] = audiences.ToJsonArray(),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["kubernetes.io"] = new JsonObject
            {
                ["namespace"] = ns,
                ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = serviceAccount.At("metadata", "uid").AsString() },
            },
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToCompactJson())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToCompactJson()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new Issued(signingInput + "." + Base64Url(signature), expires);
    }

    /// <summary>
    /// The user a token authenticates as; null with no error when it is not one of ours (another authenticator may know
    /// it), null with an error when it is ours but no longer valid.
    /// </summary>
    public (ApiUser? User, string? Error) Authenticate(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return (null, null);
        JsonObject? header, claims;
        byte[] signature;
        try
        {
            header = JsonNode.Parse(FromBase64Url(parts[0])) as JsonObject;
            claims = JsonNode.Parse(FromBase64Url(parts[1])) as JsonObject;
            signature = FromBase64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            return (null, null);
        }
        if (header is null || claims is null || claims.Str("iss") != Issuer) return (null, null);
        if (header.Str("kid") != _keyId || !_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            return (null, "invalid bearer token, square/go-jose: error in cryptographic primitive");
        if (claims.Long("exp") is not { } exp || DateTimeOffset.FromUnixTimeSeconds(exp) < DateTimeOffset.UtcNow)
            return (null, "invalid bearer token, service account token has expired");
        if (!claims["aud"].StringList().Contains(Issuer))
            return (null, "invalid bearer token, token audiences [\"" + string.Join("\", \"", claims["aud"].StringList()) + "\"] is invalid for the target audiences [\"" + Issuer + "\"]");
        var ns = claims.At("kubernetes.io", "namespace").AsString() ?? "";
        var name = claims.At("kubernetes.io", "serviceaccount", "name").AsString() ?? "";
        var uid = claims.At("kubernetes.io", "serviceaccount", "uid").AsString() ?? "";
        var account = store.Get(ServiceAccountsKey, ns, name);
        if (account is null) return (null, $"invalid bearer token, service account {ns}/{name} has been deleted");
        if (account.At("metadata", "uid").AsString() != uid)
            return (null, $"invalid bearer token, service account UID ({account.At("metadata", "uid").AsString()}) does not match claim ({uid})");
        return (ApiUser.ServiceAccount(ns, name) with
        {
            Uid = uid,
            Extra = new Dictionary<string, IReadOnlyList<string>> { ["authentication.kubernetes.io/credential-id"] = [$"JTI={claims.Str("jti")}"] },
        }, null);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return Convert.FromBase64String(padded);
    }

    public void Dispose() => _key.Dispose();
}
