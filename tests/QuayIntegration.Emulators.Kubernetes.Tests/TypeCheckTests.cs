using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// Compiled-in types decode into Go structs before anything else happens (k8s.io/apiserver handlers create.go
/// transformDecodeError, patch.go; sigs.k8s.io/json error texts; meta/v1 time.go and micro_time.go), so a value of the
/// wrong JSON type is refused and times are stored in their canonical form.
/// </summary>
public sealed class TypeCheckTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    [Fact]
    public async Task A_wrong_json_type_is_400_cannot_be_handled_as_on_create_and_update()
    {
        var ns = await f.CreateNamespaceAsync("types");
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
            """{"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":"x"}}""");
        Assert.Equal(400, code);
        Assert.Equal("BadRequest", (string?)body!["reason"]);
        Assert.Equal("Lease in version \"v1\" cannot be handled as a Lease: json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32",
            (string?)body["message"]);

        (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
            """{"metadata":{"name":"l"},"spec":{"leaseDurationSeconds":1.5}}""");
        Assert.Equal(400, code);
        Assert.EndsWith("json: cannot unmarshal number 1.5 into Go struct field LeaseSpec.spec.leaseDurationSeconds of type int32", (string?)body!["message"]);

        (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"c","labels":{"a":1}}}""");
        Assert.Equal(400, code);
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string",
            (string?)body!["message"]);

        (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/services", """{"metadata":{"name":"s"},"spec":{"ports":[{"port":"443"}]}}""");
        Assert.Equal(400, code);
        Assert.EndsWith("json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32", (string?)body!["message"]);

        await f.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "ok" } }, ns);
        var lease = await f.Client.CoordinationV1.ReadNamespacedLeaseAsync("ok", ns);
        var replacement = JsonNode.Parse(KubernetesJson.Serialize(lease))!.AsObject();
        replacement["spec"] = new JsonObject { ["renewTime"] = "not-a-time" };
        (code, body, _) = await f.SendAsync(HttpMethod.Put, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/ok", replacement.ToJsonString());
        Assert.Equal(400, code);
        Assert.Equal("Lease in version \"v1\" cannot be handled as a Lease: parsing time \"not-a-time\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"not-a-time\" as \"2006\"",
            (string?)body!["message"]);
        Assert.Null(f.Server.Peek("coordination.k8s.io", "leases", ns, "ok")!["spec"]?["renewTime"]);
    }

    [Fact]
    public async Task A_patch_whose_result_does_not_decode_is_422_on_the_patch_field()
    {
        var ns = await f.CreateNamespaceAsync("types");
        await f.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "l" } }, ns);
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => f.Client.CoordinationV1.PatchNamespacedLeaseAsync(
            new V1Patch("""{"spec":{"leaseTransitions":"many"}}""", V1Patch.PatchType.MergePatch), "l", ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.Response.StatusCode);
        var status = Objects.Status(e);
        // The value is the patched object as JSON, quoted (%q).
        Assert.StartsWith(" \"\" is invalid: patch: Invalid value: \"{\\\"", (string?)status["message"]);
        Assert.Contains("\\\"leaseTransitions\\\":\\\"many\\\"", (string?)status["message"]);
        Assert.EndsWith(": json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseTransitions of type int32", (string?)status["message"]);
        Assert.Equal("patch", (string?)status["details"]!["causes"]![0]!["field"]);

        e = await Assert.ThrowsAsync<HttpOperationException>(() => f.Client.CoordinationV1.PatchNamespacedLeaseAsync(
            new V1Patch("""{"spec":{"leaseTransitions":"many"}}""", V1Patch.PatchType.StrategicMergePatch), "l", ns));
        Assert.Equal(" \"\" is invalid: patch: Invalid value: \"map[spec:map[leaseTransitions:many]]\": json: cannot unmarshal string into Go struct field LeaseSpec.spec.leaseTransitions of type int32",
            (string?)Objects.Status(e)["message"]);
    }

    [Fact]
    public async Task MicroTime_needs_six_fractional_digits_and_is_stored_in_utc_time_is_stored_to_the_second()
    {
        var ns = await f.CreateNamespaceAsync("types");
        var (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
            """{"metadata":{"name":"m"},"spec":{"holderIdentity":"a","acquireTime":"2024-05-01T12:00:00.123456+02:00","renewTime":"2024-05-01T10:00:01.000001Z"}}""");
        Assert.Equal(201, code);
        Assert.Equal("2024-05-01T10:00:00.123456Z", (string?)body!["spec"]!["acquireTime"]);
        Assert.Equal("2024-05-01T10:00:01.000001Z", (string?)body["spec"]!["renewTime"]);

        // RFC3339Micro's ".000000" is exact: a time without it (or with three digits) does not parse.
        (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
            """{"metadata":{"name":"n"},"spec":{"renewTime":"2024-05-01T10:00:00Z"}}""");
        Assert.Equal(400, code);
        Assert.EndsWith("parsing time \"2024-05-01T10:00:00Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"Z\" as \".000000\"", (string?)body!["message"]);
        (code, _, _) = await f.SendAsync(HttpMethod.Post, $"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases",
            """{"metadata":{"name":"n"},"spec":{"renewTime":"2024-05-01T10:00:00.123Z"}}""");
        Assert.Equal(400, code);

        // metav1.Time accepts any fraction and keeps whole seconds, in UTC.
        (code, body, _) = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/events",
            $$"""{"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"p","namespace":"{{ns}}"},"firstTimestamp":"2024-05-01T12:00:00.987+02:00","eventTime":"2024-05-01T10:00:00.500000Z","reportingComponent":"c","reportingInstance":"i","action":"A","reason":"R"}""");
        Assert.Equal(201, code);
        Assert.Equal("2024-05-01T10:00:00Z", (string?)body!["firstTimestamp"]);
        Assert.Equal("2024-05-01T10:00:00.500000Z", (string?)body["eventTime"]);

        // The typed client writes MicroTime with six digits, and reads back what it wrote.
        var now = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234560);
        var lease = await f.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "typed" },
            Spec = new V1LeaseSpec { HolderIdentity = "me", RenewTime = now, LeaseDurationSeconds = 15 },
        }, ns);
        Assert.Equal(now, lease.Spec.RenewTime!.Value.ToUniversalTime());
    }
}
