using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Controllers;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>
/// certificates.k8s.io/v1 CertificateSigningRequests end to end: hack/webhook-create-signed-cert.sh, unchanged, with
/// the real openssl and kubectl from PATH (kubectl create, certificate approve, get -o jsonpath, apply, patch) against
/// the emulated cluster, whose csrsigning controller signs with the cluster CA; the Secret it writes must be a serving
/// certificate for the webhook Service that the API server then trusts through the caBundle the script set.
/// </summary>
public sealed class WebhookCertificateScriptTests
{
    private const string Namespace = "quay-integration";
    private const string ServiceName = "quay-integration";

    [Fact]
    public async Task The_script_gets_a_signed_serving_certificate_that_the_api_server_trusts_through_the_caBundle()
    {
        var home = Directory.CreateTempSubdirectory("csr-script-").FullName;
        try
        {
            await using var cluster = await StartClusterAsync();
            var (exit, output) = await RunAsync(cluster.KubeconfigPath, home, "kubectl", "apply", "-k", Path.Combine(RepoRoot(), "deploy"));
            Assert.True(exit == 0, output);

            (exit, output) = await RunAsync(cluster.KubeconfigPath, home, "bash", Path.Combine(RepoRoot(), "hack", "webhook-create-signed-cert.sh"));
            Assert.True(exit == 0, output);
            Assert.Contains($"webhook certificate for {ServiceName}.{Namespace}.svc stored in secret {Namespace}/quay-integration-webhook", output);

            // The CSR went the whole way: created by the admin, approved by kubectl, issued by the signer.
            var csr = await cluster.Client.CertificatesV1.ReadCertificateSigningRequestAsync($"{ServiceName}.{Namespace}");
            Assert.Equal("system:admin", csr.Spec.Username);
            var approved = Assert.Single(csr.Status.Conditions, c => c.Type == "Approved");
            Assert.Equal("KubectlApprove", approved.Reason);
            Assert.NotNull(approved.LastUpdateTime);

            // The Secret holds a serving certificate for the Service, from the cluster CA, with its private key.
            var secret = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("quay-integration-webhook", Namespace);
            using var certificate = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(secret.Data["apiserver.crt"]), Encoding.UTF8.GetString(secret.Data["apiserver.key"]));
            Assert.True(certificate.HasPrivateKey);
            Assert.True(certificate.MatchesHostname($"{ServiceName}.{Namespace}.svc"));
            Assert.Contains("1.3.6.1.5.5.7.3.1", certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
            using var ca = X509Certificate2.CreateFromPem(cluster.ApiServer.CaCertificatePem);
            using (var chain = new X509Chain())
            {
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
            }
            var configuration = await cluster.Client.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync("quay-integration");
            Assert.Equal(cluster.ApiServer.CaCertificatePem.Trim(), Encoding.UTF8.GetString(configuration.Webhooks[0].ClientConfig.CaBundle).Trim());

            // The API server calls the webhook behind the Service over TLS verified against that caBundle.
            var reviews = new ConcurrentQueue<string>();
            await using var webhook = await ServingWebhook.StartAsync(certificate, reviews);
            cluster.ApiServer.MapService(ServiceName, Namespace, 443, $"127.0.0.1:{webhook.Port}");
            var ns = UniqueName("managed");
            await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace
            {
                Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { ["quay.redhat.com/managed"] = "true" } },
            });
            await BuildRunnerTests.CreateBuildAsync(cluster, ns, "checked", output: null);
            Assert.Contains("checked", reviews);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task A_csr_the_signer_does_not_accept_fails_and_approval_needs_the_approve_verb_on_the_signer()
    {
        await using var cluster = await StartClusterAsync();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=not-a-node", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("svc.example");
        request.CertificateExtensions.Add(san.Build());
        await cluster.Client.CertificatesV1.CreateCertificateSigningRequestAsync(new V1CertificateSigningRequest
        {
            Metadata = new V1ObjectMeta { Name = "wrong-subject" },
            Spec = new V1CertificateSigningRequestSpec
            {
                SignerName = "kubernetes.io/kubelet-serving", Request = Encoding.UTF8.GetBytes(request.CreateSigningRequestPem()),
                Usages = ["digital signature", "key encipherment", "server auth"],
            },
        });

        // Approval by a user without "approve" on the signer is refused (CertificateApproval admission).
        cluster.ApiServer.AddUser("dev-token", "dev");
        await cluster.Client.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "csr-approval-only" },
            Rules = [new V1PolicyRule { ApiGroups = ["certificates.k8s.io"], Resources = ["certificatesigningrequests", "certificatesigningrequests/approval"], Verbs = ["get", "update"] }],
        });
        await cluster.Client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "dev-csr" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "csr-approval-only" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "dev" }],
        });
        var path = Path.Combine(Path.GetTempPath(), $"dev-{Guid.NewGuid():N}.kubeconfig");
        cluster.ApiServer.WriteKubeconfigForToken(path, "dev-token");
        try
        {
            using var dev = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
            var csr = await dev.CertificatesV1.ReadCertificateSigningRequestAsync("wrong-subject");
            csr.Status = new V1CertificateSigningRequestStatus { Conditions = [new V1CertificateSigningRequestCondition { Type = "Approved", Status = "True", Reason = "Test" }] };
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => dev.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(csr, "wrong-subject"));
            Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
            Assert.Equal("certificatesigningrequests.certificates.k8s.io \"wrong-subject\" is forbidden: user not permitted to approve requests with signerName \"kubernetes.io/kubelet-serving\"",
                (string?)JsonNode.Parse(e.Response.Content)!["message"]);
        }
        finally
        {
            File.Delete(path);
        }

        // The admin approves; the kubelet-serving signer refuses a subject that is not a node: Failed, no certificate.
        var approvable = await cluster.Client.CertificatesV1.ReadCertificateSigningRequestAsync("wrong-subject");
        approvable.Status = new V1CertificateSigningRequestStatus { Conditions = [new V1CertificateSigningRequestCondition { Type = "Approved", Status = "True", Reason = "Test" }] };
        await cluster.Client.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(approvable, "wrong-subject");
        var failed = await WaitForAsync(async ct =>
        {
            var current = await cluster.Client.CertificatesV1.ReadCertificateSigningRequestAsync("wrong-subject", cancellationToken: ct);
            return current.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed");
        }, "the signer to fail the CSR");
        Assert.Equal("SignerValidationFailure", failed.Reason);
        Assert.Equal("subject organization is not system:nodes", failed.Message);
        Assert.Null((await cluster.Client.CertificatesV1.ReadCertificateSigningRequestAsync("wrong-subject")).Status.Certificate);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string kubeconfig, string home, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["KUBECONFIG"] = kubeconfig;
        start.Environment["HOME"] = home; // kubectl's discovery cache, never the user's ~/.kube
        start.WorkingDirectory = RepoRoot();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuayIntegration.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    /// <summary>An admission webhook serving the script's certificate; it allows everything and records the Builds it saw.</summary>
    private sealed class ServingWebhook(WebApplication app, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        public static async Task<ServingWebhook> StartAsync(X509Certificate2 certificate, ConcurrentQueue<string> reviews)
        {
            // Through PKCS#12 so SslStream can use the key on every platform.
            var serving = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(serving)));
            var app = builder.Build();
            app.MapPost("/admissionwebhook", async context =>
            {
                var review = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
                var request = review["request"]!.AsObject();
                reviews.Enqueue((string?)request["object"]?["metadata"]?["name"] ?? "");
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(new JsonObject
                {
                    ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview",
                    ["response"] = new JsonObject { ["uid"] = (string?)request["uid"], ["allowed"] = true },
                }.ToJsonString());
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ServingWebhook(app, new Uri(address).Port);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
