using QuayIntegration.Emulators.Kubernetes.Authentication;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Kubernetes.Authorization;
using QuayIntegration.Emulators.Kubernetes.Discovery;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Emulators.Kubernetes.Hosting;

/// <summary>
/// Maps URLs to discovery, OpenAPI and resource operations, authenticates the bearer token, authorizes the request with
/// RBAC (before looking at what the URL names, as kube-apiserver's filter chain does), applies injected faults
/// (stalls, latency, canned statuses), and turns every failure into a Status body (never an unhandled exception).
/// </summary>
public sealed class RequestRouter(ApiServerCore server)
{
    private static readonly HashSet<string> Anonymous = ["/healthz", "/livez", "/readyz", "/version"];

    public async Task HandleAsync(HttpContext http)
    {
        RequestContext? ctx = null;
        try
        {
            var path = http.Request.Path.Value ?? "/";
            // Like kube-apiserver: an unknown or missing token is 401 (anonymous auth off), before anything else is looked at.
            var user = server.Authenticator.FromHeader(http.Request.Headers.Authorization.ToString());
            if (user is null && !Anonymous.Contains(path)) throw Errors.Unauthorized();
            // kubectl --as: authorized and served as the impersonated user, once the caller may impersonate it.
            if (user is not null) user = Impersonation.Apply(http.Request.Headers, user, server);
            if (user is not null) Authorize(http, user);
            var answer = await DiscoveryEndpoints.TryServeAsync(server, http, path);
            if (answer is not null)
            {
                await WriteAsync(http, answer, null);
                return;
            }
            ctx = Parse(http, path, user!) ?? throw new ApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
            server.Requests.Record(new RecordedRequest(user!.Username, ctx.Verb, ctx.Type.Group, ctx.Type.Plural, ctx.Subresource, ctx.Namespace, ctx.Name),
                http.Request.Protocol);
            using (var held = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, server.Stopping))
                await server.Faults.StallAsync(ctx.Type, ctx.Verb, ctx.Namespace, ctx.Name, user!.Username, held.Token);
            var latency = server.Faults.LatencyFor(ctx.Type);
            if (latency > TimeSpan.Zero) await PreciseDelay.For(latency, http.RequestAborted);
            if (server.Faults.TakeStatus(ctx.Type, ctx.Verb, user!.Username) is { } injected) throw injected;
            if (ctx.Verb == "watch")
            {
                if (!ctx.Type.Supports("watch")) throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
                await WatchStream.RunAsync(ctx);
                return;
            }
            var result = await DispatchAsync(ctx);
            await WriteAsync(http, result, ctx);
        }
        catch (ApiException e)
        {
            await WriteErrorAsync(http, e, ctx);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested || server.Stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            await WriteErrorAsync(http, Errors.Internal($"an error on the server (\"{e.GetType().Name}: {e.Message}\") has prevented the request from succeeding"), ctx);
        }
    }

    private static async Task<ApiResult> DispatchAsync(RequestContext ctx)
    {
        if (await ctx.Type.Strategy.TryHandleAsync(ctx) is { } custom) return AsTableIfAsked(ctx, custom);
        if (ctx.Subresource is null && !ctx.Type.Supports(ctx.Verb))
            throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        if (ctx.Subresource is not null && ctx.Verb is not ("get" or "update" or "patch"))
            throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        return ctx.Verb switch
        {
            "get" => AsTableIfAsked(ctx, ResourceOperations.Get(ctx)),
            "list" => ListQuery.List(ctx),
            "create" => await ResourceOperations.CreateAsync(ctx, await RequestBody.ReadObjectAsync(ctx)),
            "update" => await ResourceOperations.UpdateAsync(ctx, await RequestBody.ReadObjectAsync(ctx)),
            "patch" => await ResourceOperations.PatchAsync(ctx, ctx.Http.Request.ContentType ?? "", await RequestBody.ReadTextAsync(ctx.Http)),
            "delete" => await ResourceOperations.DeleteAsync(ctx, await RequestBody.ReadOptionalObjectAsync(ctx)),
            "deletecollection" => await ResourceOperations.DeleteCollectionAsync(ctx, await RequestBody.ReadOptionalObjectAsync(ctx)),
            _ => throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource"),
        };
    }

    /// <summary><c>kubectl get &lt;kind&gt; &lt;name&gt;</c> asks for a one-row Table, as for lists.</summary>
    private static ApiResult AsTableIfAsked(RequestContext ctx, ApiResult result)
    {
        if (ctx.Verb != "get" || ctx.Subresource is not null || !TableConvertor.Wanted(ctx) || result.Body is not JsonObject obj || obj.Str("kind") != ctx.Type.Kind)
            return result;
        return result with { Body = TableConvertor.ToTable(ctx, [obj], obj.At("metadata", "resourceVersion").AsString() ?? "", null) };
    }

    /// <summary>k8s.io/apiserver/pkg/endpoints/filters/authorization.go: anything but an allow is a 403 Forbidden.</summary>
    private void Authorize(HttpContext http, ApiUser user) => Enforce(server, RequestInfoParser.Parse(http.Request, user));

    /// <summary>RBAC's decision on <paramref name="attributes"/>: a refusal is recorded (<c>Requests.Denials</c>) and thrown as Kubernetes' 403.</summary>
    internal static void Enforce(ApiServerCore server, AuthorizationAttributes attributes)
    {
        var decision = server.Authorizer.Authorize(attributes);
        if (decision.Allowed) return;
        var error = ForbiddenError.For(attributes, decision.Reason);
        server.Requests.RecordDenial(new DeniedRequest(attributes.User.Username, attributes.Verb, attributes.ApiGroup, attributes.Resource,
            attributes.Subresource.Length == 0 ? null : attributes.Subresource, attributes.Namespace.Length == 0 ? null : attributes.Namespace,
            attributes.Name.Length == 0 ? null : attributes.Name, attributes.Path, error.Message));
        throw error;
    }

    /// <summary>authentication.k8s.io/v1 UserInfo (admission's <c>userInfo</c>); uid and extra only when the user has them.</summary>
    public static JsonObject UserInfoOf(ApiUser user)
    {
        var info = new JsonObject { ["username"] = user.Username };
        if (user.Uid.Length > 0) info["uid"] = user.Uid;
        info["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray());
        if (user.Extra.Count > 0)
            info["extra"] = new JsonObject(user.Extra.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value.ToJsonArray())));
        return info;
    }

    private RequestContext? Parse(HttpContext http, string path, ApiUser user)
    {
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        string group, version;
        string[] rest;
        if (segments.Length >= 2 && segments[0] == "api") (group, version, rest) = ("", segments[1], segments[2..]);
        else if (segments.Length >= 3 && segments[0] == "apis") (group, version, rest) = (segments[1], segments[2], segments[3..]);
        else return null;
        if (rest.Length == 0) return null;

        string? ns = null;
        if (rest[0] == "namespaces" && rest.Length >= 3 && server.Registry.Find(group, version, rest[2]) is { Namespaced: true })
        {
            ns = rest[1];
            rest = rest[2..];
        }
        var type = server.Registry.Find(group, version, rest[0]);
        if (type is null || rest.Length > 3) return null;
        if (type.Namespaced && ns is null && rest.Length > 1) return null; // namespaced object paths need a namespace
        var name = rest.Length > 1 ? rest[1] : null;
        var subresource = rest.Length > 2 ? rest[2] : null;
        if (subresource is not null && !type.Subresources.Any(s => s.Name == subresource)) return null;
        var isWatch = http.Request.Query["watch"].ToString() is "true" or "1";
        var verb = http.Request.Method switch
        {
            "GET" when isWatch => "watch",
            "GET" => name is null ? "list" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name is null ? "deletecollection" : "delete",
            _ => throw Errors.MethodNotAllowed($"the server does not allow this method on the requested resource"),
        };
        if (verb is "update" or "patch" && name is null) throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        return new RequestContext { Server = server, Http = http, Type = type, Namespace = ns, Name = name, Subresource = subresource, Verb = verb, UserInfo = UserInfoOf(user), User = user };
    }

    private static async Task WriteAsync(HttpContext http, ApiResult result, RequestContext? ctx)
    {
        if (ctx is not null) AddWarnings(http, ctx);
        http.Response.StatusCode = result.Code;
        http.Response.ContentType = result.ContentType;
        if (result.ContentType != "application/json")
        {
            await http.Response.Body.WriteAsync(Convert.FromBase64String(result.Body.AsString()!), http.RequestAborted);
            return;
        }
        if (result.ListItems is { } items)
            await WriteJsonAsync(http, writer => ListQuery.WriteList(writer, (JsonObject)result.Body, items, result.ItemsOmitTypeMeta, Json.Compact), http.RequestAborted);
        else
            await WriteJsonAsync(http, writer => result.Body.WriteTo(writer, Json.Compact), http.RequestAborted);
    }

    /// <summary>
    /// A JSON body straight into the response's buffers as UTF-8: a list of tens of thousands of objects never becomes
    /// one string of twice its size first.
    /// </summary>
    private static async Task WriteJsonAsync(HttpContext http, Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        await using (var writer = new Utf8JsonWriter(http.Response.BodyWriter, new JsonWriterOptions { Encoder = Json.Compact.Encoder, SkipValidation = true }))
            write(writer);
        await http.Response.BodyWriter.FlushAsync(ct);
    }

    private static async Task WriteErrorAsync(HttpContext http, ApiException e, RequestContext? ctx)
    {
        if (http.Response.HasStarted) return;
        if (ctx is not null) AddWarnings(http, ctx);
        http.Response.StatusCode = e.Code;
        http.Response.ContentType = "application/json";
        if (e.Code == 429) http.Response.Headers.RetryAfter = "1";
        var status = e.ToStatus();
        await WriteJsonAsync(http, writer => status.WriteTo(writer, Json.Compact), CancellationToken.None);
    }

    private static void AddWarnings(HttpContext http, RequestContext ctx)
    {
        foreach (var w in ctx.Warnings.Distinct())
            http.Response.Headers.Append("Warning", $"299 - \"{w.Replace("\"", "\\\"")}\"");
    }
}
