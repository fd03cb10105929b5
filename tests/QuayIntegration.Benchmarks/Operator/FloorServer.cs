using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace QuayIntegration.Benchmarks.Operator;

/// <summary>
/// What an admission review costs before the operator does anything: a bare Kestrel HTTPS endpoint, in a process of
/// its own, that reads the body and answers one fixed AdmissionReview with a patch of the operator's size. The webhook
/// scenario's <c>--floor</c> runs its load against it, so the operator's CPU per review can be read next to what the
/// server, TLS, the kernel and the machine alone cost for the same traffic. It is started as
/// <c>QuayIntegration.Benchmarks floor-server &lt;cert-dir&gt; &lt;port&gt;</c> with the operator's Kestrel and TLS
/// settings (TLS 1.2 and 1.3, the same certificate files), the operator's thread-pool setting (no idle spinning) and
/// its I/O scheduling (socket completions and Kestrel's connections run inline on the socket engine's threads, the
/// operator's <c>IoScheduling</c>); it runs under the JIT, where the operator ships Native AOT.
/// </summary>
public static class FloorServer
{
    public const string Command = "floor-server";

    public static async Task<int> RunAsync(string certificateDirectory, int port)
    {
        var certificate = X509Certificate2.CreateFromPemFile(
            Path.Combine(certificateDirectory, "apiserver.crt"), Path.Combine(certificateDirectory, "apiserver.key"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(https =>
        {
            https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            https.ServerCertificate = certificate;
        })));
        var app = builder.Build();
        var answer = Answer();
        app.MapPost("/admissionwebhook", async context =>
        {
            var reader = context.Request.BodyReader;
            while (true)
            {
                var read = await reader.ReadAsync(context.RequestAborted);
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) break;
            }
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = answer.Length;
            await context.Response.Body.WriteAsync(answer, context.RequestAborted);
        });
        await app.RunAsync();
        return 0;
    }

    /// <summary>Starts the floor server as a child process of this harness and waits until it accepts connections.</summary>
    public static async Task<Process> StartAsync(string certificateDirectory, int port, string logPath, CancellationToken ct)
    {
        var entry = typeof(FloorServer).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { entry, Command, certificateDirectory, port.ToString() }) start.ArgumentList.Add(arg);
        // The operator's runtime setting (its project file): thread-pool workers do not spin while idle.
        start.Environment["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0";
        // And its I/O scheduling: the operator's webhook connections complete inline (IoScheduling); for a process
        // whose only sockets are its listener's, the runtime's process-wide switch does the same, with the one engine
        // thread the operator has (the switch alone would start one per core).
        start.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";
        start.Environment["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1";
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        OperatorProcess.LogOutput(process, log);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await WaitAcceptingAsync(process, port, logPath, ct);
            return process;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    private static async Task WaitAcceptingAsync(Process process, int port, string logPath, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"The floor server exited with code {process.ExitCode}; see {logPath}.");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, ct);
                return;
            }
            catch (SocketException) when (waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50, ct);
            }
        }
    }

    /// <summary>An allowed review with a JSON patch of the size the operator sends for a Build pushed to Quay.</summary>
    private static byte[] Answer()
    {
        var patch = new JsonArray
        {
            new JsonObject
            {
                ["op"] = "add", ["path"] = "/metadata/annotations",
                ["value"] = new JsonObject { ["quay-registry-operator.quay.redhat.com/quay-rewritten"] = "true" },
            },
            new JsonObject
            {
                ["op"] = "replace", ["path"] = "/spec/output/to",
                ["value"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "quay.example.com/openshift_bench-0000/app0:latest" },
            },
            new JsonObject { ["op"] = "add", ["path"] = "/spec/output/pushSecret", ["value"] = new JsonObject { ["name"] = "builder-quay-bench" } },
        };
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["response"] = new JsonObject
            {
                ["uid"] = Guid.NewGuid().ToString(),
                ["allowed"] = true,
                ["patchType"] = "JSONPatch",
                ["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString())),
            },
        };
        return Encoding.UTF8.GetBytes(review.ToJsonString());
    }
}
