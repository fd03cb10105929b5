using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Cli;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Testing.Core;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>
/// What a <c>builds</c> admission webhook (the operator's) sees of the emulated cluster: the first build of a
/// BuildConfig as a CREATE, then every status write of the build runner as an UPDATE, since Builds have no status
/// subresource.
/// </summary>
public sealed class AdmissionTests
{
    [Fact]
    public async Task BuildsWebhook_SeesTheFirstBuildAsCreate_AndEachStatusWriteAsUpdate()
    {
        var reviews = new ConcurrentQueue<(string Operation, string Build, string Phase)>();
        await using var webhook = await RecordingWebhook.StartAsync(reviews);
        await using var cluster = await StartClusterAsync();
        await RegisterAsync(cluster, webhook);
        var ns = UniqueName("admit");
        await cluster.Oc.NewProjectAsync(ns);

        await cluster.Oc.NewAppAsync(ns, AppTemplate.HttpdExample);
        await cluster.Oc.WaitForBuildPhaseAsync(ns, "httpd-example-1", "Complete", WaitTimeout);

        var seen = reviews.Where(r => r.Build == "httpd-example-1").ToList();
        Assert.Equal(("CREATE", "New"), (seen[0].Operation, seen[0].Phase));
        Assert.All(seen.Skip(1), r => Assert.Equal("UPDATE", r.Operation));
        Assert.Equal(["Pending", "Running", "Complete"], seen.Skip(1).Select(r => r.Phase).Distinct().ToArray());
    }

    [Fact]
    public async Task DeniedStatusUpdates_HoldTheBuild_UntilTheWebhookAllowsThemAgain()
    {
        var reviews = new ConcurrentQueue<(string Operation, string Build, string Phase)>();
        await using var webhook = await RecordingWebhook.StartAsync(reviews);
        webhook.DenyUpdates = true;
        await using var cluster = await StartClusterAsync();
        await RegisterAsync(cluster, webhook);
        var ns = UniqueName("paused");
        await cluster.Oc.NewProjectAsync(ns);

        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "held", output: null);
        await WaitForAsync(_ => Task.FromResult(reviews.Count(r => r.Build == "held" && r.Operation == "UPDATE") >= 2 ? (object)true : null),
            "the runner to try (and retry) its first status write");
        Assert.Equal("New", (await cluster.Oc.GetBuildAsync(ns, "held"))!.Str("status", "phase"));

        webhook.DenyUpdates = false;
        await cluster.Oc.WaitForBuildPhaseAsync(ns, "held", "Complete", WaitTimeout);
    }

    private static Task RegisterAsync(EmulatedCluster cluster, RecordingWebhook webhook) =>
        cluster.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "record-builds" },
            Webhooks =
            [
                new V1MutatingWebhook
                {
                    Name = "builds.record.example.com",
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = webhook.Url, CaBundle = Encoding.UTF8.GetBytes(webhook.CaBundlePem) },
                    Rules = [new V1RuleWithOperations { Operations = ["CREATE", "UPDATE"], ApiGroups = ["build.openshift.io"], ApiVersions = ["v1"], Resources = ["builds"] }],
                    FailurePolicy = "Fail",
                    SideEffects = "None",
                    AdmissionReviewVersions = ["v1"],
                },
            ],
        });

    /// <summary>An HTTPS admission webhook on 127.0.0.1 with a certificate from its own CA: records what it sees, allows it (UPDATEs only while not paused).</summary>
    private sealed class RecordingWebhook : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly CertificateAuthority _ca;
        private readonly X509Certificate2 _certificate;

        private RecordingWebhook(WebApplication app, CertificateAuthority ca, X509Certificate2 certificate, string url)
        {
            _app = app;
            _ca = ca;
            _certificate = certificate;
            Url = url;
        }

        public string Url { get; }
        public string CaBundlePem => _ca.CertificatePem;
        /// <summary>While true, UPDATEs are denied (as when the operator's webhook refuses them).</summary>
        public bool DenyUpdates { get; set; }

        public static async Task<RecordingWebhook> StartAsync(ConcurrentQueue<(string Operation, string Build, string Phase)> reviews)
        {
            var ca = CertificateAuthority.Create("recording-webhook-ca");
            var certificate = ca.IssueServerCertificate(["localhost"], [IPAddress.Loopback]);
            RecordingWebhook? self = null;
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
            var app = builder.Build();
            app.Run(async context =>
            {
                var review = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
                var request = review["request"]!.AsObject();
                var build = request["object"] as JsonObject;
                reviews.Enqueue((request.Str("operation") ?? "", build?.Name() ?? "", build?.Str("status", "phase") ?? ""));
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(new JsonObject
                {
                    ["apiVersion"] = "admission.k8s.io/v1",
                    ["kind"] = "AdmissionReview",
                    ["response"] = self!.DenyUpdates && request.Str("operation") == "UPDATE"
                        ? new JsonObject { ["uid"] = request.Str("uid"), ["allowed"] = false, ["status"] = new JsonObject { ["code"] = 403, ["message"] = "updates are paused" } }
                        : new JsonObject { ["uid"] = request.Str("uid"), ["allowed"] = true },
                }.ToJsonString());
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            self = new RecordingWebhook(app, ca, certificate, $"https://127.0.0.1:{new Uri(address).Port}/admit");
            return self;
        }


        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _certificate.Dispose();
            _ca.Dispose();
        }
    }
}
