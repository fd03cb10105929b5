using QuayIntegration.Benchmarks.Framework;

namespace QuayIntegration.Benchmarks.Scenarios;

/// <summary>Every scenario, by the name given on the command line (see README.md); shared by Program and the smoke tests.</summary>
public static class ScenarioCatalog
{
    public static IReadOnlyList<IScenario> All { get; } =
    [
        new ColdConvergenceScenario(),
        new SteadyStateScenario(),
        new ChurnScenario(),
        new WebhookScenario(),
        new MemoryStartupScenario(),
        new QuayThroughputScenario(),
        new ScalingScenario(),
    ];
}
