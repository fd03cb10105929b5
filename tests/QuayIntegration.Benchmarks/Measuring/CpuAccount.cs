using System.Diagnostics;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Operator;

namespace QuayIntegration.Benchmarks.Measuring;

/// <summary>
/// Where the machine's CPU went during a measured window: the operator, this harness (the emulators and the probe),
/// and everything else. On a 2-core machine a timing is only meaningful next to these: a window in which the three
/// add up to all the cores was CPU-bound, and "everything else" is how much a shared machine took from the run.
/// Read from /proc (Linux); elsewhere the figures are left out.
/// </summary>
public sealed class CpuAccount
{
    private const double TicksPerSecond = 100; // USER_HZ: 100 on every Linux architecture .NET runs on

    private readonly Func<int?> _measuredPid;
    private readonly string _measured;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TimeSpan _harnessAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly long? _machineBusyAtStart = MachineBusyTicks();
    private readonly long? _measuredAtStart;
    private long? _measuredLast;
    private (double Elapsed, double Harness, long? MachineBusy)? _end;

    private CpuAccount(Func<int?> measuredPid, string measured)
    {
        _measuredPid = measuredPid;
        _measured = measured;
        _measuredAtStart = ProcessTicks(measuredPid());
        _measuredLast = _measuredAtStart;
    }

    /// <summary>Starts the window now for the operator process (read again at the end, unless it has exited).</summary>
    public static CpuAccount Start(OperatorProcess op) => new(() => op.HasExited ? null : op.ProcessId, "operator");

    /// <summary>Starts the window now for another measured process, named in the figures as <paramref name="measured"/>.</summary>
    public static CpuAccount Start(Process process, string measured) => new(() => process.HasExited ? null : process.Id, measured);

    /// <summary>Ends the window (the first call counts).</summary>
    public void Stop()
    {
        if (_end is not null) return;
        _measuredLast = ProcessTicks(_measuredPid()) ?? _measuredLast;
        _end = (_clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - _harnessAtStart).TotalSeconds, MachineBusyTicks());
    }

    /// <summary>Ends the window if it is still open and adds its figures, in seconds of CPU, to the result.</summary>
    public void AddTo(ScenarioResult result, string window)
    {
        Stop();
        var (elapsed, harness, machineBusy) = _end!.Value;
        result.Add($"CPU {window}: available (cores × wall time)", Environment.ProcessorCount * elapsed, "cpu-s");
        if (_measuredAtStart is { } start && _measuredLast is { } end)
            result.Add($"CPU {window}: {_measured}", (end - start) / TicksPerSecond, "cpu-s");
        result.Add($"CPU {window}: harness (emulators, probe, load)", harness, "cpu-s");
        if (_machineBusyAtStart is { } busyStart && machineBusy is { } busyEnd && _measuredAtStart is { } os && _measuredLast is { } oe)
        {
            var other = (busyEnd - busyStart) / TicksPerSecond - (oe - os) / TicksPerSecond - harness;
            result.Add($"CPU {window}: other processes on the machine", Math.Max(0, other), "cpu-s");
        }
    }

    private static long? ProcessTicks(int? pid)
    {
        if (pid is null) return null;
        try
        {
            // Field 2 (comm) may contain spaces; utime and stime are fields 14 and 15, counted after its ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11]) + long.Parse(fields[12]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Busy jiffies of all CPUs: the first line of /proc/stat minus idle and iowait.</summary>
    private static long? MachineBusyTicks()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            return fields.Take(8).Sum() - fields[3] - fields[4];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
