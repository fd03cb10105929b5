using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

public class AdmissionReviewTests
{
    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("[1]", "not a JSON object")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE"}}""", "apiVersion must be")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"Other","request":{"uid":"u","operation":"CREATE"}}""", "kind must be")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", "request is missing")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}""", "request.uid is missing")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}""", "request.operation is missing")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","object":"x"}}""", "request.object is not an object")]
    public void Malformed_reviews_are_rejected_with_the_reason(string body, string reason)
    {
        Assert.Null(AdmissionRequest.Parse(body, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Response_echoes_uid_and_api_version_and_encodes_the_patch()
    {
        var request = AdmissionRequest.Parse("""
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"abc","operation":"CREATE","namespace":"demo",
             "resource":{"group":"build.openshift.io","version":"v1","resource":"builds"},"dryRun":true,"object":{"metadata":{}}}}
            """, out _)!;
        Assert.True(request.DryRun);
        var patch = new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/a", ["value"] = "b" });
        var review = AdmissionDecision.Patched(patch, "careful").ToReview(request);
        Assert.Equal("admission.k8s.io/v1", review["apiVersion"]!.GetValue<string>());
        Assert.Equal("AdmissionReview", review["kind"]!.GetValue<string>());
        var response = review["response"]!;
        Assert.Equal("abc", response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
        Assert.Equal(patch.ToJsonString(), Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>())));
        Assert.Equal("careful", response["warnings"]![0]!.GetValue<string>());

        var denied = AdmissionDecision.Denied("namespace-not-ready", "not yet").ToReview(request)["response"]!;
        Assert.False(denied["allowed"]!.GetValue<bool>());
        Assert.Equal("not yet", denied["status"]!["message"]!.GetValue<string>());
        Assert.Null(denied["patch"]);
    }
}
