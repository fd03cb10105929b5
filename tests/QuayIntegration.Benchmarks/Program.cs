using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Operator;
using QuayIntegration.Benchmarks.Scenarios;

// The webhook scenario's --floor starts this executable again as a bare HTTPS endpoint (FloorServer).
if (args is [FloorServer.Command, var certificateDirectory, var port]) return await FloorServer.RunAsync(certificateDirectory, int.Parse(port));

return await new BenchmarkRunner(ScenarioCatalog.All).RunAsync(args);
