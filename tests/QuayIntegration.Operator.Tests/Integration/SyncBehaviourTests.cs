using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

[Collection(OperatorCollection.Name)]
public sealed class SyncBehaviourTests
{
    /// <summary>
    /// ImageStreams are an aggregated API (openshift-apiserver): until it is registered the cluster answers 404 for them.
    /// An empty cache then says nothing of what exists: under repositoryDeletionPolicy Delete every repository the
    /// operator created was deleted, pushed images and all, at the first sync after a start.
    /// </summary>
    [Fact]
    public async Task Repositories_are_kept_while_the_cluster_does_not_serve_ImageStreams()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("unserved");
        await env.CreateImageStreamAsync("unserved", "app");
        await Eventually(async () => await env.IsSeededAsync("unserved", "openshift_unserved") && env.Quay.State.Repository("openshift_unserved", "app") is not null, "set up");
        await env.StopOperatorAsync(op);

        env.Cluster.ApiServer.Faults.InjectStatus(404, count: int.MaxValue, resource: "imagestreams", verb: "list");
        long RobotLists() => env.Quay.Calls.Snapshot().Where(c => c.Method == "GET" && c.Route.EndsWith("/robots", StringComparison.Ordinal)).Sum(c => c.Count);
        var lists = RobotLists();
        await env.StartOperatorAsync("operator-2");
        await Eventually(() => Task.FromResult(RobotLists() >= lists + 2), "two drift checks of the namespace", TimeSpan.FromSeconds(30));
        await Task.Delay(500); // the second check's writes, had it decided any
        Assert.NotNull(env.Quay.State.Repository("openshift_unserved", "app"));
        await Eventually(async () => (await env.GetRecordAsync("unserved"))?["status"]?["kept"]?.AsArray()
            .Any(k => k!.GetValue<string>().Contains("does not serve ImageStreams", StringComparison.Ordinal)) == true, "the status says why");
    }

    [Fact]
    public async Task ImageStream_added_later_gets_a_private_repository_with_explicit_robot_permissions_and_deletion_follows_the_policy()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("shop");
        await Eventually(() => env.IsSeededAsync("shop", "openshift_shop"), "namespace shop set up");

        await env.CreateImageStreamAsync("shop", "frontend");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_shop", "frontend")?.UserPermissions.Count >= 3), "repository with permissions");
        var repo = env.Quay.State.Repository("openshift_shop", "frontend")!;
        Assert.False(repo.IsPublic);
        Assert.Equal("write", repo.UserPermissions["openshift_shop+builder"]);
        Assert.Equal("read", repo.UserPermissions["openshift_shop+default"]);
        Assert.Equal("read", repo.UserPermissions["openshift_shop+deployer"]);

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "shop", "imagestreams", "frontend");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_shop", "frontend") is null), "repository deleted with its ImageStream");

        // OpenShift allows underscores in ImageStream names (a Docker repository name component), and so does Quay.
        await env.CreateImageStreamAsync("shop", "my_app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_shop", "my_app")?.UserPermissions.Count >= 3), "repository of a stream with an underscore");
    }

    /// <summary>
    /// Quay releases before organization contact emails refuse an organization without an email whenever FEATURE_MAILING
    /// is on (Quay's own default), and want it unique among users and organizations: the operator sends one per
    /// organization, at a reserved domain so that no mail is ever delivered.
    /// </summary>
    [Fact]
    public async Task Organizations_are_created_with_their_own_contact_email_where_quay_requires_one()
    {
        await using var env = await StartAsync();
        env.Quay.OrganizationEmailRequired = true;
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("mail-a");
        await env.CreateNamespaceAsync("mail-b");
        await Eventually(() => env.IsSeededAsync("mail-a", "openshift_mail-a"), "namespace mail-a set up");
        await Eventually(() => env.IsSeededAsync("mail-b", "openshift_mail-b"), "namespace mail-b set up");
        Assert.Equal("openshift_mail-a@quay-integration.invalid", env.Quay.State.Organization("openshift_mail-a")!.Email);
        Assert.Equal("openshift_mail-b@quay-integration.invalid", env.Quay.State.Organization("openshift_mail-b")!.Email);
    }

    /// <summary>
    /// A new repository gets each robot's role at once, even when someone gave the robot two default permissions of
    /// different roles: Quay applies the first its query returns (in no set order), so the operator relies on the
    /// default permissions only when they agree, and otherwise grants the role itself. No drift check comes to repair it
    /// here (1 h).
    /// </summary>
    [Fact]
    public async Task A_robot_with_default_permissions_of_different_roles_still_gets_its_role_on_a_new_repository()
    {
        await using var env = await StartAsync(spec => spec["driftCheckInterval"] = "1h");
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift_twice");
        admin.AddOwner("openshift_twice", "operator");
        await admin.CreateRobotAsync("openshift_twice", "builder");
        await admin.CreateDefaultPermissionAsync("openshift_twice", "openshift_twice+builder", "read");
        await admin.CreateDefaultPermissionAsync("openshift_twice", "openshift_twice+builder", "write");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("twice");
        await Eventually(() => env.IsSeededAsync("twice", "openshift_twice"), "set up in the existing organization");

        await env.CreateImageStreamAsync("twice", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_twice", "app")?.UserPermissions.Count >= 3), "repository with permissions");
        await Task.Delay(500); // a grant still on its way
        Assert.Equal("write", env.Quay.State.Repository("openshift_twice", "app")!.UserPermissions["openshift_twice+builder"]);
    }

    /// <summary>
    /// With FEATURE_SUPERUSERS_FULL_ACCESS and a token of a superuser with the super:user scope, Quay lets the caller
    /// past its permission checks, so a missing organization is no longer told by a 403: its robot list is empty and
    /// its default permissions and its deletion answer 404. An organization deleted in Quay is still made again at the
    /// next drift check, and one already gone when its namespace is deleted still counts as deleted.
    /// </summary>
    [Fact]
    public async Task With_a_full_access_superuser_token_an_organization_gone_from_quay_is_made_again_and_counts_as_deleted()
    {
        const string token = "superuser-token-0123456789";
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions { NamespaceGcDelay = TimeSpan.FromMilliseconds(300), SuperusersFullAccess = true }
            .WithUserToken("operator", token, QuayScopes.All, superuser: true));
        await using var env = await StartAsync(spec => spec["driftCheckInterval"] = "2s", sharedQuay: quay, sharedToken: token);
        using var admin = new QuayAdministrator(quay);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("su");
        await Eventually(() => env.IsSeededAsync("su", "openshift_su"), "namespace su set up");

        admin.JoinOwners("openshift_su");
        await admin.DeleteOrganizationAsync("openshift_su");
        await Eventually(() => env.IsSeededAsync("su", "openshift_su"), "organization made again", TimeSpan.FromSeconds(30));
        Assert.Equal("operator", quay.State.Organization("openshift_su")!.CreatedBy);

        admin.JoinOwners("openshift_su");
        await admin.DeleteOrganizationAsync("openshift_su");
        await env.Kube.CoreV1.DeleteNamespaceAsync("su");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("su", TimeSpan.FromSeconds(30));
        Assert.Null(await env.GetRecordAsync("su"));
    }

    [Fact]
    public async Task The_ownership_records_this_process_wrote_are_let_go_once_the_cache_has_caught_up_without_another_reconcile()
    {
        // Each write's own copy is used until the cache shows it; kept past that, every namespace would hold a second
        // record until its next reconcile (a drift interval away; about 1,500 of 5,000 in the memory benchmark).
        await using var env = await StartAsync(spec => spec["driftCheckInterval"] = "1h");
        var op = await env.StartOperatorAsync();
        var names = Enumerable.Range(0, 12).Select(i => $"held-{i}").ToList();
        foreach (var name in names) await env.CreateNamespaceAsync(name);
        foreach (var name in names) await Eventually(() => env.IsSeededAsync(name, $"openshift_{name}"), $"namespace {name} set up");

        var records = op.Service<OwnershipRecords>();
        await Eventually(() => Task.FromResult(records.PendingCount == 0), "no written copy kept once the cache shows every write");
    }

    [Fact]
    public async Task A_record_write_keeps_the_owner_references_and_annotations_others_put_on_the_QuayNamespace()
    {
        // The record is written whole (a PUT under its resourceVersion): metadata it does not manage must go back as it
        // was, kubectl's last-applied annotation included, which the other caches drop.
        const string LastApplied = "kubectl.kubernetes.io/last-applied-configuration";
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("owned");
        await Eventually(() => env.IsSeededAsync("owned", "openshift_owned"), "namespace owned set up");
        var owner = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "inventory", ["uid"] = "6f1c2a8e-0000-4000-8000-000000000001",
        };
        await env.Kube.CustomObjects.PatchClusterCustomObjectAsync(new V1Patch(new JsonObject
        {
            ["metadata"] = new JsonObject { ["ownerReferences"] = new JsonArray(owner), ["annotations"] = new JsonObject { ["inventory/id"] = "42", [LastApplied] = "{}" } },
        }.ToJsonString(), V1Patch.PatchType.MergePatch), "quay.redhat.com", "v1", "quaynamespaces", "owned");

        // A new repository is a record write.
        await env.CreateImageStreamAsync("owned", "app");
        await Eventually(async () => RepositoriesIn((await env.GetRecordAsync("owned"))!).Contains("app"), "the repository recorded");
        var metadata = (await env.GetRecordAsync("owned"))!["metadata"]!;
        Assert.Equal("inventory", metadata["ownerReferences"]?[0]?["name"]?.GetValue<string>());
        Assert.Equal("42", metadata["annotations"]?["inventory/id"]?.GetValue<string>());
        Assert.Equal("{}", metadata["annotations"]?[LastApplied]?.GetValue<string>());

        static IEnumerable<string?> RepositoriesIn(JsonNode record) =>
            record["spec"]?["organizations"]?.AsArray().SelectMany(o => o?["repositories"]?.AsArray() ?? []).Select(r => r?["name"]?.GetValue<string>()) ?? [];
    }

    [Fact]
    public async Task Repository_is_kept_by_default_when_its_ImageStream_is_deleted()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("keep");
        await env.CreateImageStreamAsync("keep", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_keep", "app")?.UserPermissions.Count >= 3), "repository created");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "keep", "imagestreams", "app");
        await env.CreateImageStreamAsync("keep", "marker");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_keep", "marker") is not null), "a later repository");
        Assert.NotNull(env.Quay.State.Repository("openshift_keep", "app"));
    }

    [Fact]
    public async Task A_changed_role_matrix_reaches_default_permissions_and_the_explicit_permissions_of_existing_repositories()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("roles");
        await env.CreateImageStreamAsync("roles", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_roles", "app")?.UserPermissions.Count >= 3), "repository");

        // A role change alone: every robot still holds a permission on the repository, only the role is wrong.
        await env.PatchIntegrationSpecAsync(Matrix(("builder", "write"), ("default", "write"), ("deployer", "read")));
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_roles", "app")!.UserPermissions.GetValueOrDefault("openshift_roles+default") == "write"
                                               && env.Quay.State.Organization("openshift_roles")!.Prototypes.Any(p => p.DelegateName == "openshift_roles+default" && p.Role == "write")),
            "the new role in the default permission and on the existing repository");

        // A service account added to the matrix: its new robot gets a permission on the existing repository.
        await env.PatchIntegrationSpecAsync(Matrix(("builder", "write"), ("default", "write"), ("deployer", "read"), ("pipeline", "admin")));
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_roles", "app")!.UserPermissions.GetValueOrDefault("openshift_roles+pipeline") == "admin"),
            "the new robot on the existing repository");
        Assert.Equal("write", env.Quay.State.Repository("openshift_roles", "app")!.UserPermissions["openshift_roles+builder"]);
        Assert.Equal("read", env.Quay.State.Repository("openshift_roles", "app")!.UserPermissions["openshift_roles+deployer"]);

        // Roles edited in Quay (the configuration unchanged): the drift check restores the default permission, and since
        // the robot list shows no roles, the repository's explicit permission too.
        using var quay = env.Quay.CreateHttpClient(env.Token);
        var prototype = env.Quay.State.Organization("openshift_roles")!.Prototypes.Single(p => p.DelegateName == "openshift_roles+builder");
        Assert.True((await quay.PutAsJsonAsync($"api/v1/organization/openshift_roles/prototypes/{prototype.Id}", new { role = "read" })).IsSuccessStatusCode);
        Assert.True((await quay.PutAsJsonAsync("api/v1/repository/openshift_roles/app/permissions/user/openshift_roles+builder", new { role = "read" })).IsSuccessStatusCode);
        Assert.Equal("read", env.Quay.State.Repository("openshift_roles", "app")!.UserPermissions["openshift_roles+builder"]);
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_roles", "app")!.UserPermissions.GetValueOrDefault("openshift_roles+builder") == "write"
                                               && env.Quay.State.Organization("openshift_roles")!.Prototypes.Any(p => p.DelegateName == "openshift_roles+builder" && p.Role == "write")),
            "roles restored at the drift check");
    }

    private static JsonObject Matrix(params (string Name, string Role)[] accounts) => new()
    {
        ["serviceAccounts"] = new JsonArray(accounts.Select(a => (JsonNode)new JsonObject { ["name"] = a.Name, ["role"] = a.Role }).ToArray()),
    };

    [Fact]
    public async Task Drift_of_every_kind_is_repaired()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("drift");
        await env.CreateImageStreamAsync("drift", "api");
        await Eventually(() => env.IsSeededAsync("drift", "openshift_drift"), "namespace set up");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_drift", "api") is not null), "repository created");

        // A deleted Secret comes back (from the cluster's watch, without waiting for the drift check).
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("builder-quay-openshift", "drift");
        await Eventually(async () => await env.GetSecretAsync("drift", "builder-quay-openshift") is not null, "Secret restored");

        // An edited Secret is restored.
        await env.Kube.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"data":{".dockerconfigjson":"eyJhdXRocyI6e319"}}""", V1Patch.PatchType.MergePatch), "default-quay-openshift", "drift");
        await Eventually(() => env.IsSeededAsync("drift", "openshift_drift"), "edited Secret restored");

        // A removed service account link is restored, and other entries stay.
        var builder = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("builder", "drift");
        builder.ImagePullSecrets = [new V1LocalObjectReference { Name = "someone-elses" }];
        await env.Kube.CoreV1.ReplaceNamespacedServiceAccountAsync(builder, "builder", "drift");
        await Eventually(async () =>
        {
            var sa = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("builder", "drift");
            return sa.ImagePullSecrets.Select(s => s.Name).SequenceEqual(["someone-elses", "builder-quay-openshift"]);
        }, "service account link restored");

        // A robot's explicit permission removed from a repository comes back at the drift check, with its role.
        using var quay = env.Quay.CreateHttpClient(env.Token);
        Assert.True((await quay.DeleteAsync("api/v1/repository/openshift_drift/api/permissions/user/openshift_drift+builder")).IsSuccessStatusCode);
        Assert.False(env.Quay.State.Repository("openshift_drift", "api")!.UserPermissions.ContainsKey("openshift_drift+builder"));
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_drift", "api")!.UserPermissions.GetValueOrDefault("openshift_drift+builder") == "write"),
            "repository permission restored");

        // Deleted robot, prototype and repository in Quay are restored at the drift check; the new robot token reaches the Secret.
        var oldToken = env.Quay.State.Organization("openshift_drift")!.Robots.Single(r => r.Name == "openshift_drift+deployer").Token;
        Assert.True((await quay.DeleteAsync("api/v1/organization/openshift_drift/robots/deployer")).IsSuccessStatusCode);
        var prototype = env.Quay.State.Organization("openshift_drift")!.Prototypes.First(p => p.DelegateName == "openshift_drift+builder");
        Assert.True((await quay.DeleteAsync($"api/v1/organization/openshift_drift/prototypes/{prototype.Id}")).IsSuccessStatusCode);
        Assert.True((await quay.DeleteAsync("api/v1/repository/openshift_drift/api")).IsSuccessStatusCode);

        await Eventually(async () =>
        {
            var org = env.Quay.State.Organization("openshift_drift")!;
            var robot = org.Robots.SingleOrDefault(r => r.Name == "openshift_drift+deployer");
            return robot is not null && robot.Token != oldToken && await env.IsSeededAsync("drift", "openshift_drift")
                   && env.Quay.State.Repository("openshift_drift", "api")?.UserPermissions.Count >= 3;
        }, "robot, prototype and repository restored, new token in the Secret");
        Assert.Equal(3, env.Quay.State.Organization("openshift_drift")!.Prototypes.Count);
    }

    [Fact]
    public async Task A_Secret_deleted_after_its_robot_was_deleted_in_Quay_brings_both_back_before_the_drift_check()
    {
        // The operator keeps only a digest of each robot's credentials, so writing the Secret again reads the token
        // from Quay; Quay saying the robot is gone must lead to a new robot, not to a Secret that never comes back.
        await using var env = await StartAsync(spec => spec["driftCheckInterval"] = "1h");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("vanished");
        await Eventually(() => env.IsSeededAsync("vanished", "openshift_vanished"), "namespace set up");
        var oldToken = env.Quay.State.Organization("openshift_vanished")!.Robots.Single(r => r.Name == "openshift_vanished+builder").Token;

        using var quay = env.Quay.CreateHttpClient(env.Token);
        Assert.True((await quay.DeleteAsync("api/v1/organization/openshift_vanished/robots/builder")).IsSuccessStatusCode);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("builder-quay-openshift", "vanished");

        await Eventually(async () =>
            env.Quay.State.Organization("openshift_vanished")!.Robots.SingleOrDefault(r => r.Name == "openshift_vanished+builder") is { } robot
            && robot.Token != oldToken && await env.IsSeededAsync("vanished", "openshift_vanished"), "robot and Secret back, with the new robot's token");
    }

    [Fact]
    public async Task A_Secret_deleted_after_its_organization_was_deleted_in_Quay_brings_both_back_before_the_drift_check()
    {
        // Quay answers 403 for a robot of an organization that is gone: the organization is read (and made) again.
        await using var env = await StartAsync(spec => spec["driftCheckInterval"] = "1h");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("orgless");
        await Eventually(() => env.IsSeededAsync("orgless", "openshift_orgless"), "namespace set up");

        using var quay = env.Quay.CreateHttpClient(env.Token);
        Assert.True((await quay.DeleteAsync("api/v1/organization/openshift_orgless")).IsSuccessStatusCode);
        env.Quay.CollectGarbageNow(); // Quay keeps a deleted name until its garbage collection
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("deployer-quay-openshift", "orgless");

        await Eventually(() => env.IsSeededAsync("orgless", "openshift_orgless"), "organization, robots and Secret back");
    }

    [Fact]
    public async Task Allowlist_denylist_and_taking_a_namespace_out_of_scope_releases_it()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("team-a", "team-b", "kube-tools");
            spec["denylistNamespaces"] = new JsonArray("team-b");
        });
        await env.StartOperatorAsync();
        foreach (var ns in new[] { "team-a", "team-b", "team-c", "kube-tools" }) await env.CreateNamespaceAsync(ns);

        await Eventually(() => env.IsSeededAsync("team-a", "openshift_team-a"), "team-a synced");
        await Eventually(() => env.IsSeededAsync("kube-tools", "openshift_kube-tools"), "allow-listed kube-tools synced");
        Assert.Null(env.Quay.State.Organization("openshift_team-b"));
        Assert.Null(env.Quay.State.Organization("openshift_team-c"));
        Assert.DoesNotContain("quay.redhat.com/quayintegrations", (await env.GetNamespaceAsync("team-c"))!.Metadata.Finalizers ?? []);

        // Deny team-a at run time: our finalizer goes, the organization stays (cleanupPolicy Keep).
        await env.PatchIntegrationSpecAsync(new JsonObject { ["denylistNamespaces"] = new JsonArray("team-b", "team-a") });
        await Eventually(async () => (await env.GetNamespaceAsync("team-a"))!.Metadata.Finalizers?.Contains("quay.redhat.com/quayintegrations") != true,
            "finalizer removed from team-a");
        Assert.NotNull(env.Quay.State.Organization("openshift_team-a"));
    }

    [Fact]
    public async Task Project_is_synced_only_after_its_scc_annotation_and_names_quay_rejects_are_mapped()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.Cluster.Oc.NewProjectAsync("my--app", "My app", "doubled hyphen");
        await Eventually(() => env.IsSeededAsync("my--app", "openshift_my.2.app"), "project with doubled hyphen synced under a mapped name");
        var ns = (await env.GetNamespaceAsync("my--app"))!;
        Assert.True(ns.Metadata.Annotations.ContainsKey("openshift.io/sa.scc.mcs"));
        Assert.Equal("openshift_my.2.app", ns.Metadata.Annotations["quay.redhat.com/organization"]);
    }

    [Fact]
    public async Task Preexisting_organization_survives_namespace_deletion_owned_one_is_deleted_and_a_recreated_namespace_waits_for_gc()
    {
        await using var env = await StartAsync();
        using var quay = env.Quay.CreateHttpClient(env.Token);
        Assert.True((await quay.PostAsJsonAsync("api/v1/organization/", new { name = "openshift_legacy" })).IsSuccessStatusCode);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("legacy");
        await env.CreateNamespaceAsync("fresh");
        await Eventually(() => env.IsSeededAsync("legacy", "openshift_legacy"), "legacy synced");
        await Eventually(() => env.IsSeededAsync("fresh", "openshift_fresh"), "fresh synced");
        Assert.Equal("external", (await env.GetNamespaceAsync("legacy"))!.Metadata.Annotations["quay.redhat.com/organization-ownership"]);

        await env.Kube.CoreV1.DeleteNamespaceAsync("legacy");
        await env.Kube.CoreV1.DeleteNamespaceAsync("fresh");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("legacy");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("fresh");
        Assert.NotNull(env.Quay.State.Organization("openshift_legacy"));
        Assert.Null(env.Quay.State.Organization("openshift_fresh"));

        // Recreated at once: Quay refuses the name until GC (2 s here); the operator backs off and converges.
        env.Quay.NamespaceGcDelay = TimeSpan.FromSeconds(2);
        await env.CreateNamespaceAsync("fresh");
        await Eventually(() => env.IsSeededAsync("fresh", "openshift_fresh"), "recreated namespace synced after GC", TimeSpan.FromSeconds(40));
        await env.EventAsync("default", e => e.InvolvedObject.Name == "fresh" && e.Reason == "OrganizationNameNotAvailable", "the OrganizationNameNotAvailable Event");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "legacy" && e.Reason == "OrganizationKept", "the OrganizationKept Event");
    }

    [Fact]
    public async Task Organization_created_by_the_upstream_operator_is_recognised_as_owned_and_deleted_with_its_namespace()
    {
        await using var env = await StartAsync();
        using var quay = env.Quay.CreateHttpClient(env.Token);
        Assert.True((await quay.PostAsJsonAsync("api/v1/organization/", new { name = "openshift_upstream" })).IsSuccessStatusCode);
        // What the Go operator left behind: its finalizer, no ownership record of ours.
        await env.Kube.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta { Name = "upstream", Finalizers = ["quay.redhat.com/quayintegrations"] },
        });
        await env.StartOperatorAsync();
        await Eventually(() => env.IsSeededAsync("upstream", "openshift_upstream"), "upstream namespace adopted");
        Assert.Equal("owned", (await env.GetNamespaceAsync("upstream"))!.Metadata.Annotations["quay.redhat.com/organization-ownership"]);

        await env.Kube.CoreV1.DeleteNamespaceAsync("upstream");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("upstream");
        Assert.Null(env.Quay.State.Organization("openshift_upstream"));
    }

    [Fact]
    public async Task A_service_account_of_the_matrix_that_appears_later_is_linked_and_a_missing_one_blocks_nothing()
    {
        await using var env = await StartAsync(spec => spec["serviceAccounts"] = new JsonArray(
            new JsonObject { ["name"] = "builder", ["role"] = "write" },
            new JsonObject { ["name"] = "pipeline", ["role"] = "write" }));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("ci");
        await Eventually(async () =>
        {
            var sa = await env.Cluster.Oc.WaitForServiceAccountAsync("ci", "builder");
            return sa.ImagePullSecrets?.Any(s => s.Name == "builder-quay-openshift") == true
                   && await env.GetSecretAsync("ci", "pipeline-quay-openshift") is not null;
        }, "builder linked while pipeline does not exist");
        const string missing = "service account pipeline of the integration's spec.serviceAccounts does not exist";
        await Eventually(async () => SyncedMessage(await env.GetRecordAsync("ci"))?.Contains(missing) == true, "the missing account told in the status");

        await env.Kube.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "pipeline" } }, "ci");
        await Eventually(async () =>
        {
            var sa = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("pipeline", "ci");
            return sa.ImagePullSecrets?.Any(s => s.Name == "pipeline-quay-openshift") == true && sa.Secrets?.Any(s => s.Name == "pipeline-quay-openshift") == true;
        }, "pipeline linked once it appears");
        var prototypes = env.Quay.State.Organization("openshift_ci")!.Prototypes;
        Assert.Contains(prototypes, p => p.DelegateName == "openshift_ci+pipeline" && p.Role == "write");
        await Eventually(async () => SyncedMessage(await env.GetRecordAsync("ci")) == "In step with Quay organization openshift_ci", "nothing missing any more");

        // Review of b38c556 (helper-126): one deleted after the first sync was told nowhere; its Secret stays, linked to nothing.
        await env.Kube.CoreV1.DeleteNamespacedServiceAccountAsync("pipeline", "ci");
        await Eventually(async () => SyncedMessage(await env.GetRecordAsync("ci"))?.Contains(missing) == true, "the deleted account told in the status");
        Assert.NotNull(await env.GetSecretAsync("ci", "pipeline-quay-openshift"));
    }

    private static string? SyncedMessage(JsonObject? record) =>
        record?["status"]?["conditions"]?.AsArray().FirstOrDefault(c => c?["type"]?.GetValue<string>() == "Synced")?["message"]?.GetValue<string>();

    [Fact]
    public async Task Links_coexist_with_the_platform_controller_writing_the_same_service_account_lists()
    {
        await using var env = await StartAsync(platformPullSecrets: true);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("shared");
        await Eventually(async () =>
        {
            if (!await env.IsSeededAsync("shared", "openshift_shared")) return false;
            foreach (var name in new[] { "builder", "default", "deployer" })
            {
                var sa = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync(name, "shared");
                if (sa.ImagePullSecrets?.Any(s => s.Name.StartsWith($"{name}-dockercfg-")) != true) return false;
                if (sa.Secrets?.Any(s => s.Name.StartsWith($"{name}-dockercfg-")) != true) return false;
            }
            return true;
        }, "both the platform's and our pull secrets listed on every service account");
    }
    [Fact]
    public async Task Deleting_a_set_up_namespace_tears_it_down_without_a_warning()
    {
        // The API server's namespace controller writes the namespace while it is being deleted, so releasing it can
        // meet a conflict and be retried: an ordinary retry, nothing an administrator should be warned about.
        var log = new CapturedLog();
        await using var env = await StartAsync();
        await env.StartOperatorAsync("operator-1", log.OperatorArgs("QuayIntegration.Operator.Controllers.Namespaces.NamespaceReconciler",
            "QuayIntegration.Operator.Controllers.Namespaces.NamespaceClaim"));
        await env.CreateNamespaceAsync("quiet");
        await env.CreateImageStreamAsync("quiet", "app");
        await Eventually(() => env.IsSeededAsync("quiet", "openshift_quiet"), "set up");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_quiet", "app") is not null), "its repository");
        // The sync that made it over (its last write to the namespace precedes the status), so the conflict below meets
        // the release, not a late write of the set-up on a busy machine.
        await Eventually(async () => (await env.GetRecordAsync("quiet"))?["status"]?["phase"]?.GetValue<string>() == "Synced"
                                     && env.Quay.State.Repository("openshift_quiet", "app") is not null, "in step");
        await Task.Delay(500);

        // As the namespace controller's own writes would, a conflict meets the operator's first write to the namespace.
        env.Cluster.ApiServer.Faults.InjectStatus(409, resource: "namespaces", verb: "patch", user: env.OperatorUser);
        await env.Kube.CoreV1.DeleteNamespaceAsync("quiet");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("quiet");
        Assert.Null(env.Quay.State.Organization("openshift_quiet"));
        // The record goes right after the release that let the namespace go.
        await Eventually(async () => await env.GetRecordAsync("quiet") is null, "the record deleted");
        Assert.Contains(log.Rendered(Serilog.Events.LogEventLevel.Debug), m => m.Contains("was written by someone else meanwhile", StringComparison.Ordinal) && m.Contains("releasing it", StringComparison.Ordinal)); // the conflict was met
        Assert.True(!log.Rendered(Serilog.Events.LogEventLevel.Warning).Concat(log.Rendered(Serilog.Events.LogEventLevel.Error)).Any(), string.Join("\n", log.Rendered(Serilog.Events.LogEventLevel.Warning)));
    }

    /// <summary>
    /// While a namespace is deleted, the namespace controller writes its status (the deletion conditions) again and
    /// again. The release carries the resourceVersion it was computed from, so such a write refuses it; it is computed
    /// again from the newer version as soon as the cache shows it, within the same reconcile. (The reconcile failed and
    /// started over from a cache that could still lag, and a few conflicts in a row made a Warning.)
    /// </summary>
    [Fact]
    public async Task Status_writes_during_a_namespace_deletion_do_not_make_its_release_conflict()
    {
        var log = new CapturedLog();
        await using var env = await StartAsync();
        await env.StartOperatorAsync("operator-1", log.OperatorArgs("QuayIntegration.Operator.Controllers.Namespaces.NamespaceReconciler"));
        await env.CreateNamespaceAsync("busy");
        await Eventually(() => env.IsSeededAsync("busy", "openshift_busy"), "set up");

        var release = env.Cluster.ApiServer.Faults.Stall(resource: "namespaces", verb: "patch", name: "busy", user: env.OperatorUser);
        await env.Kube.CoreV1.DeleteNamespaceAsync("busy");
        await Eventually(() => Task.FromResult(release.Held > 0), "the operator's release on its way");
        // The namespace controller's kind of write, landing between the operator's read and its patch.
        var condition = new JsonObject { ["type"] = "NamespaceDeletionContentFailure", ["status"] = "False", ["reason"] = "ContentDeleted", ["message"] = "written by the test" };
        await env.Kube.CoreV1.PatchNamespaceStatusAsync(
            new V1Patch(new JsonObject { ["status"] = new JsonObject { ["conditions"] = new JsonArray(condition) } }.ToJsonString(), V1Patch.PatchType.MergePatch), "busy");
        release.Release();

        await env.Cluster.Oc.WaitForNamespaceGoneAsync("busy");
        Assert.Null(env.Quay.State.Organization("openshift_busy"));
        Assert.DoesNotContain(log.Rendered(Serilog.Events.LogEventLevel.Debug), m => m.Contains("changed while releasing it", StringComparison.Ordinal));
    }
}
