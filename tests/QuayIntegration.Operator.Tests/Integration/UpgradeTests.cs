using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Operator.Tests.Support;
using static QuayIntegration.Operator.Tests.Support.OperatorEnvironment;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// An installation of the version before the ownership record: its world, rebuilt object by object as that version
/// wrote it (namespace annotations organization / organization-ownership, finalizer, label; robots described
/// "Service account ns/sa (QuayIntegration)"; repositories described "ImageStream ns/name"; labelled robot Secrets
/// linked to the service accounts). The new operator takes over without creating or deleting anything, records what it
/// finds, and from then on deletes exactly what the old version had created.
/// </summary>
[Collection(OperatorCollection.Name)]
public sealed class UpgradeTests
{
    [Fact]
    public async Task An_installation_without_records_is_adopted_in_place_and_its_content_deleted_exactly_as_created()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["repositoryDeletionPolicy"] = "Delete";
            spec["allowlistNamespaces"] = new JsonArray("old", "ext");
        });
        using var admin = new QuayAdministrator(env.Quay);
        using var quay = env.Quay.CreateHttpClient(env.Token);

        // "old": an organization the old version created (owned), with its robots, default permissions and a repository.
        await LegacyNamespaceAsync(env, quay, "old", "openshift_old", "owned", createOrganization: true, repositories: ["app"]);
        // "ext": an organization someone else made (external), in which the old version created its robots.
        await admin.CreateOrganizationAsync("openshift_ext");
        admin.AddOwner("openshift_ext", "operator");
        await admin.CreateRobotAsync("openshift_ext", "keeper");
        await LegacyNamespaceAsync(env, quay, "ext", "openshift_ext", "external", createOrganization: false, repositories: []);
        var tokens = env.Quay.State.Organizations.SelectMany(o => o.Robots).ToDictionary(r => r.Name, r => r.Token);
        var writesBefore = Writes(env);

        await env.StartOperatorAsync();
        await Eventually(async () => await env.RecordedOriginAsync("old", "openshift_old") == "Created"
                                     && await env.RecordedOriginAsync("ext", "openshift_ext") == "Found"
                                     && (await env.GetRecordAsync("old"))?["status"]?["phase"]?.GetValue<string>() == "Synced"
                                     && (await env.GetRecordAsync("ext"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "both adopted and synced");
        Assert.True(writesBefore == Writes(env), "nothing may be created, changed or deleted in Quay; writes: " + string.Join(", ",
            env.Quay.Calls.Snapshot().Where(c => c.Method is "POST" or "PUT" or "DELETE").Select(c => $"{c.Method} {c.Route} {c.Status} ×{c.Count}")));
        Assert.Equal(tokens, env.Quay.State.Organizations.SelectMany(o => o.Robots).ToDictionary(r => r.Name, r => r.Token));
        Assert.True(await env.IsSeededAsync("old", "openshift_old"));
        Assert.True(await env.IsSeededAsync("ext", "openshift_ext"));

        // What the old version created is the operator's: its repository goes with its ImageStream (policy Delete) ...
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "old", "imagestreams", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_old", "app") is null), "the old version's repository deleted");
        // ... and the robots it made in someone else's organization go with the namespace; that organization stays.
        await env.Kube.CoreV1.DeleteNamespaceAsync("ext");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("ext");
        Assert.Equal(["openshift_ext+keeper"], env.Quay.State.Organization("openshift_ext")!.Robots.Select(r => r.Name));
        await env.Kube.CoreV1.DeleteNamespaceAsync("old");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("old");
        Assert.Null(env.Quay.State.Organization("openshift_old"));
    }

    /// <summary>
    /// A service account taken out of the matrix while the old version was replaced: its robot, described by the old
    /// version after its service account, was read with no service account to compare the description with and
    /// recorded as someone's, so it stayed, and kept the operator's own organization when the namespace was deleted.
    /// </summary>
    [Fact]
    public async Task A_robot_of_a_service_account_removed_during_the_upgrade_is_known_as_the_earlier_versions()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("gone");
            spec["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" }, new JsonObject { ["name"] = "default", ["role"] = "read" });
        });
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await LegacyNamespaceAsync(env, quay, "gone", "openshift_gone", "owned", createOrganization: true, repositories: []);

        await env.StartOperatorAsync();
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_gone")!.Robots.All(r => r.Name != "openshift_gone+deployer")),
            "the old version's robot of the removed service account deleted");
        await env.Kube.CoreV1.DeleteNamespaceAsync("gone");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("gone");
        Assert.Null(env.Quay.State.Organization("openshift_gone"));
    }

    /// <summary>
    /// Review of 18ac238 (helper-78): the same in an organization someone else made. Only robots carrying this
    /// operator's mark were read for it there, and the old version's only described theirs: the robot of the removed
    /// service account was never recorded, and stayed, with a valid token, after its Secret was deleted.
    /// </summary>
    [Fact]
    public async Task A_robot_of_a_service_account_removed_during_the_upgrade_in_a_found_organization_is_known_as_the_earlier_versions()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("ext");
            spec["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" }, new JsonObject { ["name"] = "default", ["role"] = "read" });
        });
        using var admin = new QuayAdministrator(env.Quay);
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await admin.CreateOrganizationAsync("openshift_ext");
        admin.AddOwner("openshift_ext", "operator");
        await admin.CreateRobotAsync("openshift_ext", "keeper");
        await LegacyNamespaceAsync(env, quay, "ext", "openshift_ext", "external", createOrganization: false, repositories: []);

        await env.StartOperatorAsync();
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_ext")!.Robots.All(r => r.Name != "openshift_ext+deployer")),
            "the old version's robot of the removed service account deleted");
        await env.Kube.CoreV1.DeleteNamespaceAsync("ext");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("ext");
        Assert.Equal(["openshift_ext+keeper"], env.Quay.State.Organization("openshift_ext")!.Robots.Select(r => r.Name));
    }

    /// <summary>
    /// A namespace set up by the old version (its annotations) or by the Go operator (its finalizer alone), found while
    /// no QuayIntegration exists: no Quay client can read what it remembers into a record, so it is held, and says why,
    /// rather than let go and forgotten. A QuayIntegration made later adopts its organization as the operator's, and
    /// deletes it with the namespace.
    /// </summary>
    [Theory]
    [InlineData("annotations")]
    [InlineData("finalizer")]
    public async Task A_namespace_only_an_earlier_operator_remembers_waits_for_a_quay_integration_rather_than_forget(string remembered)
    {
        await using var env = await StartAsync(createIntegration: false);
        using var quay = env.Quay.CreateHttpClient(env.Token);
        if (remembered == "annotations")
            await LegacyNamespaceAsync(env, quay, "old", "openshift_old", "owned", createOrganization: true, repositories: []);
        else
        {
            await LegacyWorld.OkAsync(quay.PostAsJsonAsync("api/v1/organization/", new { name = "openshift_old" }));
            await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace("old"));
        }
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items
                .Any(e => e.InvolvedObject.Name == "old" && e.Reason == "Waiting" && e.Message.Contains("remembered only by the namespace")),
            "the namespace said to wait for a QuayIntegration");
        var ns = (await env.GetNamespaceAsync("old"))!;
        Assert.Contains("quay.redhat.com/quayintegrations", ns.Metadata.Finalizers ?? []);
        if (remembered == "annotations") Assert.Equal("owned", ns.Metadata.Annotations?["quay.redhat.com/organization-ownership"]);

        await ManagedAgainAndDeletedWithItsOrganizationAsync(env);
    }

    /// <summary>
    /// The old version's namespace is still unread when its QuayIntegration, never ready (its token Secret missing), is
    /// deleted with cleanupPolicy Keep, which calls no Quay: what the namespace remembers is read into the record all the
    /// same (it takes the integration's Quay and prefix, no Quay call), the namespace is released, and the integration
    /// goes. A QuayIntegration made later finds the organization on record as the operator's, and deletes it with the
    /// namespace.
    /// </summary>
    [Fact]
    public async Task An_unread_old_namespace_is_recorded_when_its_integration_is_deleted_under_cleanup_policy_keep()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("old"));
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await LegacyNamespaceAsync(env, quay, "old", "openshift_old", "owned", createOrganization: true, repositories: []);
        var token = await DeleteTheIntegrationWhileItsTokenIsMissingAsync(env);
        Assert.Equal("Created", await env.RecordedOriginAsync("old", "openshift_old"));
        Assert.DoesNotContain("quay.redhat.com/quayintegrations", (await env.GetNamespaceAsync("old"))!.Metadata.Finalizers ?? []);

        await env.Kube.CoreV1.CreateNamespacedSecretAsync(token, OperatorNamespace);
        await ManagedAgainAndDeletedWithItsOrganizationAsync(env);
    }

    /// <summary>
    /// The same for a namespace the Go operator held (its finalizer alone), whose inventory takes a Quay client: with
    /// none, what it made could not be told from what people add later, so nothing unmarked in the organization counts
    /// as the operator's from then on. A repository a person adds is then kept, and the organization with it.
    /// </summary>
    [Fact]
    public async Task A_go_operator_organization_released_with_no_quay_to_read_never_takes_what_people_add_later()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("old"));
        using var quay = env.Quay.CreateHttpClient(env.Token);
        using var admin = new QuayAdministrator(env.Quay);
        await LegacyWorld.OkAsync(quay.PostAsJsonAsync("api/v1/organization/", new { name = "openshift_old" }));
        await env.Kube.CoreV1.CreateNamespaceAsync(LegacyWorld.GoNamespace("old"));
        var token = await DeleteTheIntegrationWhileItsTokenIsMissingAsync(env);

        admin.JoinOwners("openshift_old");
        await admin.CreateRepositoryAsync("openshift_old", "mine");
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(token, OperatorNamespace);
        await env.CreateIntegrationAsync(IntegrationName, spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("old");
            spec["repositoryDeletionPolicy"] = "Delete";
        });
        await Eventually(async () => (await env.GetRecordAsync("old"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "managed again");
        await env.Kube.CoreV1.DeleteNamespaceAsync("old");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("old");
        Assert.NotNull(env.Quay.State.Repository("openshift_old", "mine"));
    }

    /// <summary>
    /// An integration whose configuration cannot be read is deleted without waiting for an old namespace it could not
    /// have read either: that namespace keeps waiting, held, for an integration that can.
    /// </summary>
    [Fact]
    public async Task An_integration_whose_configuration_cannot_be_read_is_deleted_without_waiting_for_an_unread_old_namespace()
    {
        await using var env = await StartAsync(spec => spec["driftCheckInterval"] = "99999999h");
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await LegacyNamespaceAsync(env, quay, "old", "openshift_old", "owned", createOrganization: true, repositories: []);
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("ConfigurationValid"))?.Status == "False", "the configuration refused");
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
        await Eventually(async () => await env.GetIntegrationAsync() is null, "the integration gone");
        var ns = (await env.GetNamespaceAsync("old"))!;
        Assert.Contains("quay.redhat.com/quayintegrations", ns.Metadata.Finalizers ?? []);
        Assert.Equal("owned", ns.Metadata.Annotations?["quay.redhat.com/organization-ownership"]);
        Assert.NotNull(env.Quay.State.Organization("openshift_old"));
    }

    /// <summary>
    /// A QuayIntegration selecting "old" is made: the namespace is synced with openshift_old on record as the operator's,
    /// and the organization goes with the namespace.
    /// </summary>
    private static async Task ManagedAgainAndDeletedWithItsOrganizationAsync(OperatorEnvironment env)
    {
        await env.CreateIntegrationAsync(IntegrationName, spec => spec["allowlistNamespaces"] = new JsonArray("old"));
        await Eventually(async () => (await env.GetRecordAsync("old"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "managed again");
        Assert.Equal("Created", await env.RecordedOriginAsync("old", "openshift_old"));
        await env.Kube.CoreV1.DeleteNamespaceAsync("old");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("old");
        Assert.Null(env.Quay.State.Organization("openshift_old"));
    }

    /// <summary>
    /// The integration never gets ready (its token Secret is missing when the operator starts) and is deleted, with
    /// cleanupPolicy Keep: returns the token Secret, to be created again.
    /// </summary>
    private static async Task<V1Secret> DeleteTheIntegrationWhileItsTokenIsMissingAsync(OperatorEnvironment env)
    {
        var token = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token", OperatorNamespace);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Reason == "CredentialsSecretNotFound", "the integration not ready");
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
        await Eventually(async () => await env.GetIntegrationAsync() is null, "the integration gone");
        return new V1Secret { Metadata = new V1ObjectMeta { Name = token.Metadata.Name }, Data = token.Data };
    }

    /// <summary>
    /// Review of b24b624 (helper-69): an earlier version sent an organization's create, wrote "pending" and was replaced
    /// by the upgrade before the answer; the namespace is deleted before any sync. Its "pending" kept no time, so the
    /// teardown forgot the entry at the first look that found nothing, and the create that landed afterwards left an
    /// organization no record remembers. It counts from the moment it is read: looked for during the grace, and
    /// deleted when it lands.
    /// </summary>
    [Fact]
    public async Task A_pending_create_of_an_earlier_version_that_lands_after_its_namespace_was_deleted_is_still_deleted()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("late"));
        await env.Kube.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = "late",
                Finalizers = ["quay.redhat.com/quayintegrations"],
                Labels = new Dictionary<string, string> { ["quay.redhat.com/managed"] = "true" },
                Annotations = new Dictionary<string, string> { ["quay.redhat.com/organization"] = "openshift_late", ["quay.redhat.com/organization-ownership"] = "pending" },
            },
        });
        await env.Kube.CoreV1.DeleteNamespaceAsync("late");
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync("late"))?["status"]?["kept"]?.AsArray()
            .Any(k => k!.GetValue<string>().Contains("may still land")) == true, "the organization looked for", TimeSpan.FromSeconds(30));

        using var quay = env.Quay.CreateHttpClient(env.Token);
        await LegacyWorld.OkAsync(quay.PostAsJsonAsync("api/v1/organization/", new { name = "openshift_late" })); // the create lands
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_late") is null), "the late organization deleted", TimeSpan.FromSeconds(60));
        await Eventually(async () => await env.GetRecordAsync("late") is null, "the record let go");
    }

    /// <summary>
    /// helper-95 #4: the operator's image upgraded, its CustomResourceDefinitions not. The older QuayNamespace schema
    /// has no <c>pendingSince</c> for a default permission, and the API server prunes it from every record written, so
    /// each look started the create's grace afresh, and the wait never ended. What the API server kept is now compared
    /// with what was sent: the namespace is failing with a Warning Event that names the field and the fix, no create is
    /// sent, and what was written ahead for it is withdrawn (helper-97 #1: kept with no time, it stood for a create
    /// never sent, and took the default permission the robot's owner gave it meanwhile for the operator's, to be
    /// deleted with the namespace). Once the schema is brought up to date the operator goes on. From Kubernetes 1.25 the
    /// API server refuses the write (fieldValidation=Strict); before, it drops the field silently and the operator
    /// withdraws what it wrote.
    /// </summary>
    [Theory]
    [InlineData("v1.32.0")]
    [InlineData("v1.24.17")]
    public async Task A_record_field_an_older_custom_resource_definition_drops_is_told_and_nothing_is_done_that_it_would_lose(string kubernetesVersion)
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("older");
            spec["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "builder", ["role"] = "write" }, new JsonObject { ["name"] = "deployer", ["role"] = "read" });
        });
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift_older");
        admin.AddOwner("openshift_older", "operator");
        // Someone's robots: their default permissions are written ahead, each with its time.
        await admin.CreateRobotAsync("openshift_older", "builder");
        await admin.CreateRobotAsync("openshift_older", "deployer");
        const string field = "organizations/items/properties/defaultPermissions/items/properties/pendingSince";
        var before = await OlderSchemaAsync(env, field, kubernetesVersion);

        var first = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("older");
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == "older" && e.Reason == "OwnershipRecordFieldsDropped",
            "the dropped field told", TimeSpan.FromSeconds(30));
        Assert.Equal("Warning", told.Type);
        Assert.Contains("spec.organizations[0].defaultPermissions[0].pendingSince", told.Message);
        Assert.Contains("CustomResourceDefinition is older than this operator", told.Message);
        await Eventually(async () => (await env.GetRecordAsync("older"))?["status"]?["lastError"]?.GetValue<string>().Contains("older than this operator") == true,
            "the record's status says why");
        await admin.CreateDefaultPermissionAsync("openshift_older", "openshift_older+builder", "read"); // the robot's owner's, meanwhile
        await Task.Delay(3000); // the retries meanwhile
        // Stopped, so no retry's write ahead is read before its withdrawal (a window an older server leaves open).
        await env.StopOperatorAsync(first);
        Assert.Single(env.Quay.State.Organization("openshift_older")!.Prototypes);
        Assert.DoesNotContain("defaultPermissions", (await env.GetRecordAsync("older"))!["spec"]!.ToJsonString()); // withdrawn
        // Every version of the record stored meanwhile: a strict write is refused, so none ever held the entry; an older
        // server stored it (without its time), and the operator took it back.
        var stored = await AsAdminAsync(env, $"/apis/quay.redhat.com/v1/quaynamespaces?watch=true&resourceVersion={before}&timeoutSeconds=1");
        Assert.Equal(kubernetesVersion == "v1.24.17", stored.Contains("\"defaultPermissions\"", StringComparison.Ordinal));

        await CurrentSchemaAsync(env, field);
        await env.StartOperatorAsync();
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_older")!.Prototypes.Any(p => p.DelegateName == "openshift_older+deployer")),
            "made once the schema is current", TimeSpan.FromSeconds(30));
        var given = Assert.Single(env.Quay.State.Organization("openshift_older")!.Prototypes, p => p.DelegateName == "openshift_older+deployer");
        var theirs = Assert.Single(env.Quay.State.Organization("openshift_older")!.Prototypes, p => p.DelegateName == "openshift_older+builder");
        Assert.Equal(("read", QuayAdministrator.UserName), (theirs.Role, theirs.CreatedBy));
        await Eventually(async () => (await env.GetRecordAsync("older")) is { } record && record["spec"]!.ToJsonString().Contains(given.Id)
                                     && record["status"]?["phase"]?.GetValue<string>() == "Synced", "recorded, and in step");
        Assert.DoesNotContain(theirs.Id, (await env.GetRecordAsync("older"))!["spec"]!.ToJsonString());

        await env.Kube.CoreV1.DeleteNamespaceAsync("older");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("older");
        Assert.Equal([theirs.Id], env.Quay.State.Organization("openshift_older")!.Prototypes.Select(p => p.Id));
    }

    /// <summary>
    /// helper-98 #4: the organization's create is written ahead with its time, which an older QuayNamespace schema
    /// does not know. A strict write is refused and nothing is stored; an older server stores the entry without the
    /// time, and the operator withdraws it: kept, a <c>Creating</c> entry without a time stood for a create never sent.
    /// No create is sent while the schema is old; once it is current the organization is made, recorded as the
    /// operator's, and deleted with the namespace.
    /// </summary>
    [Theory]
    [InlineData("v1.32.0")]
    [InlineData("v1.24.17")]
    public async Task An_organization_create_written_ahead_without_its_time_is_withdrawn_and_not_sent(string kubernetesVersion)
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("orgless"));
        const string field = "organizations/items/properties/pendingSince";
        var before = await OlderSchemaAsync(env, field, kubernetesVersion);

        var first = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("orgless");
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == "orgless" && e.Reason == "OwnershipRecordFieldsDropped",
            "the dropped field told", TimeSpan.FromSeconds(30));
        Assert.Contains("spec.organizations[0].pendingSince", told.Message);
        await Task.Delay(3000); // the retries meanwhile
        await env.StopOperatorAsync(first); // as above
        Assert.Null(env.Quay.State.Organization("openshift_orgless"));
        Assert.DoesNotContain("organizations", (await env.GetRecordAsync("orgless"))?["spec"]?.ToJsonString() ?? ""); // withdrawn
        var stored = await AsAdminAsync(env, $"/apis/quay.redhat.com/v1/quaynamespaces?watch=true&resourceVersion={before}&timeoutSeconds=1");
        Assert.Equal(kubernetesVersion == "v1.24.17", stored.Contains("\"openshift_orgless\"", StringComparison.Ordinal));

        await CurrentSchemaAsync(env, field);
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync("orgless")) is { } record
                                     && record["spec"]?["organizations"]?[0]?["origin"]?.GetValue<string>() == "Created"
                                     && record["status"]?["phase"]?.GetValue<string>() == "Synced",
            "made and recorded once the schema is current", TimeSpan.FromSeconds(30));
        Assert.NotNull(env.Quay.State.Organization("openshift_orgless"));

        await env.Kube.CoreV1.DeleteNamespaceAsync("orgless");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("orgless");
        Assert.Null(env.Quay.State.Organization("openshift_orgless"));
    }

    private const string RecordSchema = "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/";

    /// <summary>
    /// The QuayNamespace CRD as an older version had it, without <paramref name="field"/> (a date-time under the spec),
    /// on an API server of <paramref name="kubernetesVersion"/>; the records' resourceVersion from then, to watch from.
    /// </summary>
    private static async Task<string> OlderSchemaAsync(OperatorEnvironment env, string field, string kubernetesVersion)
    {
        await env.Kube.ApiextensionsV1.PatchCustomResourceDefinitionAsync(
            new V1Patch($$"""[{"op":"remove","path":"{{RecordSchema + field}}"}]""", V1Patch.PatchType.JsonPatch), "quaynamespaces.quay.redhat.com");
        env.Cluster.ApiServer.Options.KubernetesVersion = kubernetesVersion;
        return JsonNode.Parse(await AsAdminAsync(env, "/apis/quay.redhat.com/v1/quaynamespaces"))!["metadata"]!["resourceVersion"]!.GetValue<string>();
    }

    /// <summary>The field <see cref="OlderSchemaAsync"/> removed put back: this version's CRD applied.</summary>
    private static Task CurrentSchemaAsync(OperatorEnvironment env, string field) =>
        env.Kube.ApiextensionsV1.PatchCustomResourceDefinitionAsync(new V1Patch(
            $$$"""[{"op":"add","path":"{{{RecordSchema + field}}}","value":{"type":"string","format":"date-time"}}]""", V1Patch.PatchType.JsonPatch),
            "quaynamespaces.quay.redhat.com");

    /// <summary>A GET of the emulated API server as its administrator, the body as it came (a watch's events, one per line).</summary>
    private static async Task<string> AsAdminAsync(OperatorEnvironment env, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, env.Cluster.BaseUrl + path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", env.Cluster.ApiServer.AdminToken);
        using var response = await env.Kube.HttpClient.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The namespace, Quay content and Secrets as the version before the ownership record left them.</summary>
    private static async Task LegacyNamespaceAsync(OperatorEnvironment env, HttpClient quay, string ns, string org, string ownership,
        bool createOrganization, string[] repositories)
    {
        if (createOrganization) await LegacyWorld.OkAsync(quay.PostAsJsonAsync("api/v1/organization/", new { name = org }));
        foreach (var (sa, role) in new[] { ("builder", "write"), ("default", "read"), ("deployer", "read") })
        {
            await LegacyWorld.OkAsync(quay.PutAsJsonAsync($"api/v1/organization/{org}/robots/{sa}", new { description = $"Service account {ns}/{sa} (QuayIntegration)" }));
            await LegacyWorld.OkAsync(quay.PostAsJsonAsync($"api/v1/organization/{org}/prototypes",
                new JsonObject { ["role"] = role, ["delegate"] = new JsonObject { ["kind"] = "user", ["name"] = $"{org}+{sa}" } }));
        }
        foreach (var repository in repositories)
            await LegacyWorld.OkAsync(quay.PostAsJsonAsync("api/v1/repository", new { @namespace = org, repository, visibility = "private", description = $"ImageStream {ns}/{repository}" }));

        await env.Kube.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = ns,
                Finalizers = ["quay.redhat.com/quayintegrations"],
                Labels = new Dictionary<string, string> { ["quay.redhat.com/managed"] = "true" },
                Annotations = new Dictionary<string, string> { ["quay.redhat.com/organization"] = org, ["quay.redhat.com/organization-ownership"] = ownership },
            },
        });
        foreach (var repository in repositories) await env.CreateImageStreamAsync(ns, repository);
        foreach (var sa in new[] { "builder", "default", "deployer" })
        {
            var token = env.Quay.State.Organization(org)!.Robots.Single(r => r.Name == $"{org}+{sa}").Token;
            var name = $"{sa}-quay-openshift";
            var secret = LegacyWorld.DockerConfigSecret(env, name, $"{org}+{sa}", token);
            secret.Metadata.Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "quay-integration-operator" };
            secret.Metadata.Annotations = new Dictionary<string, string>
            {
                ["quay.redhat.com/robot"] = $"{org}+{sa}", ["quay.redhat.com/host"] = env.Quay.RegistryHost, ["quay.redhat.com/service-account"] = sa,
            };
            await env.Kube.CoreV1.CreateNamespacedSecretAsync(secret, ns);
            await LegacyWorld.LinkAsync(env, ns, sa, name);
        }
    }

    private static long Writes(OperatorEnvironment env) =>
        env.Quay.Calls.Snapshot().Where(c => c.Method is "POST" or "PUT" or "DELETE").Sum(c => c.Count);
}
