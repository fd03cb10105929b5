using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Testing;
using QuayIntegration.Operator.Tests.Support;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>The ownership records' writes against the emulated API server, with the QuayNamespace CRD as deployed.</summary>
public sealed class OwnershipRecordsTests : IAsyncLifetime
{
    private EmulatedApiServer _world = null!;
    private Informer<QuayNamespaceResource> _cache = null!;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _world = await EmulatedApiServer.StartAsync();
        await _world.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(
            await File.ReadAllTextAsync(Path.Combine(OperatorEnvironment.RepoRoot(), "deploy", "base", "crds", "quay.redhat.com_quaynamespaces.yaml"))));
        _cache = new Informer<QuayNamespaceResource>(_world.Api, new InformerSpec(ApiResources.QuayNamespaces), TimeSpan.Zero, NullLogger.Instance);
        _running = _cache.RunAsync(_stop.Token);
        await _cache.WaitForSyncAsync(_stop.Token).WaitAsync(TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running; } catch (OperationCanceledException) { }
        await _world.DisposeAsync();
    }

    /// <summary>
    /// A write of the status alone leaves what the reconcile noted in the record since its last save unsaved, so the
    /// record's next save writes it. (It passed the whole draft for saved: a robot created just before a rotation's
    /// early status write was left out of the record by the saves after it.)
    /// </summary>
    [Fact]
    public async Task A_status_write_leaves_the_records_unsaved_changes_to_its_next_save()
    {
        var records = new OwnershipRecords(_cache, _world.Api);
        var draft = records.Draft("team");
        draft.SetOrganization("quay.example.com", "openshift_team", Origin.Created);
        await records.SaveAsync(draft, hold: true, default);

        draft.Organization("quay.example.com", "openshift_team")!.SetRobot("openshift_team+pipeline", "pipeline", Origin.Created);
        await records.SaveStatusAsync(draft, new QuayNamespaceStatus { Phase = NamespacePhase.Pending }, default);
        Assert.True(draft.HasUnsavedChanges);
        await records.SaveAsync(draft, hold: true, default);

        var stored = await _world.Api.GetAsync<QuayNamespaceResource>(ApiResources.QuayNamespaces.ObjectPath(null, "team"), default);
        Assert.Equal(NamespacePhase.Pending, stored!.Status?.Phase);
        Assert.Contains(stored.Spec.Organizations!.Single().Robots ?? [], r => r.Name == "openshift_team+pipeline" && r.Origin == Origin.Created);
    }

    /// <summary>
    /// After a status write, a spec someone else changed meanwhile still meets a conflict at the record's next save,
    /// rather than being replaced: the status patch carries no resourceVersion, so its answer's version is not taken
    /// for the draft's while the spec moved on.
    /// </summary>
    [Fact]
    public async Task A_status_write_does_not_take_over_a_spec_someone_else_changed()
    {
        var records = new OwnershipRecords(_cache, _world.Api);
        var draft = records.Draft("other");
        draft.SetOrganization("quay.example.com", "openshift_other", Origin.Created);
        await records.SaveAsync(draft, hold: true, default);

        await _world.Client.CustomObjects.PatchClusterCustomObjectAsync(new V1Patch(
            """{"spec":{"secrets":[{"name":"someone-elses","serviceAccount":"theirs"}]}}""", V1Patch.PatchType.MergePatch), "quay.redhat.com", "v1", "quaynamespaces", "other");
        draft.Organization("quay.example.com", "openshift_other")!.SetRobot("openshift_other+pipeline", "pipeline", Origin.Created);
        await records.SaveStatusAsync(draft, new QuayNamespaceStatus { Phase = NamespacePhase.Pending }, default);

        await Assert.ThrowsAnyAsync<Exception>(() => records.SaveAsync(draft, hold: true, default));
        var stored = await _world.Api.GetAsync<QuayNamespaceResource>(ApiResources.QuayNamespaces.ObjectPath(null, "other"), default);
        Assert.Contains(stored!.Spec.Secrets ?? [], s => s.Name == "someone-elses");
    }
}
