using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

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
            .ReadFrom.Configuration(configuration) // "Serilog" section overrides the defaults above
            .Enrich.FromLogContext()
            .WriteTo.Console(new RenderedCompactJsonFormatter()));
}
