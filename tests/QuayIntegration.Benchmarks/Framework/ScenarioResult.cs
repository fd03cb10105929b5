namespace QuayIntegration.Benchmarks.Framework;

/// <summary>One measured figure.</summary>
public sealed record Metric(string Name, double Value, string Unit);

/// <summary>What a scenario measured, with the parameters it ran with.</summary>
public sealed class ScenarioResult
{
    public required string Scenario { get; init; }
    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);
    public List<Metric> Metrics { get; } = [];

    /// <summary>The figure that answers the scenario's question (e.g. requests/s), shown first.</summary>
    public string? Headline { get; set; }

    public ScenarioResult Add(string name, double value, string unit)
    {
        Metrics.Add(new Metric(name, value, unit));
        return this;
    }
}

/// <summary>Where a result was measured.</summary>
public sealed record MachineInfo(int ProcessorCount, string OperatingSystem, string Runtime, string Architecture)
{
    public static MachineInfo Current => new(
        Environment.ProcessorCount,
        System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString());
}
