using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
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
        await cluster.Client.AdmissionregistrationV1.CreateMutatingWebhookConfigurationAsync(new V1MutatingWebhookConfiguration
        {
            Metadata = new V1ObjectMeta { Name = "record-builds" },
            Webhooks =
            [
                new V1MutatingWebhook
                {
                    Name = "builds.record.example.com",
                    ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = webhook.Url, CaBundle = Encoding.UTF8.GetBytes(webhook.CertificatePem) },
                    Rules = [new V1RuleWithOperations { Operations = ["CREATE", "UPDATE"], ApiGroups = ["build.openshift.io"], ApiVersions = ["v1"], Resources = ["builds"] }],
                    FailurePolicy = "Fail",
                    SideEffects = "None",
                    AdmissionReviewVersions = ["v1"],
                },
            ],
        });
        var ns = UniqueName("admit");
        await cluster.Oc.NewProjectAsync(ns);

        await cluster.Oc.NewAppAsync(ns, AppTemplate.HttpdExample);
        await cluster.Oc.WaitForBuildPhaseAsync(ns, "httpd-example-1", "Complete", WaitTimeout);

        var seen = reviews.Where(r => r.Build == "httpd-example-1").ToList();
        Assert.Equal(("CREATE", "New"), (seen[0].Operation, seen[0].Phase));
        Assert.All(seen.Skip(1), r => Assert.Equal("UPDATE", r.Operation));
        Assert.Equal(["Pending", "Running", "Complete"], seen.Skip(1).Select(r => r.Phase).Distinct().ToArray());
    }

    /// <summary>An HTTPS admission webhook on 127.0.0.1 with a self-signed certificate, allowing everything and recording what it saw.</summary>
    private sealed class RecordingWebhook : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly X509Certificate2 _certificate;

        private RecordingWebhook(WebApplication app, X509Certificate2 certificate, string url)
        {
            _app = app;
            _certificate = certificate;
            Url = url;
        }

        public string Url { get; }
        public string CertificatePem => _certificate.ExportCertificatePem();

        public static async Task<RecordingWebhook> StartAsync(ConcurrentQueue<(string Operation, string Build, string Phase)> reviews)
        {
            var certificate = SelfSignedLoopbackCertificate();
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
                    ["response"] = new JsonObject { ["uid"] = request.Str("uid"), ["allowed"] = true },
                }.ToJsonString());
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new RecordingWebhook(app, certificate, $"https://127.0.0.1:{new Uri(address).Port}/admit");
        }

        private static X509Certificate2 SelfSignedLoopbackCertificate()
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=recording-webhook", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
            // Kestrel on Linux needs the key in an exportable, loadable form.
            return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _certificate.Dispose();
        }
    }
}
