using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Faults;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// A cluster the Go Quay Bridge Operator managed, rebuilt as it leaves it (from its source: controllers/namespace_controller.go,
/// build_controller.go, pkg/webhook, pkg/credentials): the organization <c>&lt;prefix&gt;_&lt;namespace&gt;</c>, robots
/// named after the service accounts without description or metadata, default permissions, repositories with an empty
/// description, unlabelled <c>&lt;sa&gt;-quay-&lt;clusterID&gt;</c> Secrets linked to the service accounts, its namespace
/// finalizer and no annotations; and Builds its webhook rewrote (its annotations, not this operator's label) in several
/// phases. This operator then starts in its place.
/// </summary>
[Collection(OperatorCollection.Name)]
public sealed class MigrationFromGoOperatorTests
{
    private const string Ns = "legacy";
    private const string Org = "openshift_legacy";
    private const string Managed = "quay-registry-operator.quay.redhat.com/quay-registry-operator-managed";
    private const string Destination = "quay-registry-operator.quay.redhat.com/destination-imagestream";
    private const string Imported = "quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported";
    private const string ManagedBuildLabel = "quay.redhat.com/managed-build";

    [Fact]
    public async Task The_go_operators_world_is_taken_over_in_place_and_its_pending_builds_imported_exactly_once()
    {
        await using var env = await StartAsync();
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await GoOperatorNamespaceAsync(env, quay);

        // Builds its webhook rewrote: one complete but never imported (the Go operator imports only on an update after
        // completion), one it imported, one that failed, and one still on its way when the operators change.
        var complete = await GoRewrittenBuildAsync(env, "v1");
        await env.Cluster.Oc.WaitForBuildPhaseAsync(Ns, complete, "Complete", TimeSpan.FromSeconds(30));
        var imported = await GoRewrittenBuildAsync(env, "v0");
        await env.Cluster.Oc.WaitForBuildPhaseAsync(Ns, imported, "Complete", TimeSpan.FromSeconds(30));
        await AnnotateAsync(env, imported, Imported, "true");
        var failed = await GoRewrittenBuildAsync(env, "v9", repository: "gone");
        await env.Cluster.Oc.WaitForBuildPhaseAsync(Ns, failed, "Failed", TimeSpan.FromSeconds(30));
        var tokens = env.Quay.State.Organization(Org)!.Robots.ToDictionary(r => r.Name, r => r.Token);
        var writes = LegacyWorld.SuccessfulApiWrites(env);
        env.Cluster.ApiServer.Requests.Reset();

        var pending = await GoRewrittenBuildAsync(env, "v2");
        await env.StartOperatorAsync();

        // The namespace is taken over: synced, recorded as created by the operator (the Go operator deleted it with the
        // namespace), and nothing created twice, changed or deleted in Quay; the Secrets keep their names and tokens.
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over and synced");
        var organization = (await env.GetRecordAsync(Ns))!["spec"]!["organizations"]!.AsArray().Single()!;
        Assert.Equal(("Created", "quay-bridge-operator"), (organization["origin"]!.GetValue<string>(), organization["adoptedFrom"]!.GetValue<string>()));
        Assert.True(await env.IsSeededAsync(Ns, Org));
        Assert.Equal(tokens, env.Quay.State.Organization(Org)!.Robots.ToDictionary(r => r.Name, r => r.Token));
        Assert.Equal(writes, LegacyWorld.SuccessfulApiWrites(env));
        foreach (var sa in new[] { "builder", "default", "deployer" })
        {
            var account = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync(sa, Ns);
            Assert.Single(account.Secrets, s => s.Name == $"{sa}-quay-openshift");
            Assert.Single(account.ImagePullSecrets, s => s.Name == $"{sa}-quay-openshift");
            Assert.Equal("quay-integration-operator", (await env.GetSecretAsync(Ns, $"{sa}-quay-openshift"))!.Metadata.Labels["app.kubernetes.io/managed-by"]);
        }
        Assert.Equal(3, (await env.Kube.CoreV1.ListNamespacedSecretAsync(Ns)).Items.Count(s => s.Metadata.Name.Contains("-quay-")));

        // Its pending Builds: the complete one and the one in progress are imported, each exactly once; the one it had
        // imported and the failed one are left alone.
        await env.Cluster.Oc.WaitForBuildPhaseAsync(Ns, pending, "Complete", TimeSpan.FromSeconds(30));
        foreach (var build in new[] { complete, pending })
            await Eventually(async () => (await env.Cluster.Oc.GetBuildAsync(Ns, build))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
                $"build {build} imported");
        var stream = (await env.Cluster.Oc.GetImageStreamAsync(Ns, "app"))!;
        var tags = stream["status"]!["tags"]!.AsArray().Select(t => t!["tag"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["v1", "v2"], tags);
        Assert.StartsWith($"{env.Quay.RegistryHost}/{Org}/app@sha256:", stream["status"]!["tags"]![0]!["items"]![0]!["dockerImageReference"]!.GetValue<string>());
        await Task.Delay(1000); // a second import would come now
        var imports = env.Cluster.ApiServer.Requests.Requests()
            .Where(r => r.Key is { Verb: "create", Resource: "imagestreamimports", Namespace: Ns }).Sum(r => r.Value);
        Assert.Equal(2, imports);
        Assert.Null((await env.Cluster.Oc.GetBuildAsync(Ns, failed))!["metadata"]!["labels"]?[ManagedBuildLabel]);

        // Deleting the namespace deletes the organization, as the Go operator would have.
        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.Null(env.Quay.State.Organization(Org));
    }

    /// <summary>
    /// The Go operator never deleted a repository with its ImageStream; it deleted the whole organization with the
    /// namespace. Its repositories count as this operator's (they carry no mark), so with repositoryDeletionPolicy Delete
    /// the one left by an ImageStream deleted before the takeover, and the one whose ImageStream goes after it, are
    /// deleted; and the organization still goes with the namespace, not held back by them.
    /// </summary>
    [Fact]
    public async Task The_go_operators_repositories_follow_the_deletion_policy_and_do_not_keep_its_organization()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await GoOperatorNamespaceAsync(env, quay);
        // An ImageStream deleted while the Go operator ran: its repository stayed, the robots' roles on it with it.
        await env.CreateImageStreamAsync(Ns, "old");
        await LegacyWorld.GoRepositoryAsync(quay, Org, "old");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", Ns, "imagestreams", "old");
        Assert.NotNull(env.Quay.State.Repository(Org, "old"));

        await env.StartOperatorAsync();
        await Eventually(() => Task.FromResult(env.Quay.State.Repository(Org, "old") is null), "the left-over repository deleted");
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over and synced");

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", Ns, "imagestreams", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository(Org, "app") is null), "the ImageStream's repository deleted with it");
        var record = (await env.GetRecordAsync(Ns))!;
        Assert.Null(record["spec"]!["organizations"]!.AsArray().Single()!["repositories"]?.AsArray().FirstOrDefault(r => r!["origin"]?.GetValue<string>() == "Found"));

        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.Null(env.Quay.State.Organization(Org));
    }

