using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Emulators.Kubernetes.Tests.Support;

/// <summary>
/// One emulated API server per test class, reached exactly like a real cluster: a kubeconfig on disk, read by
/// KubernetesClient, and a raw HTTPS client (trusting only the emulator's CA) for wire-level assertions.
/// </summary>
public sealed class ApiServerFixture : IAsyncLifetime
{
    public KubernetesApiServer Server { get; private set; } = null!;
    public k8s.Kubernetes Client { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "k8s-emulator-tests-" + Guid.NewGuid().ToString("N")[..8]);
    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");

    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        Server = await KubernetesApiServer.StartAsync(new ApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(300), WatchHistorySize = 2000 });
        Server.WriteKubeconfig(KubeconfigPath);
        Client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));
        Http = CreateHttpClient(Server.CaCertificatePem, Server.BaseUrl, Server.AdminToken);
    }

    public static HttpClient CreateHttpClient(string caPem, string baseUrl, string? token)
    {
        var ca = X509Certificate2.CreateFromPem(caPem);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, errors) => CertificateAuthority.Validate(ca, cert, errors),
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Sends a raw request and returns the status code and parsed JSON body.</summary>
    public async Task<(int Code, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try { json = text.Length == 0 ? null : JsonNode.Parse(text); } catch (System.Text.Json.JsonException) { }
        return ((int)response.StatusCode, json, response);
    }

    public async Task<string> CreateNamespaceAsync(string prefix = "t")
    {
        var ns = await Client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { GenerateName = prefix + "-" } });
        return ns.Metadata.Name;
    }

    public static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "QuayIntegration.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await Server.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, true); } catch (IOException) { }
    }
}
