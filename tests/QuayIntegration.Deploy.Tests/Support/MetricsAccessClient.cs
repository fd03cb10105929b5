using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Deploy.Tests.Support;

/// <summary>
/// A scraper of the operator's secure /metrics over real HTTPS: it trusts exactly the certificate the operator serves
/// (read from the running host, as a scraper would pin it), and sends the bearer token it is given.
/// </summary>
public sealed class MetricsAccessClient : IDisposable
{
    private readonly HttpClient _http;

    public MetricsAccessClient(WebApplication app)
    {
        var served = app.Services.GetRequiredService<MetricsCertificateProvider>().Current;
        var port = app.Services.GetRequiredService<OperatorListeners>().PortOf(OperatorListener.SecureMetrics)
            ?? throw new InvalidOperationException("the operator has no secure metrics listener (Operator:Metrics:Secure is off)");
        HealthPort = app.Services.GetRequiredService<OperatorListeners>().PortOf(OperatorListener.Metrics)!.Value;
        Url = $"https://127.0.0.1:{port}/metrics";
        _http = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.Thumbprint == served.Thumbprint,
        }) { Timeout = TimeSpan.FromSeconds(20) };
    }

    public string Url { get; }
    public int HealthPort { get; }

    public async Task<(int Status, string Body, HttpResponseMessage Response)> GetAsync(string? token, string? url = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url ?? Url);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    /// <summary>A token for the service account from the TokenRequest API (as a pod's projected token).</summary>
    public static async Task<string> TokenAsync(k8s.Kubernetes admin, string ns, string serviceAccount)
    {
        var answer = await admin.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [], ExpirationSeconds = 3600 } }, serviceAccount, ns);
        return answer.Status.Token;
    }

    /// <summary>A service account, optionally bound to <paramref name="clusterRole"/> by a ClusterRoleBinding of the same name.</summary>
    public static async Task CreateServiceAccountAsync(k8s.Kubernetes admin, string ns, string name, string? clusterRole)
    {
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = name } }, ns);
        if (clusterRole is null) return;
        await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = $"{ns}-{name}" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = clusterRole },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = name, NamespaceProperty = ns }],
        });
    }

    public static X509Certificate2 ServedCertificate(WebApplication app) => app.Services.GetRequiredService<MetricsCertificateProvider>().Current;

    public void Dispose() => _http.Dispose();
}
