using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>Every verb through the unmodified KubernetesClient over HTTPS with the written kubeconfig.</summary>
public sealed class CoreVerbsTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private k8s.Kubernetes K => f.Client;

    [Fact]
    public async Task Create_sets_server_fields_and_generateName()
    {
        var ns = await f.CreateNamespaceAsync();
        var cm = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { GenerateName = "cfg-" },
            Data = new Dictionary<string, string> { ["a"] = "1" },
        }, ns);
        Assert.Matches("^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$", cm.Metadata.Name);
        Assert.False(string.IsNullOrEmpty(cm.Metadata.Uid));
        Assert.NotNull(cm.Metadata.CreationTimestamp);
        Assert.False(string.IsNullOrEmpty(cm.Metadata.ResourceVersion));
        Assert.Null(cm.Metadata.Generation); // ConfigMaps do not track generation

        var got = await K.CoreV1.ReadNamespacedConfigMapAsync(cm.Metadata.Name, ns);
        Assert.Equal(cm.Metadata.ResourceVersion, got.Metadata.ResourceVersion);
        Assert.Equal("1", got.Data["a"]);

        var duplicate = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = cm.Metadata.Name } }, ns));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.Response.StatusCode);
        Assert.Contains($"configmaps \\\"{cm.Metadata.Name}\\\" already exists", duplicate.Response.Content);
    }

    [Fact]
    public async Task Update_with_stale_resourceVersion_is_409_and_current_one_succeeds()
    {
        var ns = await f.CreateNamespaceAsync();
        var secret = await K.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = new Dictionary<string, string> { ["k"] = "v" } }, ns);
        Assert.Equal("Opaque", secret.Type);
        Assert.Null(secret.StringData);
        Assert.Equal("v", Encoding.UTF8.GetString(secret.Data["k"]));

        secret.Data["k"] = Encoding.UTF8.GetBytes("v2");
        var updated = await K.CoreV1.ReplaceNamespacedSecretAsync(secret, "s", ns);
        Assert.NotEqual(secret.Metadata.ResourceVersion, updated.Metadata.ResourceVersion);

        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.ReplaceNamespacedSecretAsync(secret, "s", ns));
        Assert.Equal(HttpStatusCode.Conflict, stale.Response.StatusCode);
        Assert.Contains("Operation cannot be fulfilled on secrets \\\"s\\\": the object has been modified; please apply your changes to the latest version and try again", stale.Response.Content);

        // Without a resourceVersion, Secrets accept an unconditional update.
        updated.Metadata.ResourceVersion = null;
        updated.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" };
        var unconditional = await K.CoreV1.ReplaceNamespacedSecretAsync(updated, "s", ns);
        Assert.Equal("y", unconditional.Metadata.Labels["x"]);
    }

    [Fact]
    public async Task List_filters_by_label_and_field_selectors_and_pages()
    {
        var ns = await f.CreateNamespaceAsync();
        for (var i = 0; i < 5; i++)
            await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
            {
                Metadata = new V1ObjectMeta { Name = $"c{i}", Labels = new Dictionary<string, string> { ["tier"] = i % 2 == 0 ? "even" : "odd", ["n"] = i.ToString() } },
            }, ns);

        Assert.Equal(3, (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "tier=even")).Items.Count);
        Assert.Equal(2, (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "tier!=even")).Items.Count);
        Assert.Equal(2, (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "n in (1,2)")).Items.Count);
        Assert.Equal(3, (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "n notin (1,2)")).Items.Count);
        Assert.Equal(5, (await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "tier")).Items.Count);
        Assert.Empty((await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "!tier")).Items);
        Assert.Single((await K.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "tier==odd,n=3")).Items);
        Assert.Equal("c3", Assert.Single((await K.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=c3")).Items).Metadata.Name);
        Assert.Equal(4, (await K.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name!=c3")).Items.Count);

        var first = await K.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2);
        Assert.Equal(["c0", "c1"], first.Items.Select(i => i.Metadata.Name));
        Assert.Equal(3, first.Metadata.RemainingItemCount);
        var second = await K.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2, continueParameter: first.Metadata.ContinueProperty);
        Assert.Equal(["c2", "c3"], second.Items.Select(i => i.Metadata.Name));
        Assert.Equal(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion);
        var third = await K.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2, continueParameter: second.Metadata.ContinueProperty);
        Assert.Equal(["c4"], third.Items.Select(i => i.Metadata.Name));
        Assert.Null(third.Metadata.ContinueProperty);

        var all = await K.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: "tier=odd");
        Assert.Equal(2, all.Items.Count(c => c.Metadata.NamespaceProperty == ns));
    }

    [Fact]
    public async Task A_built_in_list_leaves_kind_and_apiVersion_off_its_items_on_every_page_and_the_stored_objects_keep_them()
    {
        var ns = await f.CreateNamespaceAsync();
        foreach (var name in new[] { "a", "b", "c" })
            await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["k"] = name } }, ns);

        var (code, whole, _) = await f.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal(200, code);
        Assert.Equal("ConfigMapList", (string?)whole!["kind"]);
        Assert.Equal("v1", (string?)whole["apiVersion"]);
        var items = whole["items"]!.AsArray();
        Assert.Equal(["a", "b", "c"], items.Select(i => (string?)i!["metadata"]!["name"]));
        Assert.All(items, i => Assert.False(i!.AsObject().ContainsKey("kind") || i.AsObject().ContainsKey("apiVersion")));
        Assert.Equal(["a", "b", "c"], items.Select(i => (string?)i!["data"]!["k"]));

        var (_, page, _) = await f.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?limit=2");
        Assert.Equal(2, page!["items"]!.AsArray().Count);
        Assert.Equal(1L, (long?)page["metadata"]!["remainingItemCount"]);
        Assert.False(string.IsNullOrEmpty((string?)page["metadata"]!["continue"]));
        Assert.All(page["items"]!.AsArray(), i => Assert.False(i!.AsObject().ContainsKey("kind")));

        // The list wrote the stored objects without changing them: a read still has its kind, and the next list is the same.
        var (_, one, _) = await f.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps/b");
        Assert.Equal("ConfigMap", (string?)one!["kind"]);
        var (_, again, _) = await f.SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps");
        Assert.Equal(whole.ToJsonString(), again!.ToJsonString());
    }

    [Fact]
    public async Task List_resourceVersion_is_the_global_counter()
    {
        var ns = await f.CreateNamespaceAsync();
        var created = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, ns);
        // A list of an unrelated, empty collection still reports the newest resourceVersion.
        var leases = await K.CoordinationV1.ListNamespacedLeaseAsync(ns);
        Assert.True(long.Parse(leases.Metadata.ResourceVersion) >= long.Parse(created.Metadata.ResourceVersion));
        Assert.Empty(leases.Items);
    }

    [Fact]
    public async Task Json_patch_adds_and_removes_top_level_members()
    {
        // A top-level pointer ("/secrets") has the document itself as parent: the form an operator uses to
        // give a service account its first secret list.
        var ns = await f.CreateNamespaceAsync();
        await K.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "sa" } }, ns);

        var added = await K.CoreV1.PatchNamespacedServiceAccountAsync(new V1Patch(
            "[{\"op\":\"add\",\"path\":\"/secrets\",\"value\":[{\"name\":\"s1\"}]},{\"op\":\"add\",\"path\":\"/imagePullSecrets\",\"value\":[{\"name\":\"s1\"}]}]",
            V1Patch.PatchType.JsonPatch), "sa", ns);
        Assert.Equal("s1", Assert.Single(added.Secrets).Name);
        Assert.Equal("s1", Assert.Single(added.ImagePullSecrets).Name);

        var removed = await K.CoreV1.PatchNamespacedServiceAccountAsync(new V1Patch(
            "[{\"op\":\"remove\",\"path\":\"/imagePullSecrets\"}]", V1Patch.PatchType.JsonPatch), "sa", ns);
        Assert.True(removed.ImagePullSecrets is null or { Count: 0 });
        Assert.Single(removed.Secrets);
    }

    [Fact]
    public async Task Patches_of_every_kind_apply()
    {
        var ns = await f.CreateNamespaceAsync();
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "p", Labels = new Dictionary<string, string> { ["a"] = "1" } }, Data = new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" } }, ns);

        var merged = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"x\":null,\"z\":\"3\"}}", V1Patch.PatchType.MergePatch), "p", ns);
        Assert.Equal(new Dictionary<string, string> { ["y"] = "2", ["z"] = "3" }, merged.Data);

        var jsonPatched = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("[{\"op\":\"add\",\"path\":\"/metadata/labels/b\",\"value\":\"2\"},{\"op\":\"remove\",\"path\":\"/data/y\"}]", V1Patch.PatchType.JsonPatch), "p", ns);
        Assert.Equal("2", jsonPatched.Metadata.Labels["b"]);
        Assert.False(jsonPatched.Data.ContainsKey("y"));

        var failingTest = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("[{\"op\":\"test\",\"path\":\"/data/z\",\"value\":\"nope\"}]", V1Patch.PatchType.JsonPatch), "p", ns));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, failingTest.Response.StatusCode);

        var strategic = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"finalizers\":[\"a.io/x\"]}}", V1Patch.PatchType.StrategicMergePatch), "p", ns);
        Assert.Equal(["a.io/x"], strategic.Metadata.Finalizers);
        var strategic2 = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"finalizers\":[\"b.io/y\"]}}", V1Patch.PatchType.StrategicMergePatch), "p", ns);
        Assert.Equal(["a.io/x", "b.io/y"], strategic2.Metadata.Finalizers); // finalizers merge as a set
        var removed = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a.io/x\",\"b.io/y\"]}}", V1Patch.PatchType.StrategicMergePatch), "p", ns);
        Assert.Null(removed.Metadata.Finalizers is { Count: > 0 } ? removed.Metadata.Finalizers : null);

        var stalePrecondition = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.PatchNamespacedConfigMapAsync(
            new V1Patch("{\"metadata\":{\"resourceVersion\":\"1\"},\"data\":{\"q\":\"1\"}}", V1Patch.PatchType.MergePatch), "p", ns));
        Assert.Equal(HttpStatusCode.Conflict, stalePrecondition.Response.StatusCode);
    }

    [Fact]
    public async Task Server_side_apply_creates_then_merges_and_needs_a_field_manager()
    {
        var ns = await f.CreateNamespaceAsync();
        var body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"ssa\"},\"data\":{\"a\":\"1\"}}";
        var created = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch(body, V1Patch.PatchType.ApplyPatch), "ssa", ns, fieldManager: "test");
        Assert.Equal("1", created.Data["a"]);
        var merged = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"ssa\"},\"data\":{\"b\":\"2\"}}", V1Patch.PatchType.ApplyPatch), "ssa", ns, fieldManager: "test", force: true);
        Assert.Equal("2", merged.Data["b"]);
        var noManager = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/ssa", body, "application/apply-patch+yaml");
        Assert.Equal(422, noManager.Code); // kube-apiserver: PatchOptions fieldManager Required
    }

    [Fact]
    public async Task Delete_returns_status_and_honours_preconditions()
    {
        var ns = await f.CreateNamespaceAsync();
        var sa = await K.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "d" } }, ns);
        var wrongUid = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.DeleteNamespacedServiceAccountAsync("d", ns,
            new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = Guid.NewGuid().ToString() } }));
        Assert.Equal(HttpStatusCode.Conflict, wrongUid.Response.StatusCode);

        var (code, body, _) = await f.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/serviceaccounts/d");
        Assert.Equal(200, code);
        Assert.Equal("Success", (string?)body!["status"]);
        Assert.Equal("serviceaccounts", (string?)body["details"]!["kind"]);
        Assert.Equal(sa.Metadata.Uid, (string?)body["details"]!["uid"]);
        var missing = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.ReadNamespacedServiceAccountAsync("d", ns));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);
    }

    /// <summary>
    /// An update naming another uid is about another object (one deleted and created again under the same name): a PUT
    /// carries it as a precondition (409 from the storage layer), a patch fails validation (metadata.uid is immutable);
    /// neither touches the object there now. A deletionTimestamp cannot be written onto an object not being deleted.
    /// </summary>
    [Fact]
    public async Task Updates_naming_another_uid_or_a_deletion_are_refused()
    {
        var ns = await f.CreateNamespaceAsync();
        var cm = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "u" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, ns);
        var otherUid = Guid.NewGuid().ToString();

        var put = await f.SendAsync(HttpMethod.Put, $"/api/v1/namespaces/{ns}/configmaps/u",
            $"{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"u\",\"uid\":\"{otherUid}\"}},\"data\":{{\"a\":\"2\"}}}}");
        Assert.Equal(409, put.Code);
        Assert.Equal("Conflict", (string?)put.Body!["reason"]);
        Assert.Equal($"Operation cannot be fulfilled on configmaps \"u\": StorageError: invalid object, Code: 4, Key: /registry/configmaps/{ns}/u, " +
                     $"ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: {otherUid}, UID in object meta: {cm.Metadata.Uid}",
            (string?)put.Body["message"]);

        foreach (var (type, patch) in new[]
                 {
                     ("application/merge-patch+json", $"{{\"metadata\":{{\"uid\":\"{otherUid}\",\"annotations\":{{\"x\":\"1\"}}}}}}"),
                     ("application/strategic-merge-patch+json", $"{{\"metadata\":{{\"uid\":\"{otherUid}\",\"annotations\":{{\"x\":\"1\"}}}}}}"),
                     ("application/json-patch+json", $"[{{\"op\":\"replace\",\"path\":\"/metadata/uid\",\"value\":\"{otherUid}\"}}]"),
                 })
        {
            var patched = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/u", patch, type);
            Assert.Equal(422, patched.Code);
            Assert.Equal($"ConfigMap \"u\" is invalid: metadata.uid: Invalid value: \"{otherUid}\": field is immutable", (string?)patched.Body!["message"]);
            Assert.Equal("metadata.uid", (string?)patched.Body["details"]!["causes"]![0]!["field"]);
        }
        // The same uid is no change at all, and a PUT without one is not a precondition.
        var same = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch($"{{\"metadata\":{{\"uid\":\"{cm.Metadata.Uid}\",\"annotations\":{{\"x\":\"1\"}}}}}}", V1Patch.PatchType.MergePatch), "u", ns);
        Assert.Equal("1", same.Metadata.Annotations["x"]);
        var marked = await f.SendAsync(HttpMethod.Patch, $"/api/v1/namespaces/{ns}/configmaps/u",
            "{\"metadata\":{\"deletionTimestamp\":\"2026-12-05T01:02:03Z\"}}", "application/merge-patch+json");
        Assert.Equal(422, marked.Code);
        Assert.Equal("ConfigMap \"u\" is invalid: metadata.deletionTimestamp: Invalid value: 2026-12-05 01:02:03 +0000 UTC: field is immutable", (string?)marked.Body!["message"]);

        var after = await K.CoreV1.ReadNamespacedConfigMapAsync("u", ns);
        Assert.Equal(cm.Metadata.Uid, after.Metadata.Uid);
        Assert.Equal("1", after.Data["a"]);
        Assert.Null(after.Metadata.DeletionTimestamp);
    }

    [Fact]
    public async Task Finalizers_defer_deletion_and_foreground_adds_its_finalizer()
    {
        var ns = await f.CreateNamespaceAsync();
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "f" } }, ns);
        var (code, body, _) = await f.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/configmaps/f", "{\"propagationPolicy\":\"Foreground\"}");
        Assert.Equal(200, code);
        Assert.Equal("ConfigMap", (string?)body!["kind"]);
        Assert.NotNull(body["metadata"]!["deletionTimestamp"]);
        Assert.Equal(0, (int)body["metadata"]!["deletionGracePeriodSeconds"]!);
        Assert.Equal("foregroundDeletion", (string?)body["metadata"]!["finalizers"]![0]);

        // The write that takes the last finalizer off deletes the object, and answers with the object as written.
        var last = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"finalizers\":null}}", V1Patch.PatchType.MergePatch), "f", ns);
        Assert.NotNull(last.Metadata.DeletionTimestamp);
        Assert.Null(last.Metadata.Finalizers);
        await Assert.ThrowsAsync<HttpOperationException>(() => K.CoreV1.ReadNamespacedConfigMapAsync("f", ns));
    }

    [Fact]
    public async Task DeleteCollection_removes_what_the_selector_matches()
    {
        var ns = await f.CreateNamespaceAsync();
        foreach (var (name, app) in new[] { ("a", "x"), ("b", "x"), ("c", "y") })
            await K.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } } }, ns);
        await K.CoreV1.DeleteCollectionNamespacedSecretAsync(ns, labelSelector: "app=x");
        Assert.Equal(["c"], (await K.CoreV1.ListNamespacedSecretAsync(ns)).Items.Select(s => s.Metadata.Name));
    }

    [Fact]
    public async Task DryRun_stores_nothing()
    {
        var ns = await f.CreateNamespaceAsync();
        var dry = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "dry" } }, ns, dryRun: "All");
        Assert.Equal("dry", dry.Metadata.Name);
        Assert.Empty((await K.CoreV1.ListNamespacedConfigMapAsync(ns)).Items);
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "real" } }, ns);
        await K.CoreV1.DeleteNamespacedConfigMapAsync("real", ns, dryRun: "All");
        Assert.Single((await K.CoreV1.ListNamespacedConfigMapAsync(ns)).Items);
    }

    [Fact]
    public async Task FieldValidation_strict_rejects_warn_reports_and_unknown_fields_are_dropped()
    {
        var ns = await f.CreateNamespaceAsync();
        var body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u\"},\"bogus\":1,\"data\":{\"a\":\"b\"}}";
        var strict = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict", body);
        Assert.Equal(400, strict.Code);
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\"", (string?)strict.Body!["message"]);

        var warn = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Warn", body);
        Assert.Equal(201, warn.Code);
        Assert.Null(warn.Body!["bogus"]);
        Assert.Contains(warn.Response.Headers.GetValues("Warning"), w => w.StartsWith("299 - ") && w.Contains("unknown field"));
    }

    /// <summary>
    /// Server-side field validation came with Kubernetes 1.25 (on by default from then); an older server ignores the
    /// parameter and drops unknown fields silently, which a client that relies on Strict must be tested against too.
    /// </summary>
    [Fact]
    public async Task FieldValidation_is_ignored_by_a_server_older_than_1_25()
    {
        var ns = await f.CreateNamespaceAsync();
        var body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"old\"},\"bogus\":1}";
        var version = f.Server.Options.KubernetesVersion;
        f.Server.Options.KubernetesVersion = "v1.24.17";
        try
        {
            var strict = await f.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict", body);
            Assert.Equal(201, strict.Code);
            Assert.Null(strict.Body!["bogus"]);
            Assert.False(strict.Response.Headers.Contains("Warning"));
        }
        finally
        {
            f.Server.Options.KubernetesVersion = version;
        }
    }

    [Fact]
    public async Task Leases_and_events_round_trip_with_microtime()
    {
        var ns = await f.CreateNamespaceAsync();
        var now = DateTime.UtcNow;
        var lease = await K.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "0111fb36.redhat.com" },
            Spec = new V1LeaseSpec { HolderIdentity = "a", LeaseDurationSeconds = 15, AcquireTime = now, RenewTime = now, LeaseTransitions = 0 },
        }, ns);
        Assert.Equal("a", lease.Spec.HolderIdentity);
        lease.Spec.HolderIdentity = "b";
        var taken = await K.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, lease.Metadata.Name, ns);
        Assert.Equal("b", taken.Spec.HolderIdentity);
        var lost = await Assert.ThrowsAsync<HttpOperationException>(() => K.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, lease.Metadata.Name, ns));
        Assert.Equal(HttpStatusCode.Conflict, lost.Response.StatusCode);

        await K.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = "e-" },
            InvolvedObject = new V1ObjectReference { Kind = "Lease", Name = lease.Metadata.Name, NamespaceProperty = ns },
            Reason = "Test", Message = "m", Type = "Normal",
        }, ns);
        var events = await K.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.kind=Lease,reason=Test");
        Assert.Single(events.Items);
        await K.EventsV1.CreateNamespacedEventAsync(new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = "e-" }, EventTime = now, ReportingController = "x", ReportingInstance = "y", Action = "a", Reason = "r",
            Regarding = new V1ObjectReference { Kind = "Lease", Name = "l" }, Type = "Normal",
        }, ns);
        // One storage behind both groups: events.k8s.io lists the core Event too (EventsTests).
        Assert.Equal(2, (await K.EventsV1.ListNamespacedEventAsync(ns)).Items.Count);
        Assert.Equal(2, (await K.CoreV1.ListNamespacedEventAsync(ns)).Items.Count);
    }

    [Fact]
    public async Task ServiceAccount_secrets_merge_by_name_and_imagePullSecrets_are_replaced()
    {
        var ns = await f.CreateNamespaceAsync();
        await K.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount
        {
            Metadata = new V1ObjectMeta { Name = "builder" },
            Secrets = [new V1ObjectReference { Name = "builder-dockercfg-abcde" }],
            ImagePullSecrets = [new V1LocalObjectReference { Name = "builder-dockercfg-abcde" }],
        }, ns);
        var patched = await K.CoreV1.PatchNamespacedServiceAccountAsync(new V1Patch(
            "{\"secrets\":[{\"name\":\"builder-quay-openshift\"}],\"imagePullSecrets\":[{\"name\":\"builder-quay-openshift\"}]}", V1Patch.PatchType.StrategicMergePatch), "builder", ns);
        Assert.Equal(["builder-dockercfg-abcde", "builder-quay-openshift"], patched.Secrets.Select(s => s.Name));
        Assert.Equal(["builder-quay-openshift"], patched.ImagePullSecrets.Select(s => s.Name));
    }
}
