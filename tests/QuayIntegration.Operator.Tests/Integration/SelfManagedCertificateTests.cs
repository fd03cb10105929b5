using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using QuayIntegration.Operator.Tests.Support;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>Self-managed certificate mode from an empty cluster: no certificate files, no caBundle, no Secret.</summary>
[Collection(OperatorCollection.Name)]
public sealed class SelfManagedCertificateTests
{
    [Fact]
    public async Task Operator_creates_its_ca_and_certificate_publishes_the_ca_bundle_and_renews_before_expiry()
    {
        var certDir = Directory.CreateTempSubdirectory("self-managed-").FullName;
        try
        {
            await using var env = await OperatorEnvironment.StartAsync();
            await env.CreateNamespaceAsync(WebhookSetup.ServiceNamespace);
            await WebhookSetup.InstallConfigurationAsync(env, caPem: null, BuildWebhookTests.AllNamespacesButOperators);
            var op = await env.StartOperatorAsync("operator-1",
                "--Operator:Webhook:Disabled=false", "--Operator:Webhook:Port=0", "--Operator:Webhook:CertDir=" + certDir,
                "--webhook-cert-mode=self-managed", "--Operator:Webhook:ServiceNamespace=" + WebhookSetup.ServiceNamespace,
                // Serving certificates live 10 s (valid from 5 min before issue) and are renewed 5 s before expiry.
                "--Operator:Webhook:CertificateValidity=00:05:10", "--Operator:Webhook:RenewBefore=00:00:05",
                "--Operator:Webhook:RecheckInterval=00:00:00.500");
            WebhookSetup.MapService(env, op);

            V1Secret? secret = null;
            await OperatorEnvironment.Eventually(async () => (secret = await env.GetSecretAsync(WebhookSetup.ServiceNamespace, "quay-integration-webhook")) is not null,
                "the certificate Secret");
            var caPem = Encoding.UTF8.GetString(secret!.Data["ca.crt"]);
            await OperatorEnvironment.Eventually(async () =>
                (await env.Kube.AdmissionregistrationV1.ReadMutatingWebhookConfigurationAsync(WebhookSetup.ConfigurationName)).Webhooks[0].ClientConfig.CaBundle is { } ca
                && Encoding.UTF8.GetString(ca) == caPem, "the caBundle to hold the operator's CA");
            Assert.True(File.Exists(Path.Combine(certDir, "apiserver.crt")));

            // The API server verifies the served certificate against the published CA for quay-integration.quay-integration.svc.
            await env.CreateNamespaceAsync("app");
            await OperatorEnvironment.Eventually(() => env.IsSeededAsync("app", "openshift_app"), "app to be set up");
            var build = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
            Assert.Equal("DockerImage", build["spec"]!["output"]!["to"]!["kind"]!.GetValue<string>());

            // Renewal before expiry: a new serving certificate from the same CA, served without a restart.
            var first = Encoding.UTF8.GetString(secret.Data["tls.crt"]);
            string? renewed = null;
            await OperatorEnvironment.Eventually(async () =>
            {
                renewed = Encoding.UTF8.GetString((await env.GetSecretAsync(WebhookSetup.ServiceNamespace, "quay-integration-webhook"))!.Data["tls.crt"]);
                return renewed != first;
            }, "the serving certificate to be renewed", TimeSpan.FromSeconds(20));
            using var renewedCertificate = X509Certificate2.CreateFromPem(renewed!);
            await OperatorEnvironment.Eventually(async () =>
            {
                string? served = null;
                using var http = WebhookSetup.ClientTrusting(caPem, c => served = c.SerialNumber);
                try { await http.PostAsync(op.WebhookUrl + "/admissionwebhook", new StringContent("{}")); } catch (HttpRequestException) { }
                return served == renewedCertificate.SerialNumber;
            }, "the renewed certificate to be served", TimeSpan.FromSeconds(10));
            build = await BuildWebhookTests.CreateBuildAsync(env, "app", BuildWebhookTests.ImageStreamTagOutput("app:v2"));
            Assert.Equal("DockerImage", build["spec"]!["output"]!["to"]!["kind"]!.GetValue<string>());
        }
        finally
        {
            try { Directory.Delete(certDir, recursive: true); } catch (IOException) { }
        }
    }
}