    /// <summary>
    /// Review of 18ac238 (helper-78): the Go operator also used an organization that existed already, made by someone
    /// for the namespace. Its finalizer made the organization count as created, and everything unmarked in it as the Go
    /// operator's: the namespace's deletion deleted the organization with the person's repository. The Go operator made
    /// its organizations with no email or <c>&lt;name&gt;@redhat.com</c>; one showing another address is found: kept,
    /// with what carries no mark, while the Go operator's robots go.
    /// </summary>
    /// <remarks>Also under a prefix that gives another name: the namespace keeps using the organization (helper-79).</remarks>
    [Theory]
    [InlineData("openshift")]
    [InlineData("team")]
    public async Task An_organization_someone_made_that_the_go_operator_only_used_is_never_deleted(string prefix)
    {
        await using var env = await StartAsync(spec =>
        {
            spec["organizationPrefix"] = prefix;
            // deployer left the matrix: the Go operator's robot for it goes, and its Secret with it (helper-79).
            spec["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" }, new JsonObject { ["name"] = "default", ["role"] = "read" });
        });
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await PersonMadeOrganizationTheGoOperatorUsedAsync(env, quay);

        await env.StartOperatorAsync();
        await Eventually(async () => await env.RecordedOriginAsync(Ns, Org) == "Found"
                                     && (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over as found, and synced");
        await env.EventAsync("default", e => e.InvolvedObject.Name == Ns && e.Reason == "OrganizationFound", "the OrganizationFound Event");
        Assert.DoesNotContain(env.Quay.State.Organization(Org)!.Robots, r => r.Name == $"{Org}+deployer");
        await Eventually(async () => await env.GetSecretAsync(Ns, "deployer-quay-openshift") is null, "the Go operator's Secret of the deleted robot deleted");
        // Synced again, it stays where its images are.
        await env.CreateImageStreamAsync(Ns, "later");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository(Org, "later") is not null), "the next ImageStream's repository in the same organization");
        Assert.Null(env.Quay.State.Organization($"{prefix}_{Ns}" == Org ? "none" : $"{prefix}_{Ns}"));

        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.NotNull(env.Quay.State.Organization(Org));
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
        Assert.Empty(env.Quay.State.Organization(Org)!.Robots);
    }

    /// <summary>
    /// Review of 91218f7 (helper-84): the first inventory of an organization someone made marks it Found, and may fail
    /// after that (a robot read Quay does not answer); its record is saved all the same, and the retry, seeing Found
    /// rather than Created, no longer took the organization for someone's: their unmarked repositories were recorded
    /// as the Go operator's, and deleted for having no ImageStream.
    /// </summary>
    [Fact]
    public async Task An_inventory_that_failed_part_way_still_leaves_the_repositories_of_whoever_made_the_organization()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await PersonMadeOrganizationTheGoOperatorUsedAsync(env, quay);
        // Every attempt of the inventory's first robot read fails: the inventory stops after the organization's lookup.
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/{orgname}/robots/{robot_shortname}", Method = "GET", ErrorRate = 1, ErrorStatuses = [503], Times = 4 });

        await env.StartOperatorAsync();
        await Eventually(async () => await env.RecordedOriginAsync(Ns, Org) == "Found"
                                     && (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over as found, and synced");
        Assert.True(env.Quay.Calls.CountByStatus(503) > 0, "the robot read never failed: the test proves nothing");
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
    }

    /// <summary>
    /// Review of 25e7a23 (helper-85): a first inventory that recorded the organization's unmarked repositories as
    /// inherited, then failed (a Secret read), and on its retry learnt the organization is someone's, left those
    /// repositories recorded as inherited: deleted for having no ImageStream.
    /// </summary>
    [Fact]
    public async Task An_inventory_retried_after_its_organization_turned_out_someones_leaves_their_repositories()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "True", "Ready");
        await LegacyWorld.GoOrganizationAsync(quay, Org);
        await LegacyWorld.GoRepositoryAsync(quay, Org, "theirs");
        // The inventory's Secret reads fail: it stops after recording the repositories, and its record is saved.
        env.Cluster.ApiServer.Faults.InjectStatus(500, count: 1000, resource: "secrets", verb: "get", user: env.OperatorUser);
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace(Ns));
        await LegacyWorld.GoSecretsAsync(env, Ns, Org, "openshift");
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["spec"]?["organizations"]?.AsArray()
            .FirstOrDefault(o => o?["name"]?.GetValue<string>() == Org)?["repositories"]?.AsArray()
            .Any(r => r?["name"]?.GetValue<string>() == "theirs" && r["origin"]?.GetValue<string>() == "Created") == true, "the repositories recorded before the failure");
        // The retry comes from a new leader: an attempt of the first one still on its way, which asked before the
        // email changed, could otherwise read the Secrets once the faults are gone and finish the inventory as told then.
        await env.StopOperatorAsync(env.Operators.Single());
        // Meanwhile the organization shows its maker's email.
        await LegacyWorld.OkAsync(quay.PutAsJsonAsync($"api/v1/organization/{Org}", new { email = "legacy-team@example.com" }));
        env.Cluster.ApiServer.Faults.Reset();
        await env.StartOperatorAsync("operator-2");

        await Eventually(async () => await env.RecordedOriginAsync(Ns, Org) == "Found"
                                     && (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "found someone's, and synced");
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
    }

    /// <summary>
    /// Review of 65f9c16 (helper-79): who made an organization the Go operator used was asked only at the takeover's
    /// inventory. One that an earlier version inventoried without asking stayed Created and was deleted with the
    /// namespace, the repositories of whoever made it with it. Such an inventory is asked once, at the next look.
    /// </summary>
    [Fact]
    public async Task An_organization_someone_made_that_an_earlier_version_inventoried_as_the_go_operators_is_never_deleted()
    {
        await using var env = await StartAsync();
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await EarlierVersionsInventoryOfSomeonesOrganizationAsync(env, quay);


        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => await env.RecordedOriginAsync(Ns, Org) == "Found", "the organization known as someone's");
        await env.EventAsync("default", e => e.InvolvedObject.Name == Ns && e.Reason == "OrganizationFound", "the OrganizationFound Event");
        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.NotNull(env.Quay.State.Organization(Org));
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
        Assert.NotNull(env.Quay.State.Repository(Org, "app")); // unmarked: the Go operator's or theirs, no one can tell
    }

    /// <summary>
    /// Review of efc7cc7 (helpers 85-87): Quay shows who made an organization to its administrators only, so a
    /// full-access superuser's token, which may act in and delete any organization, is told nothing of one a person
    /// made that the Go operator used. While untold, the organization is kept (the status says so while synced) and
    /// what in it carries no mark counts as someone's, even under repositoryDeletionPolicy Delete; at the namespace's
    /// deletion the Go operator's robots and the repository the operator made for an ImageStream go all the same (they
    /// stayed before), the organization and the person's repository stay. Once the operator's user is made an owner,
    /// the email tells whose it is, and the record lets it go.
    /// </summary>
    [Fact]
    public async Task An_organization_whose_maker_quay_does_not_show_is_kept_with_what_carries_no_mark_while_the_go_operators_robots_go()
    {
        const string token = "superuser-token-untold-0123";
        await using var superuserQuay = await QuayEmulator.StartAsync(new QuayEmulatorOptions { NamespaceGcDelay = TimeSpan.FromMilliseconds(300), SuperusersFullAccess = true }
            .WithUserToken("operator", token, QuayScopes.All, superuser: true));
        await using var env = await StartAsync(spec =>
        {
            spec["repositoryDeletionPolicy"] = "Delete";
            spec["driftCheckInterval"] = "3s";
        }, sharedQuay: superuserQuay, sharedToken: token);
        using var quay = env.Quay.CreateHttpClient(env.Token);
        using var person = new QuayAdministrator(env.Quay);
        // The Go operator ran with the superuser's token: its robots and default permissions in the person's organization.
        await PersonMadeOrganizationTheGoOperatorUsedAsync(env, quay, maker: person);

        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync(Ns)) is { } record && record["status"]?["phase"]?.GetValue<string>() == "Synced"
                                     && record["status"]?["kept"]?.AsArray().Any(k => k!.GetValue<string>().Contains("does not show the operator's user who made it")) == true,
            "synced, the organization said to be kept");
        await env.CreateImageStreamAsync(Ns, "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository(Org, "app") is not null), "the ImageStream's repository made");
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs")); // no ImageStream, but not the operator's to delete

        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        await Eventually(() => Task.FromResult(env.Quay.State.Organization(Org)!.Robots.Count == 0 && env.Quay.State.Repository(Org, "app") is null),
            "the Go operator's robots and the operator's repository deleted");
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
        Assert.Equal("Created", await env.RecordedOriginAsync(Ns, Org));

        person.AddOwner(Org, "operator");
        await Eventually(async () => await env.GetRecordAsync(Ns) is null, "the record let go once the email tells", TimeSpan.FromSeconds(30));
        Assert.NotNull(env.Quay.State.Organization(Org));
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
    }

    /// <summary>
    /// Review of bbe148d (helper-87): an earlier version's inventory recorded a person's repository as the Go
    /// operator's; the maker, asked now, is untold. Answering "someone's" for good would outlive a token fixed later;
    /// leaving the record as it is let repositoryDeletionPolicy Delete delete the repository for having no ImageStream.
    /// While untold, what carries no mark counts as someone's whatever the record says.
    /// </summary>
    [Fact]
    public async Task While_the_maker_is_untold_a_repository_an_earlier_inventory_took_for_the_go_operators_is_kept()
    {
        const string token = "superuser-token-untold-4567";
        await using var superuserQuay = await QuayEmulator.StartAsync(new QuayEmulatorOptions { NamespaceGcDelay = TimeSpan.FromMilliseconds(300), SuperusersFullAccess = true }
            .WithUserToken("operator", token, QuayScopes.All, superuser: true));
        await using var env = await StartAsync(sharedQuay: superuserQuay, sharedToken: token);
        using var quay = env.Quay.CreateHttpClient(env.Token);
        using var person = new QuayAdministrator(env.Quay);
        await PersonMadeOrganizationTheGoOperatorUsedAsync(env, quay, maker: person);
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over and synced");
        await env.StopOperatorAsync(env.Operators.Single());

        // What an earlier version left: the repository on record as inherited, the maker never asked.
        var record = await env.Kube.CustomObjects.GetClusterCustomObjectAsync<JsonObject>("quay.redhat.com", "v1", "quaynamespaces", Ns);
        var entry = record["spec"]!["organizations"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == Org)!.AsObject();
        Assert.Null(entry["adoptedMakerChecked"]);
        entry["repositories"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "theirs")!["origin"] = "Created";
        await env.Kube.CustomObjects.ReplaceClusterCustomObjectAsync(record, "quay.redhat.com", "v1", "quaynamespaces", Ns);
        await env.PatchIntegrationSpecAsync(new JsonObject { ["repositoryDeletionPolicy"] = "Delete" });

        await env.StartOperatorAsync("operator-2");
        // The new leader's first sync reads Quay and judges the repository under Delete, at the latest in the sync that
        // makes the first marker's repository; the second marker's is made by a sync after that one has ended.
        foreach (var marker in new[] { "marker-1", "marker-2" })
        {
            await env.CreateImageStreamAsync(Ns, marker);
            await Eventually(() => Task.FromResult(env.Quay.State.Repository(Org, marker) is not null), "the repository of " + marker);
        }
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
        // Someone's at use only: the record keeps what the earlier inventory said, for the day Quay tells who made it.
        Assert.Equal("Created", (await env.GetRecordAsync(Ns))!["spec"]!["organizations"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == Org)!
            ["repositories"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == "theirs")!["origin"]!.GetValue<string>());

        // And at the namespace's deletion: the repositories the operator made go, theirs stays (judged at use there too).
        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns, TimeSpan.FromSeconds(30));
        Assert.Null(env.Quay.State.Repository(Org, "marker-1"));
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
    }

    /// <summary>
    /// Review of efc7cc7 (helpers 85-88): the Go operator made the organization (no email) with a token of its own user;
    /// the operator's token is another user's, neither one of its administrators nor a superuser, and cannot read inside
    /// (403 on its robots). The takeover's inventory failed on that read at the namespace's deletion: the namespace
    /// stayed Terminating. Letting go of the organization (the namespace deleted, or released under cleanupPolicy
    /// Delete) now takes an empty inventory, since access granted months later could not tell what the Go operator made
    /// from what people added meanwhile: once the operator's user is made an owner, the organization is kept for what is
    /// in it (the Go operator's robots and a repository someone added since), and nothing is deleted.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_go_organization_the_token_cannot_read_inside_is_let_go_with_nothing_unmarked_in_it_ever_taken(bool namespaceDeleted)
    {
        await using var env = await StartAsync(spec =>
        {
            spec["driftCheckInterval"] = "3s";
            spec["cleanupPolicy"] = "Delete";
            spec["repositoryDeletionPolicy"] = "Delete";
        });
        using var person = new QuayAdministrator(env.Quay);
        // The Go operator ran with the person's token (the operator's was made for it later).
        using var goOperator = env.Quay.CreateHttpClient(env.Quay.AddToken(person.Name, QuayScopes.All & ~QuayScopes.SuperUser));
        await LegacyWorld.GoOrganizationAsync(goOperator, Org);
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace(Ns));
        await LegacyWorld.GoSecretsAsync(env, Ns, Org, "openshift");
        await env.StartOperatorAsync();
        await Eventually(async () => await env.GetRecordAsync(Ns) is not null, "the namespace taken over");

        if (namespaceDeleted)
        {
            await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
            await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns, TimeSpan.FromSeconds(30));
        }
        else await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("elsewhere") });
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["kept"]?.AsArray()
            .Any(k => k!.GetValue<string>().Contains("does not show the operator's user who made it")) == true, "the organization listed as kept");
        // A namespace that stays is released all the same (helper-89: the refusal failed the release until someone acted).
        if (!namespaceDeleted)
            await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Released", "released");
        Assert.Equal(3, env.Quay.State.Organization(Org)!.Robots.Count);

        await person.CreateRepositoryAsync(Org, "later", description: "");
        person.AddOwner(Org, "operator");
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["kept"]?.AsArray()
            .Any(k => k!.GetValue<string>().Contains("Quay would delete with it what the operator may not delete")) == true, "kept for what is in it", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(4)); // another drift interval: still nothing deleted
        Assert.NotNull(env.Quay.State.Organization(Org));
        Assert.NotNull(env.Quay.State.Repository(Org, "later"));
        Assert.Equal(3, env.Quay.State.Organization(Org)!.Robots.Count);
    }

    /// <summary>
    /// Review of 23a3a41 (helper-86): an earlier version's inventory asked who made the organization, told "someone
    /// else", and its repository list then failed. Had the answer been saved then (it was, for a moment), the retry
    /// would never turn the unmarked repositories into theirs, and repositoryDeletionPolicy Delete deleted them for
    /// having no ImageStream. The organization is saved Found at once, the answer only once the repositories are turned.
    /// </summary>
    [Fact]
    public async Task An_earlier_inventorys_ask_that_fails_after_the_answer_still_leaves_their_repositories()
    {
        await using var env = await StartAsync();
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await EarlierVersionsInventoryOfSomeonesOrganizationAsync(env, quay);
        await env.PatchIntegrationSpecAsync(new JsonObject { ["repositoryDeletionPolicy"] = "Delete" });
        // Every attempt of the first repository list (the ask's, right after the answer) fails.
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/repository", Method = "GET", ErrorRate = 1, ErrorStatuses = [503], Times = 4 });

        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => await env.RecordedOriginAsync(Ns, Org) == "Found"
                                     && (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "known as someone's, and synced");
        Assert.True(env.Quay.Calls.CountByStatus(503) > 0, "the repository list never failed: the test proves nothing");
        Assert.NotNull(env.Quay.State.Repository(Org, "theirs"));
    }

    /// <summary>
    /// Unmarked content counts as the Go operator's only if it was there when this operator first looked (its inventory,
    /// recorded): a repository and a robot a person adds to the organization afterwards are theirs. The repository,
    /// which the Go operator's default permissions give its robots, is not taken for an ImageStream's left-over and
    /// deleted; at namespace deletion both stay, and so does the organization that holds them, while what the Go
    /// operator made in it goes.
    /// </summary>
    [Fact]
    public async Task What_a_person_adds_after_the_takeover_is_never_taken_for_the_go_operators()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var quay = env.Quay.CreateHttpClient(env.Token);
        using var admin = new QuayAdministrator(env.Quay);
        await GoOperatorNamespaceAsync(env, quay);
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over and synced");
        var organization = (await env.GetRecordAsync(Ns))!["spec"]!["organizations"]!.AsArray().Single()!;
        Assert.True(organization["adoptedContentRecorded"]!.GetValue<bool>());
        Assert.Equal(["app:Created"], organization["repositories"]!.AsArray().Select(r => $"{r!["name"]}:{r["origin"]}"));

        admin.JoinOwners(Org);
        await admin.CreateRepositoryAsync(Org, "handmade");
        await admin.CreateRobotAsync(Org, "keeper");
        Assert.Equal("write", env.Quay.State.Repository(Org, "handmade")!.UserPermissions[$"{Org}+builder"]); // held through the default permissions
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", Ns, "imagestreams", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository(Org, "app") is null), "the ImageStream's repository deleted with it");
        await Eventually(async () => (await env.GetRecordAsync(Ns))!["spec"]!["organizations"]![0]!["repositories"]?.AsArray()
            .Any(r => r!["name"]!.GetValue<string>() == "handmade" && r["origin"]!.GetValue<string>() == "Found") == true, "the person's repository recorded Found");
        Assert.NotNull(env.Quay.State.Repository(Org, "handmade"));

        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.NotNull(env.Quay.State.Repository(Org, "handmade"));
        Assert.Equal([$"{Org}+keeper"], env.Quay.State.Organization(Org)!.Robots.Select(r => r.Name));
        Assert.Contains("repository handmade", (await env.GetRecordAsync(Ns))!["status"]!["kept"]!.ToJsonString());
    }

    /// <summary>
    /// A namespace deleted before this operator ever looked at it, whose organization a person had added a robot to:
    /// the teardown takes the inventory first, so the person's robot is not inherited and keeps the organization, and a
    /// repository the person adds while it is kept is theirs too, however often the deletion is tried again.
    /// </summary>
    [Fact]
    public async Task An_organization_kept_at_teardown_before_any_sync_does_not_inherit_what_people_add_later()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var quay = env.Quay.CreateHttpClient(env.Token);
        using var admin = new QuayAdministrator(env.Quay);
        await GoOperatorNamespaceAsync(env, quay);
        admin.JoinOwners(Org);
        await admin.CreateRobotAsync(Org, "ci");
        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns); // held by the Go operator's finalizer until an operator cleans up

        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "NamespaceDeleted", "torn down");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.Equal([$"{Org}+ci"], env.Quay.State.Organization(Org)!.Robots.Select(r => r.Name)); // the Go operator's robots went
        Assert.Null(env.Quay.State.Repository(Org, "app"));

        await admin.CreateRepositoryAsync(Org, "mirror");
        long RobotLists() => env.Quay.Calls.Snapshot().Where(c => c is { Method: "GET", Route: "/api/v1/organization/{orgname}/robots" }).Sum(c => c.Count);
        var before = RobotLists();
        await Eventually(() => Task.FromResult(RobotLists() >= before + 2), "the deletion tried again twice"); // each try lists the robots first
        Assert.NotNull(env.Quay.State.Repository(Org, "mirror"));
        Assert.NotNull(env.Quay.State.Organization(Org));
        var record = (await env.GetRecordAsync(Ns))!;
        Assert.True(record["spec"]!["organizations"]![0]!["adoptedContentRecorded"]!.GetValue<bool>());
        var kept = string.Join("; ", record["status"]!["kept"]!.AsArray().Select(k => k!.GetValue<string>()));
        Assert.Contains($"repository mirror, robot {Org}+ci", kept);
    }

    /// <summary>
    /// The Go operator's Secret of a robot that leaves with the takeover (its service account is not in this operator's
    /// matrix): recorded at the inventory, so it is taken out of the service account and deleted with its robot, not
    /// left behind holding a dead login.
    /// </summary>
    [Fact]
    public async Task The_go_operators_secret_goes_with_a_robot_the_matrix_no_longer_wants()
    {
        await using var env = await StartAsync(spec => spec["serviceAccounts"] = new JsonArray(
            new JsonObject { ["name"] = "builder", ["role"] = "write" }, new JsonObject { ["name"] = "default", ["role"] = "read" }));
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await GoOperatorNamespaceAsync(env, quay);
        await env.StartOperatorAsync();

        await Eventually(() => Task.FromResult(env.Quay.State.Organization(Org)!.Robots.All(r => r.Name != $"{Org}+deployer")), "the deployer robot deleted");
        await Eventually(async () => await env.GetSecretAsync(Ns, "deployer-quay-openshift") is null, "its Secret deleted");
        var deployer = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("deployer", Ns);
        Assert.DoesNotContain(deployer.ImagePullSecrets ?? [], s => s.Name == "deployer-quay-openshift");
        Assert.DoesNotContain(deployer.Secrets ?? [], s => s.Name == "deployer-quay-openshift");
        Assert.NotNull(await env.GetSecretAsync(Ns, "builder-quay-openshift"));
    }

    /// <summary>
    /// Review of b24b624 (helper-69, helper-73): the Go operator named organizations after the cluster ID alone (its CRD
    /// has organizationPrefix, which it never read when naming). Taken over under a QuayIntegration that sets a prefix,
    /// the prefix's organization (someone's here, the operator an owner) was recorded as the Go operator's, its unmarked
    /// content taken for the Go operator's, and the real one forgotten. The Go operator's organization is the one
    /// adopted, and the namespace keeps it while the prefix stays what it was at the takeover: nothing moves, no pull
    /// breaks, its Secrets keep their robots, and the organization under the prefix's name is never touched. A prefix
    /// changed afterwards moves the namespace as any prefix change does; the Go organization is then a former one, kept
    /// under Keep, and deleted with the namespace.
    /// </summary>
    [Fact]
    public async Task A_go_namespace_under_a_prefix_the_go_operator_never_used_keeps_the_go_organization()
    {
        await using var env = await StartAsync(spec => spec["organizationPrefix"] = "team");
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await GoOperatorNamespaceAsync(env, quay);
        const string theirs = "team_legacy";
        await LegacyWorld.OkAsync(quay.PostAsJsonAsync("api/v1/organization/", new { name = theirs }));
        await LegacyWorld.GoRepositoryAsync(quay, theirs, "tools");
        var tokens = env.Quay.State.Organization(Org)!.Robots.ToDictionary(r => r.Name, r => r.Token);

        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over and synced");
        var entry = (await env.GetRecordAsync(Ns))!["spec"]!["organizations"]!.AsArray().Single()!;
        Assert.Equal((Org, "Created", "quay-bridge-operator", "team"),
            (entry["name"]!.GetValue<string>(), entry["origin"]!.GetValue<string>(), entry["adoptedFrom"]!.GetValue<string>(), entry["keptWhilePrefix"]!.GetValue<string>()));
        Assert.Equal(Org, (await env.GetNamespaceAsync(Ns))!.Metadata.Annotations["quay.redhat.com/organization"]);
        Assert.Equal(tokens, env.Quay.State.Organization(Org)!.Robots.ToDictionary(r => r.Name, r => r.Token));
        Assert.Contains($"{Org}+builder", LoginOf(env, (await env.GetSecretAsync(Ns, "builder-quay-openshift"))!));
        Assert.Empty(env.Quay.State.Organization(theirs)!.Robots);

        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "later" });
        await Eventually(() => env.IsSeededAsync(Ns, "later_legacy"), "moved once the prefix changed after the takeover");
        Assert.NotNull(env.Quay.State.Organization(Org)); // cleanupPolicy Keep: the former organization stays, listed
        // Changed back, the prefix moves the namespace to the prefix's organization, as any prefix change does: the
        // Go operator's was kept for the takeover only.
        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "team" });
        await Eventually(async () => (await env.GetNamespaceAsync(Ns))?.Metadata.Annotations?["quay.redhat.com/organization"] == theirs
                                     && (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "moved to the prefix's organization");

        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.Null(env.Quay.State.Organization(Org));
        Assert.Null(env.Quay.State.Organization("later_legacy"));
        Assert.NotNull(env.Quay.State.Repository(theirs, "tools"));
    }

    /// <summary>
    /// helper-99 #1: the Go operator named its organization and Secrets after its own clusterID, which this operator's
    /// rules may refuse (dots) or the admin may change at the move. The organization was taken to be the one the
    /// integration's clusterID gives: absent, it was made anew ("re-created … deleted in Quay", false), and the Go
    /// operator's organization, robots and Secrets were forgotten, never deleted with the namespace. Its Secrets say
    /// which clusterID it used: that organization is taken over, and deleted with the namespace as the Go operator did.
    /// </summary>
    [Fact]
    public async Task A_go_namespace_named_after_another_cluster_id_is_taken_over_by_what_its_secrets_say()
    {
        const string goOrg = "apps.ocp4_legacy";
        await using var env = await StartAsync(); // clusterID "openshift"
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await LegacyWorld.GoOrganizationAsync(quay, goOrg);
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace(Ns));
        await env.CreateImageStreamAsync(Ns, "app");
        await LegacyWorld.GoRepositoryAsync(quay, goOrg, "app");
        await LegacyWorld.GoSecretsAsync(env, Ns, goOrg, "apps.ocp4");
        var tokens = env.Quay.State.Organization(goOrg)!.Robots.ToDictionary(r => r.Name, r => r.Token);

        await env.StartOperatorAsync();
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == Ns && e.Reason == "GoOperatorOrganizationFound", "the Go operator's clusterID told");
        Assert.Contains("apps.ocp4", told.Message);
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over and synced");
        var entry = (await env.GetRecordAsync(Ns))!["spec"]!["organizations"]!.AsArray().Single()!;
        Assert.Equal((goOrg, "Created", "quay-bridge-operator"),
            (entry["name"]!.GetValue<string>(), entry["origin"]!.GetValue<string>(), entry["adoptedFrom"]!.GetValue<string>()));
        Assert.Null(env.Quay.State.Organization(Org));
        Assert.Equal(tokens, env.Quay.State.Organization(goOrg)!.Robots.ToDictionary(r => r.Name, r => r.Token));
        Assert.Contains($"{goOrg}+builder", LoginOf(env, (await env.GetSecretAsync(Ns, "builder-quay-openshift"))!));
        // Its Secrets, recorded as inherited, give way to the operator's under this integration's clusterID, as at a
        // clusterID change: unlinked and deleted, not left linked with working logins for good.
        await Eventually(async () => await env.GetSecretAsync(Ns, "builder-quay-apps.ocp4") is null, "the Go operator's Secret replaced");
        var builder = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("builder", Ns);
        Assert.DoesNotContain(builder.ImagePullSecrets ?? [], r => r.Name == "builder-quay-apps.ocp4");
        var events = (await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items.Where(e => e.InvolvedObject.Name == Ns).ToList();
        Assert.DoesNotContain(events, e => e.Message.Contains("deleted in Quay", StringComparison.Ordinal));

        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.Null(env.Quay.State.Organization(goOrg));
    }

    /// <summary>
    /// helper-99 #1, the doubtful cases (helper-101 #3): the namespace's Go operator Secrets name a clusterID a
    /// QuayIntegration could keep but this one does not use (they may be another cluster's, the namespace restored
    /// from its backup on a Quay both share: taken over, that cluster's organization would be deleted with the
    /// namespace), or several clusterIDs, none this integration's (which one the Go operator used last cannot be
    /// told). None is taken over: told, the organizations left as they are, and the namespace set up as a new one.
    /// </summary>
    [Theory]
    [InlineData("east")]
    [InlineData("east.a", "west.b")]
    public async Task A_go_namespace_whose_secrets_name_a_cluster_id_it_cannot_trust_takes_over_none(params string[] ids)
    {
        await using var env = await StartAsync();
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace(Ns));
        foreach (var id in ids)
        {
            await LegacyWorld.GoOrganizationAsync(quay, $"{id}_{Ns}");
            await LegacyWorld.GoSecretsAsync(env, Ns, $"{id}_{Ns}", id);
        }

        await env.StartOperatorAsync();
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == Ns && e.Reason == "GoOperatorOrganizationNotTakenOver", "the doubt told");
        Assert.Equal("Warning", told.Type);
        Assert.Contains(string.Join(", ", ids.Select(id => $"'{id}'")), told.Message);
        await Eventually(() => env.IsSeededAsync(Ns, Org), "set up as a new namespace");
        Assert.Equal(["Created"], (await env.GetRecordAsync(Ns))!["spec"]!["organizations"]!.AsArray().Select(o => o!["origin"]!.GetValue<string>()));

        await env.Kube.CoreV1.DeleteNamespaceAsync(Ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(Ns);
        Assert.Null(env.Quay.State.Organization(Org));
        foreach (var id in ids) Assert.Equal(3, env.Quay.State.Organization($"{id}_{Ns}")!.Robots.Count);
    }

    /// <summary>
    /// Review of 10986c7 (helper-75): the Go operator's organization, kept for the namespace, is deleted in Quay. It was
    /// made again under the cluster-ID name, a name no prefix gives, as the operator's own. Nothing of the Go operator's
    /// is left to keep: the namespace moves to the organization its prefix gives, and the old name is not made again.
    /// </summary>
    [Fact]
    public async Task A_kept_go_organization_deleted_in_quay_is_not_made_again_and_the_namespace_moves_to_its_prefixs()
    {
        await using var env = await StartAsync(spec => spec["organizationPrefix"] = "team");
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await GoOperatorNamespaceAsync(env, quay);
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over and synced");

        // Deleted while the operator is stopped, and purged by Quay's garbage collection before it looks again, so that
        // the name could be taken anew.
        await env.StopOperatorAsync(env.Operators.Single());
        await LegacyWorld.OkAsync(quay.DeleteAsync($"api/v1/organization/{Org}"));
        await Task.Delay(3000);
        await env.StartOperatorAsync("operator-2");
        await Eventually(() => env.IsSeededAsync(Ns, "team_legacy"), "moved to the prefix's organization");
        Assert.Null(env.Quay.State.Organization(Org));
        Assert.DoesNotContain((await env.GetRecordAsync(Ns))!["spec"]!["organizations"]!.AsArray(), o => o!["name"]!.GetValue<string>() == Org);
    }

    /// <summary>
    /// Review of d589f16 (helper-75): the Go operator's Builds are adopted as the new leader starts, beside the first
    /// sync of their namespaces. One looked at before its namespace had a record named an organization the record did
    /// not hold yet, and was marked for good as pushed to an organization the namespace had left. With no record yet
    /// it waits, and is imported once the namespace is set up.
    /// </summary>
    [Fact]
    public async Task A_go_operator_build_looked_at_before_its_namespace_has_a_record_waits_and_is_imported()
    {
        await using var env = await StartAsync();
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await GoOperatorNamespaceAsync(env, quay);
        var complete = await GoRewrittenBuildAsync(env, "v1");
        await env.Cluster.Oc.WaitForBuildPhaseAsync(Ns, complete, "Complete", TimeSpan.FromSeconds(30));

        // The namespace's record cannot be written yet: the Build is adopted (labelled) and looked at first.
        var stall = env.Cluster.ApiServer.Faults.Stall(resource: "quaynamespaces", verb: "create", user: env.OperatorUser);
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.Cluster.Oc.GetBuildAsync(Ns, complete))?["metadata"]?["labels"]?[ManagedBuildLabel]?.GetValue<string>() == "true",
            "the Go operator's build adopted");
        await Task.Delay(2000); // the import is looked at meanwhile
        Assert.Null((await env.Cluster.Oc.GetBuildAsync(Ns, complete))!["metadata"]!["annotations"]!["quay.redhat.com/import-skipped"]);

        stall.Release();
        await Eventually(async () => (await env.Cluster.Oc.GetBuildAsync(Ns, complete))?["metadata"]?["annotations"]?[Imported]?.GetValue<string>() == "true",
            "the build imported once the namespace is set up");
    }

    private static string LoginOf(OperatorEnvironment env, V1Secret secret) =>
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(
            JsonNode.Parse(secret.Data[".dockerconfigjson"])!["auths"]![env.Quay.RegistryHost]!["auth"]!.GetValue<string>()));

    /// <summary>The namespace and its Quay content as the Go operator set them up.</summary>
    /// <summary>
    /// The Go operator's namespace in an organization someone made (with their email and their repository
    /// <c>theirs</c>), which the Go operator only used: its robots, default permissions and Secrets added to it, with
    /// <paramref name="quay"/>. The organization and <c>theirs</c> are made with the same token, or by
    /// <paramref name="maker"/> (then the token's user is not one of its administrators).
    /// </summary>
    private static async Task PersonMadeOrganizationTheGoOperatorUsedAsync(OperatorEnvironment env, HttpClient quay, QuayAdministrator? maker = null)
    {
        if (maker is null)
        {
            await LegacyWorld.OkAsync(quay.PostAsJsonAsync("api/v1/organization/", new { name = Org, email = "legacy-team@example.com" }));
            await LegacyWorld.GoRepositoryAsync(quay, Org, "theirs");
        }
        else
        {
            await maker.CreateOrganizationAsync(Org, "legacy-team@example.com");
            await maker.CreateRepositoryAsync(Org, "theirs", description: "");
        }
        await LegacyWorld.GoOrganizationAsync(quay, Org, adopt: true);
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace(Ns));
        await LegacyWorld.GoSecretsAsync(env, Ns, Org, "openshift");
    }

    /// <summary>
    /// What an earlier version left: a Go takeover's inventory (with the unmarked repository <c>theirs</c> recorded as
    /// inherited) without the answer of who made the organization, which now shows its maker's email (as one someone
    /// made and the Go operator only used does). The operator is stopped.
    /// </summary>
    private static async Task EarlierVersionsInventoryOfSomeonesOrganizationAsync(OperatorEnvironment env, HttpClient quay)
    {
        await GoOperatorNamespaceAsync(env, quay);
        await LegacyWorld.GoRepositoryAsync(quay, Org, "theirs");
        await env.StartOperatorAsync();
        await Eventually(async () => await env.RecordedOriginAsync(Ns, Org) == "Created"
                                     && (await env.GetRecordAsync(Ns))?["status"]?["phase"]?.GetValue<string>() == "Synced", "taken over and synced");
        await env.StopOperatorAsync(env.Operators.Single());
        var record = await env.Kube.CustomObjects.GetClusterCustomObjectAsync<JsonObject>("quay.redhat.com", "v1", "quaynamespaces", Ns);
        Assert.True(record["spec"]!["organizations"]!.AsArray().Single(o => o!["name"]!.GetValue<string>() == Org)!.AsObject().Remove("adoptedMakerChecked"));
        await env.Kube.CustomObjects.ReplaceClusterCustomObjectAsync(record, "quay.redhat.com", "v1", "quaynamespaces", Ns);
        await LegacyWorld.OkAsync(quay.PutAsJsonAsync($"api/v1/organization/{Org}", new { email = "legacy-team@example.com" }));
    }

    private static async Task GoOperatorNamespaceAsync(OperatorEnvironment env, HttpClient quay)
    {
        await LegacyWorld.GoOrganizationAsync(quay, Org);
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace(Ns));
        await env.CreateImageStreamAsync(Ns, "app");
        await LegacyWorld.GoRepositoryAsync(quay, Org, "app");
        await LegacyWorld.GoSecretsAsync(env, Ns, Org, "openshift");
    }

    /// <summary>A Build as the Go operator's webhook left it: output rewritten to Quay, its two annotations, no label.</summary>
    private static async Task<string> GoRewrittenBuildAsync(OperatorEnvironment env, string tag, string repository = "app")
    {
        var build = BuildWebhookTests.BuildObject(Ns, new JsonObject
        {
            ["to"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = $"{env.Quay.RegistryHost}/{Org}/{repository}:{tag}" },
        });
        build["spec"]!["serviceAccount"] = "builder";
        build["metadata"]!["annotations"] = new JsonObject { [Managed] = "true", [Destination] = $"{Ns}/{repository}:{tag}" };
        var created = await env.Kube.CustomObjects.CreateNamespacedCustomObjectAsync(build, "build.openshift.io", "v1", Ns, "builds");
        return JsonNode.Parse(((System.Text.Json.JsonElement)created).GetRawText())!["metadata"]!["name"]!.GetValue<string>();
    }

    private static Task AnnotateAsync(OperatorEnvironment env, string build, string key, string value) =>
        env.Kube.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch(new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [key] = value } },
        }.ToJsonString(), V1Patch.PatchType.MergePatch), "build.openshift.io", "v1", Ns, "builds", build);
}
