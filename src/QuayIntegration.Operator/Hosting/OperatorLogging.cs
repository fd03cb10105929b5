using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Settings.Configuration;

namespace QuayIntegration.Operator.Hosting;

/// <summary>Structured logs: compact JSON on stdout, Information by default, overridable by the "Serilog" section.</summary>
public static class OperatorLogging
{
    public static IServiceCollection AddOperatorLogging(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSerilog((_, logger) => logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .MinimumLevel.Override("Polly", LogEventLevel.Warning)
            // An unready /readyz before the caches sync is expected; the probe's answer says it, an Error per probe is noise.
            .MinimumLevel.Override("Microsoft.Extensions.Diagnostics.HealthChecks", LogEventLevel.Fatal)
            // ASP.NET Core starts an Activity and a log scope for every request whenever this category is enabled at any
            // level: a random trace ID, the Activity, the scope and their async-locals, about 5 % of the webhook's CPU per
            // review (perf, 2026-12-05). Off, lines written during a request carry no TraceId, SpanId, RequestId or
            // RequestPath (Kestrel's ConnectionId stays; the webhook's and /metrics' own lines name the client and what
            // it asked); the category's own lines go too: each request's start and finish (Information, filtered out
            // anyway) and the web host's start-up messages, whose failure the generic host logs as well ("Hosting failed
            // to start"). The operator exports no traces. Serilog:MinimumLevel:Override:Microsoft.AspNetCore.Hosting.Diagnostics
            // brings all of it back, at that cost.
            .MinimumLevel.Override(HostingDiagnosticsCategory, LevelAlias.Off)
            .ReadFrom.Configuration(configuration, ReaderOptions(configuration)) // "Serilog" section overrides the defaults above
            .Enrich.FromLogContext()
            .WriteTo.Console(new RenderedCompactJsonFormatter()),
            // This host's loggers write to this host's logger, not to Serilog's static one: nothing in the operator logs
            // through the static, and a second host in the process (the tests run several side by side) must not take
            // over the first's loggers by replacing it.
            preserveStaticLogger: true);

    /// <summary>The category of ASP.NET Core's per-request diagnostics (its hosting layer's logger).</summary>
    public const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// Where the "Serilog" section's sinks and formatters come from: the Serilog assemblies the operator ships, plus
    /// any the section names under <c>Using</c> (each once, though a section may name a shipped one again). Left to
    /// find them itself, the reader loads and scans the application's whole dependency manifest at start-up.
    /// </summary>
    private static ConfigurationReaderOptions ReaderOptions(IConfiguration configuration)
    {
        var named = configuration.GetSection("Serilog:Using").GetChildren()
            .Select(c => c.Value).OfType<string>().Select(name => Assembly.Load(new AssemblyName(name)));
        return new([.. ShippedSerilogAssemblies.Concat(named).Distinct()]);
    }

    private static readonly Assembly[] ShippedSerilogAssemblies =
    [
        typeof(ConsoleLoggerConfigurationExtensions).Assembly,
        typeof(FileLoggerConfigurationExtensions).Assembly,
        typeof(LoggerSinkConfigurationDebugExtensions).Assembly,
        typeof(RenderedCompactJsonFormatter).Assembly,
    ];
}
