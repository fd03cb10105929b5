using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>Lease timings that could let two leaders act at once are refused, with the reason, as client-go refuses them.</summary>
public class LeaderElectionOptionsTests
{
    private static LeaderElectionOptions Valid() => new()
    {
        Namespace = "ops", LeaseDuration = TimeSpan.FromSeconds(15), RenewDeadline = TimeSpan.FromSeconds(10), RetryPeriod = TimeSpan.FromSeconds(2),
    };

    private static string Refusal(Action<LeaderElectionOptions> edit)
    {
        var options = Valid();
        edit(options);
        var e = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.StartsWith("Invalid leader election options (Operator:LeaderElection): ", e.Message);
        return e.Message;
    }

    [Fact]
    public void The_defaults_and_the_test_timings_are_valid()
    {
        Valid().Validate();
        new LeaderElectionOptions { Namespace = "ops", LeaseDuration = TimeSpan.FromSeconds(3), RenewDeadline = TimeSpan.FromSeconds(2), RetryPeriod = TimeSpan.FromMilliseconds(300) }.Validate();
    }

    [Fact]
    public void A_renew_deadline_not_shorter_than_the_lease_duration_is_refused()
    {
        Assert.Contains("RenewDeadline (00:00:15) must be shorter than LeaseDuration (00:00:15)", Refusal(o => o.RenewDeadline = o.LeaseDuration));
        Assert.Contains("RenewDeadline (00:00:20) must be shorter than LeaseDuration (00:00:15)", Refusal(o => o.RenewDeadline = TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void A_retry_period_not_shorter_than_the_renew_deadline_is_refused()
    {
        Assert.Contains("RetryPeriod (00:00:10) must be shorter than RenewDeadline (00:00:10)", Refusal(o => o.RetryPeriod = o.RenewDeadline));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.5)]
    [InlineData(0)]
    [InlineData(-15)]
    public void A_lease_duration_that_is_not_a_whole_positive_number_of_seconds_is_refused(double seconds)
    {
        // leaseDurationSeconds is an integer: 2.5 s would be written as 2 s, and the others would take over too soon.
        Assert.Contains("must be a whole number of seconds, at least 1", Refusal(o => o.LeaseDuration = TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Timings_that_are_not_positive_and_a_missing_namespace_are_refused_all_in_one_message()
    {
        var message = Refusal(o =>
        {
            o.RenewDeadline = TimeSpan.Zero;
            o.RetryPeriod = TimeSpan.FromSeconds(-1);
            o.Namespace = "";
        });
        Assert.Contains("Namespace must be set", message);
        Assert.Contains("RenewDeadline (00:00:00) must be positive", message);
        Assert.Contains("RetryPeriod (-00:00:01) must be positive", message);
    }

    [Fact]
    public async Task The_elector_refuses_bad_timings_when_built_if_enabled_and_before_campaigning_in_any_case()
    {
        using var api = new KubeApi(new ClusterAccess(new Uri("https://127.0.0.1:9"))); // never reached
        var bad = Valid();
        bad.RenewDeadline = bad.LeaseDuration;
        Assert.Throws<InvalidOperationException>(() => new LeaderElector(api, bad, TimeProvider.System, NullLogger<LeaderElector>.Instance));

        bad.Enabled = false; // not used: the host may start with it
        var elector = new LeaderElector(api, bad, TimeProvider.System, NullLogger<LeaderElector>.Instance);
        await Assert.ThrowsAsync<InvalidOperationException>(() => elector.RunAsync(_ => Task.CompletedTask, CancellationToken.None));
    }
}
