using System.Security.Cryptography;
using System.Text;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// Everything that identifies one Quay client: a client is built per distinct connection and rebuilt when any part
/// changes. The token is never part of <see cref="ToString"/>.
/// </summary>
public sealed record QuayConnection(Uri BaseAddress, string Token, string? CaBundlePem, bool Insecure)
{
    /// <summary>host[:port] as it appears in image references and docker config "auths" keys.</summary>
    public string RegistryHost => BaseAddress.IsDefaultPort ? BaseAddress.Host : $"{BaseAddress.Host}:{BaseAddress.Port}";

    /// <summary>A short, non-reversible fingerprint of the whole connection (safe to log and compare).</summary>
    public string Fingerprint
    {
        get
        {
            var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{BaseAddress}\n{Token}\n{CaBundlePem}\n{Insecure}"));
            return Convert.ToHexStringLower(bytes)[..16];
        }
    }

    public override string ToString() => $"{BaseAddress} (insecure={Insecure}, ca={(CaBundlePem is null ? "system" : "bundle")}, token=****)";
}
