using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Scenarios;

IScenario[] scenarios =
[
    new ColdConvergenceScenario(),
    new QuayThroughputScenario(),
];
return await new BenchmarkRunner(scenarios).RunAsync(args);
