using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// Reads kubeconfig files as kubectl and client-go do, into the <see cref="ClusterAccess"/> of one context (the
/// current one unless another is named):
/// <list type="bullet">
/// <item>several files (KUBECONFIG's list) merge: the first file to name a cluster, user or context, or to set
/// <c>current-context</c>, wins; listed files that do not exist are skipped;</item>
/// <item>relative paths (CA, client certificate and key, token file, an exec command with a directory part) are
/// relative to the file that gives them;</item>
/// <item>a user authenticates by client certificate, token or token file, user name and password, or an exec plugin;
/// <c>auth-provider</c> (removed from kubectl in 1.26) and impersonation are refused by name rather than ignored;</item>
/// <item>the contradictions client-go refuses are refused too: a CA both inline and as a file, a CA with
/// <c>insecure-skip-tls-verify</c>, a certificate without its key, more than one way of authenticating.</item>
/// </list>
/// The YAML is read as a document tree, without reflection, so a trimmed or native build reads it as the tests do.
/// Error messages name the file, context and field, never a value that may be a credential.
/// </summary>
public static class Kubeconfig
{
    /// <summary>~/.kube/config, where kubectl looks when neither --kubeconfig nor KUBECONFIG says otherwise.</summary>
    public static string DefaultPath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");

    /// <summary>One kubeconfig file, which must exist (<c>--kubeconfig</c>).</summary>
    public static ClusterAccess Load(string path, TimeProvider? time = null, string? context = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new KubeconfigException($"kubeconfig file not found at {full}");
        return Load([full], time, context);
    }

    /// <summary>The merge of <paramref name="paths"/> in order (<c>KUBECONFIG</c>); those that do not exist are skipped.</summary>
    public static ClusterAccess Load(IReadOnlyList<string> paths, TimeProvider? time, string? context = null)
    {
        var merged = new Merged();
        foreach (var path in paths.Where(p => p.Length > 0).Select(Path.GetFullPath).Distinct())
            if (File.Exists(path)) merged.Add(path, Parse(path));
        var sources = string.Join(", ", paths);
        if (merged.Files == 0) throw new KubeconfigException($"none of the kubeconfig files {sources} exists");
        var name = context ?? merged.CurrentContext
            ?? throw new KubeconfigException($"the kubeconfig ({sources}) sets no current-context and none was asked for");
        if (!merged.Contexts.TryGetValue(name, out var ctx)) throw new KubeconfigException($"context '{name}' is not in the kubeconfig ({sources})");
        var clusterName = ctx.Entry.String("cluster");
        if (string.IsNullOrEmpty(clusterName) || !merged.Clusters.TryGetValue(clusterName, out var cluster))
            throw new KubeconfigException($"cluster '{clusterName}' of context '{name}' is not in the kubeconfig ({sources})");
        Defined? user = null;
        var userName = ctx.Entry.String("user");
        if (!string.IsNullOrEmpty(userName) && !merged.Users.TryGetValue(userName, out user))
            throw new KubeconfigException($"user '{userName}' of context '{name}' is not in the kubeconfig ({sources})");
        return Resolve(cluster, user, ctx.Entry.String("namespace"), time ?? TimeProvider.System);
    }

