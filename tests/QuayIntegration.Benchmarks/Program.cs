using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Scenarios;

// Scenarios are listed here; add new ones (e.g. for the Kubernetes emulator or the operator) next to this one.
IScenario[] scenarios =
[
    new QuayThroughputScenario(),
];
return await new BenchmarkRunner(scenarios).RunAsync(args);
