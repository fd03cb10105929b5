using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// One operator serving its webhook over TLS, with namespace <c>app</c> set up for Quay (so a Build there is rewritten)
/// and its log captured: shared by the tests of a class (xunit class fixture), as starting one takes seconds.
/// </summary>
public class ServedWebhook : IAsyncLifetime
{
    public const string Namespace = "app";
    private readonly WebhookSetup _webhook = new();
    private OperatorEnvironment? _env;

    public CapturedLog Log { get; } = new();

    /// <summary>Logger categories captured from Debug on (the console shows them too, so only where a test reads them).</summary>
    protected virtual string[] DebugSources => [];
    public OperatorEnvironment Env => _env ?? throw new InvalidOperationException("not started");
    public RunningOperator Operator { get; private set; } = null!;
    public string CaPem => _webhook.Ca.CertificatePem;
    public string WebhookUrl => Operator.WebhookUrl!;
    public string ReviewUrl => WebhookUrl + "/admissionwebhook";

    public async Task InitializeAsync()
    {
        _env = await OperatorEnvironment.StartAsync();
        Operator = await _env.StartOperatorAsync("operator-1",
            [.. _webhook.OperatorArgs(), .. Log.OperatorArgs(DebugSources)]);
        await _env.CreateNamespaceAsync(Namespace);
        await OperatorEnvironment.Eventually(() => _env.IsSeededAsync(Namespace, "openshift_" + Namespace), "app to be set up");
    }

    public HttpClient Client() => WebhookSetup.ClientTrusting(CaPem);

    public async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpContent content)
    {
        using var http = Client();
        using var response = await http.PostAsync(ReviewUrl, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public Task<(HttpStatusCode Status, string Body)> PostAsync(string body) =>
        PostAsync(new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new("application/json") } });

    /// <summary>A valid review of a Build CREATE in <see cref="Namespace"/> with the given output.</summary>
    public static JsonObject BuildReview(string uid, JsonObject? output, string operation = "CREATE") => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = "build.openshift.io", ["version"] = "v1", ["kind"] = "Build" },
            ["resource"] = new JsonObject { ["group"] = "build.openshift.io", ["version"] = "v1", ["resource"] = "builds" },
            ["namespace"] = Namespace,
            ["operation"] = operation,
            ["object"] = Integration.BuildWebhookTests.BuildObject(Namespace, output),
            ["oldObject"] = null,
            ["dryRun"] = false,
        },
    };

    public async Task DisposeAsync()
    {
        if (_env is not null) await _env.DisposeAsync();
        _webhook.Dispose();
    }
}

/// <summary>
/// The same, with the webhook endpoint's Debug lines (client faults that are not worth a Warning) and the reviewer's
/// lines (denials are Information) captured.
/// </summary>
public sealed class ServedWebhookWithDebugLog : ServedWebhook
{
    protected override string[] DebugSources => ["QuayIntegration.Operator.Webhook.AdmissionEndpoint", "QuayIntegration.Operator.Webhook.AdmissionReviewer"];
}
