using QuayIntegration.Operator.Hosting;

// The operator: informers + controllers + leader election, /metrics, /healthz, /readyz (see Hosting/OperatorHost.cs).
await OperatorHost.Build(args).RunAsync();
