using System.Net;
using System.Net.Security;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Operator.Tests.Support;
using Serilog.Events;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// Issue 12's defects, one test each, through the operator's real HTTPS listener (Kestrel, TLS, the test CA) with raw
/// requests: what an API server would never send but any pod that reaches the Service can.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed class WebhookHardeningTests(ServedWebhookWithDebugLog served) : IClassFixture<ServedWebhookWithDebugLog>
{
    private const string Prefix = "invalid AdmissionReview: ";
    private const int Limit = 3 * 1024 * 1024;

    private static string Review(string uid = "u1", string name = "app:v1") => ServedWebhook.BuildReview(uid, BuildWebhookTests.ImageStreamTagOutput(name)).ToJsonString();

    private static void AssertOneLine400((HttpStatusCode Status, string Body) answer, string expected)
    {
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.StartsWith(Prefix, answer.Body);
        Assert.Contains(expected, answer.Body);
        Assert.DoesNotContain("\n", answer.Body);
        Assert.DoesNotContain("Exception", answer.Body);
        Assert.DoesNotContain("same key", answer.Body);
    }

    /// <summary>
    /// Review of 65f9c16 (helper-80): a namespace this replica's cache does not hold yet (its watch behind) was taken
    /// for one no integration selects, and the build passed untouched, to the internal registry: denied now, to be
    /// retried. Review of 5dcb3d1 (helper-81): an OLM install calls the webhook for every namespace, so that denial also
    /// hit brand-new projects no integration selects. The namespace is read from the API server. Review of b38c556
    /// (helper-125): denied, a build OpenShift started itself in a project just made (`oc new-project` and `oc new-app`
    /// in one go) was lost; one an integration selects is being set up, so its build is rewritten to push to Quay and
    /// waits for its push secret. Denied only when the operator labelled it and no integration selects it now.
    /// </summary>
    [Fact]
    public async Task A_build_in_a_namespace_the_operator_has_not_read_yet_is_judged_from_the_API_servers_copy()
    {
        var faults = served.Env.Cluster.ApiServer.Faults;
        // Long enough for the reviews below; each lagging event is held this long even once the lag is reset, and the
        // operator's namespace watch (shared by this class's tests) waits behind it.
        faults.SetWatchLag("namespaces", TimeSpan.FromSeconds(10));
        try
        {
            await served.Env.CreateNamespaceAsync("just-made");
            await served.Env.CreateNamespaceAsync("openshift-just-made");
            await served.Env.CreateNamespaceAsync("openshift-labelled", new Dictionary<string, string> { ["quay.redhat.com/managed"] = "true" });

            var selected = await ReviewReadAsync("just-made");
            Assert.True(selected["allowed"]!.GetValue<bool>(), selected.ToJsonString());
            var patch = Encoding.UTF8.GetString(Convert.FromBase64String(selected["patch"]!.GetValue<string>()));
            Assert.Contains($"/openshift_just-made/app:v1", patch);
            Assert.Contains("\"builder-quay-openshift\"", patch);
            Assert.Contains(selected["warnings"]!.AsArray(), w => w!.GetValue<string>().StartsWith("namespace just-made is not set up for Quay yet", StringComparison.Ordinal)
                                                               && w.GetValue<string>().Contains("with push secret builder-quay-openshift, which the build controller waits for"));

            var labelled = await ReviewReadAsync("openshift-labelled");
            Assert.False(labelled["allowed"]!.GetValue<bool>());
            Assert.Contains("namespace openshift-labelled is not known to the operator yet", labelled["status"]!["message"]!.GetValue<string>());

            // Reserved, so no integration selects it; and one that does not exist (the API server refuses its Builds itself).
            foreach (var ns in new[] { "openshift-just-made", "never-made" })
            {
                var untouched = await ReviewReadAsync(ns);
                Assert.True(untouched["allowed"]!.GetValue<bool>(), $"{ns}: {untouched}");
                Assert.Null(untouched["patch"]);
            }

            // A target namespace the cache lacks is held alike: pushed to the internal registry, the image would be where nobody looks.
            var target = await ReviewReadAsync(ServedWebhook.Namespace, BuildWebhookTests.ImageStreamTagOutput("app:v1", "just-made"));
            Assert.False(target["allowed"]!.GetValue<bool>());
            Assert.Contains("output just-made/app:v1 is in namespace just-made, which is not set up for Quay yet", target["status"]!["message"]!.GetValue<string>());
        }
        finally
        {
            faults.SetWatchLag("namespaces", TimeSpan.Zero);
            await OperatorEnvironment.Eventually(async () => (await served.Env.GetNamespaceAsync("just-made"))?.Metadata.Labels?.ContainsKey("quay.redhat.com/managed") == true,
                "the operator's namespace watch caught up");
        }
    }

    /// <summary>
    /// Review of the change above (helper-82): anything that reaches the webhook's Service can name any namespace, and
    /// each one the cache lacks cost a read of the API server, with nothing to bound them: a flood would throttle the
    /// leader's controllers, which share the operator's client. The reads are bounded; the reviews still answer.
    /// </summary>
    [Fact]
    public async Task A_flood_of_reviews_naming_unknown_namespaces_reads_the_api_server_a_few_times_a_second_at_most()
    {
        var requests = served.Env.Cluster.ApiServer.Requests;
        var before = requests.Count("list", "namespaces");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var answers = new System.Collections.Concurrent.ConcurrentBag<JsonNode>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 300), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => answers.Add(await ReviewInAsync($"flood-{i % 150}")));
        var seconds = Math.Ceiling(started.Elapsed.TotalSeconds);
        var lists = requests.Count("list", "namespaces") - before;
        // The webhook's bound, and a few for the operator's own reads of namespaces meanwhile (a relist, a claim's re-read).
        Assert.True(lists <= 10 + 10 * seconds + 5, $"{lists} namespace LISTs in {seconds} s");
        Assert.Contains(answers, a => a["allowed"]!.GetValue<bool>()); // read, none of that name: judged as any other
        Assert.Contains(answers, a => !a["allowed"]!.GetValue<bool>()
                                      && a["status"]!["message"]!.GetValue<string>().Contains("could not be read from the API server now", StringComparison.Ordinal));
    }

    /// <summary>A review whose namespace was read: one told it could not be read now (the reads' bounds, spent by another test of the class) is sent again, as the API server's client would.</summary>
    private async Task<JsonNode> ReviewReadAsync(string ns, JsonObject? output = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var answer = await ReviewInAsync(ns, output);
            if (attempt == 20 || answer["status"]?["message"]?.GetValue<string>().Contains("could not be read from the API server now", StringComparison.Ordinal) != true)
                return answer;
            await Task.Delay(250);
        }
    }

    private async Task<JsonNode> ReviewInAsync(string ns, JsonObject? output = null)
    {
        var review = ServedWebhook.BuildReview("u1", output ?? BuildWebhookTests.ImageStreamTagOutput("app:v1"));
        review["request"]!["namespace"] = ns;
        review["request"]!["object"]!["metadata"]!["namespace"] = ns;
        var (status, body) = await served.PostAsync(review.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        return JsonNode.Parse(body)!["response"]!;
    }

    [Fact]
    public async Task Repeated_property_names_anywhere_are_a_400_with_one_line()
    {
        var review = Review();
        var logged = served.Log.Events.Count;
        AssertOneLine400(await served.PostAsync(review.Replace("{\"apiVersion\"", "{\"kind\":\"AdmissionReview\",\"apiVersion\"")), "without repeated property names");
        AssertOneLine400(await served.PostAsync(review.Replace("\"uid\":\"u1\"", "\"uid\":\"u1\",\"uid\":\"u2\"")), "without repeated property names");
        AssertOneLine400(await served.PostAsync(review.Replace("\"generateName\":", "\"namespace\":\"app\",\"generateName\":")), "without repeated property names");
        Assert.DoesNotContain(served.Log.Events.Skip(logged), e => e.Level >= LogEventLevel.Warning);
    }

    [Fact]
    public async Task Invalid_utf8_unpaired_surrogates_deep_nesting_and_wrong_types_are_a_400()
    {
        var review = Review();
        var at = review.IndexOf("app:v1", StringComparison.Ordinal);
        byte[] invalidUtf8 = [.. Encoding.UTF8.GetBytes(review[..at]), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes(review[at..])];
        AssertOneLine400(await served.PostAsync(new ByteArrayContent(invalidUtf8)), "not valid UTF-8");
        AssertOneLine400(await served.PostAsync(review.Replace("app:v1", "app:v1\\udc00")), "unpaired UTF-16 surrogate");
        AssertOneLine400(await served.PostAsync(review.Replace("\"uid\":\"u1\"", "\"uid\":\"\\ud800\"")), "unpaired UTF-16 surrogate");
        AssertOneLine400(await served.PostAsync(review.Replace("\"dryRun\":false", "\"dryRun\":" + new string('[', 100) + new string(']', 100))), "nested at most 64 deep");
        AssertOneLine400(await served.PostAsync(review.Replace("\"resource\":{\"group\":\"build.openshift.io\",\"version\":\"v1\",\"resource\":\"builds\"}", "\"resource\":\"builds\"")),
            "request.resource must be an object");
        var metadataArray = ServedWebhook.BuildReview("u1", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
        metadataArray["request"]!["object"]!["metadata"] = new JsonArray("x");
        AssertOneLine400(await served.PostAsync(metadataArray.ToJsonString()), "request.object.metadata must be an object");
        AssertOneLine400(await served.PostAsync(review.Replace("\"name\":\"app:v1\"", "\"name\":{\"a\":1}")), "request.object.spec.output.to.name must be a string");
    }

    /// <summary>
    /// Issue: a denial logged <c>request.namespace</c> as sent, so one request of a megabyte with newlines in it became a
    /// megabyte of log and forged lines. Only a short quoted form reaches the log.
    /// </summary>
    [Fact]
    public async Task A_huge_namespace_with_newlines_reaches_the_log_short_and_on_one_line()
    {
        var logged = served.Log.Events.Count;
        var review = ServedWebhook.BuildReview("u-ns", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
        review["request"]!["namespace"] = "app\n2026-01-01T00:00:00Z INF forged line\n" + new string('n', 1024 * 1024);
        var (status, body) = await served.PostAsync(review.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"allowed\":false", body);
        var lines = served.Log.Events.Skip(logged).Select(CapturedLog.Render).ToList();
        Assert.Contains(lines, l => l.Contains("Denied"));
        Assert.All(lines, l =>
        {
            Assert.DoesNotContain("\n", l);
            Assert.True(l.Length < 1000, $"a log line of {l.Length} characters");
        });
    }

    /// <summary>
    /// ASP.NET Core starts a tracing Activity per request whenever its hosting diagnostics category may log at all
    /// (about 5 % of the webhook's CPU per review); the operator turns that category off. The Activity would show as
    /// the trace ID Serilog stamps on every line written during the request.
    /// </summary>
    [Fact]
    public async Task A_review_starts_no_tracing_activity_so_its_log_line_carries_no_trace_id()
    {
        var logged = served.Log.Events.Count;
        var review = ServedWebhook.BuildReview("u-trace", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
        review["request"]!["namespace"] = "Not A Namespace"; // denied, and the denial logged
        var (status, body) = await served.PostAsync(review.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"allowed\":false", body);
        var denial = Assert.Single(served.Log.Events.Skip(logged), e => CapturedLog.Render(e).Contains("Denied"));
        Assert.Null(denial.TraceId);
        Assert.Null(denial.SpanId);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_once_the_limit_is_read()
    {
        const int total = 24 * 1024 * 1024; // the 10 MiB, and more than the socket buffers on both sides can hold
        var logged = served.Log.Events.Count;
        await using var raw = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem);
        await raw.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", "Transfer-Encoding: chunked"));
        var head = Review().Replace("\"generateName\":\"direct-\"", "\"generateName\":\"");
        var sent = 0;
        var sender = Task.Run(async () =>
        {
            try
            {
                await raw.WriteAsync(Chunk(Encoding.UTF8.GetBytes(head[..head.IndexOf("\"generateName\":\"", StringComparison.Ordinal)] + "\"generateName\":\"")));
                var filler = Chunk(Enumerable.Repeat((byte)'a', 64 * 1024).ToArray());
                for (; sent < total; sent += 64 * 1024) await raw.WriteAsync(filler);
                await raw.WriteAsync("0\r\n\r\n");
                return true;
            }
            catch (IOException)
            {
                return false; // the server stopped reading and closed: what it should do
            }
        });
        var response = await raw.ReadResponseAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(response);
        Assert.Equal(413, response.Value.Status);
        Assert.Equal(Prefix + $"the body is larger than {Limit} bytes", response.Value.Body);
        Assert.False(await sender.WaitAsync(TimeSpan.FromSeconds(30)), $"the whole body ({sent} bytes) was accepted");
        Assert.True(sent < total);
        AssertLoggedOnce(logged, LogEventLevel.Warning, "the body is over the limit");
    }

    [Fact]
    public async Task A_content_length_over_the_limit_is_refused_before_reading()
    {
        var logged = served.Log.Events.Count;
        await using var raw = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem);
        await raw.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", $"Content-Length: {10 * 1024 * 1024}"));
        var response = await raw.ReadResponseAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(413, response!.Value.Status);
        Assert.Equal(Prefix + $"the body is larger than {Limit} bytes", response.Value.Body);
        AssertLoggedOnce(logged, LogEventLevel.Warning, "the body is over the limit");
    }

    [Fact]
    public async Task A_body_sent_too_slowly_is_a_408_logged_once_at_warning()
    {
        var logged = served.Log.Events.Count;
        await using var raw = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem);
        await raw.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", "Content-Length: 100000"));
        await raw.WriteAsync("{\"apiVersion\":");
        // Kestrel's minimum body rate (240 bytes/s after a 5 s grace period) ends it; nothing more is sent.
        var response = await raw.ReadResponseAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(408, response!.Value.Status);
        Assert.Equal(Prefix + "the body arrived too slowly", response.Value.Body);
        AssertLoggedOnce(logged, LogEventLevel.Warning, "the body arrived too slowly");
    }

    /// <summary>
    /// helper-100 W1: Kestrel's minimum rate is an average since the body began, so a client that sends most of a large
    /// body at once and then stalls stayed above it for hours, the bytes held all along. A body not whole at the first
    /// read must be whole within AdmissionBody.Deadline (10 s).
    /// </summary>
    [Fact]
    public async Task A_body_that_stalls_after_most_of_it_arrived_is_cut_at_the_deadline()
    {
        var logged = served.Log.Events.Count;
        await using var raw = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem);
        await raw.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", $"Content-Length: {Limit}"));
        await raw.WriteAsync(new byte[Limit - 100]);
        var started = DateTime.UtcNow;
        var response = await raw.ReadResponseAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(408, response!.Value.Status);
        Assert.Equal(Prefix + "the body arrived too slowly", response.Value.Body);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        AssertLoggedOnce(logged, LogEventLevel.Warning, "the body arrived too slowly");
    }

    /// <summary>
    /// helper-100 W1: within the deadline, many connections each holding a partial body of up to the limit add up to
    /// more than the pod's memory. Bodies still arriving may hold AdmissionBody.HeldBudget (64 MiB) together: the body
    /// that would pass it is refused with a 429 and its connection closed, and what the others held is given back
    /// when they end. Each connection comes from an address of its own, within the share one address may hold.
    /// </summary>
    [Fact]
    public async Task Partial_bodies_held_beyond_the_budget_are_refused_with_a_429_and_the_budget_comes_back()
    {
        const int part = 3_000_000; // 22 of them stay below 64 MiB, a 23rd passes it
        var statuses = await HoldPartialBodiesAsync(Enumerable.Range(0, 23).Select(i => IPAddress.Parse($"127.0.1.{i + 1}")).ToList(), part,
            "too many request bodies are arriving at once");
        // The body whose read passes the budget is refused; the one before it may be too, when its last read is counted
        // after the next body's first (the sends overlap the server's reads): 22 held at most, 21 at least.
        Assert.InRange(statuses.Count(s => s == 408), 21, 22);

        // Given back: a large body sent in two parts (so not whole at the first read) is read and reviewed.
        await using var later = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem);
        await later.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", $"Content-Length: {part}"));
        await later.WriteAsync(new byte[part / 2]);
        await Task.Delay(200);
        await later.WriteAsync(new byte[part - part / 2]);
        var answered = await later.ReadResponseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(400, answered!.Value.Status);
    }

    /// <summary>
    /// helper-101 #5: the budget is shared, so one client holding partial bodies could take all of it from the API
    /// server's own large reviews. One address may hold a quarter of it (16 MiB): its sixth 3 MB body is refused, while
    /// another address's body is still read.
    /// </summary>
    [Fact]
    public async Task One_address_may_hold_only_its_share_of_the_budget()
    {
        const int part = 3_000_000; // five stay below 16 MiB, a sixth passes it
        var one = IPAddress.Parse("127.0.2.1");
        var statuses = await HoldPartialBodiesAsync(Enumerable.Repeat(one, 6).ToList(), part,
            "too many request bodies are arriving at once from this address", whileHeld: async () =>
            {
                // Another address, meanwhile: read and reviewed (a body not whole at its first read).
                await using var other = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem, from: IPAddress.Parse("127.0.2.2"));
                await other.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", $"Content-Length: {part}"));
                await other.WriteAsync(new byte[part / 2]);
                await Task.Delay(200);
                await other.WriteAsync(new byte[part - part / 2]);
                Assert.Equal(400, (await other.ReadResponseAsync(TimeSpan.FromSeconds(10)))!.Value.Status);
            });
        Assert.InRange(statuses.Count(s => s == 408), 4, 5); // as above: the body before the one past the share may be refused too

        // Given back to the address: a body it sends in three parts (two counted while it arrives, 2 MB on top of what
        // the five held) is read and reviewed.
        await using var later = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem, from: one);
        await later.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", "Content-Length: 3000000"));
        for (var i = 0; i < 3; i++)
        {
            await later.WriteAsync(new byte[1_000_000]);
            await Task.Delay(200);
        }
        Assert.Equal(400, (await later.ReadResponseAsync(TimeSpan.FromSeconds(10)))!.Value.Status);
    }

    /// <summary>
    /// Opens a connection from each of <paramref name="addresses"/>, each sending <paramref name="part"/> bytes of a body
    /// 100 bytes longer, and stalls; runs <paramref name="whileHeld"/>; then reads every answer. Exactly one body is
    /// refused with <paramref name="refusal"/> (whichever read passed the limit: the last connection's, unless the server
    /// had not read all the others' by then), at once and closed; its answer may be lost to the reset of a connection
    /// closed with bytes unread (status 0). The statuses, in connection order.
    /// </summary>
    private async Task<List<int>> HoldPartialBodiesAsync(List<IPAddress> addresses, int part, string refusal, Func<Task>? whileHeld = null)
    {
        var logged = served.Log.Events.Count;
        var connections = new List<RawHttps>();
        try
        {
            foreach (var address in addresses)
            {
                var raw = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem, from: address);
                connections.Add(raw);
                await raw.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", $"Content-Length: {part + 100}"));
                try
                {
                    await raw.WriteAsync(new byte[part]);
                }
                catch (IOException)
                {
                    // closed by the server once it refused the body, while the rest was still on its way
                }
            }
            await OperatorEnvironment.Eventually(() => Task.FromResult(served.Log.Events.Skip(logged).Any(e => CapturedLog.Render(e).Contains($"\"{refusal}\""))),
                "the body past the limit refused", TimeSpan.FromSeconds(5));
            if (whileHeld is not null) await whileHeld();
            var statuses = new List<int>();
            foreach (var raw in connections)
            {
                (int Status, string Head, string Body)? response;
                try
                {
                    response = await raw.ReadResponseAsync(TimeSpan.FromSeconds(30));
                }
                catch (IOException)
                {
                    response = null;
                }
                if (response is { Status: 429 } refused)
                {
                    Assert.Equal(Prefix + refusal, refused.Body);
                    Assert.Contains("Connection: close", refused.Head, StringComparison.OrdinalIgnoreCase);
                }
                statuses.Add(response?.Status ?? 0);
            }
            Assert.InRange(served.Log.Events.Skip(logged).Count(e => CapturedLog.Render(e).Contains("too many request bodies")), 1, 2);
            return statuses;
        }
        finally
        {
            foreach (var raw in connections) await raw.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_body_broken_off_by_the_client_is_logged_at_debug_only()
    {
        var logged = served.Log.Events.Count;
        await using (var raw = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem))
        {
            await raw.WriteAsync(RawHttps.Head("POST", "/admissionwebhook", "Content-Type: application/json", "Content-Length: 5000"));
            await raw.WriteAsync(Review()[..100]);
        }
        await OperatorEnvironment.Eventually(() => Task.FromResult(served.Log.Events.Skip(logged).Any(e => e.Level == LogEventLevel.Debug
            && CapturedLog.Render(e).StartsWith("Rejected an admission request from"))), "the Debug line for the broken-off body");
        Assert.DoesNotContain(served.Log.Events.Skip(logged), e => e.Level >= LogEventLevel.Warning);
    }

    [Fact]
    public async Task Made_up_operations_are_counted_as_other()
    {
        var review = ServedWebhook.BuildReview("u1", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
        for (var i = 0; i < 50; i++)
        {
            review["request"]!["operation"] = $"MADE-UP-{i}";
            var (status, _) = await served.PostAsync(review.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, status);
        }
        var metrics = await new HttpClient().GetStringAsync(served.Operator.BaseUrl + "/metrics");
        Assert.DoesNotContain("MADE-UP", metrics);
        Assert.Contains("quayintegration_admission_requests_total{operation=\"other\",outcome=\"not-create\"}", metrics);
        var operations = metrics.Split('\n').Where(l => l.StartsWith("quayintegration_admission_requests_total{"))
            .Select(l => l.Split("operation=\"")[1].Split('"')[0]).ToHashSet();
        Assert.Subset(new HashSet<string> { "CREATE", "UPDATE", "DELETE", "CONNECT", "other" }, operations);
    }

    [Theory]
    [InlineData("app:TEN-THOUSAND", "tag 'tttttttttttttttttttttttttttttttttttttttt…' is invalid")]
    [InlineData("app:-bad", "tag '-bad' is invalid")]
    [InlineData("notag", "ImageStreamTag 'notag' has no tag; it must be <imagestream>:<tag>")]
    [InlineData("app:v1:v2", "ImageStreamTag 'app:v1:v2' has more than one ':'")]
    [InlineData("app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "names a digest; a build can only push to a tag")]
    [InlineData("App:v1", "ImageStream name 'App' is invalid")]
    public async Task Invalid_outputs_are_left_untouched_with_a_warning_naming_the_problem(string name, string problem)
    {
        name = name.Replace("TEN-THOUSAND", new string('t', 10_000));
        var answer = await ReviewAsync(ServedWebhook.BuildReview("u-invalid", BuildWebhookTests.ImageStreamTagOutput(name)));
        Assert.True(answer["allowed"]!.GetValue<bool>());
        Assert.Null(answer["patch"]);
        var warning = Assert.Single(answer["warnings"]!.AsArray())!.GetValue<string>();
        Assert.StartsWith("spec.output.to: ", warning);
        Assert.Contains(problem, warning);
        Assert.EndsWith("left the output as it is, for the API server to validate", warning);
        Assert.True(warning.Length < 300, warning);
    }

    [Fact]
    public async Task An_ImageStreamImage_output_is_left_untouched_with_a_warning_and_a_DockerImage_silently()
    {
        var image = await ReviewAsync(ServedWebhook.BuildReview("u-isi", new JsonObject { ["to"] = new JsonObject { ["kind"] = "ImageStreamImage", ["name"] = "app@sha256:00" } }));
        Assert.Null(image["patch"]);
        Assert.Contains("ImageStreamImage output names a digest", image["warnings"]![0]!.GetValue<string>());

        var docker = await ReviewAsync(ServedWebhook.BuildReview("u-docker", new JsonObject { ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "quay.io/x/y@sha256:00" } }));
        Assert.Null(docker["patch"]);
        Assert.Null(docker["warnings"]);

        var valid = await ReviewAsync(ServedWebhook.BuildReview("u-valid", BuildWebhookTests.ImageStreamTagOutput("my-app.v2:V1.0_rc-1")));
        Assert.Equal("JSONPatch", valid["patchType"]!.GetValue<string>());
        Assert.Contains("/openshift_app/my-app.v2:V1.0_rc-1", Encoding.UTF8.GetString(Convert.FromBase64String(valid["patch"]!.GetValue<string>())));
    }

    [Fact]
    public async Task The_webhook_port_serves_only_the_webhook_and_the_metrics_port_only_health_and_metrics()
    {
        using var https = served.Client();
        foreach (var path in new[] { "/metrics", "/healthz", "/readyz" })
        {
            using var onWebhookPort = await https.GetAsync(served.WebhookUrl + path);
            Assert.Equal(HttpStatusCode.NotFound, onWebhookPort.StatusCode);
            using var onMetricsPort = await new HttpClient().GetAsync(served.Operator.BaseUrl + path);
            Assert.Equal(HttpStatusCode.OK, onMetricsPort.StatusCode);
        }
        using var webhookOnMetricsPort = await new HttpClient().PostAsync(served.Operator.BaseUrl + "/admissionwebhook", new StringContent(Review()));
        Assert.Equal(HttpStatusCode.NotFound, webhookOnMetricsPort.StatusCode);
        // The Host header cannot move an endpoint to the other listener.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, served.WebhookUrl + "/metrics");
        spoofed.Headers.Host = new Uri(served.Operator.BaseUrl).Authority;
        using var spoofedAnswer = await https.SendAsync(spoofed);
        Assert.Equal(HttpStatusCode.NotFound, spoofedAnswer.StatusCode);
        using var webhook = await https.PostAsync(served.ReviewUrl, new StringContent(Review()));
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        // Neither listener names the server software it runs.
        Assert.Empty(webhook.Headers.Server);
        using var probe = await new HttpClient().GetAsync(served.Operator.BaseUrl + "/healthz");
        Assert.Empty(probe.Headers.Server);
    }

    /// <summary>
    /// A review of something other than a Build's create (hand-made, or from a configuration that also registers
    /// <c>builds/*</c>) passes untouched, with a warning naming what it was. (A subresource was named as the Build
    /// itself: "only handles builds.build.openshift.io; 'builds.build.openshift.io' was passed through untouched".)
    /// </summary>
    [Fact]
    public async Task A_review_of_a_subresource_or_another_resource_passes_untouched_with_a_warning_naming_it()
    {
        var clone = ServedWebhook.BuildReview("u-sub", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
        clone["request"]!["subResource"] = "clone";
        var pod = ServedWebhook.BuildReview("u-pod", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
        pod["request"]!["resource"] = new JsonObject { ["group"] = "", ["version"] = "v1", ["resource"] = "pods" };
        foreach (var (review, named) in new[] { (clone, "'builds/clone.build.openshift.io' was passed through untouched"), (pod, "'pods.' was passed through untouched") })
        {
            var (status, body) = await served.PostAsync(review.ToJsonString());
            Assert.Equal(HttpStatusCode.OK, status);
            var response = JsonNode.Parse(body)!["response"]!;
            Assert.True(response["allowed"]!.GetValue<bool>());
            Assert.Null(response["patch"]);
            Assert.Contains(named, Assert.Single(response["warnings"]!.AsArray())!.GetValue<string>());
        }
    }

    /// <summary>
    /// The API server calls admission webhooks over HTTP/1.1 only (kubernetes/kubernetes#82090, so that concurrent calls
    /// open several connections and spread over the Service's pods). HTTP/2 on the webhook port served no caller and
    /// was only more to attack (its stream handling: CVE-2023-44487, "rapid reset"), so it is not offered.
    /// </summary>
    [Fact]
    public async Task The_webhook_listener_speaks_HTTP_1_1_only_as_the_API_server_calls_it()
    {
        await using (var offeringBoth = await RawHttps.ConnectAsync(served.WebhookUrl, served.CaPem, [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]))
        {
            Assert.Equal(SslApplicationProtocol.Http11, offeringBoth.Stream.NegotiatedApplicationProtocol);
            await offeringBoth.WriteAsync(RawHttps.Head("GET", "/healthz"));
            Assert.Equal(404, (await offeringBoth.ReadResponseAsync(TimeSpan.FromSeconds(10)))?.Status);
        }

        using var https = served.Client();
        using var http2Only = new HttpRequestMessage(HttpMethod.Post, served.ReviewUrl)
        {
            Content = new StringContent(Review()),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        // Only h2 offered by ALPN, and not spoken: the server ends the handshake (no_application_protocol).
        Assert.Equal(HttpRequestError.SecureConnectionError, (await Assert.ThrowsAsync<HttpRequestException>(() => https.SendAsync(http2Only))).HttpRequestError);

        using var asTheApiServerAsks = await https.PostAsync(served.ReviewUrl, new StringContent(Review()));
        Assert.Equal(HttpStatusCode.OK, asTheApiServerAsks.StatusCode);
        Assert.Equal(HttpVersion.Version11, asTheApiServerAsks.Version);
    }

    [Fact]
    public async Task The_webhook_listener_answers_its_path_as_routing_would_another_method_405_and_another_path_404()
    {
        using var https = served.Client();
        // The path as endpoint routing matched it before the webhook moved ahead of the router: any case, a trailing slash.
        foreach (var path in new[] { "/admissionwebhook", "/AdmissionWebhook", "/admissionwebhook/" })
        {
            using var answer = await https.PostAsync(served.WebhookUrl + path, new StringContent(Review()));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("application/json", answer.Content.Headers.ContentType?.MediaType);
            Assert.Equal("u1", JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["response"]!["uid"]!.GetValue<string>());
        }
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Head })
        {
            using var wrongMethod = await https.SendAsync(new HttpRequestMessage(method, served.ReviewUrl));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
            Assert.Equal(["POST"], wrongMethod.Content.Headers.Allow);
        }
        foreach (var path in new[] { "/", "/admissionwebhook/x", "/admissionwebhookx", "//admissionwebhook", "/admission" })
        {
            using var elsewhere = await https.PostAsync(served.WebhookUrl + path, new StringContent(Review()));
            Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        }
    }

    /// <summary>
    /// Bodies are read into arrays borrowed from a pool, which hand back arrays larger than asked for and still holding
    /// an earlier body's bytes: each review must be read as exactly what was sent, whatever came before it on the
    /// connection or arrives beside it on others.
    /// </summary>
    [Fact]
    public async Task Reviews_of_any_size_after_or_beside_others_are_each_answered_as_sent()
    {
        static string Padded(string uid, int bytes, bool denied = false)
        {
            var review = ServedWebhook.BuildReview(uid, BuildWebhookTests.ImageStreamTagOutput($"app-{uid}:v1"));
            if (denied) review["request"]!["namespace"] = $"Not A Namespace {uid}"; // denied and logged, after a move to the pool
            review["request"]!["object"]!["metadata"]!["annotations"] = new JsonObject { ["pad"] = "" };
            var padding = Math.Max(0, bytes - Encoding.UTF8.GetByteCount(review.ToJsonString()));
            review["request"]!["object"]!["metadata"]!["annotations"]!["pad"] = new string('p', padding);
            return review.ToJsonString();
        }
        async Task AssertAnsweredAsync(HttpClient https, string uid, int bytes, bool denied = false)
        {
            using var answer = await https.PostAsync(served.ReviewUrl, new StringContent(Padded(uid, bytes, denied)));
            var text = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{uid} ({bytes} bytes): {(int)answer.StatusCode} {text}");
            var response = JsonNode.Parse(text)!["response"]!;
            Assert.Equal(uid, response["uid"]!.GetValue<string>());
            if (denied) Assert.Contains(uid, response["status"]!["message"]!.GetValue<string>());
            else Assert.Contains($"/app-{uid}:v1", Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>())));
        }

        // One connection, each body shorter than the one before it (the same pooled array comes back with its tail).
        using (var https = served.Client())
        {
            var sizes = new[] { 200_000, 65_000, 60_000, 33_000, 31_000, 4_000, 2_040, 1_900, 1_100 };
            for (var i = 0; i < sizes.Length; i++) await AssertAnsweredAsync(https, $"seq-{i}", sizes[i]);
        }
        // Many connections at once, small bodies beside large ones (those are parsed on the thread pool), and denials,
        // whose review holds its borrowed body across the move to the pool for the log line.
        var clients = Enumerable.Range(0, 8).Select(_ => served.Client()).ToList();
        try
        {
            await Task.WhenAll(clients.Select((https, c) => Task.Run(async () =>
            {
                for (var i = 0; i < 25; i++)
                    await AssertAnsweredAsync(https, $"par-{c}-{i}", (c * 25 + i) % 7 == 0 ? 70_000 : 1_000 + 2_371 * i, denied: i % 3 == 0);
            })));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private async Task<JsonNode> ReviewAsync(JsonObject review)
    {
        var (status, body) = await served.PostAsync(review.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        return JsonNode.Parse(body)!["response"]!;
    }

    private void AssertLoggedOnce(int logged, LogEventLevel level, string reason)
    {
        var events = served.Log.Events.Skip(logged).ToList();
        Assert.DoesNotContain(events, e => e.Level >= LogEventLevel.Error);
        var line = Assert.Single(events, e => e.Level >= LogEventLevel.Warning);
        Assert.Equal(level, line.Level);
        Assert.Equal($"Rejected an admission request from 127.0.0.1: {reason}", CapturedLog.Render(line).Replace("\"", ""));
    }

    private static byte[] Chunk(byte[] data) => [.. Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), .. data, .. "\r\n"u8];
}
