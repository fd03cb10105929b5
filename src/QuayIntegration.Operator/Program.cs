using QuayIntegration.Operator.Hosting;

// The operator: informers + controllers + leader election, /metrics, /healthz, /readyz (see Hosting/OperatorHost.cs);
// the command line is checked first, and a configuration it cannot run with ends it with exit code 2 (OperatorCommand).
return await OperatorCommand.RunAsync(args, Console.Out, Console.Error);
