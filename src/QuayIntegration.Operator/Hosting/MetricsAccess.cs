using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Hosting;

/// <summary>Endpoint metadata: only a client the API server authorizes for <c>get /metrics</c> may read this endpoint.</summary>
public sealed class MetricsAccessRequired
{
    public static readonly MetricsAccessRequired Instance = new();
}

public enum MetricsAccess
{
    Allowed,
    /// <summary>The API server does not know the token (TokenReview: not authenticated).</summary>
    Unauthenticated,
    /// <summary>The token's user is not allowed <c>get</c> on <c>/metrics</c> (SubjectAccessReview: not allowed).</summary>
    Forbidden,
}

/// <summary>
/// Decides who reads the secure /metrics, the way controller-runtime's secure metrics serving (and kube-rbac-proxy)
/// does: the bearer token goes to a TokenReview, the user it names to a SubjectAccessReview for the non-resource URL
/// <c>/metrics</c> and verb <c>get</c>. A decision is remembered per token (by its SHA-256, never the token itself) for
/// <see cref="MetricsOptions.AllowedCacheDuration"/> when allowed and <see cref="MetricsOptions.DeniedCacheDuration"/>
/// otherwise, so a scraper costs the API server two reviews a minute, not two per scrape; a failed review is not remembered.
/// Scrapes that arrive together with the same new token share one review. Anyone who can reach the port can send
/// made-up tokens: when the memory of decisions is full, refusals are forgotten first, so such a flood costs the allowed
/// scrapers nothing.
/// </summary>
public sealed class MetricsAccessReviewer(KubeApi api, IOptions<OperatorOptions> options, TimeProvider time, ILogger<MetricsAccessReviewer> log)
{
    public const string Path = "/metrics";
    /// <summary>Beyond this many remembered tokens, expired decisions are dropped, then refusals, then all of them.</summary>
    public const int MaxCachedTokens = 1024;
    private readonly ConcurrentDictionary<string, (MetricsAccess Access, string User, DateTimeOffset Expires)> _decisions = new(StringComparer.Ordinal);
    /// <summary>Reviews in flight, by token hash: concurrent scrapes with one token wait for the same answer.</summary>
    private readonly ConcurrentDictionary<string, Lazy<Task<(MetricsAccess Access, string User)>>> _inFlight = new(StringComparer.Ordinal);

    /// <summary>TokenReviews and SubjectAccessReviews sent so far (the cache's effect is visible in tests).</summary>
    public int ReviewsSent => _reviewsSent;
    private int _reviewsSent;

    public async Task<(MetricsAccess Access, string User)> ReviewAsync(string token, CancellationToken ct)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        if (_decisions.TryGetValue(key, out var known) && known.Expires > time.GetUtcNow()) return (known.Access, known.User);

        // The first scrape's review is shared by those arriving meanwhile; it runs to its end even if that scrape goes
        // away, since the others wait on it (each bounded by its own cancellation).
        var review = new Lazy<Task<(MetricsAccess, string)>>(() => ReviewOnceAsync(token, key));
        var shared = _inFlight.GetOrAdd(key, review);
        try
        {
            return await shared.Value.WaitAsync(ct);
        }
        finally
        {
            if (ReferenceEquals(shared, review)) _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<(MetricsAccess, string)>>>(key, review));
        }
    }

    private async Task<(MetricsAccess Access, string User)> ReviewOnceAsync(string token, string key)
    {
        // No caller's cancellation: the review is shared. Each call is bounded by the API client's request timeout.
        var ct = CancellationToken.None;
        var now = time.GetUtcNow();
        Interlocked.Increment(ref _reviewsSent);
        var review = await api.CreateAsync("/apis/authentication.k8s.io/v1/tokenreviews", new V1TokenReview
        {
            ApiVersion = "authentication.k8s.io/v1",
            Kind = "TokenReview",
            Spec = new V1TokenReviewSpec { Token = token },
        }, ct);
        var o = options.Value.Metrics;
        if (review.Status is not { Authenticated: true, User: { } user })
        {
            log.MetricsTokenUnknown(review.Status?.Error ?? "not authenticated");
            return Remember(key, MetricsAccess.Unauthenticated, "", o.DeniedCacheDuration, now);
        }

        Interlocked.Increment(ref _reviewsSent);
        var access = await api.CreateAsync("/apis/authorization.k8s.io/v1/subjectaccessreviews", new V1SubjectAccessReview
        {
            ApiVersion = "authorization.k8s.io/v1",
            Kind = "SubjectAccessReview",
            Spec = new V1SubjectAccessReviewSpec
            {
                User = user.Username,
                Uid = user.Uid,
                Groups = user.Groups,
                Extra = user.Extra,
                NonResourceAttributes = new V1NonResourceAttributes { Path = Path, Verb = "get" },
            },
        }, ct);
        if (access.Status?.Allowed == true) return Remember(key, MetricsAccess.Allowed, user.Username, o.AllowedCacheDuration, now);
        log.MetricsAccessDenied(user.Username, access.Status?.Reason is { Length: > 0 } reason ? reason : "no RBAC rule allows get on /metrics");
        return Remember(key, MetricsAccess.Forbidden, user.Username, o.DeniedCacheDuration, now);
    }

    private (MetricsAccess, string) Remember(string key, MetricsAccess access, string user, TimeSpan duration, DateTimeOffset now)
    {
        if (_decisions.Count >= MaxCachedTokens)
        {
            foreach (var (k, v) in _decisions)
                if (v.Expires <= now) _decisions.TryRemove(k, out _);
            if (_decisions.Count >= MaxCachedTokens)
            {
                foreach (var (k, v) in _decisions)
                    if (v.Access != MetricsAccess.Allowed) _decisions.TryRemove(k, out _);
            }
            if (_decisions.Count >= MaxCachedTokens) _decisions.Clear();
        }
        if (duration > TimeSpan.Zero) _decisions[key] = (access, user, now + duration);
        return (access, user);
    }
}