    private static ClusterAccess Resolve(Defined cluster, Defined? user, string? ns, TimeProvider time)
    {
        var c = cluster.Entry;
        var where = $"cluster '{cluster.Name}' in {cluster.File}";
        var server = c.String("server");
        if (string.IsNullOrWhiteSpace(server)) throw new KubeconfigException($"{where} has no server");
        // client-go takes an address without a scheme (10.0.0.1:6443) as https.
        if (!server.Contains("://", StringComparison.Ordinal)) server = "https://" + server;
        if (!Uri.TryCreate(server, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("https" or "http"))
            throw new KubeconfigException($"{where}: server '{WithoutUserInfo(server)}' is not an http or https URL");
        var caFile = c.String("certificate-authority");
        var caData = c.String("certificate-authority-data");
        var insecure = c.Bool("insecure-skip-tls-verify", where);
        if (caFile is not null && caData is not null)
            throw new KubeconfigException($"{where} gives both certificate-authority and certificate-authority-data; keep one");
        if (insecure && (caFile ?? caData) is not null)
            throw new KubeconfigException($"{where} gives a certificate authority and insecure-skip-tls-verify; a CA with verification turned off is refused, as kubectl refuses it");
        var caPem = caData is not null ? FromBase64(caData, "certificate-authority-data", where)
            : caFile is not null ? ReadFile(cluster.Relative(caFile), "certificate-authority", where)
            : null;
        X509Certificate2Collection? authorities = null;
        if (caPem is not null)
        {
            authorities = [];
            try
            {
                authorities.ImportFromPem(caPem);
            }
            catch (CryptographicException e)
            {
                throw new KubeconfigException($"{where}: its certificate authority is not PEM certificates ({e.Message})", e);
            }
            if (authorities.Count == 0) throw new KubeconfigException($"{where}: its certificate authority holds no PEM certificate");
        }
        Uri? proxy = null;
        if (c.String("proxy-url") is { } proxyUrl && (!Uri.TryCreate(proxyUrl, UriKind.Absolute, out proxy) || proxy.Scheme is not ("http" or "https" or "socks5")))
            throw new KubeconfigException($"{where}: proxy-url '{WithoutUserInfo(proxyUrl)}' is not an http, https or socks5 URL");

        var access = new ClusterAccess(serverUri)
        {
            CertificateAuthorities = authorities,
            InsecureSkipTlsVerify = insecure,
            TlsServerName = c.String("tls-server-name"),
            Proxy = proxy,
            Namespace = ns,
        };
        if (user is null) return access;
        var clusterInfo = new ExecClusterInfo
        {
            Server = server,
            TlsServerName = access.TlsServerName,
            InsecureSkipTlsVerify = insecure,
            CertificateAuthorityData = caPem is null ? null : Encoding.UTF8.GetBytes(caPem),
            ProxyUrl = proxy?.OriginalString,
        };
        return access with
        {
            ClientCertificate = ClientCertificateOf(user),
            Credentials = CredentialsOf(user, clusterInfo, time),
        };
    }

    private static X509Certificate2? ClientCertificateOf(Defined user)
    {
        var where = $"user '{user.Name}' in {user.File}";
        var certificate = Pem(user, "client-certificate-data", "client-certificate", where);
        var key = Pem(user, "client-key-data", "client-key", where);
        if (certificate is null && key is null) return null;
        if (certificate is null || key is null)
            throw new KubeconfigException($"{where} gives a client {(certificate is null ? "key without its certificate" : "certificate without its key")}");
        try
        {
            return X509Certificate2.CreateFromPem(certificate, key);
        }
        catch (CryptographicException e)
        {
            throw new KubeconfigException($"{where}: its client certificate and key are not a matching PEM pair ({e.Message})", e);
        }
    }

    private static KubeCredentials? CredentialsOf(Defined user, ExecClusterInfo cluster, TimeProvider time)
    {
        var u = user.Entry;
        var where = $"user '{user.Name}' in {user.File}";
        foreach (var unsupported in (string[])["auth-provider", "as", "as-uid", "as-groups", "as-user-extra"])
            if (u.Has(unsupported))
                throw new KubeconfigException(unsupported == "auth-provider"
                    ? $"{where} authenticates through an auth-provider, which kubectl no longer supports (1.26); use an exec plugin"
                    : $"{where} asks to impersonate ({unsupported}), which the operator does not do: give it the identity it should act as");
        var token = u.String("token");
        var tokenFile = u.String("tokenFile");
        var userName = u.String("username");
        var password = u.String("password");
        var exec = u.Map("exec", where);
        var methods = new List<string>();
        if (token is not null || tokenFile is not null) methods.Add("token");
        if (userName is not null || password is not null) methods.Add("username/password");
        if (exec is not null) methods.Add("exec");
        if (methods.Count > 1)
            throw new KubeconfigException($"{where} gives more than one way to authenticate ({string.Join(", ", methods)}); keep one");
        // With both, client-go starts from the token and then keeps reading the file: the file is what stays current.
        if (tokenFile is not null) return new TokenFileCredentials(user.Relative(tokenFile), time);
        if (token is not null) return KubeCredentials.Bearer(token);
        if (userName is not null || password is not null) return KubeCredentials.Basic(userName ?? "", password ?? "");
        if (exec is null) return null;
        var command = exec.String("command");
        if (string.IsNullOrEmpty(command)) throw new KubeconfigException($"{where}: exec has no command");
        var apiVersion = exec.String("apiVersion") ?? throw new KubeconfigException($"{where}: exec has no apiVersion");
        var plugin = new ExecPlugin(command.Contains('/', StringComparison.Ordinal) ? user.Relative(command) : command, apiVersion)
        {
            Args = exec.List("args", where).Select(n => Scalar(n, $"{where}: exec.args")).ToList(),
            Env = exec.List("env", where).Select(n => EnvOf(n, where)).ToList(),
            InstallHint = exec.String("installHint"),
            ProvideClusterInfo = exec.Bool("provideClusterInfo", where),
            InteractiveMode = exec.String("interactiveMode"),
        };
        return new ExecPluginCredentials(plugin, cluster, time);
    }

    /// <summary>A URL as an error message may show it: without the user name and password it may carry.</summary>
    private static string WithoutUserInfo(string url)
    {
        var at = url.IndexOf('@', StringComparison.Ordinal);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > scheme && scheme >= 0 ? url[..(scheme + 3)] + "…@" + url[(at + 1)..] : url;
    }

    private static KeyValuePair<string, string> EnvOf(YamlNode node, string where)
    {
        var entry = node as YamlMappingNode ?? throw new KubeconfigException($"{where}: an exec.env entry is not a name and value");
        var name = entry.String("name");
        if (string.IsNullOrEmpty(name)) throw new KubeconfigException($"{where}: an exec.env entry has no name");
        return new(name, entry.String("value") ?? "");
    }

    private static string? Pem(Defined user, string dataKey, string fileKey, string where)
    {
        var data = user.Entry.String(dataKey);
        var file = user.Entry.String(fileKey);
        if (data is not null && file is not null) throw new KubeconfigException($"{where} gives both {fileKey} and {dataKey}; keep one");
        return data is not null ? FromBase64(data, dataKey, where) : file is not null ? ReadFile(user.Relative(file), fileKey, where) : null;
    }

    private static string FromBase64(string value, string key, string where)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(value));
        }
        catch (FormatException)
        {
            throw new KubeconfigException($"{where}: {key} is not base64");
        }
    }

    private static string ReadFile(string path, string key, string where)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"{where}: cannot read {key} {path}: {e.Message}", e);
        }
    }

    private static YamlMappingNode Parse(string path)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new KubeconfigException($"the kubeconfig {path} is not valid YAML ({e.Start}: {e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"cannot read the kubeconfig {path}: {e.Message}", e);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" }) return new YamlMappingNode();
        return stream.Documents[0].RootNode as YamlMappingNode ?? throw new KubeconfigException($"the kubeconfig {path} is not a YAML mapping");
    }

    /// <summary>A named cluster, user or context, and the file that defined it (relative paths start from its directory).</summary>
    private sealed record Defined(string Name, YamlMappingNode Entry, string File)
    {
        public string Relative(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(File)!, path));
    }

    /// <summary>The files read so far, merged: the first definition of each name, the first current-context.</summary>
    private sealed class Merged
    {
        public Dictionary<string, Defined> Clusters { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Defined> Users { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Defined> Contexts { get; } = new(StringComparer.Ordinal);
        public string? CurrentContext { get; private set; }
        public int Files { get; private set; }

        public void Add(string file, YamlMappingNode root)
        {
            Files++;
            if (string.IsNullOrEmpty(CurrentContext)) CurrentContext = root.String("current-context") is { Length: > 0 } current ? current : null;
            AddAll(Clusters, root, "clusters", "cluster", file);
            AddAll(Users, root, "users", "user", file);
            AddAll(Contexts, root, "contexts", "context", file);
        }

        private static void AddAll(Dictionary<string, Defined> into, YamlMappingNode root, string listKey, string entryKey, string file)
        {
            foreach (var node in root.List(listKey, file))
            {
                var item = node as YamlMappingNode ?? throw new KubeconfigException($"{file}: an entry of {listKey} is not a mapping");
                var name = item.String("name");
                if (string.IsNullOrEmpty(name)) throw new KubeconfigException($"{file}: an entry of {listKey} has no name");
                into.TryAdd(name, new Defined(name, item.Map(entryKey, $"{entryKey} '{name}' in {file}") ?? new YamlMappingNode(), file));
            }
        }
    }

    private static string Scalar(YamlNode node, string where) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new KubeconfigException($"{where} holds something that is not a string");

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static YamlNode? Get(this YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) && !IsNull(value) ? value : null;

    private static bool Has(this YamlMappingNode map, string key) => map.Get(key) is not null;

    private static string? String(this YamlMappingNode map, string key) => map.Get(key) switch
    {
        null => null,
        YamlScalarNode { Value: { } value } => value,
        _ => throw new KubeconfigException($"kubeconfig field {key} is not a string"),
    };

    private static bool Bool(this YamlMappingNode map, string key, string where) => map.Get(key) switch
    {
        null => false,
        // YAML 1.1's plain booleans, as kubectl's reader takes them.
        YamlScalarNode { Value: { } v } when v is "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" => true,
        YamlScalarNode { Value: { } v } when v is "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" => false,
        _ => throw new KubeconfigException($"{where}: {key} is not true or false"),
    };

    private static YamlMappingNode? Map(this YamlMappingNode map, string key, string where) => map.Get(key) switch
    {
        null => null,
        YamlMappingNode m => m,
        _ => throw new KubeconfigException($"{where}: {key} is not a mapping"),
    };

    private static IEnumerable<YamlNode> List(this YamlMappingNode map, string key, string where) => map.Get(key) switch
    {
        null => [],
        YamlSequenceNode s => s.Children,
        _ => throw new KubeconfigException($"{where}: {key} is not a list"),
    };
}
