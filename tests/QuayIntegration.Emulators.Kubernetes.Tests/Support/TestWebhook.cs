using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace QuayIntegration.Emulators.Kubernetes.Tests.Support;

/// <summary>
/// A real HTTPS admission webhook: records every AdmissionReview and answers through <see cref="Respond"/>
/// (given the request, returns the response object without uid; the uid is echoed unless the test overrides it).
/// </summary>
public sealed class TestWebhook : IAsyncDisposable
{
    private TestHttpsServer _server = null!;
    public ConcurrentQueue<JsonObject> Reviews { get; } = new();
    public Func<JsonObject, Task<JsonObject?>> Respond { get; set; } = _ => Task.FromResult<JsonObject?>(new JsonObject { ["allowed"] = true });
    public TestHttpsServer Server => _server;
    public string CaBundle => Convert.ToBase64String(Encoding.UTF8.GetBytes(_server.CaPem));
    public string Url(string path = "/admissionwebhook") => $"https://127.0.0.1:{_server.Port}{path}";

    /// <summary>The certificate also names the service DNS names given (e.g. <c>quay-bridge-operator.openshift-operators.svc</c>).</summary>
    public static async Task<TestWebhook> StartAsync(params string[] serviceDnsNames)
    {
        var hook = new TestWebhook();
        hook._server = await TestHttpsServer.StartAsync(hook.HandleAsync, serviceDnsNames);
        return hook;
    }

    private async Task HandleAsync(HttpContext http)
    {
        var review = (JsonObject)(await JsonNode.ParseAsync(http.Request.Body))!;
        Reviews.Enqueue(review);
        var request = (JsonObject)review["request"]!;
        var response = await Respond(request);
        if (response is null) return; // deliberately broken answer: empty body
        response["uid"] ??= (string?)request["uid"];
        var answer = new JsonObject { ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview", ["response"] = response };
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(answer.ToJsonString());
    }

    public static JsonObject Patch(params JsonObject[] operations) => new()
    {
        ["allowed"] = true,
        ["patchType"] = "JSONPatch",
        ["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonArray(operations).ToJsonString())),
    };

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
