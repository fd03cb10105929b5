using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Hosting;

// The runnable host: `dotnet run --project tests/QuayIntegration.Emulators.Quay -- --https-port 0 --token t0ken`.
return await EmulatorCommandLine.RunAsync(args);
