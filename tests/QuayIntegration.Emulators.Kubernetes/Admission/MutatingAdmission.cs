using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Admission;

/// <summary>
/// The mutating admission chain: for each matching webhook of each MutatingWebhookConfiguration (in name order), POST an
/// admission.k8s.io/v1 AdmissionReview over HTTPS verified against the webhook's caBundle, apply the returned JSON patch,
/// and turn denials and failures into the Status answers kube-apiserver gives.
/// </summary>
public sealed class MutatingAdmission(ApiServerCore server)
{
    public const string ConfigurationsKey = "admissionregistration.k8s.io/mutatingwebhookconfigurations";

    public bool HasWebhooks => server.Store.Count(ConfigurationsKey, null) > 0;

    public async Task<JsonObject> AdmitAsync(RequestContext ctx, string operation, JsonObject? obj, JsonObject? old)
    {
        var (configurations, _) = server.Store.List(ConfigurationsKey, null);
        if (configurations.Count == 0) return obj!;
        var current = obj;
        foreach (var configuration in configurations)
        {
            if (configuration.At("metadata", "deletionTimestamp") is not null) continue;
            if (configuration["webhooks"] is not JsonArray webhooks) continue;
            foreach (var webhook in webhooks.OfType<JsonObject>())
            {
                if (!Applies(ctx, webhook, operation, current ?? old!)) continue;
                current = await CallAsync(ctx, webhook, operation, current, old);
            }
        }
        return current!;
    }

    private bool Applies(RequestContext ctx, JsonObject webhook, string operation, JsonObject subject)
    {
        if (!WebhookRuleMatcher.Matches(webhook["rules"], operation, ctx.Type, ctx.Subresource)) return false;
        if (ctx.DryRun && webhook.Str("sideEffects") is not ("None" or "NoneOnDryRun")) return false;
        var objectSelector = LabelSelector.FromObject(webhook["objectSelector"]);
        if (!objectSelector.Matches(subject.At("metadata", "labels").StringMap())) return false;
        var namespaceSelector = LabelSelector.FromObject(webhook["namespaceSelector"]);
        if (namespaceSelector.IsEverything) return true;
        // Cluster-scoped objects match namespaceSelector unless they are namespaces, which are judged by their own labels.
        if (ctx.Type.StorageKey == NamespaceGuard.NamespacesKey) return namespaceSelector.Matches(subject.At("metadata", "labels").StringMap());
        if (!ctx.Type.Namespaced) return true;
        var ns = server.Store.Get(NamespaceGuard.NamespacesKey, null, ctx.Namespace!);
        return namespaceSelector.Matches(ns?.At("metadata", "labels").StringMap() ?? new Dictionary<string, string>());
    }

    private async Task<JsonObject?> CallAsync(RequestContext ctx, JsonObject webhook, string operation, JsonObject? obj, JsonObject? old)
    {
        var name = webhook.Str("name") ?? "";
        var ignoreFailures = webhook.Str("failurePolicy") == "Ignore";
        var uid = Guid.NewGuid().ToString();
        JsonObject response;
        try
        {
            response = await SendAsync(ctx, webhook, Review(ctx, uid, operation, obj, old), uid);
        }
        catch (WebhookCallException e)
        {
            if (ignoreFailures) return obj;
            throw Errors.Internal($"failed calling webhook \"{name}\": {e.Message}");
        }

        if (!response.Bool("allowed"))
        {
            var status = response["status"] as JsonObject;
            var code = (int)(status.Long("code") ?? 400);
            if (code < 400) code = 400;
            var message = status.Str("message") is { Length: > 0 } m
                ? $"admission webhook \"{name}\" denied the request: {m}"
                : $"admission webhook \"{name}\" denied the request without explanation";
            var reason = status.Str("reason") is { Length: > 0 } r ? r : code == 400 ? "BadRequest" : code == 403 ? "Forbidden" : "";
            throw new ApiException(code, reason, message, status?["details"] as JsonObject);
        }
        foreach (var warning in response["warnings"].StringList()) ctx.Warnings.Add(warning);

        if (response.Str("patch") is not { Length: > 0 } patchText || obj is null) return obj;
        // A patch that does not apply is an internal error whatever the failurePolicy.
        try
        {
            var operations = JsonPatch.ParseOperations(Encoding.UTF8.GetString(Convert.FromBase64String(patchText)));
            return JsonPatch.Apply(obj, operations) as JsonObject ?? throw new JsonPatch.PatchFailedException("patch did not produce an object");
        }
        catch (Exception e) when (e is JsonPatch.PatchFailedException or ApiException or FormatException)
        {
            throw Errors.Internal($"JSON Patch: {e.Message}");
        }
    }

