using System.Diagnostics.CodeAnalysis;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Polly;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Tls;
using Refit;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// Hands out one <see cref="QuayClient"/> per <see cref="QuayConnection"/> (host, token, CA bundle, insecure), kept
/// while some QuayIntegration uses it, so each integration's calls reuse their pooled TLS connections from one pass to
/// the next; an integration whose connection changes (a new token, a new CA) gets a new client, and the old one goes
/// once no integration uses it. What the calls to one Quay share (<see cref="QuayEndpoint"/>: pipeline, concurrency
/// cap, circuit breaker, attempt timeout, availability) is kept per base address, so every call to one Quay counts
/// against the same cap whatever the token.
/// </summary>
public sealed class QuayClientFactory(IOptions<QuayOptions> options, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, QuayEndpoint> _endpoints = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<QuayConnection, Kept> _clients = [];
    private readonly Dictionary<string, QuayConnection> _users = new(StringComparer.Ordinal);

    private sealed record Kept(QuayClient Client, HttpClient Http, HttpClient Probe);

    /// <summary>The client for <paramref name="connection"/>, used by the QuayIntegration named <paramref name="user"/>.</summary>
    public QuayClient GetClient(string user, QuayConnection connection)
    {
        lock (_gate)
        {
            if (_users.TryGetValue(user, out var previous) && previous != connection)
            {
                _users[user] = connection;
                DropUnused(previous);
            }
            else _users[user] = connection;
            if (_clients.TryGetValue(connection, out var kept)) return kept.Client;
            var endpoint = EndpointOf(connection.BaseAddress);
            var http = CreateHttpClient(connection, endpoint.Pipeline, endpoint.AttemptTimeout);
            var probe = CreateHttpClient(connection, endpoint.ProbePipeline, null);
            // Refit's source-generated implementation, with no reflection fallback: what the tests run is what the
            // trimmed native build runs.
            var client = new QuayClient(RestService.ForGenerated<IQuayApi>(http, QuayJson.RefitSettings),
                RestService.ForGenerated<IQuayApi>(probe, QuayJson.RefitSettings), connection, endpoint, time);
            _clients[connection] = new Kept(client, http, probe);
            return client;
        }
    }

    /// <summary>The QuayIntegrations that exist now: the clients only others used go.</summary>
    public void KeepOnly(IEnumerable<string> users)
    {
        lock (_gate)
        {
            var keep = users.ToHashSet(StringComparer.Ordinal);
            foreach (var (user, connection) in _users.Where(u => !keep.Contains(u.Key)).ToList())
            {
                _users.Remove(user);
                DropUnused(connection);
            }
        }
    }

    /// <summary>Clients kept now (for tests and diagnostics).</summary>
    public int ClientCount
    {
        get { lock (_gate) return _clients.Count; }
    }

    // A client no integration uses may still serve calls in flight (a namespace reconcile holds its snapshot's
    // client): it is left to the GC rather than disposed under them.
    private void DropUnused(QuayConnection connection)
    {
        if (!_users.ContainsValue(connection)) _clients.Remove(connection);
    }

    /// <summary>Raised when the calls to some Quay have found it unavailable several times in a row.</summary>
    public Signal QuayWentDown { get; } = new("Quay found down");

    /// <summary>What the calls to the Quay at <paramref name="baseAddress"/> share.</summary>
    public QuayEndpoint EndpointOf(Uri baseAddress) =>
        _endpoints.GetOrAdd(baseAddress.GetLeftPart(UriPartial.Authority), _ =>
        {
            var endpoint = new QuayEndpoint(options.Value);
            endpoint.Availability.WentDown += QuayWentDown.Raise;
            return endpoint;
        });

    private static HttpClient CreateHttpClient(QuayConnection connection, ResiliencePipeline<HttpResponseMessage> pipeline,
        AdaptiveAttemptTimeout? latency)
    {
        var sockets = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = CertificateValidator(connection),
                CertificateChainPolicy = TrustAnchors.Offline(),
            },
        };
        var chain = new QuayResilienceHandler(pipeline)
        {
            InnerHandler = new BearerTokenHandler(connection.Token) { InnerHandler = new QuayMetricsHandler(latency) { InnerHandler = sockets } },
        };
        return new HttpClient(chain) { BaseAddress = connection.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Verification stays on unless insecureRegistry; a CA bundle replaces the system trust store.</summary>
    [SuppressMessage("Security", "CA5359", Justification = "insecureRegistry is the user's explicit, documented opt-out; verification is on by default")]
    internal static RemoteCertificateValidationCallback? CertificateValidator(QuayConnection connection)
    {
        if (connection.Insecure) return (_, _, _, _) => true;
        if (string.IsNullOrWhiteSpace(connection.CaBundlePem)) return null;
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPem(connection.CaBundlePem);
        // Name mismatch or a missing certificate can't be fixed by a custom root; the chain is built again against the
        // bundle alone, with the intermediates Quay sent (in the chain TLS built). SslStream hands an X509Certificate2.
        return (_, certificate, presented, errors) =>
            certificate is X509Certificate2 leaf
            && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
            && TrustAnchors.Chains(leaf, anchors, presented);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var kept in _clients.Values)
            {
                kept.Http.Dispose();
                kept.Probe.Dispose();
            }
            _clients.Clear();
        }
    }

    /// <summary>Adds the OAuth token on each attempt; the token never appears in logs or metrics.</summary>
    private sealed class BearerTokenHandler(string token) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return base.SendAsync(request, ct);
        }
    }
}
