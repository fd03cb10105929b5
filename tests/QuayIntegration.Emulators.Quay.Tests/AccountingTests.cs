using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Accounting;
using QuayIntegration.Emulators.Quay.Faults;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Call counts per (method, route template) and status.</summary>
public sealed class AccountingTests : EmulatorTest
{
    [Fact]
    public async Task Calls_are_counted_per_template_and_status()
    {
        await CreateOrg("acme");
        await Get("/api/v1/organization/acme", AliceToken);
        await Get("/api/v1/organization/other", AliceToken);
        await Get("/api/v1/organization/acme/robots/ghost", AliceToken);
        await Get("/api/v1/user", AliceToken);
        await Get("/nowhere");

        Assert.Equal(1, Quay.Calls.Count("POST", "/api/v1/organization/", 201));
        Assert.Equal(2, Quay.Calls.Count("GET", "/api/v1/organization/{orgname}"));
        Assert.Equal(1, Quay.Calls.Count("GET", "/api/v1/organization/{orgname}", 404));
        Assert.Equal(1, Quay.Calls.Count("GET", "/api/v1/organization/{orgname}/robots/{robot_shortname}", 400));
        Assert.Equal(1, Quay.Calls.Count("GET", "/api/v1/user/", 308));
        Assert.Equal(1, Quay.Calls.Count("GET", CallAccounting.UnmatchedRoute, 404));
        Assert.Equal(2, Quay.Calls.CountByStatus(404));
        Assert.Equal(6, Quay.Calls.Total);
    }

    [Fact]
    public async Task Service_time_adds_up_what_each_counted_call_spent_in_the_emulator_injected_latency_included()
    {
        Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/{orgname}", LatencyMs = 200 });
        await Task.WhenAll(Get("/api/v1/organization/acme", AliceToken), Get("/api/v1/organization/other", AliceToken));
        await Get("/_emulator/state");

        // Two calls that each waited 200 ms in the emulator, at the same time: 0.4 s of service in about 0.2 s. The
        // delay's timer counts in coarse ticks and can end a millisecond or two before 200 ms by the Stopwatch that
        // measures service time (one CI run: 396.6 ms for the two), hence 380; one call counted alone would be 200.
        Assert.InRange(Quay.Calls.ServiceTime, TimeSpan.FromMilliseconds(380), TimeSpan.FromSeconds(5));
        Quay.Calls.Reset();
        Assert.Equal(TimeSpan.Zero, Quay.Calls.ServiceTime);
    }

    [Fact]
    public async Task Control_endpoints_are_not_counted_and_reset_clears()
    {
        await CreateOrg("acme");
        await Get("/_emulator/state");
        Assert.Equal(1, Quay.Calls.Total);
        Quay.Calls.Reset();
        Assert.Equal(0, Quay.Calls.Total);
        Assert.Empty(Quay.Calls.Snapshot());
    }

    [Fact]
    public async Task Calls_are_readable_and_resettable_over_http()
    {
        await CreateOrg("acme");
        using var control = new HttpClient { BaseAddress = new Uri(Quay.HttpBaseUrl) };
        var calls = JsonNode.Parse(await control.GetStringAsync("/_emulator/calls"))!.AsArray();
        var entry = Assert.Single(calls)!;
        Assert.Equal(("POST", "/api/v1/organization/", 201, 1), ((string)entry["method"]!, (string)entry["route"]!, (int)entry["status"]!, (int)entry["count"]!));
        using var reset = await control.DeleteAsync("/_emulator/calls");
        Assert.Equal(204, (int)reset.StatusCode);
        Assert.Equal(0, Quay.Calls.Total);
    }
}