public static class MetricsAccessMiddleware
{
    public static TBuilder RequireMetricsAccess<TBuilder>(this TBuilder endpoint) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(MetricsAccessRequired.Instance);

    /// <summary>
    /// After routing: an endpoint marked <see cref="RequireMetricsAccess{TBuilder}"/> answers 401 without a bearer token
    /// or with one the API server does not know, 403 to a user RBAC does not allow <c>get /metrics</c>, and 500 when the
    /// reviews could not be made; every other endpoint is untouched.
    /// </summary>
    public static IApplicationBuilder UseMetricsAccess(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<MetricsAccessRequired>() is null)
            {
                await next(context);
                return;
            }
            var header = context.Request.Headers.Authorization.ToString();
            const string bearer = "Bearer ";
            var token = header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? header[bearer.Length..].Trim() : "";
            if (token.Length == 0)
            {
                await RefuseAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized: /metrics needs a bearer token (a service account's, bound to get on /metrics)");
                return;
            }
            var reviewer = context.RequestServices.GetRequiredService<MetricsAccessReviewer>();
            MetricsAccess access;
            string user;
            try
            {
                (access, user) = await reviewer.ReviewAsync(token, context.RequestAborted);
            }
            catch (Exception e) when (e is KubeApiException or KubeApiTimeoutException or HttpRequestException)
            {
                context.RequestServices.GetRequiredService<ILogger<MetricsAccessReviewer>>().MetricsReviewFailed(e.Message);
                await RefuseAsync(context, StatusCodes.Status500InternalServerError, "Internal Server Error: the API server could not review the token; try again");
                return;
            }
            switch (access)
            {
                case MetricsAccess.Allowed:
                    await next(context);
                    break;
                case MetricsAccess.Unauthenticated:
                    await RefuseAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized: the API server does not accept this token");
                    break;
                default:
                    await RefuseAsync(context, StatusCodes.Status403Forbidden,
                        $"Forbidden: user \"{user}\" is not allowed get on the non-resource URL /metrics (bind the ClusterRole quay-integration-metrics-reader)");
                    break;
            }
        });

    private static Task RefuseAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer realm=\"quay-integration metrics\"";
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(message + "\n");
    }
}

internal static partial class MetricsLog
{
    [LoggerMessage(5101, LogLevel.Debug, "A /metrics request carried a token the API server does not accept: {Error}")]
    public static partial void MetricsTokenUnknown(this ILogger log, string error);

    [LoggerMessage(5102, LogLevel.Information, "A /metrics request from {User} was refused: {Reason}")]
    public static partial void MetricsAccessDenied(this ILogger log, string user, string reason);

    [LoggerMessage(5103, LogLevel.Warning, "Could not review the token of a /metrics request: {Error}")]
    public static partial void MetricsReviewFailed(this ILogger log, string error);
}
