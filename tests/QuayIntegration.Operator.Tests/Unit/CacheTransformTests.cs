using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Caching;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// Every cache's transform keeps each field that a reconciler, an event predicate, the event recorder or the webhook
/// reads from that cache, and drops the server's bookkeeping and what no reader of that cache uses. A transform that
/// trims more must keep these passing; a reader that starts using a dropped field must move it to the read list.
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

    /// <summary>What every cache keeps: the object's identity and the resourceVersion its patches are guarded by.</summary>
    private static readonly string[][] Identity = [["apiVersion"], ["kind"], ["metadata", "name"], ["metadata", "resourceVersion"]];

    private static readonly string[][] Uid = [["metadata", "uid"]];

    private static readonly string[][] LabelsAndAnnotations =
    [
        ["metadata", "labels", WellKnown.ManagedNamespaceLabel], ["metadata", "labels", WellKnown.ManagedByLabel],
        ["metadata", "annotations", WellKnown.OrganizationAnnotation], ["metadata", "annotations", WellKnown.OpenShiftSccMcs],
    ];

    /// <summary>
    /// The metadata of a cache whose readers may look at any of it: identity, change detection (predicates) and Event
    /// references (which carry the UID).
    /// </summary>
    private static readonly string[][] AllMetadata =
    [
        .. Identity, .. Uid, .. LabelsAndAnnotations,
        ["metadata", "generation"], ["metadata", "creationTimestamp"], ["metadata", "deletionTimestamp"], ["metadata", "finalizers"],
    ];

    private readonly KubeApi _api = new(new ClusterAccess(new Uri("http://127.0.0.1:1")));
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

    /// <summary>
    /// Round-trips <paramref name="source"/> through the cache's transform and checks that it kept what the cache's
    /// readers <paramref name="read"/> (the namespace too, for a namespaced object) and dropped what they never read.
    /// kubectl's last-applied annotation goes too, except from a cache whose objects are written back whole
    /// (<paramref name="writtenBackWhole"/>), where dropping it would delete it at the next write.
    /// </summary>
    private static void AssertKeeps<T>(Informer<T> informer, JsonObject source, IEnumerable<string[]> read, IEnumerable<string[]>? unread = null,
        bool writtenBackWhole = false)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var cached = JsonNode.Parse(KubernetesJson.Serialize(informer.Transform(KubernetesJson.Deserialize<T>(source.ToJsonString()))))!;
        string[][] namespaced = At(source, ["metadata", "namespace"]) is null ? [] : [["metadata", "namespace"]];
        foreach (var path in namespaced.Concat(read))
        {
            var expected = At(source, path);
            Assert.True(expected is not null, $"test object lacks {string.Join('.', path)}");
            Assert.True(JsonNode.DeepEquals(expected, At(cached, path)), $"{typeof(T).Name} cache dropped or changed {string.Join('.', path)}");
        }
        foreach (var path in unread ?? [])
        {
            Assert.True(At(source, path) is not null, $"test object lacks {string.Join('.', path)}");
            Assert.True(At(cached, path) is null, $"{typeof(T).Name} cache keeps {string.Join('.', path)}, which none of its readers uses");
        }
        Assert.Null(At(cached, ["metadata", "managedFields"]));
        var lastApplied = At(cached, ["metadata", "annotations", CacheTransforms.LastAppliedAnnotation]);
        if (writtenBackWhole) Assert.Equal("""{"kind":"Huge"}""", lastApplied?.GetValue<string>());
        else Assert.Null(lastApplied);
    }

    private static JsonNode? At(JsonNode? node, string[] path)
    {
        foreach (var key in path) node = node is JsonObject o && o.TryGetPropertyValue(key, out var next) ? next : null;
        return node;
    }

    [Fact]
    public void Repeated_metadata_strings_are_cached_once()
    {
        var json = Object("v1", "Secret", namespaced: true, new JsonObject()).ToJsonString();
        var first = ClusterCaches.ToCachedSecret(KubernetesJson.Deserialize<V1Secret>(json));
        var second = ClusterCaches.ToCachedSecret(KubernetesJson.Deserialize<V1Secret>(json));

        Assert.Same(first.Namespace, second.Namespace);
        Assert.Same(first.Labels!.Keys.First(), second.Labels!.Keys.First());
        Assert.Same(first.Annotations!.Keys.First(), second.Annotations!.Keys.First());
    }

    [Fact]
    public void Service_account_names_and_the_operators_secret_names_are_cached_once()
    {
        var links = new JsonObject
        {
            ["secrets"] = new JsonArray(new JsonObject { ["name"] = "builder-dockercfg-x" }, new JsonObject { ["name"] = "builder-quay-pooled-cluster" }),
        };
        var accountJson = Object("v1", "ServiceAccount", namespaced: true, links);
        accountJson["metadata"]!["name"] = "builder";
        var secretJson = Object("v1", "Secret", namespaced: true, new JsonObject());
        secretJson["metadata"]!["name"] = "builder-quay-pooled-cluster";
        CachedServiceAccount Account() => ClusterCaches.ToCachedServiceAccount(KubernetesJson.Deserialize<V1ServiceAccount>(accountJson.ToJsonString()));
        CachedSecret Secret() => ClusterCaches.ToCachedSecret(KubernetesJson.Deserialize<V1Secret>(secretJson.ToJsonString()));

        Assert.Same(Account().Name, Account().Name);
        var secret = Secret();
        Assert.Same(secret.Name, Secret().Name);
        var account = Account();
        // The operator's Secret, pooled by the Secret cache, is listed by that instance; a generated name is not pooled.
        Assert.Same(secret.Name, account.Secrets![1].Name);
        Assert.NotSame(account.Secrets[0].Name, Account().Secrets![0].Name);
    }

    [Fact]
    public void A_reference_holding_only_the_operators_secret_name_is_one_instance_for_every_service_account()
    {
        var links = new JsonObject
        {
            ["secrets"] = new JsonArray(new JsonObject { ["name"] = "deployer-dockercfg-y" }, new JsonObject { ["name"] = "deployer-quay-shared-cluster" },
                new JsonObject { ["kind"] = "Secret", ["name"] = "deployer-quay-shared-cluster" }),
            ["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "deployer-dockercfg-y" }, new JsonObject { ["name"] = "deployer-quay-shared-cluster" }),
        };
        var secretJson = Object("v1", "Secret", namespaced: true, new JsonObject());
        secretJson["metadata"]!["name"] = "deployer-quay-shared-cluster";
        ClusterCaches.ToCachedSecret(KubernetesJson.Deserialize<V1Secret>(secretJson.ToJsonString()));
        CachedServiceAccount Account(string ns)
        {
            var source = Object("v1", "ServiceAccount", namespaced: true, links);
            source["metadata"]!["namespace"] = ns;
            return ClusterCaches.ToCachedServiceAccount(KubernetesJson.Deserialize<V1ServiceAccount>(source.ToJsonString()));
        }

        var (first, second) = (Account("a"), Account("b"));
        Assert.Same(first.Secrets![1], second.Secrets![1]);
        Assert.Same(first.ImagePullSecrets![1], second.ImagePullSecrets![1]);
        // A generated name is not pooled, and a reference carrying more than the name is kept as it came.
        Assert.NotSame(first.Secrets[0], second.Secrets[0]);
        Assert.NotSame(first.ImagePullSecrets[0], second.ImagePullSecrets[0]);
        Assert.NotSame(first.Secrets[2], second.Secrets[2]);
        Assert.Equal("Secret", second.Secrets[2].Kind);
        Assert.True(JsonNode.DeepEquals(links["secrets"], Links(second)["secrets"]));
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
        var account = ClusterCaches.ToCachedServiceAccount(KubernetesJson.Deserialize<V1ServiceAccount>(source.ToJsonString()));

        Assert.Same(account.Secrets![0].Name, account.ImagePullSecrets![0].Name);
        Assert.Same(account.Secrets[1].Name, account.ImagePullSecrets[1].Name);
        // Arrays sized to their content, not lists with spare capacity.
        Assert.IsType<V1ObjectReference[]>(account.Secrets);
        Assert.IsType<V1LocalObjectReference[]>(account.ImagePullSecrets);
        var cached = Links(account);
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
        CachedSecret Read() => ClusterCaches.ToCachedSecret(KubernetesJson.Deserialize<V1Secret>(source.ToJsonString()));
        var (first, second) = (Read(), Read());

        Assert.Same(first.Annotations![WellKnown.QuayHostAnnotation], second.Annotations![WellKnown.QuayHostAnnotation]);
        Assert.Same(first.Annotations[WellKnown.ServiceAccountAnnotation], second.Annotations[WellKnown.ServiceAccountAnnotation]);
        // Names unique to a namespace are not pooled.
        Assert.NotSame(first.Annotations[WellKnown.RobotAnnotation], second.Annotations[WellKnown.RobotAnnotation]);
    }

    [Fact]
    public void Secrets_with_the_same_labels_share_one_label_map_that_no_later_version_changes()
    {
        V1Secret Source(JsonObject labels)
        {
            var source = Object("v1", "Secret", namespaced: true, new JsonObject());
            source["metadata"]!["labels"] = labels.DeepClone();
            return KubernetesJson.Deserialize<V1Secret>(source.ToJsonString());
        }
        JsonObject Ours() => new() { [WellKnown.ManagedByLabel] = WellKnown.ManagedByValue };
        var (first, second) = (ClusterCaches.ToCachedSecret(Source(Ours())), ClusterCaches.ToCachedSecret(Source(Ours())));
        Assert.Same(first.Labels, second.Labels);

        var extra = Ours();
        extra["team"] = "a";
        var other = ClusterCaches.ToCachedSecret(Source(extra));
        Assert.NotSame(first.Labels, other.Labels);
        Assert.Equal("a", other.Labels!["team"]);
        var labels = Assert.IsAssignableFrom<IDictionary<string, string>>(first.Labels);
        Assert.Single(labels);

        // A model cache whose transform shares label maps: an update taking instances from the version before it
        // leaves a shared map as it was, even when that version held other instances of the same values; and nothing
        // can write into it.
        var shared = CacheTransforms.ShareLabels(CacheTransforms.Compact(Source(Ours())));
        Assert.Same(labels, shared.Metadata.Labels);
        var snapshot = labels.ToList();
        var before = new V1Secret { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { [WellKnown.ManagedByLabel] = new(WellKnown.ManagedByValue.AsSpan()) } } };
        CacheTransforms.KeepUnchanged(before, shared);
        CacheTransforms.KeepUnchanged(CacheTransforms.ShareLabels(CacheTransforms.Compact(Source(extra))), shared);
        Assert.Equal(snapshot, labels.ToList());
        Assert.All(labels, l => Assert.Same(StringPool.Shared.Share(l.Value), l.Value));
        Assert.Throws<NotSupportedException>(() => labels["team"] = "b");
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
                    ["defaultPermissions"] = new JsonArray(new JsonObject { ["robot"] = "openshift_a+builder", ["id"] = "p-1" }),
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
        // Names a record repeats are held once within it.
        Assert.Same(a.Robots[0].Name, a.DefaultPermissions![0].Robot);
        Assert.Same(a.Name, first.Status.Organization);

        // The same content as the record read without the transform (the serializer's own defaults aside).
        var cached = JsonNode.Parse(KubernetesJson.Serialize(first))!;
        var plain = JsonNode.Parse(KubernetesJson.Serialize(KubernetesJson.Deserialize<QuayNamespaceResource>(source.ToJsonString())))!;
        Assert.True(JsonNode.DeepEquals(plain["spec"], cached["spec"]), "the record's spec changed in the cache");
        Assert.True(JsonNode.DeepEquals(plain["status"], cached["status"]), "the record's status changed in the cache");
    }

    [Fact]
    public void Namespaces_keep_what_the_reconcilers_and_the_webhook_read()
    {
        var source = Object("v1", "Namespace", namespaced: false, new JsonObject
        {
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        });
        var annotations = source["metadata"]!["annotations"]!.AsObject();
        annotations[WellKnown.OpenShiftDisplayName] = "Team A";
        annotations[WellKnown.OpenShiftDescription] = "what team A builds";
        annotations[WellKnown.RotateTokensAnnotation] = "2026-12-02T10:00:00Z";
        annotations[WellKnown.OwnershipAnnotation] = WellKnown.Ownership.Owned;
        annotations["openshift.io/sa.scc.uid-range"] = "1000670000/10000";
        annotations["openshift.io/requester"] = "alice";
        AssertKeeps(_caches.Namespaces, source,
            [.. AllMetadata, .. new[] { WellKnown.OpenShiftDisplayName, WellKnown.OpenShiftDescription, WellKnown.RotateTokensAnnotation, WellKnown.OwnershipAnnotation }
                .Select(key => new[] { "metadata", "annotations", key })],
            unread: [["metadata", "annotations", "openshift.io/sa.scc.uid-range"], ["metadata", "annotations", "openshift.io/requester"], ["spec"], ["status"]]);
    }

    [Fact]
    public void A_namespace_with_only_unread_annotations_keeps_none()
    {
        var source = Object("v1", "Namespace", namespaced: false, new JsonObject());
        source["metadata"]!["annotations"] = new JsonObject { ["openshift.io/requester"] = "alice" };
        Assert.Null(_caches.Namespaces.Transform(KubernetesJson.Deserialize<V1Namespace>(source.ToJsonString())).Metadata.Annotations);
    }

    [Fact]
    public void A_label_repeating_the_name_holds_the_names_instance()
    {
        var source = Object("v1", "Namespace", namespaced: false, new JsonObject());
        source["metadata"]!["name"] = "team-a-" + Guid.NewGuid().ToString("N");
        source["metadata"]!["labels"]!["kubernetes.io/metadata.name"] = source["metadata"]!["name"]!.GetValue<string>();
        var ns = _caches.Namespaces.Transform(KubernetesJson.Deserialize<V1Namespace>(source.ToJsonString()));

        Assert.Same(ns.Metadata.Name, ns.Metadata.Labels["kubernetes.io/metadata.name"]);
    }

    [Fact]
    public void Service_accounts_keep_their_secret_links_entry_by_entry()
    {
        // The link patch writes both lists back whole: a trimmed entry would be written back trimmed.
        var links = new JsonObject
        {
            ["secrets"] = new JsonArray(new JsonObject { ["kind"] = "Secret", ["name"] = "builder-dockercfg-x", ["namespace"] = "ns", ["uid"] = "u", ["fieldPath"] = "f" }),
            ["imagePullSecrets"] = new JsonArray(new JsonObject { ["name"] = "builder-dockercfg-x" }),
        };
        // Read for the name and the two lists only: the cached type holds nothing else (no UID, labels or annotations).
        var account = ClusterCaches.ToCachedServiceAccount(KubernetesJson.Deserialize<V1ServiceAccount>(Object("v1", "ServiceAccount", namespaced: true, links).ToJsonString()));
        Assert.Equal(("ns", "obj", "42"), (account.Namespace, account.Name, account.ResourceVersion));
        var cached = Links(account);
        Assert.True(JsonNode.DeepEquals(links["secrets"], cached["secrets"]), "the secrets list changed in the cache");
        Assert.True(JsonNode.DeepEquals(links["imagePullSecrets"], cached["imagePullSecrets"]), "the imagePullSecrets list changed in the cache");
    }

    /// <summary>The two lists of a cached service account, as the link patches write them back.</summary>
    private static JsonNode Links(CachedServiceAccount account) =>
        JsonNode.Parse(KubernetesJson.Serialize(new V1ServiceAccount { Secrets = account.Secrets?.ToList(), ImagePullSecrets = account.ImagePullSecrets?.ToList() }))!;

    [Fact]
    public void Secrets_keep_type_and_the_digest_of_their_data_for_the_desired_state_comparison()
    {
        var source = Object("v1", "Secret", namespaced: true, new JsonObject
        {
            ["type"] = RobotSecret.Type,
            ["data"] = new JsonObject { [RobotSecret.DataKey] = "eyJhdXRocyI6e319" },
        });
        var cached = ClusterCaches.ToCachedSecret(KubernetesJson.Deserialize<V1Secret>(source.ToJsonString()));
        Assert.Equal(("ns", "obj", "42", RobotSecret.Type), (cached.Namespace, cached.Name, cached.ResourceVersion, cached.Type));
        Assert.Equal(new Dictionary<string, string> { [WellKnown.ManagedNamespaceLabel] = "true", [WellKnown.ManagedByLabel] = WellKnown.ManagedByValue },
            cached.Labels);
        // Every annotation but kubectl's last-applied copy of the object.
        Assert.Equal(new Dictionary<string, string> { [WellKnown.OrganizationAnnotation] = "openshift_obj", [WellKnown.OpenShiftSccMcs] = "s0:c26,c5" },
            cached.Annotations);
        // The data is only compared: the cache keeps its keys (a write removes any but its own) and its digest, not the
        // content (a robot's token).
        Assert.Equal([RobotSecret.DataKey], cached.DataKeys);
        Assert.Equal(DataDigest.OfData(new Dictionary<string, byte[]> { [RobotSecret.DataKey] = """{"auths":{}}"""u8.ToArray() }), cached.DataDigest);
    }

    [Fact]
    public void Image_streams_keep_their_name_and_deletion_and_their_uid_only_for_the_warning_on_a_name_quay_rejects()
    {
        CachedImageStream Read(JsonObject source) => ClusterCaches.ToCachedImageStream(KubernetesJson.Deserialize<ImageStream>(source.ToJsonString()));
        var valid = Read(Object("image.openshift.io/v1", "ImageStream", namespaced: true, new JsonObject()));
        Assert.Equal(("ns", "obj", "42", true, null), (valid.Namespace, valid.Name, valid.ResourceVersion, valid.Deleting, valid.Uid));
        var live = Object("image.openshift.io/v1", "ImageStream", namespaced: true, new JsonObject());
        live["metadata"]!.AsObject().Remove("deletionTimestamp");
        Assert.False(Read(live).Deleting);
        // The Warning Event on a stream whose name is no valid repository name names the stream by its UID.
        var invalid = Object("image.openshift.io/v1", "ImageStream", namespaced: true, new JsonObject());
        invalid["metadata"]!["name"] = "Not_Valid";
        var involved = Read(invalid).ToInvolvedObject();
        Assert.Equal(("ns", "Not_Valid", "0b0b0b0b-1111-2222-3333-444444444444", "ImageStream"),
            (involved.Metadata.NamespaceProperty, involved.Metadata.Name, involved.Metadata.Uid, involved.Kind));
    }

    [Fact]
    public void Quay_integrations_keep_spec_and_status() =>
        AssertKeeps(_caches.QuayIntegrations, Object("quay.redhat.com/v1", "QuayIntegration", namespaced: false, new JsonObject
        {
            ["spec"] = new JsonObject { ["clusterID"] = "openshift", ["quayHostname"] = "https://quay", ["driftCheckInterval"] = "1h" },
            ["status"] = new JsonObject { ["observedGeneration"] = 3, ["syncedNamespaces"] = 7 },
        }), [.. AllMetadata, ["spec"], ["status", "observedGeneration"], ["status", "syncedNamespaces"]]);

    [Fact]
    public void Ownership_records_keep_spec_and_status() =>
        AssertKeeps(_caches.QuayNamespaces, Object("quay.redhat.com/v1", "QuayNamespace", namespaced: false, new JsonObject
        {
            ["spec"] = new JsonObject
            {
                // Identifiers that are UUIDs are held as Guids (CompactUuid): written back, they must read as they came.
                ["namespaceUID"] = "0f8e7d6c-5b4a-4392-8170-a1b2c3d4e5f6",
                ["organizations"] = new JsonArray(new JsonObject
                {
                    ["host"] = "quay.example.com", ["name"] = "openshift_a", ["origin"] = "Created",
                    ["robots"] = new JsonArray(
                        new JsonObject { ["name"] = "openshift_a+builder", ["serviceAccount"] = "builder", ["origin"] = "Created" },
                        new JsonObject { ["name"] = "openshift_a+ci", ["serviceAccount"] = "ci", ["origin"] = "Found" }),
                    ["defaultPermissions"] = new JsonArray(
                        new JsonObject { ["robot"] = "openshift_a+builder", ["id"] = "6f1c2a4e-8b3d-4c5e-9a7f-0123456789ab" },
                        new JsonObject { ["robot"] = "openshift_a+ci", ["id"] = "6F1C2A4E-8B3D-4C5E-9A7F-0123456789AB" },
                        new JsonObject { ["robot"] = "openshift_a+ci" }),
                    ["repositories"] = new JsonArray(new JsonObject { ["name"] = "app", ["origin"] = "Found" }),
                }),
            },
            ["status"] = new JsonObject { ["phase"] = "Synced", ["organization"] = "openshift_a" },
        }), [.. AllMetadata.Except(Uid), ["spec"], ["status", "phase"], ["status", "organization"]], unread: Uid, writtenBackWhole: true);
}
