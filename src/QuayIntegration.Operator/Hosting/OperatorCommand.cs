using System.Globalization;
using System.Runtime;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Observability;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// The process: the command line checked before anything starts, then the host run until it stops. A configuration
/// the operator cannot run with is said in one line per problem on standard error with exit code 2 (a usage error,
/// as CLI tools and Kubernetes controllers report one), never as an unhandled exception's stack trace.
/// </summary>
public static class OperatorCommand
{
    public const int Success = 0;
    /// <summary>The host could not start (logged, with the exception, as "Hosting failed to start"), or stopped itself.</summary>
    public const int Failed = 1;
    public const int UsageError = 2;

    private const string Name = "quay-integration";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Any(a => a is "--help" or "-h"))
        {
            await output.WriteAsync(CommandLine.Usage());
            return Success;
        }
        var problems = CommandLine.Problems(args);
        if (problems.Count > 0)
        {
            foreach (var problem in problems) await error.WriteLineAsync($"{Name}: {problem} (--help lists the flags)");
            return UsageError;
        }

        WebApplication app;
        try
        {
            app = OperatorHost.Build(args);
        }
        catch (FormatException e)
        {
            // The command line itself, as the configuration reads it.
            await error.WriteLineAsync($"{Name}: invalid command line: {e.Message}");
            return UsageError;
        }
        catch (OptionsValidationException e)
        {
            // Options some listener needed while the host was built.
            return await InvalidAsync(error, e);
        }
        catch (InvalidOperationException e)
        {
            // Binding the options: a value that cannot be read as its type ("abc" for a number, a malformed duration).
            await error.WriteLineAsync($"{Name}: invalid configuration: {MessagesOf(e)}");
            return UsageError;
        }

        await using (app)
        {
            LogRuntime(app.Logger);
            try
            {
                await app.StartAsync();
            }
            catch (OptionsValidationException e)
            {
                return await InvalidAsync(error, e);
            }
            catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
            {
                return Success; // told to stop (SIGTERM) while starting
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                await error.WriteLineAsync($"{Name}: could not start: {MessagesOf(e)}");
                return Failed;
            }
            await app.WaitForShutdownAsync();
            var exit = app.Services.GetRequiredService<OperatorExit>();
            if (exit.Code != Success)
            {
                await error.WriteLineAsync($"{Name}: stopped: {exit.Reason}");
                return exit.Code;
            }
        }
        return Environment.ExitCode;
    }

    /// <summary>
    /// How the process runs, for whoever reads its log about memory or CPU: the runtime, whether the code was compiled
    /// ahead of time, the GC settings the project file chose (an environment variable may override them), and where
    /// the code after socket I/O runs (<see cref="IoScheduling"/>).
    /// </summary>
    private static void LogRuntime(ILogger log)
    {
        var gc = GC.GetConfigurationVariables();
        var conserve = gc.TryGetValue("GCConserveMem", out var value) ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? "" : "default";
        var code = RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "Native AOT";
        log.Starting(Environment.Version.ToString(), code, GCSettings.IsServerGC ? "server" : "workstation", conserve,
            IoScheduling.InlineWebhookConnections ? "inline" : "thread pool");
    }

    /// <summary>Every option refused, one line each.</summary>
    private static async Task<int> InvalidAsync(TextWriter error, OptionsValidationException e)
    {
        foreach (var failure in e.Failures) await error.WriteLineAsync($"{Name}: invalid configuration: {failure}");
        return UsageError;
    }

    /// <summary>The message and those of the exceptions it wraps, which name the value and the key.</summary>
    private static string MessagesOf(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (!messages.Contains(current.Message)) messages.Add(current.Message);
        }
        return string.Join(" ", messages);
    }
}
