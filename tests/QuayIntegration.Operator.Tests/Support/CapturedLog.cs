using System.Collections.Concurrent;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// The log events of one operator started in process, through the operator's own Serilog configuration: the
/// operator reads the "Serilog" section, so these arguments add a sink (this class) without touching its code.
/// </summary>
public sealed class CapturedLog
{
    private static readonly ConcurrentDictionary<string, ConcurrentQueue<LogEvent>> Logs = new();
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<LogEvent, string> Threads = new();
    private readonly string _key = Guid.NewGuid().ToString("N");

    public CapturedLog() => Logs[_key] = new ConcurrentQueue<LogEvent>();

    /// <param name="debugSources">Logger categories to capture from Debug on (the default minimum is Warning).</param>
    public string[] OperatorArgs(params string[] debugSources) =>
    [
        "--Serilog:Using:0=" + typeof(CapturedLog).Assembly.GetName().Name,
        "--Serilog:WriteTo:9:Name=" + nameof(CapturedLogSinkExtensions.Captured),
        "--Serilog:WriteTo:9:Args:key=" + _key,
        .. debugSources.Select(source => $"--Serilog:MinimumLevel:Override:{source}=Debug"),
    ];

    public IReadOnlyList<LogEvent> Events => [.. Logs[_key]];

    public IEnumerable<string> Rendered(LogEventLevel level) => Events.Where(e => e.Level == level).Select(Render);

    public static string Render(LogEvent e) => e.RenderMessage() + (e.Exception is null ? "" : " " + e.Exception.GetType().Name);

    /// <summary>The name of the thread that wrote the event (Serilog calls its sinks on the logging thread).</summary>
    public static string? ThreadOf(LogEvent e) => Threads.TryGetValue(e, out var name) ? name : null;

    internal static void Write(string key, LogEvent e)
    {
        if (!Logs.TryGetValue(key, out var queue)) return;
        Threads.AddOrUpdate(e, Thread.CurrentThread.Name ?? "");
        queue.Enqueue(e);
    }
}

public static class CapturedLogSinkExtensions
{
    /// <summary>Found by name by Serilog.Settings.Configuration ("WriteTo": [{"Name": "Captured", "Args": {"key": …}}]).</summary>
    public static LoggerConfiguration Captured(this LoggerSinkConfiguration sinks, string key) => sinks.Sink(new Sink(key));

    private sealed class Sink(string key) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => CapturedLog.Write(key, logEvent);
    }
}
