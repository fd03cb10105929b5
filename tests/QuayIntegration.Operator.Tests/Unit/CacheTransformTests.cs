using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// Every cache's transform keeps each field that a reconciler, an event predicate, the event recorder or the webhook
/// reads from that cache, and drops the server's bookkeeping. A transform that trims more must keep these passing.
/// </summary>
public sealed class CacheTransformTests : IDisposable
{
    private static readonly JsonObject CommonMetadata = new()
    {
        ["name"] = "obj",
        ["uid"] = "0b0b0b0b-1111-2222-3333-444444444444",
        ["resourceVersion"] = "42",
        ["generation"] = 3,
        ["creationTimestamp"] = "2026-01-02T03:04:05Z",
        ["deletionTimestamp"] = "2026-01-02T03:05:05Z",
        ["labels"] = new JsonObject { [WellKnown.ManagedNamespaceLabel] = "true", [WellKnown.ManagedByLabel] = WellKnown.ManagedByValue },
        ["annotations"] = new JsonObject
        {
            [WellKnown.OrganizationAnnotation] = "openshift_obj",
            [WellKnown.OpenShiftSccMcs] = "s0:c26,c5",
            [CacheTransforms.LastAppliedAnnotation] = """{"kind":"Huge"}""",
        },
        ["finalizers"] = new JsonArray("quay.redhat.com/quayintegrations"),
        ["managedFields"] = new JsonArray(new JsonObject { ["manager"] = "kubectl", ["operation"] = "Apply", ["fieldsV1"] = new JsonObject { ["f:metadata"] = new JsonObject() } }),
    };

    /// <summary>Metadata every cache's readers use: identity, change detection (predicates) and Event references.</summary>
    private static readonly string[][] MetadataRead =
    [
        ["apiVersion"], ["kind"],
        ["metadata", "name"], ["metadata", "uid"], ["metadata", "resourceVersion"],
        ["metadata", "generation"], ["metadata", "creationTimestamp"], ["metadata", "deletionTimestamp"], ["metadata", "finalizers"],
        ["metadata", "labels", WellKnown.ManagedNamespaceLabel], ["metadata", "labels", WellKnown.ManagedByLabel],
        ["metadata", "annotations", WellKnown.OrganizationAnnotation], ["metadata", "annotations", WellKnown.OpenShiftSccMcs],
    ];

    private readonly KubeApi _api = new(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" });
    private readonly ClusterCaches _caches;

    public CacheTransformTests() =>
        _caches = new ClusterCaches(_api, Options.Create(new OperatorOptions()), NullLoggerFactory.Instance);

    public void Dispose() => _api.Dispose();

    private static JsonObject Object(string apiVersion, string kind, bool namespaced, JsonObject rest)
    {
        var metadata = CommonMetadata.DeepClone().AsObject();
        if (namespaced) metadata["namespace"] = "ns";
        var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };
        foreach (var (key, value) in rest) obj[key] = value?.DeepClone();
        return obj;
    }

