namespace QuayIntegration.Benchmarks.Framework;

/// <summary>
/// One benchmark scenario, run by name: <c>dotnet run -c Release --project tests/QuayIntegration.Benchmarks -- &lt;name&gt; [--options]</c>.
/// A scenario measures and returns figures; the runner prints them and writes the JSON result file.
/// </summary>
public interface IScenario
{
    /// <summary>The command-line name, e.g. <c>quay-throughput</c>.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Option names with their meaning and default, for <c>--help</c>.</summary>
    IReadOnlyList<(string Option, string Help)> OptionHelp { get; }

    Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken cancellationToken);
}
