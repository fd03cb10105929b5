using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// Picks registry credentials for an image from a namespace's docker secrets (<c>kubernetes.io/dockerconfigjson</c> and
/// legacy <c>kubernetes.io/dockercfg</c>): keys are bare hosts, optionally with a path prefix; the longest match wins.
/// </summary>
public static class RegistryCredentialLookup
{
    public static RegistryCredentials? Find(ApiServerCore server, string ns, string registry, string repository)
    {
        var target = $"{registry}/{repository}";
        RegistryCredentials? best = null;
        var bestLength = -1;
        foreach (var secret in server.Store.List("/secrets", ns).Items)
        {
            var auths = Auths(secret);
            if (auths is null) continue;
            foreach (var (key, entry) in auths)
            {
                var normalized = Normalize(key);
                if (!(target == normalized || target.StartsWith(normalized + "/", StringComparison.Ordinal) || normalized == registry)) continue;
                if (normalized.Length <= bestLength || ToCredentials(entry) is not { } credentials) continue;
                best = credentials;
                bestLength = normalized.Length;
            }
        }
        return best;
    }

    private static JsonObject? Auths(JsonObject secret)
    {
        var (dataKey, nested) = secret.Str("type") switch
        {
            "kubernetes.io/dockerconfigjson" => (".dockerconfigjson", true),
            "kubernetes.io/dockercfg" => (".dockercfg", false),
            _ => (null, false),
        };
        if (dataKey is null || secret.At("data", dataKey).AsString() is not { } encoded) return null;
        try
        {
            var config = JsonNode.Parse(Convert.FromBase64String(encoded)) as JsonObject;
            return nested ? config?["auths"] as JsonObject : config;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException) { return null; }
    }

    private static string Normalize(string key)
    {
        var k = key;
        if (k.StartsWith("https://", StringComparison.Ordinal)) k = k[8..];
        else if (k.StartsWith("http://", StringComparison.Ordinal)) k = k[7..];
        return k.TrimEnd('/');
    }

    private static RegistryCredentials? ToCredentials(JsonNode? entry)
    {
        if (entry.Str("auth") is { Length: > 0 } auth)
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
                var colon = decoded.IndexOf(':');
                if (colon > 0) return new RegistryCredentials(decoded[..colon], decoded[(colon + 1)..]);
            }
            catch (FormatException) { }
        }
        return entry.Str("username") is { } user && entry.Str("password") is { } password ? new RegistryCredentials(user, password) : null;
    }
}
