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
    public string RegistryHost => RegistryHostOf(BaseAddress);

    public static string RegistryHostOf(Uri quayUrl) => quayUrl.IsDefaultPort ? quayUrl.Host : $"{quayUrl.Host}:{quayUrl.Port}";

    /// <summary>
    /// A short, non-reversible fingerprint of the whole connection (safe to log and compare). Computed once: every
    /// reconcile compares it, and hashing the token and CA bundle each time was measurable CPU at thousands of keys.
    /// </summary>
    public string Fingerprint { get; } = Convert.ToHexStringLower(
        SHA256.HashData(Encoding.UTF8.GetBytes($"{BaseAddress}\n{Token}\n{CaBundlePem}\n{Insecure}")))[..16];

    public override string ToString() => $"{BaseAddress} (insecure={Insecure}, ca={(CaBundlePem is null ? "system" : "bundle")}, token=****)";
}
