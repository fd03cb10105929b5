using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Controllers;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>Service accounts and security annotations arrive after the namespace, as separate MODIFIED/ADDED events.</summary>
public sealed class NamespaceControllersTests
{
    private static readonly string[] SccAnnotations =
    [
        NamespaceSecurityAllocationController.UidRangeAnnotation,
        NamespaceSecurityAllocationController.SupplementalGroupsAnnotation,
        NamespaceSecurityAllocationController.McsAnnotation,
    ];

    [Fact]
    public async Task NewProject_GetsServiceAccounts_ThenSccAnnotationsInALaterModifiedEvent()
    {
        await using var cluster = await StartClusterAsync();
        var name = UniqueName("proj");
        await using var events = await NamespaceEventRecorder.StartAsync(cluster.Client, name);

        await cluster.Oc.NewProjectAsync(name, "Display", "Description");

        foreach (var serviceAccount in new[] { "default", "builder", "deployer" })
        {
            await cluster.Oc.WaitForServiceAccountAsync(name, serviceAccount, WaitTimeout);
        }
        var annotated = await WaitForAsync(async ct =>
        {
            var ns = await cluster.Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct);
            return SccAnnotations.All(a => ns.Metadata.Annotations?.ContainsKey(a) ?? false) ? ns : null;
        }, $"sa.scc annotations on {name}");

        var uidRange = annotated.Metadata.Annotations[NamespaceSecurityAllocationController.UidRangeAnnotation];
        Assert.Matches(@"^\d+/10000$", uidRange);
        Assert.Equal(uidRange, annotated.Metadata.Annotations[NamespaceSecurityAllocationController.SupplementalGroupsAnnotation]);
        Assert.Matches(@"^s0:c\d+,c\d+$", annotated.Metadata.Annotations[NamespaceSecurityAllocationController.McsAnnotation]);

        await WaitForAsync(_ => Task.FromResult(events.Events.Any(e => e.Type == WatchEventType.Modified && HasScc(e.Namespace)) ? (object)true : null),
            "a MODIFIED event carrying the annotations");
        var (firstType, first) = events.Events.First();
        Assert.Equal(WatchEventType.Added, firstType);
        Assert.False(HasScc(first), "the annotations must not be there at CREATE");
    }

    [Fact]
    public async Task EveryNamespace_GetsDistinctUidRanges()
    {
        await using var cluster = await StartClusterAsync();
        var names = new[] { UniqueName("a"), UniqueName("b"), UniqueName("c") };
        foreach (var name in names)
        {
            await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        }
        var ranges = new List<string>();
        foreach (var name in names)
        {
            var ns = await WaitForAsync(async ct =>
            {
                var current = await cluster.Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct);
                return HasScc(current) ? current : null;
            }, $"annotations on {name}");
            ranges.Add(ns.Metadata.Annotations[NamespaceSecurityAllocationController.UidRangeAnnotation]);
            await cluster.Oc.WaitForServiceAccountAsync(name, "default", WaitTimeout);
        }
        Assert.Equal(ranges.Count, ranges.Distinct().Count());
    }

    [Fact]
    public async Task CapabilitiesOff_NoBuilderNorDeployer_ButDefaultAndAnnotations()
    {
        await using var cluster = await StartClusterAsync(o =>
        {
            o.BuildCapability = false;
            o.DeploymentConfigCapability = false;
        });
        var name = UniqueName("nocap");
        await cluster.Oc.NewProjectAsync(name);

        await cluster.Oc.WaitForServiceAccountAsync(name, "default", WaitTimeout);
        await WaitForAsync(async ct => HasScc(await cluster.Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct)) ? (object)true : null,
            "annotations, the sign the controllers have seen the namespace");

        Assert.False(await ExistsAsync(() => cluster.Client.CoreV1.ReadNamespacedServiceAccountAsync("builder", name)));
        Assert.False(await ExistsAsync(() => cluster.Client.CoreV1.ReadNamespacedServiceAccountAsync("deployer", name)));
    }

    [Fact]
    public async Task DeletedDefaultServiceAccount_IsRecreated()
    {
        await using var cluster = await StartClusterAsync();
        var name = UniqueName("recreate");
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        var original = await cluster.Oc.WaitForServiceAccountAsync(name, "default", WaitTimeout);

        await cluster.Client.CoreV1.DeleteNamespacedServiceAccountAsync("default", name);

        await WaitForAsync(async ct =>
        {
            var sa = await cluster.Oc.WaitForServiceAccountAsync(name, "default", WaitTimeout, ct);
            return sa.Metadata.Uid != original.Metadata.Uid ? sa : null;
        }, "a new default service account");
    }

    [Fact]
    public async Task RegistryPullSecrets_AreCreatedAndListedInBothLists()
    {
        await using var cluster = await StartClusterAsync(o => o.InternalRegistryPullSecrets = true);
        var name = UniqueName("pull");
        await cluster.Oc.NewProjectAsync(name);

        var builder = await WaitForAsync(async ct =>
        {
            var sa = await cluster.Oc.WaitForServiceAccountAsync(name, "builder", WaitTimeout, ct);
            return sa.Metadata.Annotations?.ContainsKey(RegistryPullSecretController.PullSecretRefAnnotation) == true ? sa : null;
        }, "builder's pull secret");

        var secretName = builder.Metadata.Annotations[RegistryPullSecretController.PullSecretRefAnnotation];
        Assert.Matches("^builder-dockercfg-[a-z0-9]{5}$", secretName);
        Assert.Contains(builder.Secrets, s => s.Name == secretName);
        Assert.Contains(builder.ImagePullSecrets, s => s.Name == secretName);
        var secret = await cluster.Client.CoreV1.ReadNamespacedSecretAsync(secretName, name);
        Assert.Equal("kubernetes.io/dockercfg", secret.Type);
        Assert.Contains("image-registry.openshift-image-registry.svc:5000", System.Text.Encoding.UTF8.GetString(secret.Data[".dockercfg"]));

        // Someone (say, an operator doing GET-then-PUT) drops the entry: the platform puts it back.
        builder.ImagePullSecrets = [];
        await cluster.Client.CoreV1.ReplaceNamespacedServiceAccountAsync(builder, "builder", name);
        await WaitForAsync(async ct =>
        {
            var sa = await cluster.Client.CoreV1.ReadNamespacedServiceAccountAsync("builder", name, cancellationToken: ct);
            return sa.ImagePullSecrets?.Any(s => s.Name == secretName) == true ? sa : null;
        }, "the pull secret back in imagePullSecrets");
    }

    private static bool HasScc(V1Namespace ns) => SccAnnotations.All(a => ns.Metadata.Annotations?.ContainsKey(a) ?? false);
}
