namespace QuayIntegration.Benchmarks.Framework;

/// <summary>Finds the scenario by name, runs it, prints the table and writes the JSON result.</summary>
public sealed class BenchmarkRunner(IReadOnlyList<IScenario> scenarios)
{
    public async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            PrintUsage();
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "charts") return await RedrawAsync(args.Skip(1).ToList());
        var scenario = scenarios.FirstOrDefault(s => s.Name.Equals(args[0], StringComparison.OrdinalIgnoreCase));
        if (scenario is null)
        {
            Console.Error.WriteLine($"Unknown scenario '{args[0]}'.");
            PrintUsage();
            return 2;
        }

        ScenarioOptions options;
        try
        {
            options = new ScenarioOptions(args.Skip(1));
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        var outputPath = options.String("out");
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        var startedAt = DateTimeOffset.UtcNow;
        var machine = MachineInfo.Current;
        Console.WriteLine($"Running {scenario.Name} on {machine.ProcessorCount} cores...");
        ScenarioResult result;
        try
        {
            result = await scenario.RunAsync(options, cancel.Token);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // The operator did not build, start or get ready: nothing was measured, and the message says where to look.
            Console.Error.WriteLine($"{scenario.Name} measured nothing: {e.Message}");
            return 1;
        }
        foreach (var unused in options.Unused) Console.Error.WriteLine($"warning: option --{unused} was not used by {scenario.Name}");

        Console.WriteLine();
        Console.Write(ResultReporter.Table(result, machine, startedAt));
        var path = await ResultReporter.WriteJsonAsync(result, machine, startedAt, outputPath);
        Console.WriteLine();
        if (result.Headline is not null) Console.WriteLine(result.Headline);
        Console.WriteLine($"Result written to {path}");
        return 0;
    }

    /// <summary><c>charts &lt;result.json&gt;…</c>: the SVG charts of saved results drawn again.</summary>
    private static async Task<int> RedrawAsync(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0)
        {
            Console.Error.WriteLine("Usage: ... -- charts <result.json> [<result.json> ...]");
            return 2;
        }
        foreach (var path in paths)
        {
            try
            {
                foreach (var svg in await ResultReporter.RedrawChartsAsync(path)) Console.WriteLine($"Chart written to {svg}");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"{path}: {e.Message}");
                return 1;
            }
        }
        return 0;
    }

    private void PrintUsage()
    {
        Console.WriteLine("Usage: dotnet run -c Release --project tests/QuayIntegration.Benchmarks -- <scenario> [--options] [--out result.json]");
        Console.WriteLine("       dotnet run -c Release --project tests/QuayIntegration.Benchmarks -- charts <result.json>...   (draw a saved result's charts again)");
        Console.WriteLine();
        foreach (var scenario in scenarios)
        {
            Console.WriteLine($"  {scenario.Name}: {scenario.Description}");
            foreach (var (option, help) in scenario.OptionHelp) Console.WriteLine($"      --{option,-16} {help}");
        }
    }
}
