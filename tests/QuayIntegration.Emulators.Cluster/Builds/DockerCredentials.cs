using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Builds;

/// <summary>A user name and password for one registry, from a docker config secret.</summary>
public sealed record RegistryCredential(string Username, string Password, string SecretName);

/// <summary>
/// Reads docker config secrets (<c>kubernetes.io/dockerconfigjson</c> with <c>{"auths": {...}}</c>, and the legacy
/// <c>kubernetes.io/dockercfg</c> without the wrapper) and finds the entry for an image the way the credential
/// keyring does: a key is a host with an optional path prefix (a scheme or trailing <c>/v1/</c> is ignored), and the
/// most specific matching key wins.
/// </summary>
public static class DockerCredentials
{
    public const string DockerConfigJsonType = "kubernetes.io/dockerconfigjson";
    public const string DockerCfgType = "kubernetes.io/dockercfg";

    public static bool IsDockerSecret(V1Secret secret) => secret.Type is DockerConfigJsonType or DockerCfgType;

    public static RegistryCredential? Find(V1Secret secret, ImageReference image)
    {
        var auths = ReadAuths(secret);
        if (auths is null)
        {
            return null;
        }
        RegistryCredential? best = null;
        var bestLength = -1;
        foreach (var (key, entry) in auths)
        {
            var prefix = NormalizeKey(key);
            if (!Matches(prefix, image) || prefix.Length <= bestLength || entry is not JsonObject auth)
            {
                continue;
            }
            var credential = ToCredential(auth, secret.Metadata.Name);
            if (credential is not null)
            {
                best = credential;
                bestLength = prefix.Length;
            }
        }
        return best;
    }

    /// <summary>Does any entry of this secret apply to the image's registry? (How the build controller picks a push secret.)</summary>
    public static bool HasEntryFor(V1Secret secret, ImageReference image) =>
        ReadAuths(secret)?.Any(a => Matches(NormalizeKey(a.Key), image)) ?? false;

    private static JsonObject? ReadAuths(V1Secret secret)
    {
        try
        {
            if (secret.Type == DockerConfigJsonType && secret.Data?.TryGetValue(".dockerconfigjson", out var json) == true)
            {
                return JsonNode.Parse(json).At("auths") as JsonObject;
            }
            if (secret.Type == DockerCfgType && secret.Data?.TryGetValue(".dockercfg", out var cfg) == true)
            {
                return JsonNode.Parse(cfg) as JsonObject;
            }
        }
        catch (JsonException)
        {
            // A malformed secret holds no usable credentials, as for the real keyring.
        }
        return null;
    }

    private static RegistryCredential? ToCredential(JsonObject auth, string secretName)
    {
        var username = auth.Str("username");
        var password = auth.Str("password");
        if ((username is null || password is null) && auth.Str("auth") is { Length: > 0 } encoded)
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = decoded.IndexOf(':');
            if (colon > 0)
            {
                username = decoded[..colon];
                password = decoded[(colon + 1)..];
            }
        }
        return username is null || password is null ? null : new RegistryCredential(username, password, secretName);
    }

    private static string NormalizeKey(string key)
    {
        var value = key.Trim();
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            value = value[(scheme + 3)..];
        }
        value = value.TrimEnd('/');
        if (value.EndsWith("/v1", StringComparison.Ordinal) || value.EndsWith("/v2", StringComparison.Ordinal))
        {
            value = value[..^3];
        }
        return value;
    }

    private static bool Matches(string prefix, ImageReference image)
    {
        var target = image.RepositoryWithRegistry;
        return string.Equals(prefix, image.Registry, StringComparison.OrdinalIgnoreCase)
            || target.Equals(prefix, StringComparison.OrdinalIgnoreCase)
            || target.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase);
    }
}
