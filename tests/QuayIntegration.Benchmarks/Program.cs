using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Scenarios;

return await new BenchmarkRunner(ScenarioCatalog.All).RunAsync(args);
