using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Api;

namespace QuayIntegration.Emulators.Quay.Registry;

/// <summary>
/// The bearer token <c>/v2/auth</c> answers with, shaped as Quay's util/security/registry_jwt.py
/// (_generate_jwt_object, build_context_and_subject) makes it: an RS256 JWT with a <c>kid</c> header and the claims
/// <c>iss</c> (JWT_AUTH_TOKEN_ISSUER, "quay"), <c>aud</c> (the <c>service</c> asked for), <c>nbf</c>, <c>iat</c>,
/// <c>exp</c> (iat + TOKEN_VALIDITY_LIFETIME_S, one hour), <c>sub</c> (the user or robot name, <c>(anonymous)</c>),
/// <c>access</c> (one entry per scope: type, name, granted actions) and <c>context</c>. The RSA key is made once per
/// process: generating one per emulator would cost a second on a busy machine, and nothing outside verifies it.
/// </summary>
public static class RegistryJwt
{
    public const string Issuer = "quay";
    public const string AnonymousSubject = "(anonymous)";
    private static readonly Lazy<(RSA Key, string Kid)> Signing = new(() =>
    {
        var key = RSA.Create(2048);
        var kid = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
        return (key, kid);
    });

    public static string Issue(string? audience, string subject, string? contextKind, JsonArray access, DateTimeOffset issuedAt, TimeSpan lifetime)
    {
        var (key, kid) = Signing.Value;
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["kid"] = kid };
        var now = issuedAt.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = audience,
            ["nbf"] = now,
            ["iat"] = now,
            ["exp"] = now + (long)lifetime.TotalSeconds,
            ["sub"] = subject,
            ["access"] = access,
            ["context"] = new JsonObject
            {
                ["version"] = 2,
                ["entity_kind"] = contextKind ?? "anonymous",
                ["entity_reference"] = contextKind is null ? null : subject,
                ["kind"] = contextKind ?? "anonymous",
                ["user"] = contextKind is null ? null : subject,
                ["com.apostille.root"] = "$disabled",
            },
        };
        var input = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString(ApiResponse.Compact))) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString(ApiResponse.Compact)));
        var signature = key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return input + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
