using Microsoft.Extensions.Options;
using QuayIntegration.Testing;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using QuayIntegration.Operator.Hosting;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;
using QuayIntegration.Operator.Tests.Support;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The Lease timings and the API request timeout as the host reads them from its configuration (here the command line;
/// environment variables <c>Operator__LeaderElection__LeaseDuration</c> bind the same way), and bad values stopping the
/// host at start with the reason.
/// </summary>
public sealed class TimingConfigurationTests : IAsyncLifetime
{
    private const string User = "configured-operator";
    private EmulatedApiServer _world = null!;
    private string _kubeconfig = null!;

    public async Task InitializeAsync()
    {
        _world = await EmulatedApiServer.StartAsync();
        _kubeconfig = _world.Server.KubeconfigFor(User, Path.GetTempPath());
    }

    public async Task DisposeAsync()
    {
        _world.Server.Faults.Reset();
        await _world.DisposeAsync();
        File.Delete(_kubeconfig);
    }

    private WebApplication Build(params string[] extra) => OperatorHost.Build(
    [
        "--kubeconfig", _kubeconfig,
        "--Operator:BindAddress=127.0.0.1",
        "--Operator:MetricsPort=0",
        "--Operator:Webhook:Disabled=true",
        "--Operator:LeaderElection:Namespace=ops",
        "--Serilog:MinimumLevel:Default=Warning",
        .. extra,
    ]);

    [Fact]
    public async Task Lease_timings_are_read_from_the_configuration()
    {
        await using var app = Build("--Operator:LeaderElection:LeaseDuration=00:00:07", "--Operator:LeaderElection:RenewDeadline=00:00:05",
            "--Operator:LeaderElection:RetryPeriod=00:00:00.500");
        var options = app.Services.GetRequiredService<LeaderElectionOptions>();
        Assert.Equal((TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(500)), (options.LeaseDuration, options.RenewDeadline, options.RetryPeriod));
        Assert.Equal("ops", options.Namespace);
        Assert.NotNull(app.Services.GetRequiredService<LeaderElector>()); // valid: built without complaint
    }

    [Fact]
    public async Task Durations_are_also_read_as_kubernetes_components_write_them()
    {
        // (From the environment too: CommandLineTests, with a process of its own.)
        await using var app = Build("--leader-elect-lease-duration=20s", "--leader-elect-renew-deadline", "15s", "--leader-elect-retry-period=500ms",
            "--Operator:IntegrationRecheckInterval=1m30s", "--Operator:ApiRequestTimeout=00:00:40");
        var options = app.Services.GetRequiredService<LeaderElectionOptions>();
        Assert.Equal((TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(500)), (options.LeaseDuration, options.RenewDeadline, options.RetryPeriod));
        var operatorOptions = app.Services.GetRequiredService<IOptions<OperatorOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(90), operatorOptions.IntegrationRecheckInterval);
        Assert.Equal(TimeSpan.FromSeconds(40), operatorOptions.ApiRequestTimeout); // .NET's form still reads
    }

    [Fact]
    public async Task Configuration_files_are_read_once_and_never_watched()
    {
        await using var app = Build();
        var files = ((Microsoft.Extensions.Configuration.IConfigurationRoot)app.Configuration).Providers
            .OfType<Microsoft.Extensions.Configuration.FileConfigurationProvider>().ToList();
        Assert.NotEmpty(files); // appsettings.json is still read when present
        Assert.All(files, file => Assert.False(file.Source.ReloadOnChange, $"{file.Source.Path} is watched"));
    }

    [Fact]
    public async Task The_hosts_api_client_gives_up_after_the_configured_request_timeout()
    {
        await using var app = Build("--Operator:ApiRequestTimeout=00:00:01");
        var api = app.Services.GetRequiredService<KubeApi>();
        _world.Server.Faults.Stall(resource: "namespaces", user: User);

        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<KubeApiTimeoutException>(() => api.GetAsync<V1Namespace>("api/v1/namespaces/default", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(TimeSpan.FromSeconds(1), e.Timeout);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Lease_timings_that_could_let_two_leaders_act_at_once_stop_the_host_at_start_with_the_reason()
    {
        await using var app = Build("--Operator:LeaderElection:LeaseDuration=00:00:10", "--Operator:LeaderElection:RenewDeadline=00:00:10");
        // Judged with the other options at start (LeaderElectionTimings), so the process exits 2 with the reason.
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("RenewDeadline (00:00:10) must be shorter than LeaseDuration (00:00:10)", e.Message);
    }

    [Fact]
    public async Task A_request_timeout_that_is_not_positive_stops_the_host_at_start_with_the_option_named()
    {
        await using var app = Build("--Operator:ApiRequestTimeout=00:00:00");
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("Operator:ApiRequestTimeout (--api-request-timeout) must be positive", e.Message);
    }
}
