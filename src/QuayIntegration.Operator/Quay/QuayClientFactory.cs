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
/// Hands out one <see cref="QuayClient"/> per <see cref="QuayConnection"/> (host, token, CA bundle, insecure) and
/// rebuilds it when any of them changes. What the calls to one Quay share (<see cref="QuayEndpoint"/>: pipeline,
/// concurrency cap, circuit breaker, attempt timeout, availability) is kept per base address, so every call to one Quay
/// counts against the same cap whatever the token.
/// </summary>
public sealed class QuayClientFactory(IOptions<QuayOptions> options, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, QuayEndpoint> _endpoints = new();
    private readonly Lock _gate = new();
    private (QuayConnection Connection, QuayClient Client, HttpClient Http)? _current;

    public QuayClient GetClient(QuayConnection connection)
    {
        lock (_gate)
        {
            if (_current is { } current && current.Connection == connection) return current.Client;
            var endpoint = EndpointOf(connection.BaseAddress);
            var http = CreateHttpClient(connection, endpoint.Pipeline, endpoint.AttemptTimeout);
            var probe = CreateHttpClient(connection, endpoint.ProbePipeline, null);
            // Refit's source-generated implementation, with no reflection fallback: what the tests run is what the
            // trimmed native build runs.
            var client = new QuayClient(RestService.ForGenerated<IQuayApi>(http, QuayJson.RefitSettings),
                RestService.ForGenerated<IQuayApi>(probe, QuayJson.RefitSettings), connection, endpoint, time);
            // The previous HttpClient may still serve in-flight calls; it is left to the GC rather than disposed under them.
            _current = (connection, client, http);
            return client;
        }
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
        lock (_gate) _current?.Http.Dispose();
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
