using System.Net;
using System.Text;
using QuayIntegration.Operator.Tests.Support;
using QuayIntegration.Operator.Webhook;
using Xunit.Abstractions;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// Seeded fuzzing of the webhook with mutated AdmissionReviews (<see cref="AdmissionReviewMutator"/>), every answer
/// checked by <see cref="AdmissionAnswerOracle"/>: never a 5xx, no exception text, every 200 a valid AdmissionReview
/// whose patch applies to the object and leaves it a valid DockerImage output. Most cases run in process through the
/// operator's own reviewer (strict parser and policy, with the operator's real, synced caches); a sample goes over
/// HTTPS through Kestrel. QUAYINTEGRATION_FUZZ_SEED and QUAYINTEGRATION_FUZZ_CASES replay or widen a run.
/// </summary>
[Collection(OperatorCollection.Name)]
public sealed class AdmissionFuzzTests(ServedWebhook served, ITestOutputHelper output) : IClassFixture<ServedWebhook>
{
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("QUAYINTEGRATION_FUZZ_SEED"), out var s) ? s : 20261201;
    private static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("QUAYINTEGRATION_FUZZ_CASES"), out var n) ? n : 10_000;
    private const int HttpsCases = 500;

    [Fact]
    public async Task Mutated_reviews_in_process_never_fail_and_every_patch_is_valid()
    {
        var reviewer = served.Operator.Service<AdmissionReviewer>();
        var mutator = new AdmissionReviewMutator(Seed);
        var statuses = new Dictionary<int, int>();
        var patched = 0;
        for (var i = 0; i < Cases; i++)
        {
            var (body, description) = mutator.Next();
            AdmissionAnswer answer;
            try
            {
                answer = await reviewer.ReviewAsync(body);
            }
            catch (Exception e)
            {
                Assert.Fail(Report(i, description, body, $"{e.GetType().Name} escaped: {e.Message}"));
                return;
            }
            if (AdmissionAnswerOracle.Violation(body, answer.StatusCode, answer.Body) is { } violation)
                Assert.Fail(Report(i, description, body, violation + " — answer: " + Excerpt(answer.Body)));
            statuses[answer.StatusCode] = statuses.GetValueOrDefault(answer.StatusCode) + 1;
            if (answer.Body.Contains("\"patch\":")) patched++;
        }
        output.WriteLine($"seed {Seed}, {Cases} cases: {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"))}, {patched} patched");
        // The generator must reach both sides: the rewrite, and the rejections.
        Assert.True(patched > Cases / 10, $"only {patched} of {Cases} cases were rewritten: the mutator no longer exercises the patch");
        Assert.True(statuses.GetValueOrDefault(400) > Cases / 20, "too few malformed cases: the mutator no longer exercises the parser");
    }

    [Fact]
    public async Task Mutated_reviews_over_https_never_fail_and_every_patch_is_valid()
    {
        using var http = served.Client();
        var mutator = new AdmissionReviewMutator(Seed + 1);
        for (var i = 0; i < HttpsCases; i++)
        {
            var (body, description) = mutator.Next();
            using var response = await http.PostAsync(served.ReviewUrl, new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
            var text = await response.Content.ReadAsStringAsync();
            if (AdmissionAnswerOracle.Violation(body, (int)response.StatusCode, text) is { } violation)
                Assert.Fail(Report(i, description, body, violation + " — answer: " + Excerpt(text), Seed + 1));
        }
        Assert.DoesNotContain(served.Log.Events, e => e.Level >= Serilog.Events.LogEventLevel.Error);
    }

    [Fact]
    public async Task The_oracle_catches_what_it_must()
    {
        // The fuzz tests are only as good as their oracle: it must reject the defects it is there to find.
        var valid = Encoding.UTF8.GetBytes(ServedWebhook.BuildReview("u1", BuildWebhookTests.ImageStreamTagOutput("app:v1")).ToJsonString());
        var answer = await served.Operator.Service<AdmissionReviewer>().ReviewAsync(valid);
        Assert.Null(AdmissionAnswerOracle.Violation(valid, answer.StatusCode, answer.Body));
        Assert.NotNull(AdmissionAnswerOracle.Violation(valid, 500, "boom"));
        Assert.NotNull(AdmissionAnswerOracle.Violation(valid, 400, "invalid AdmissionReview: System.ArgumentException: An item with the same key"));
        Assert.NotNull(AdmissionAnswerOracle.Violation(valid, 200, answer.Body.Replace("\"u1\"", "\"u2\"")));
        Assert.NotNull(AdmissionAnswerOracle.Violation(valid, 200, """
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u1","allowed":false,
             "status":{"code":403,"message":"the Quay integration webhook failed on this request (the operator log has the details)"}}}
            """));
        var badTag = ServedWebhook.BuildReview("u1", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
        var patchWithBadTag = Convert.ToBase64String(Encoding.UTF8.GetBytes(
            """[{"op":"replace","path":"/spec/output/to/kind","value":"DockerImage"},{"op":"replace","path":"/spec/output/to/name","value":"quay.example.com/o/app:-bad"}]"""));
        Assert.NotNull(AdmissionAnswerOracle.Violation(Encoding.UTF8.GetBytes(badTag.ToJsonString()), 200,
            PatchedAnswer(patchWithBadTag)));
        var notApplying = Convert.ToBase64String(Encoding.UTF8.GetBytes("""[{"op":"add","path":"/metadata/annotations/x","value":"y"}]"""));
        Assert.NotNull(AdmissionAnswerOracle.Violation(Encoding.UTF8.GetBytes(badTag.ToJsonString()), 200,
            PatchedAnswer(notApplying)));
        await Task.CompletedTask;
    }

    private static string PatchedAnswer(string patch) =>
        """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u1","allowed":true,"patchType":"JSONPatch","patch":""" +
        "\"" + patch + "\"}}";

    private static string Report(int index, string description, byte[] body, string violation, int? seed = null) =>
        $"fuzz case {index} (seed {seed ?? Seed}; replay with QUAYINTEGRATION_FUZZ_SEED={seed ?? Seed}): {violation}\n  mutations: {description}\n  request: {Excerpt(Encoding.UTF8.GetString(body))}";

    private static string Excerpt(string text) => text.Length > 400 ? text[..400] + "…" : text;
}
