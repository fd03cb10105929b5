using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// The operator's robot Secrets are brought back to what they must hold whatever was done to them through the API.
/// </summary>
public sealed class RobotSecretRepairTests
{
    /// <summary>
    /// Review of b38c556 (helper-126): a robot Secret marked <c>immutable</c> (by hand, or by a policy that marks
    /// Secrets so) could not be patched: after a rotation its data patch was refused (422) at every retry while Quay had
    /// already invalidated the login it held, and pulls and pushes with it failed until someone deleted it. It is the
    /// operator's, so it is written again as a whole.
    /// </summary>
    [Fact]
    public async Task A_robot_Secret_marked_immutable_gets_the_new_token_after_a_rotation()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("frozen"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("frozen");
        await Eventually(() => env.IsSeededAsync("frozen", "openshift_frozen"), "set up");
        await env.Kube.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"immutable":true}""", V1Patch.PatchType.MergePatch), "builder-quay-openshift", "frozen");

        var before = env.Quay.State.Organization("openshift_frozen")!.Robots.ToDictionary(r => r.Name, r => r.Token);
        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"2026-12-07T23:00:00Z"}}}""",
            V1Patch.PatchType.MergePatch), "frozen");
        await Eventually(async () => env.Quay.State.Organization("openshift_frozen")!.Robots.All(r => r.Token != before[r.Name])
                                     && await env.IsSeededAsync("frozen", "openshift_frozen"), "new tokens in Quay and in every Secret, the immutable one too");
        var builder = await env.Kube.CoreV1.ReadNamespacedSecretAsync("builder-quay-openshift", "frozen");
        Assert.NotEqual(true, builder.Immutable);
        Assert.Equal("Synced", (await env.GetRecordAsync("frozen"))?["status"]?["phase"]?.GetValue<string>());
    }
}