    private static JsonObject Review(RequestContext ctx, string uid, string operation, JsonObject? obj, JsonObject? old)
    {
        var type = ctx.Type;
        var kind = new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["kind"] = type.Kind };
        var resource = new JsonObject { ["group"] = type.Group, ["version"] = type.Version, ["resource"] = type.Plural };
        var request = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = kind,
            ["resource"] = resource,
            ["requestKind"] = kind.DeepClone(),
            ["requestResource"] = resource.DeepClone(),
            ["name"] = operation == "CREATE" ? obj.At("metadata", "name").AsString() ?? "" : ctx.Name,
            ["namespace"] = type.Namespaced ? ctx.Namespace : null,
            ["operation"] = operation,
            ["userInfo"] = ctx.UserInfo.DeepClone(),
            ["object"] = obj?.DeepClone(),
            ["oldObject"] = old?.DeepClone(),
            ["dryRun"] = ctx.DryRun,
            ["options"] = new JsonObject
            {
                ["kind"] = operation switch { "CREATE" => "CreateOptions", "UPDATE" => "UpdateOptions", _ => "DeleteOptions" },
                ["apiVersion"] = "meta.k8s.io/v1",
            },
        };
        if (string.IsNullOrEmpty(request.Str("name"))) request.Remove("name");
        if (request["namespace"] is null) request.Remove("namespace");
        if (ctx.Subresource is not null)
        {
            request["subResource"] = ctx.Subresource;
            request["requestSubResource"] = ctx.Subresource;
        }
        return new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["request"] = request };
    }

    private sealed class WebhookCallException(string message) : Exception(message);

    private async Task<JsonObject> SendAsync(RequestContext ctx, JsonObject webhook, JsonObject review, string uid)
    {
        var timeoutSeconds = (int)(webhook.Long("timeoutSeconds") ?? 10);
        var url = WebhookUrl(webhook);
        using var handler = new SocketsHttpHandler
        {
            SslOptions = TrustOnly(webhook.At("clientConfig", "caBundle").AsString()),
            ConnectTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            ConnectCallback = ConnectAsync,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        var requestUri = url + (url.Contains('?') ? "&" : "?") + $"timeout={timeoutSeconds}s";
        HttpResponseMessage httpResponse;
        string text;
        try
        {
            using var content = new StringContent(review.ToCompactJson(), Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            httpResponse = await client.PostAsync(requestUri, content, ctx.Server.Stopping);
            text = await httpResponse.Content.ReadAsStringAsync(ctx.Server.Stopping);
        }
        catch (TaskCanceledException)
        {
            throw new WebhookCallException($"failed to call webhook: Post \"{requestUri}\": context deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            throw new WebhookCallException($"failed to call webhook: Post \"{requestUri}\": {Innermost(e).Message}");
        }
        if (!httpResponse.IsSuccessStatusCode)
            throw new WebhookCallException($"failed to call webhook: the server responded with the status code {(int)httpResponse.StatusCode}");
        JsonObject body;
        try { body = JsonNode.Parse(text) as JsonObject ?? throw new System.Text.Json.JsonException("not an object"); }
        catch (System.Text.Json.JsonException e) { throw new WebhookCallException($"received invalid webhook response: {e.Message}"); }
        if (body.Str("apiVersion") != "admission.k8s.io/v1" || body.Str("kind") != "AdmissionReview")
            throw new WebhookCallException($"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {body.Str("apiVersion")}, Kind={body.Str("kind")}");
        if (body["response"] is not JsonObject response) throw new WebhookCallException("webhook response was absent");
        if (response.Str("uid") != uid) throw new WebhookCallException($"expected response.uid=\"{uid}\", got \"{response.Str("uid")}\"");
        if (response.Str("patch") is { Length: > 0 } && response.Str("patchType") != "JSONPatch")
            throw new WebhookCallException($"webhook returned response.patch but not response.patchType");
        return response;
    }

    private string WebhookUrl(JsonObject webhook)
    {
        var clientConfig = webhook["clientConfig"] as JsonObject ?? throw new WebhookCallException("webhook has no clientConfig");
        if (clientConfig.Str("url") is { Length: > 0 } url) return url;
        var service = clientConfig["service"] as JsonObject ?? throw new WebhookCallException("webhook clientConfig has neither url nor service");
        var ns = service.Str("namespace");
        var name = service.Str("name");
        var port = (int)(service.Long("port") ?? 443);
        var path = service.Str("path") ?? "/";
        return $"https://{name}.{ns}.svc:{port}{path}";
    }

    /// <summary>
    /// Services do not exist here: a mapped <c>name.ns.svc:port</c> is dialled at its loopback endpoint, while TLS still
    /// verifies the certificate for the service's DNS name, as kube-apiserver does.
    /// </summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        if (server.ServiceEndpoints.TryGetValue($"{host}:{port}", out var endpoint))
        {
            var separator = endpoint.LastIndexOf(':');
            host = endpoint[..separator];
            port = int.Parse(endpoint[(separator + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, ct);
            return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Verifies the webhook's certificate against caBundle only (no system roots), as the apiserver does.</summary>
    private static SslClientAuthenticationOptions TrustOnly(string? caBundleBase64)
    {
        var roots = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(caBundleBase64))
        {
            try { roots.ImportFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(caBundleBase64))); }
            catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException) { }
        }
        return new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || roots.Count == 0) return false;
                if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            },
        };
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
