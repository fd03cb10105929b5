using System.Globalization;

namespace QuayIntegration.Benchmarks.Framework;

/// <summary><c>--name value</c> and bare <c>--flag</c> options after the scenario name.</summary>
public sealed class ScenarioOptions
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);

    public ScenarioOptions(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{list[i]}'.");
            var name = list[i][2..];
            var hasValue = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal);
            _values[name] = hasValue ? list[++i] : null;
        }
    }

    public string? String(string name, string? defaultValue = null)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value ?? throw new ArgumentException($"--{name} needs a value.") : defaultValue;
    }

    public int Int(string name, int defaultValue) =>
        String(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : defaultValue;

    public double Double(string name, double defaultValue) =>
        String(name) is { } value ? double.Parse(value, CultureInfo.InvariantCulture) : defaultValue;

    public bool Flag(string name)
    {
        _read.Add(name);
        return _values.ContainsKey(name);
    }

    /// <summary>Options given but never read by the scenario: most likely typos.</summary>
    public IEnumerable<string> Unused => _values.Keys.Where(k => !_read.Contains(k));
}
