using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Faults;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Run-time fault injection, from C# and over the HTTP control endpoints.</summary>
public sealed class FaultTests : EmulatorTest
{
    private const string OrgRoute = "/api/v1/organization/{orgname}";

    [Fact]
    public async Task Fixed_latency_delays_answers()
    {
        await CreateOrg("acme");
        Quay.Faults.Add(new FaultRule { Route = OrgRoute, LatencyMs = 300 });
        var watch = Stopwatch.StartNew();
        (await Get("/api/v1/organization/acme", AliceToken)).AssertStatus(200);
        Assert.True(watch.ElapsedMilliseconds >= 280, $"took {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>A rule with no limit counts what it matched too (it counted only under a Times limit).</summary>
    [Fact]
    public async Task A_rule_counts_the_requests_it_matched_with_or_without_a_limit()
    {
        var unlimited = new FaultRule { Route = "/api/v1/user/", ErrorRate = 1, ErrorStatuses = [503] };
        var once = new FaultRule { Route = "/api/v1/user/", LatencyMs = 1, Times = 1 };
        Quay.Faults.Add(once); // first: the error rule answers, and no rule after it is looked at
        Quay.Faults.Add(unlimited);
        for (var i = 0; i < 3; i++) (await Get("/api/v1/user/", AliceToken)).AssertStatus(503);
        Assert.Equal(3, unlimited.TimesMatched);
        Assert.Equal(3, once.TimesMatched); // past its limit included
    }

    /// <summary>A rule for one bearer token leaves every other client's requests alone, as nginx's per-client limit does.</summary>
    [Fact]
    public async Task A_rule_for_one_token_matches_only_that_clients_requests()
    {
        Quay.Faults.Add(new FaultRule { Route = "/api/v1/user/", RateLimitRate = 1, BearerToken = AliceToken });
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(429);
        (await Get("/api/v1/user/", BobToken)).AssertStatus(200);
    }

    [Fact]
    public async Task Random_latency_stays_within_its_bounds()
    {
        Quay.Faults.Add(new FaultRule { LatencyMs = 50, LatencyMaxMs = 120 });
        var watch = Stopwatch.StartNew();
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
        Assert.InRange(watch.ElapsedMilliseconds, 45, 2000);
    }

    [Theory]
    [InlineData(500, "Internal Server Error")]
    [InlineData(502, "502 Bad Gateway")]
    [InlineData(503, "503 Service Temporarily Unavailable")]
    public async Task Error_rate_answers_html_errors(int status, string text)
    {
        Quay.Faults.Add(new FaultRule { ErrorRate = 1, ErrorStatuses = [status] });
        var reply = (await Get("/api/v1/user/", AliceToken)).AssertStatus(status);
        Assert.Equal("text/html", reply.MediaType);
        Assert.Contains(text, reply.Body);
    }

    [Fact]
    public async Task Latency_and_error_in_one_rule_give_a_slow_error()
    {
        Quay.Faults.Add(new FaultRule { LatencyMs = 250, ErrorRate = 1, ErrorStatuses = [502] });
        var watch = Stopwatch.StartNew();
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(502);
        Assert.True(watch.ElapsedMilliseconds >= 230, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Partial_error_rate_fails_some_and_passes_others()
    {
        Quay.Faults.Add(new FaultRule { ErrorRate = 0.5, ErrorStatuses = [503] });
        var statuses = new List<int>();
        for (var i = 0; i < 60; i++) statuses.Add((await Get("/api/v1/user/", AliceToken)).Code);
        Assert.Contains(503, statuses);
        Assert.Contains(200, statuses);
    }

    [Fact]
    public async Task Rate_limit_is_nginx_429_html_with_or_without_retry_after()
    {
        var id = Quay.Faults.Add(new FaultRule { RateLimitRate = 1 });
        var plain = (await Get("/api/v1/user/", AliceToken)).AssertStatus(429);
        Assert.Equal("text/html", plain.MediaType);
        Assert.Contains("429 Too Many Requests", plain.Body);
        Assert.Contains("nginx", plain.Body);
        Assert.Null(plain.Headers.RetryAfter);

        Quay.Faults.Remove(id);
        Quay.Faults.Add(new FaultRule { RateLimitRate = 1, RetryAfterSeconds = 7 });
        var withRetry = (await Get("/api/v1/user/", AliceToken)).AssertStatus(429);
        Assert.Equal(TimeSpan.FromSeconds(7), withRetry.Headers.RetryAfter!.Delta);
    }

    [Fact]
    public async Task Hang_outlasts_the_clients_timeout()
    {
        Quay.Faults.Add(new FaultRule { HangRate = 1, HangMs = 30_000 });
        using var client = Quay.CreateHttpClient(AliceToken);
        client.Timeout = TimeSpan.FromMilliseconds(300);
        await Assert.ThrowsAsync<TaskCanceledException>(() => client.GetAsync("api/v1/user/"));
    }

    [Fact]
    public async Task Hang_ends_with_a_dropped_connection_when_shorter_than_the_timeout()
    {
        Quay.Faults.Add(new FaultRule { HangRate = 1, HangMs = 100 });
        using var client = Quay.CreateHttpClient(AliceToken);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("api/v1/user/"));
        Assert.Equal(1, Quay.Calls.Count("GET", "/api/v1/user/", 0));
    }

    [Fact]
    public async Task Body_stall_keeps_the_effect_and_cuts_the_answer_short()
    {
        Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", BodyStallRate = 1, HangMs = 200, Times = 1 });
        using var client = Quay.CreateHttpClient(AliceToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/organization/") { Content = JsonContent.Create(new { name = "stalled" }) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(201, (int)response.StatusCode);
        Assert.Equal(10, response.Content.Headers.ContentLength); // "Created" and a newline, announced in full
        await Assert.ThrowsAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync());
        Assert.Equal(1, Quay.Calls.Count("POST", "/api/v1/organization/", 0));
        (await Get("/api/v1/organization/stalled", AliceToken)).AssertStatus(200);
    }

    [Fact]
    public async Task A_timeout_after_handling_keeps_the_effect_and_answers_504()
    {
        Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", TimeoutAfterHandlingRate = 1, HangMs = 100, Times = 1 });
        (await Post("/api/v1/organization/", AliceToken, new { name = "committed" })).AssertStatus(504);
        Assert.Equal(1, Quay.Calls.Count("POST", "/api/v1/organization/", 504));
        (await Get("/api/v1/organization/committed", AliceToken)).AssertStatus(200);
        (await Post("/api/v1/organization/", AliceToken, new { name = "committed" })).AssertStatus(400); // the retry: already exists
    }

    [Fact]
    public async Task Dropped_connections_fail_without_an_answer()
    {
        Quay.Faults.Add(new FaultRule { DropRate = 1 });
        using var client = Quay.CreateHttpClient(AliceToken);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("api/v1/user/"));
    }

    [Fact]
    public async Task Outage_window_answers_503_until_it_ends()
    {
        Quay.Faults.Add(FaultRule.Outage(TimeSpan.FromMilliseconds(500)));
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(503);
        await Task.Delay(600);
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
    }

    [Fact]
    public async Task Outage_window_in_the_future_has_not_started()
    {
        Quay.Faults.Add(new FaultRule { OutageFrom = DateTimeOffset.UtcNow.AddMinutes(1), OutageUntil = DateTimeOffset.UtcNow.AddMinutes(2) });
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
    }

    [Fact]
    public async Task Outage_with_status_0_drops_connections()
    {
        Quay.Faults.Add(FaultRule.Outage(TimeSpan.FromMinutes(1), status: 0));
        using var client = Quay.CreateHttpClient(AliceToken);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("api/v1/user/"));
    }

    [Fact]
    public async Task Route_and_method_rules_leave_other_routes_alone()
    {
        await CreateOrg("acme");
        Quay.Faults.Add(new FaultRule { Route = OrgRoute, Method = "DELETE", ErrorRate = 1, ErrorStatuses = [502] });
        (await Get("/api/v1/organization/acme", AliceToken)).AssertStatus(200);
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
        (await Delete("/api/v1/organization/acme", AliceToken)).AssertStatus(502);
        Assert.NotNull(Quay.State.Organization("acme"));
    }

    [Fact]
    public async Task Times_limits_a_rule_to_the_next_n_requests()
    {
        Quay.Faults.Add(new FaultRule { ErrorRate = 1, ErrorStatuses = [503], Times = 2 });
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(503);
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(503);
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
    }

    [Fact]
    public async Task Clear_removes_every_rule_and_control_endpoints_are_never_faulted()
    {
        Quay.Faults.Add(new FaultRule { ErrorRate = 1 });
        (await Get("/_emulator/state")).AssertStatus(200);
        Quay.Faults.Clear();
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
    }

    [Fact]
    public async Task Faults_are_controllable_over_http()
    {
        using var control = new HttpClient { BaseAddress = new Uri(Quay.HttpBaseUrl) };
        using var added = await control.PostAsJsonAsync("/_emulator/faults", new { route = "/api/v1/user/", errorRate = 1.0, errorStatuses = new[] { 502 } });
        Assert.Equal(201, (int)added.StatusCode);
        var id = (int)JsonNode.Parse(await added.Content.ReadAsStringAsync())!["id"]!;
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(502);

        var listed = JsonNode.Parse(await control.GetStringAsync("/_emulator/faults"))!.AsArray();
        Assert.Equal("/api/v1/user/", (string?)listed.Single()!["rule"]!["route"]);

        using var removed = await control.DeleteAsync($"/_emulator/faults/{id}");
        Assert.Equal(204, (int)removed.StatusCode);
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);

        using var outage = await control.PostAsJsonAsync("/_emulator/faults", new { outageUntil = DateTimeOffset.UtcNow.AddMinutes(1) });
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(503);
        using var cleared = await control.DeleteAsync("/_emulator/faults");
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
    }

    [Fact]
    public async Task Unknown_route_templates_are_refused_by_the_control_endpoint()
    {
        using var control = new HttpClient { BaseAddress = new Uri(Quay.HttpBaseUrl) };
        using var reply = await control.PostAsJsonAsync("/_emulator/faults", new { route = "/api/v1/nope", errorRate = 1.0 });
        Assert.Equal(400, (int)reply.StatusCode);
    }
}
