using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Runtime.Tests.Support;

/// <summary>The formatted messages logged at Information and above.</summary>
internal sealed class LinesLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel)) _lines.Enqueue(formatter(state, exception));
    }
}