    /// <summary>Round-trips <paramref name="source"/> through the cache's transform and checks what it kept.</summary>
    private static void AssertKeeps<T>(Informer<T> informer, JsonObject source, IEnumerable<string[]> read) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var cached = JsonNode.Parse(KubernetesJson.Serialize(informer.Transform(KubernetesJson.Deserialize<T>(source.ToJsonString()))))!;
        string[][] namespaced = At(source, ["metadata", "namespace"]) is null ? [] : [["metadata", "namespace"]];
        foreach (var path in MetadataRead.Concat(namespaced).Concat(read))
        {
            var expected = At(source, path);
            Assert.True(expected is not null, $"test object lacks {string.Join('.', path)}");
            Assert.True(JsonNode.DeepEquals(expected, At(cached, path)), $"{typeof(T).Name} cache dropped or changed {string.Join('.', path)}");
        }
        Assert.Null(At(cached, ["metadata", "managedFields"]));
        Assert.Null(At(cached, ["metadata", "annotations", CacheTransforms.LastAppliedAnnotation]));
    }

    private static JsonNode? At(JsonNode? node, string[] path)
    {
        foreach (var key in path) node = node is JsonObject o && o.TryGetPropertyValue(key, out var next) ? next : null;
        return node;
    }

    [Fact]
    public void Repeated_metadata_strings_are_cached_once()
    {
        var json = Object("v1", "ServiceAccount", namespaced: true, new JsonObject()).ToJsonString();
        var first = _caches.ServiceAccounts.Transform(KubernetesJson.Deserialize<V1ServiceAccount>(json));
        var second = _caches.ServiceAccounts.Transform(KubernetesJson.Deserialize<V1ServiceAccount>(json));

        Assert.Same(first.Metadata.NamespaceProperty, second.Metadata.NamespaceProperty);
        Assert.Same(first.Metadata.Labels.Keys.First(), second.Metadata.Labels.Keys.First());
        Assert.Same(first.Metadata.Annotations.Keys.First(), second.Metadata.Annotations.Keys.First());
    }

    [Fact]
    public void A_service_account_holds_each_secret_name_once()
    {
        var links = new JsonObject
        {
            ["secrets"] = new JsonArray(new JsonObject { ["name"] = "builder-dockercfg-x" }, new JsonObject { ["name"] = "builder-quay-openshift" }),
            ["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "builder-dockercfg-x" }, new JsonObject { ["name"] = "builder-quay-openshift" }),
        };
        var source = Object("v1", "ServiceAccount", namespaced: true, links);
        source["metadata"]!["annotations"]!["openshift.io/internal-registry-pull-secret-ref"] = "builder-dockercfg-x";
        var account = _caches.ServiceAccounts.Transform(KubernetesJson.Deserialize<V1ServiceAccount>(source.ToJsonString()));

        Assert.Same(account.Secrets[0].Name, account.ImagePullSecrets[0].Name);
        Assert.Same(account.Secrets[1].Name, account.ImagePullSecrets[1].Name);
        Assert.Same(account.Secrets[0].Name, account.Metadata.Annotations["openshift.io/internal-registry-pull-secret-ref"]);
        var cached = JsonNode.Parse(KubernetesJson.Serialize(account))!;
        Assert.True(JsonNode.DeepEquals(source["secrets"], cached["secrets"]), "the secrets list changed in the cache");
        Assert.True(JsonNode.DeepEquals(source["imagePullSecrets"], cached["imagePullSecrets"]), "the imagePullSecrets list changed in the cache");
    }

    [Fact]
    public void The_operators_secrets_share_their_host_and_service_account_annotations()
    {
        var source = Object("v1", "Secret", namespaced: true, new JsonObject());
        source["metadata"]!["annotations"] = new JsonObject
        {
            [WellKnown.QuayHostAnnotation] = "quay.example.com", [WellKnown.ServiceAccountAnnotation] = "builder", [WellKnown.RobotAnnotation] = "org+builder",
        };
        V1Secret Read() => _caches.Secrets.Transform(KubernetesJson.Deserialize<V1Secret>(source.ToJsonString()));
        var (first, second) = (Read(), Read());

        Assert.Same(first.Metadata.Annotations[WellKnown.QuayHostAnnotation], second.Metadata.Annotations[WellKnown.QuayHostAnnotation]);
        Assert.Same(first.Metadata.Annotations[WellKnown.ServiceAccountAnnotation], second.Metadata.Annotations[WellKnown.ServiceAccountAnnotation]);
        // Names unique to a namespace are not pooled.
        Assert.NotSame(first.Metadata.Annotations[WellKnown.RobotAnnotation], second.Metadata.Annotations[WellKnown.RobotAnnotation]);
    }

    [Fact]
    public void Ownership_records_share_the_strings_every_record_repeats_and_keep_their_content()
    {
        var source = Object("quay.redhat.com/v1", "QuayNamespace", namespaced: false, new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["namespaceUID"] = "u-1", ["integration"] = "quay",
                ["organizations"] = new JsonArray(new JsonObject
                {
                    ["host"] = "quay.example.com", ["name"] = "openshift_a", ["origin"] = "Created",
                    ["robots"] = new JsonArray(new JsonObject { ["name"] = "openshift_a+builder", ["serviceAccount"] = "builder", ["origin"] = "Created" }),
                    ["repositories"] = new JsonArray(new JsonObject { ["name"] = "app", ["origin"] = "Created" }),
                }),
                ["secrets"] = new JsonArray(new JsonObject { ["name"] = "builder-quay-openshift", ["serviceAccount"] = "builder" }),
            },
            ["status"] = new JsonObject
            {
                ["phase"] = "Synced", ["organization"] = "openshift_a", ["origin"] = "Created", ["integration"] = "quay",
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready", ["status"] = "True", ["reason"] = "Synced", ["message"] = "set up", ["lastTransitionTime"] = "2026-01-02T03:04:05Z",
                }),
            },
        });
        QuayNamespaceResource Read() => _caches.QuayNamespaces.Transform(KubernetesJson.Deserialize<QuayNamespaceResource>(source.ToJsonString()));
        var (first, second) = (Read(), Read());

        var (a, b) = (first.Spec.Organizations![0], second.Spec.Organizations![0]);
        Assert.Same(a.Host, b.Host);
        Assert.Same(a.Origin, b.Origin);
        Assert.Same(a.Robots![0].ServiceAccount, b.Robots![0].ServiceAccount);
        Assert.Same(a.Robots[0].Origin, b.Robots[0].Origin);
        Assert.Same(a.Repositories![0].Origin, b.Repositories![0].Origin);
        Assert.Same(first.Spec.Secrets![0].Name, second.Spec.Secrets![0].Name);
        Assert.Same(first.Spec.Integration, second.Spec.Integration);
        Assert.Same(first.Status!.Phase, second.Status!.Phase);
        Assert.Same(first.Status.Conditions![0].Reason, second.Status.Conditions![0].Reason);
        Assert.NotSame(a.Name, b.Name);
        Assert.NotSame(a.Robots[0].Name, b.Robots[0].Name);

        // The same content as the record read without the transform (the serializer's own defaults aside).
        var cached = JsonNode.Parse(KubernetesJson.Serialize(first))!;
        var plain = JsonNode.Parse(KubernetesJson.Serialize(KubernetesJson.Deserialize<QuayNamespaceResource>(source.ToJsonString())))!;
        Assert.True(JsonNode.DeepEquals(plain["spec"], cached["spec"]), "the record's spec changed in the cache");
        Assert.True(JsonNode.DeepEquals(plain["status"], cached["status"]), "the record's status changed in the cache");
    }

    [Fact]
    public void Namespaces_keep_what_the_reconcilers_and_the_webhook_read() =>
        AssertKeeps(_caches.Namespaces, Object("v1", "Namespace", namespaced: false, new JsonObject()), []);

    [Fact]
    public void Service_accounts_keep_their_secret_links_entry_by_entry()
    {
        // The link patch writes both lists back whole: a trimmed entry would be written back trimmed.
        var links = new JsonObject
        {
            ["secrets"] = new JsonArray(new JsonObject { ["kind"] = "Secret", ["name"] = "builder-dockercfg-x", ["namespace"] = "ns", ["uid"] = "u", ["fieldPath"] = "f" }),
            ["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "builder-dockercfg-x" }),
        };
        AssertKeeps(_caches.ServiceAccounts, Object("v1", "ServiceAccount", namespaced: true, links), [["secrets"], ["imagePullSecrets"]]);
    }

    [Fact]
    public void Secrets_keep_type_and_data_for_the_desired_state_comparison() =>
        AssertKeeps(_caches.Secrets, Object("v1", "Secret", namespaced: true, new JsonObject
        {
            ["type"] = RobotSecret.Type,
            ["data"] = new JsonObject { [RobotSecret.DataKey] = "eyJhdXRocyI6e319" },
        }), [["type"], ["data", RobotSecret.DataKey]]);

    [Fact]
    public void Image_streams_keep_their_metadata() =>
        AssertKeeps(_caches.ImageStreams, Object("image.openshift.io/v1", "ImageStream", namespaced: true, new JsonObject()), []);

    [Fact]
    public void Quay_integrations_keep_spec_and_status() =>
        AssertKeeps(_caches.QuayIntegrations, Object("quay.redhat.com/v1", "QuayIntegration", namespaced: false, new JsonObject
        {
            ["spec"] = new JsonObject { ["clusterID"] = "openshift", ["quayHostname"] = "https://quay", ["driftCheckInterval"] = "1h" },
            ["status"] = new JsonObject { ["observedGeneration"] = 3, ["syncedNamespaces"] = 7 },
        }), [["spec"], ["status", "observedGeneration"], ["status", "syncedNamespaces"]]);

    [Fact]
    public void Ownership_records_keep_spec_and_status() =>
        AssertKeeps(_caches.QuayNamespaces, Object("quay.redhat.com/v1", "QuayNamespace", namespaced: false, new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["namespaceUID"] = "u-1",
                ["organizations"] = new JsonArray(new JsonObject
                {
                    ["host"] = "quay.example.com", ["name"] = "openshift_a", ["origin"] = "Created",
                    ["robots"] = new JsonArray(new JsonObject { ["name"] = "openshift_a+builder", ["serviceAccount"] = "builder", ["origin"] = "Created" }),
                    ["repositories"] = new JsonArray(new JsonObject { ["name"] = "app", ["origin"] = "Found" }),
                }),
            },
            ["status"] = new JsonObject { ["phase"] = "Synced", ["organization"] = "openshift_a" },
        }), [["spec"], ["status", "phase"], ["status", "organization"]]);
}
