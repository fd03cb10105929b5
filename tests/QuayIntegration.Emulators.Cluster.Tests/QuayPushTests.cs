using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Builds;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using QuayIntegration.Emulators.Quay;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>
/// Builds with a DockerImage output pushed to the emulated Quay over the registry v2 protocol (token auth, TLS trusted
/// through the configured CA), with the robot credentials found on the build service account as the operator puts them.
/// </summary>
public sealed class QuayPushTests(ITestOutputHelper output)
{
    private const string AdminToken = "quay-admin-token";

    [Fact]
    public async Task DockerImageOutput_PushedWithTheBuilderRobot_CompletesWithTheDigest_AndTheTagIsInQuay()
    {
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("admin", AdminToken, superuser: true));
        await using var cluster = await StartClusterAsync(o => o.RegistryCaCertificatesPem.Add(quay.CaCertificatePem));
        using var admin = quay.CreateHttpClient(AdminToken);
        var ns = UniqueName("push");
        var robot = await CreateOrgRepoAndRobotAsync(admin, ns, "app", role: "write");
        await cluster.Oc.NewProjectAsync(ns);
        await PutRobotSecretOnBuilderAsync(cluster, ns, $"builder-quay-{ns}", quay.RegistryHost, robot);

        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "app-1", DockerImageOutput($"{quay.RegistryHost}/{ns}/app:latest"));

        var build = await cluster.Oc.WaitForBuildPhaseAsync(ns, "app-1", "Complete", WaitTimeout);
        var digest = build.Str("status", "output", "to", "imageDigest");
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);
        Assert.Equal($"{quay.RegistryHost}/{ns}/app:latest", build.Str("status", "outputDockerImageReference"));
        Assert.Equal($"builder-quay-{ns}", build.Str("spec", "output", "pushSecret", "name"));

        var tags = await admin.GetFromJsonAsync<JsonObject>($"api/v1/repository/{ns}/app/tag/");
        var latest = tags!["tags"]!.AsArray().OfType<JsonObject>().Single(t => t.Str("name") == "latest");
        Assert.Equal(digest, latest.Str("manifest_digest"));
    }

    [Fact]
    public async Task PushSecret_IsTheOneMatchingTheRegistry_EvenAfterTheIntegratedRegistrySecret()
    {
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("admin", AdminToken, superuser: true));
        await using var cluster = await StartClusterAsync(o =>
        {
            o.RegistryCaCertificatesPem.Add(quay.CaCertificatePem);
            o.InternalRegistryPullSecrets = true;
        });
        using var admin = quay.CreateHttpClient(AdminToken);
        var ns = UniqueName("match");
        var robot = await CreateOrgRepoAndRobotAsync(admin, ns, "app", role: "write");
        await cluster.Oc.NewProjectAsync(ns);
        var dockercfg = await WaitForAsync(async ct =>
        {
            var sa = await cluster.Oc.WaitForServiceAccountAsync(ns, "builder", WaitTimeout, ct);
            return sa.ImagePullSecrets?.FirstOrDefault()?.Name;
        }, "the integrated registry pull secret on builder");
        await PutRobotSecretOnBuilderAsync(cluster, ns, "robot", quay.RegistryHost, robot);

        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "app-1", DockerImageOutput($"{quay.RegistryHost}/{ns}/app:latest"));

        var build = await cluster.Oc.WaitForBuildPhaseAsync(ns, "app-1", "Complete", WaitTimeout);
        Assert.StartsWith("builder-dockercfg-", dockercfg);
        Assert.Equal("robot", build.Str("spec", "output", "pushSecret", "name"));
    }

    [Fact]
    public async Task DockerImageOutput_WithAReadOnlyRobot_FailsWithPushImageToRegistryFailed()
    {
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("admin", AdminToken, superuser: true));
        await using var cluster = await StartClusterAsync(o => o.RegistryCaCertificatesPem.Add(quay.CaCertificatePem));
        using var admin = quay.CreateHttpClient(AdminToken);
        var ns = UniqueName("deny");
        var robot = await CreateOrgRepoAndRobotAsync(admin, ns, "app", role: "read");
        await cluster.Oc.NewProjectAsync(ns);
        await PutRobotSecretOnBuilderAsync(cluster, ns, $"builder-quay-{ns}", quay.RegistryHost, robot);

        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "app-1", DockerImageOutput($"{quay.RegistryHost}/{ns}/app:latest"));

        var failed = await cluster.Oc.WaitForBuildPhaseAsync(ns, "app-1", "Failed", WaitTimeout);
        Assert.Equal(BuildRunner.PushImageToRegistryFailedReason, failed.Str("status", "reason"));
        var message = failed.Str("status", "message")!;
        output.WriteLine(message);
        Assert.StartsWith("Failed to push the image to the registry: ", message);
        Assert.Contains("no push permission", message);
        Assert.Null(failed.At("status", "output"));
        var tags = await admin.GetFromJsonAsync<JsonObject>($"api/v1/repository/{ns}/app/tag/");
        Assert.Empty(tags!["tags"]!.AsArray());
    }

    [Fact]
    public async Task DockerImageOutput_WithNoCredentialsAtAll_Fails()
    {
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("admin", AdminToken, superuser: true));
        await using var cluster = await StartClusterAsync(o => o.RegistryCaCertificatesPem.Add(quay.CaCertificatePem));
        using var admin = quay.CreateHttpClient(AdminToken);
        var ns = UniqueName("anon");
        await CreateOrgRepoAndRobotAsync(admin, ns, "app", role: "write");
        await cluster.Oc.NewProjectAsync(ns);
        await cluster.Oc.WaitForServiceAccountAsync(ns, "builder", WaitTimeout);

        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "app-1", DockerImageOutput($"{quay.RegistryHost}/{ns}/app:latest"));

        var failed = await cluster.Oc.WaitForBuildPhaseAsync(ns, "app-1", "Failed", WaitTimeout);
        Assert.Equal(BuildRunner.PushImageToRegistryFailedReason, failed.Str("status", "reason"));
        Assert.Null(failed.Str("spec", "output", "pushSecret", "name"));
        output.WriteLine(failed.Str("status", "message"));
        Assert.Contains("has no credentials for", failed.Str("status", "message"));
    }

    [Fact]
    public async Task DockerImageOutput_WithAWrongRobotToken_FailsNamingTheRejectedCredentials()
    {
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("admin", AdminToken, superuser: true));
        await using var cluster = await StartClusterAsync(o => o.RegistryCaCertificatesPem.Add(quay.CaCertificatePem));
        using var admin = quay.CreateHttpClient(AdminToken);
        var ns = UniqueName("wrong");
        var robot = await CreateOrgRepoAndRobotAsync(admin, ns, "app", role: "write");
        await cluster.Oc.NewProjectAsync(ns);
        await PutRobotSecretOnBuilderAsync(cluster, ns, "stale-robot", quay.RegistryHost, (robot.Name, "not-the-token"));

        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "app-1", DockerImageOutput($"{quay.RegistryHost}/{ns}/app:latest"));

        var failed = await cluster.Oc.WaitForBuildPhaseAsync(ns, "app-1", "Failed", WaitTimeout);
        Assert.Equal(BuildRunner.PushImageToRegistryFailedReason, failed.Str("status", "reason"));
        Assert.Contains($"rejected the credentials of \"{robot.Name}\" from secret \"stale-robot\"", failed.Str("status", "message"));
    }

    [Fact]
    public async Task RegistryWhoseCaIsNotTrusted_FailsTheBuild()
    {
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("admin", AdminToken, superuser: true));
        await using var cluster = await StartClusterAsync(); // the Quay CA is not among the trusted ones
        using var admin = quay.CreateHttpClient(AdminToken);
        var ns = UniqueName("tls");
        var robot = await CreateOrgRepoAndRobotAsync(admin, ns, "app", role: "write");
        await cluster.Oc.NewProjectAsync(ns);
        await PutRobotSecretOnBuilderAsync(cluster, ns, "robot", quay.RegistryHost, robot);

        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "app-1", DockerImageOutput($"{quay.RegistryHost}/{ns}/app:latest"));

        var failed = await cluster.Oc.WaitForBuildPhaseAsync(ns, "app-1", "Failed", WaitTimeout);
        output.WriteLine(failed.Str("status", "message"));
        Assert.Contains($"cannot reach the registry {quay.RegistryHost}: its TLS certificate is not trusted", failed.Str("status", "message"));
    }

    [Fact]
    public async Task ExplicitPushSecret_IsUsed_AndAMissingOneKeepsTheBuildPending()
    {
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions().WithUserToken("admin", AdminToken, superuser: true));
        await using var cluster = await StartClusterAsync(o => o.RegistryCaCertificatesPem.Add(quay.CaCertificatePem));
        using var admin = quay.CreateHttpClient(AdminToken);
        var ns = UniqueName("explicit");
        var robot = await CreateOrgRepoAndRobotAsync(admin, ns, "app", role: "write");
        await cluster.Oc.NewProjectAsync(ns);

        var output = DockerImageOutput($"{quay.RegistryHost}/{ns}/app:v2");
        output["pushSecret"] = new JsonObject { ["name"] = "my-push-secret" };
        await BuildRunnerTests.CreateBuildAsync(cluster, ns, "app-1", output);

        var pending = await WaitForAsync(async ct =>
        {
            var build = await cluster.Oc.GetBuildAsync(ns, "app-1", ct);
            return build?.Str("status", "reason") == BuildRunner.MissingPushSecretReason ? build : null;
        }, "the MissingPushSecret reason");
        Assert.Equal("Pending", pending.Str("status", "phase"));

        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(RobotSecret("my-push-secret", quay.RegistryHost, robot), ns);

        var build = await cluster.Oc.WaitForBuildPhaseAsync(ns, "app-1", "Complete", WaitTimeout);
        Assert.NotNull(build.Str("status", "output", "to", "imageDigest"));
    }

    private static JsonObject DockerImageOutput(string pullSpec) => new()
    {
        ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = pullSpec },
    };

    /// <summary>Through Quay's v1 REST API: organization, repository, robot with <paramref name="role"/> on it.</summary>
    private static async Task<(string Name, string Token)> CreateOrgRepoAndRobotAsync(HttpClient admin, string org, string repository, string role)
    {
        (await admin.PostAsJsonAsync("api/v1/organization/", new { name = org, email = $"{org}@example.com" })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("api/v1/repository", new { @namespace = org, repository, visibility = "private", description = "" })).EnsureSuccessStatusCode();
        var robotResponse = await admin.PutAsJsonAsync($"api/v1/organization/{org}/robots/builder", new { description = "pushes builds" });
        robotResponse.EnsureSuccessStatusCode();
        var robot = await robotResponse.Content.ReadFromJsonAsync<JsonObject>();
        var name = robot.Str("name")!;
        (await admin.PutAsJsonAsync($"api/v1/repository/{org}/{repository}/permissions/user/{name}", new { role })).EnsureSuccessStatusCode();
        return (name, robot.Str("token")!);
    }

    /// <summary>As the operator does: the robot's dockerconfigjson secret, listed in the builder SA's imagePullSecrets and secrets.</summary>
    private static async Task PutRobotSecretOnBuilderAsync(EmulatedCluster cluster, string ns, string secretName, string registryHost, (string Name, string Token) robot)
    {
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(RobotSecret(secretName, registryHost, robot), ns);
        var builder = await cluster.Oc.WaitForServiceAccountAsync(ns, "builder", WaitTimeout);
        builder.ImagePullSecrets = [.. builder.ImagePullSecrets ?? [], new V1LocalObjectReference { Name = secretName }];
        builder.Secrets = [.. builder.Secrets ?? [], new V1ObjectReference { Name = secretName }];
        await cluster.Client.CoreV1.ReplaceNamespacedServiceAccountAsync(builder, "builder", ns);
    }

    private static V1Secret RobotSecret(string name, string registryHost, (string Name, string Token) robot) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Type = DockerCredentials.DockerConfigJsonType,
        Data = new Dictionary<string, byte[]>
        {
            [".dockerconfigjson"] = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["auths"] = new JsonObject
                {
                    [registryHost] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{robot.Name}:{robot.Token}")) },
                },
            }.ToJsonString()),
        },
    };
}
