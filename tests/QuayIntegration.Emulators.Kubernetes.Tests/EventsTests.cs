using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// core/v1 and events.k8s.io/v1 Events are one resource in two groups (one storage, converted by
/// pkg/apis/events/v1/conversion.go), so an Event written through one group is read, watched and deleted through the
/// other with the same uid and resourceVersion.
/// </summary>
public sealed class EventsTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task A_core_event_reads_through_events_k8s_io_with_the_fields_renamed_and_back()
    {
        var ns = await f.CreateNamespaceAsync("ev");
        var core = await f.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "e1" },
            InvolvedObject = new V1ObjectReference { Kind = "ConfigMap", Name = "c0", NamespaceProperty = ns, ApiVersion = "v1" },
            Reason = "Synced", Message = "organization created", Type = "Normal", Count = 3,
            Source = new V1EventSource { Component = "quay-integration" },
            ReportingComponent = "quay-integration", ReportingInstance = "pod-1",
        }, ns);

        var (code, body, _) = await f.SendAsync(HttpMethod.Get, $"/apis/events.k8s.io/v1/namespaces/{ns}/events/e1");
        Assert.Equal(200, code);
        Assert.Equal("events.k8s.io/v1", (string?)body!["apiVersion"]);
        Assert.Equal(core.Metadata.Uid, (string?)body["metadata"]!["uid"]);
        Assert.Equal(core.Metadata.ResourceVersion, (string?)body["metadata"]!["resourceVersion"]);
        Assert.Equal("c0", (string?)body["regarding"]!["name"]);
        Assert.Equal("organization created", (string?)body["note"]);
        Assert.Equal("quay-integration", (string?)body["reportingController"]);
        Assert.Equal("quay-integration", (string?)body["deprecatedSource"]!["component"]);
        Assert.Equal(3, (int?)body["deprecatedCount"]);
        Assert.Null(body["involvedObject"]);
        Assert.Null(body["message"]);

        // Written through events.k8s.io (strictly validated there), read through core.
        var v1 = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "e2" },
            ["eventTime"] = "2025-01-01T00:00:00.000000Z", ["reportingController"] = "example.com/ctl", ["reportingInstance"] = "ctl-1",
            ["action"] = "Reconcile", ["reason"] = "Done", ["type"] = "Normal", ["note"] = "all good",
            ["regarding"] = new JsonObject { ["kind"] = "ConfigMap", ["name"] = "c", ["namespace"] = ns },
        };
        (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/events.k8s.io/v1/namespaces/{ns}/events", v1.ToJsonString());
        Assert.Equal(201, code);
        var read = await f.Client.CoreV1.ReadNamespacedEventAsync("e2", ns);
        Assert.Equal("all good", read.Message);
        Assert.Equal("example.com/ctl", read.ReportingComponent);
        Assert.Equal("c", read.InvolvedObject.Name);
        Assert.Equal((string?)body!["metadata"]!["uid"], read.Metadata.Uid);
        var names = (await f.Client.CoreV1.ListNamespacedEventAsync(ns)).Items.Select(e => e.Metadata.Name);
        Assert.Equal(["e1", "e2"], names);
        (code, body, _) = await f.SendAsync(HttpMethod.Get, $"/apis/events.k8s.io/v1/namespaces/{ns}/events");
        Assert.Equal(["e1", "e2"], body!["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
        // Each item in the events.k8s.io shape (converted from storage), without its kind and apiVersion, as any built-in list.
        Assert.Equal("all good", (string?)body["items"]![1]!["note"]);
        Assert.All(body["items"]!.AsArray(), i => Assert.False(i!.AsObject().ContainsKey("kind") || i.AsObject().ContainsKey("apiVersion")));

        // A name taken in one group is taken in the other; a delete in one is a delete in both.
        (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/events.k8s.io/v1/namespaces/{ns}/events", v1.ToJsonString());
        Assert.Equal(409, code);
        Assert.Equal("events.events.k8s.io \"e2\" already exists", (string?)body!["message"]);
        await f.Client.CoreV1.DeleteNamespacedEventAsync("e1", ns);
        Assert.Equal(404, (await f.SendAsync(HttpMethod.Get, $"/apis/events.k8s.io/v1/namespaces/{ns}/events/e1")).Code);
    }

    /// <summary>
    /// legacyValidateEvent: a core Event without eventTime is created in its object's namespace, or for a cluster-scoped
    /// object (a Namespace, a custom resource of cluster scope) in default; anywhere else it is refused, so a recorder
    /// that picks the wrong namespace loses its Events on a real cluster.
    /// </summary>
    [Fact]
    public async Task A_core_event_lives_in_its_objects_namespace_or_in_default_for_a_cluster_scoped_one()
    {
        var ns = await f.CreateNamespaceAsync("evns");
        Corev1Event About(string name, string kind, string? objectNamespace) => new()
        {
            Metadata = new V1ObjectMeta { Name = name }, InvolvedObject = new V1ObjectReference { Kind = kind, Name = "x", NamespaceProperty = objectNamespace },
            Reason = "Synced", Message = "m", Type = "Normal",
        };

        var elsewhere = await Assert.ThrowsAsync<HttpOperationException>(() => f.Client.CoreV1.CreateNamespacedEventAsync(About("elsewhere", "ConfigMap", "other"), ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, elsewhere.Response.StatusCode);
        Assert.Equal("Event \"elsewhere\" is invalid: involvedObject.namespace: Invalid value: \"other\": does not match event.namespace", (string?)Objects.Status(elsewhere)["message"]);
        var clusterScoped = await Assert.ThrowsAsync<HttpOperationException>(() => f.Client.CoreV1.CreateNamespacedEventAsync(About("cluster", "Namespace", null), ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, clusterScoped.Response.StatusCode);
        Assert.Contains("involvedObject.namespace: Invalid value: \"\": does not match event.namespace", (string?)Objects.Status(clusterScoped)["message"]);

        await f.Client.CoreV1.CreateNamespacedEventAsync(About($"{ns}-cluster", "Namespace", null), "default");
        await f.Client.CoreV1.CreateNamespacedEventAsync(About("here", "ConfigMap", ns), ns);
        // With eventTime (the events.k8s.io shape written through core), who reported it and what was done are required.
        var modern = About("modern", "ConfigMap", ns);
        modern.EventTime = DateTime.UtcNow;
        var incomplete = await Assert.ThrowsAsync<HttpOperationException>(() => f.Client.CoreV1.CreateNamespacedEventAsync(modern, ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, incomplete.Response.StatusCode);
        foreach (var field in new[] { "reportingComponent: Required value", "reportingInstance: Required value", "action: Required value" })
            Assert.Contains(field, (string?)Objects.Status(incomplete)["message"]);
    }

    [Fact]
    public async Task Events_k8s_io_create_is_validated_strictly_and_its_watch_sees_core_writes()
    {
        var ns = await f.CreateNamespaceAsync("ev");
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/events.k8s.io/v1/namespaces/{ns}/events",
            """{"metadata":{"name":"bad"},"note":"no time, no controller","type":"Normal"}""");
        Assert.Equal(422, code);
        var message = (string?)body!["message"];
        Assert.StartsWith("Event.events.k8s.io \"bad\" is invalid: [", message);
        foreach (var field in new[] { "eventTime: Required value", "reportingController: Required value", "reportingInstance: Required value", "action: Required value", "reason: Required value" })
            Assert.Contains(field, message);

        var rv = (string?)(await f.SendAsync(HttpMethod.Get, $"/apis/events.k8s.io/v1/namespaces/{ns}/events")).Body!["metadata"]!["resourceVersion"];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/apis/events.k8s.io/v1/namespaces/{ns}/events?watch=1&resourceVersion={rv}");
        using var response = await f.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        await f.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "watched" }, InvolvedObject = new V1ObjectReference { Kind = "Pod", Name = "p", NamespaceProperty = ns }, Message = "hello",
        }, ns, cancellationToken: cts.Token);
        var line = JsonNode.Parse((await reader.ReadLineAsync(cts.Token))!)!;
        Assert.Equal("ADDED", (string?)line["type"]);
        Assert.Equal("events.k8s.io/v1", (string?)line["object"]!["apiVersion"]);
        Assert.Equal("hello", (string?)line["object"]!["note"]);
    }
}
