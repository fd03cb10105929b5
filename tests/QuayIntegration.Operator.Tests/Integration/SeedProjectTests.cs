using System.Net;
using k8s;
using QuayIntegration.Runtime;
using QuayIntegration.Operator.Tests.Support;

namespace QuayIntegration.Operator.Tests.Integration;

[Collection(ProcessWideCollection.Name)]
public sealed class SeedProjectTests
{
    [Fact]
    public async Task Project_gets_organization_robots_prototypes_secrets_and_linked_service_accounts()
    {
        await using var env = await OperatorEnvironment.StartAsync();
        var log = new CapturedLog();
        var op = await env.StartOperatorAsync("operator-1", log.OperatorArgs("QuayIntegration.Operator.Controllers.Namespaces.NamespaceReconciler"));
        await env.Cluster.Oc.NewProjectAsync("e2e-demo", "E2E demo", "seed walkthrough");

        await OperatorEnvironment.Eventually(() => env.IsSeededAsync("e2e-demo", "openshift_e2e-demo"), "the seed project to be set up");

        var org = env.Quay.State.Organization("openshift_e2e-demo")!;
        Assert.Equal(["openshift_e2e-demo+builder", "openshift_e2e-demo+default", "openshift_e2e-demo+deployer"], org.Robots.Select(r => r.Name).Order());
        Assert.Equal(["openshift_e2e-demo+builder=write", "openshift_e2e-demo+default=read", "openshift_e2e-demo+deployer=read"],
            org.Prototypes.Select(p => $"{p.DelegateName}={p.Role}").Order());
        var ns = (await env.GetNamespaceAsync("e2e-demo"))!;
        Assert.Contains("quay.redhat.com/quayintegrations", ns.Metadata.Finalizers);
        Assert.Equal("openshift_e2e-demo", ns.Metadata.Annotations["quay.redhat.com/organization"]);
        Assert.Equal("owned", ns.Metadata.Annotations["quay.redhat.com/organization-ownership"]);
        var secret = (await env.GetSecretAsync("e2e-demo", "builder-quay-openshift"))!;
        Assert.Equal("quay-integration-operator", secret.Metadata.Labels["app.kubernetes.io/managed-by"]);

        await OperatorEnvironment.Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready=True");
        // The counts follow the namespaces' outcomes within a second (OperatorControllers.StatusCountsWindow).
        await OperatorEnvironment.Eventually(async () => (await env.GetIntegrationAsync())?["status"]?["syncedNamespaces"]?.GetValue<int>() >= 1, "the namespace counted synced");
        var qi = (await env.GetIntegrationAsync())!;
        Assert.Equal("operator", qi["status"]!["quayUser"]!.GetValue<string>());
        Assert.Equal(qi["metadata"]!["generation"]!.GetValue<long>(), qi["status"]!["observedGeneration"]!.GetValue<long>());

        // Reserved namespaces are left alone.
        Assert.Null(env.Quay.State.Organization("openshift_default"));

        // Observability endpoints.
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(op.BaseUrl + "/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(op.BaseUrl + "/readyz")).StatusCode);
        var metrics = await http.GetStringAsync(op.BaseUrl + "/metrics");
        Assert.Contains("quayintegration_reconcile_total{controller=\"namespace\",outcome=", metrics);
        Assert.Contains("quayintegration_quay_requests_total{method=\"PUT\",route=\"/api/v1/organization/{org}/robots/{shortName}\"", metrics);
        Assert.True(op.Service<LeaderElector>().IsLeader);

        // Events were recorded for the namespace (cluster-scoped: in "default").
        await env.EventAsync("default", e => e.InvolvedObject.Name == "e2e-demo" && e.Reason == "OrganizationCreated", "the OrganizationCreated Event");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "e2e-demo" && e.Reason == "Synced", "the Synced Event");
        var events = await env.Kube.CoreV1.ListNamespacedEventAsync("default");
        // The first sync is reported as one Event naming everything it created, not one Event per object.
        var synced = Assert.Single(events.Items, e => e.InvolvedObject.Name == "e2e-demo" && e.Reason == "Synced");
        foreach (var part in new[] { "robot openshift_e2e-demo+builder", "robot openshift_e2e-demo+default", "robot openshift_e2e-demo+deployer",
                     "Secret builder-quay-openshift" })
            Assert.Contains(part, synced.Message);
        Assert.DoesNotContain(events.Items, e => e.InvolvedObject.Name == "e2e-demo" && e.Reason is "RobotCreated" or "SecretCreated");
        // And the log says it in one line, not one line per object.
        var lines = log.Rendered(Serilog.Events.LogEventLevel.Information).Where(m => m.Contains("e2e-demo", StringComparison.Ordinal)).ToList();
        var setUp = Assert.Single(lines, m => m.StartsWith("Namespace \"e2e-demo\" set up with Quay organization", StringComparison.Ordinal));
        foreach (var part in new[] { "robot openshift_e2e-demo+builder", "robot openshift_e2e-demo+deployer", "Secret builder-quay-openshift" })
            Assert.Contains(part, setUp);
        Assert.DoesNotContain(lines, m => m.Contains("Created Quay robot", StringComparison.Ordinal) && m != setUp);
    }
}
