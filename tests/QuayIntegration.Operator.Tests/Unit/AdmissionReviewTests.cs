using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

public class AdmissionReviewTests
{
    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[1]", "not a JSON object")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE"}}""", "apiVersion must be")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"Other","request":{"uid":"u","operation":"CREATE"}}""", "kind must be")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}""", "request is missing")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}""", "request.uid is missing")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}""", "request.operation is missing")]
    [InlineData("""{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","object":"x"}}""", "request.object must be an object")]
    public void Malformed_reviews_are_rejected_with_the_reason(string body, string reason)
    {
        Assert.Null(AdmissionRequest.Parse(Encoding.UTF8.GetBytes(body), out var error));
        Assert.Contains(reason, error);
    }

    // A Build CREATE review up to its object; test bodies are written with ' for " (replaced before parsing).
    private const string Head = "{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'u','operation':'CREATE','namespace':'demo'," +
                                "'resource':{'group':'build.openshift.io','version':'v1','resource':'builds'},";

    private const string Uid129 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0";

    private static byte[] Body(string singleQuoted) => Encoding.UTF8.GetBytes(singleQuoted.Replace('\'', '"'));

    // Each would have reached the policy on the old parser and thrown there (a 500, or a denial quoting the exception).
    [Theory]
    [InlineData("{'apiVersion':'admission.k8s.io/v1','apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'u','operation':'CREATE'}}", "not valid JSON")]
    [InlineData("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'u','uid':'v','operation':'CREATE'}}", "without repeated property names")]
    [InlineData(Head + "'object':{'metadata':{'name':'a','name':'b'}}}}", "not valid JSON")]
    [InlineData(Head + "'object':{'metadata':{'namespace':'demo'},'spec':{'output':{'to':{'kind':'ImageStreamTag','name':'a:\\ud800'}}}}}}", "unpaired UTF-16 surrogate")]
    [InlineData(Head + "'object':{'metadata':[]}}}", "request.object.metadata must be an object")]
    [InlineData(Head + "'object':{'metadata':{},'spec':{'output':{'to':{'kind':'ImageStreamTag','name':5}}}}}}", "request.object.spec.output.to.name must be a string")]
    [InlineData(Head + "'object':{'metadata':{'annotations':'x'}}}}", "request.object.metadata.annotations must be an object")]
    [InlineData(Head + "'object':{'metadata':{},'spec':{'output':{'pushSecret':'x'}}}}}", "request.object.spec.output.pushSecret must be an object")]
    [InlineData(Head + "'object':{'metadata':{},'spec':{'output':{'pushSecret':{'name':[]}}}}}}", "request.object.spec.output.pushSecret.name must be a string")]
    [InlineData(Head + "'object':{'metadata':{},'spec':{'strategy':{'dockerStrategy':7}}}}}", "request.object.spec.strategy.dockerStrategy must be an object")]
    [InlineData(Head + "'object':{'spec':{}}}}", "request.object.metadata is missing")]
    [InlineData(Head + "'dryRun':'yes'}}", "request.dryRun must be a boolean")]
    [InlineData("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'u','operation':'CREATE','resource':'builds'}}", "request.resource must be an object")]
    [InlineData("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':7,'operation':'CREATE'}}", "request.uid must be a string")]
    [InlineData("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'" + Uid129 + "','operation':'CREATE'}}", "request.uid is longer than 128 characters")]
    [InlineData(Head + "'object':{'metadata':{'namespace':'demo','labels':{'a\\udc00':'x'}}}}}", "unpaired UTF-16 surrogate")]
    [InlineData("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview\\n\\u0001','request':{'uid':'u','operation':'CREATE'}}", "kind must be AdmissionReview, got 'AdmissionReview??'")]
    public void Reviews_of_the_wrong_shape_are_rejected_with_one_fixed_line(string body, string reason)
    {
        Assert.Null(AdmissionRequest.Parse(Body(body), out var error));
        Assert.Contains(reason, error);
        Assert.DoesNotContain("Exception", error);
        Assert.DoesNotContain('\n', error!);
    }

    [Fact]
    public void Invalid_utf8_and_deep_nesting_are_rejected_without_the_parser_text()
    {
        byte[] invalid = [.. Body("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{'uid':'"), 0xC3, 0x28, .. Body("','operation':'CREATE'}}")];
        Assert.Null(AdmissionRequest.Parse(invalid, out var error));
        Assert.Equal("the body is not valid UTF-8", error);

        var deep = Body(Head + "'object':{'metadata':{}},'x':" + new string('[', 200) + new string(']', 200) + "}}");
        Assert.Null(AdmissionRequest.Parse(deep, out error));
        Assert.StartsWith("the body is not valid JSON (line 1, byte ", error);
        Assert.EndsWith("nested at most 64 deep", error);
    }

    [Fact]
    public void Response_echoes_uid_and_api_version_and_encodes_the_patch()
    {
        var request = AdmissionRequest.Parse(Encoding.UTF8.GetBytes("""
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"abc","operation":"CREATE","namespace":"demo",
             "resource":{"group":"build.openshift.io","version":"v1","resource":"builds"},"dryRun":true,"object":{"metadata":{}}}}
            """), out _)!;
        Assert.True(request.DryRun);
        JsonPatchOperation[] patch = [JsonPatchOperation.Add("/a", "b"), JsonPatchOperation.AddMap("/m", new Dictionary<string, string> { ["k"] = "v" })];
        var review = JsonNode.Parse(AdmissionDecision.Patched(patch, "careful").ToReviewJson(request))!;
        Assert.Equal("admission.k8s.io/v1", review["apiVersion"]!.GetValue<string>());
        Assert.Equal("AdmissionReview", review["kind"]!.GetValue<string>());
        var response = review["response"]!;
        Assert.Equal("abc", response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
        Assert.Equal("""[{"op":"add","path":"/a","value":"b"},{"op":"add","path":"/m","value":{"k":"v"}}]""",
            Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>())));
        Assert.Equal("careful", response["warnings"]![0]!.GetValue<string>());

        var denied = JsonNode.Parse(AdmissionDecision.Denied("namespace-not-ready", "not yet").ToReviewJson(request))!["response"]!;
        Assert.False(denied["allowed"]!.GetValue<bool>());
        Assert.Equal("not yet", denied["status"]!["message"]!.GetValue<string>());
        Assert.Equal(403, denied["status"]!["code"]!.GetValue<int>());
        Assert.Equal("Forbidden", denied["status"]!["reason"]!.GetValue<string>());
        Assert.Null(denied["patch"]);
        Assert.Null(denied["patchType"]);
        Assert.Null(denied["warnings"]);

        var malformed = JsonNode.Parse(AdmissionDecision.Denied("malformed", "no \"namespace\"", 400).ToReviewJson(request))!["response"]!["status"]!;
        Assert.Equal(400, malformed["code"]!.GetValue<int>());
        Assert.Equal("BadRequest", malformed["reason"]!.GetValue<string>());
        Assert.Equal("no \"namespace\"", malformed["message"]!.GetValue<string>());
    }

    [Fact]
    public void Buffers_a_large_answer_made_grow_are_not_kept_by_the_thread()
    {
        using var request = AdmissionRequest.Parse(Body(Head + "'object':{'metadata':{}}}}"), out var problem)!;
        Assert.Null(problem);
        AdmissionDecision.Untouched("not-create").ToReviewJson(request);
        var kept = AnswerBuffers.ForThisThread();
        AdmissionDecision.Untouched("not-create").ToReviewJson(request);
        Assert.True(AnswerBuffers.IsKept(kept));

        var large = AdmissionDecision.Patched([JsonPatchOperation.Add("/a", new string('x', 200_000))]).ToReviewJson(request);
        Assert.True(large.Length > 200_000);
        Assert.False(AnswerBuffers.IsKept(kept));
    }
}
