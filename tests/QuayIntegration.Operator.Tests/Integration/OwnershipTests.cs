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
/// "Delete exactly what the operator created, whatever the history of the configuration; never forget what it created":
/// one test per history that used to break it, through the emulated cluster and Quay. Objects made by hand are made by
/// another Quay user (<see cref="QuayAdministrator"/>), so the emulator's state says who created what.
/// </summary>
[Collection(OwnershipCollection.Name)]
public sealed class OwnershipTests
{
    private const string Operator = "operator";

    /// <summary>
    /// An organization someone makes between Quay's "absent" and the operator's create (another cluster's operator
    /// sharing the Quay, a person) is theirs: Quay's "already exists" is taken for the operator's own create only when an
    /// earlier attempt had written one ahead. Here the create is held 600 ms on its way while a person makes the
    /// organization.
    /// </summary>
    [Fact]
    public async Task An_organization_made_by_someone_else_while_the_operators_create_is_on_its_way_is_theirs()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("race"));
        using var admin = new QuayAdministrator(env.Quay);
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", LatencyMs = 600, Times = 1 });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("race");
        // Looked at often: the person has the 600 ms the create is held to make the organization.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await env.RecordedOriginAsync("race", "openshift_race") != "Creating")
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the create was never written ahead");
            await Task.Delay(10);
        }
        await admin.CreateOrganizationAsync("openshift_race");
        admin.AddOwner("openshift_race", Operator);

        await Eventually(() => env.IsSeededAsync("race", "openshift_race"), "set up in the organization the person made");
        Assert.Equal("Found", await env.RecordedOriginAsync("race", "openshift_race"));
        Assert.Equal(QuayAdministrator.UserName, env.Quay.State.Organization("openshift_race")!.CreatedBy);
        await env.Kube.CoreV1.DeleteNamespaceAsync("race");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("race");
        Assert.NotNull(env.Quay.State.Organization("openshift_race"));
    }

    /// <summary>
    /// A create answered 429 never reached Quay: nginx's rate limit answers it (the only 429 Quay's API sends to a bearer
    /// token), so it made nothing and nothing of it can land later. An organization someone makes after it is theirs.
    /// (The 429 was taken for an answer lost: the create stayed pending, and the organization, whose email the
    /// operator's user cannot see, could not be told apart: the namespace asked to make the operator an owner of it.)
    /// </summary>
    [Fact]
    public async Task An_organization_someone_makes_after_the_operators_create_was_rate_limited_is_theirs()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("limited"));
        using var admin = new QuayAdministrator(env.Quay);
        // The operator's calls only, as nginx limits one client: the person's create goes through meanwhile.
        var limited = env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", RateLimitRate = 1, BearerToken = env.Token });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("limited");
        await Eventually(() => Task.FromResult(env.Quay.Faults.Rules.Single(r => r.Id == limited).Rule.TimesMatched > 0), "the create rate limited");
        await admin.CreateOrganizationAsync("openshift_limited");
        env.Quay.Faults.Remove(limited);

        await Eventually(async () => await env.RecordedOriginAsync("limited", "openshift_limited") == "Found", "theirs");
        Assert.Equal(QuayAdministrator.UserName, env.Quay.State.Organization("openshift_limited")!.CreatedBy);
    }

    /// <summary>
    /// A Quay user holds the organization's name: Quay's create says "already exists" and no organization of that name
    /// shows. Nothing was made and nothing can be used, so nothing is recorded, and the namespace fails saying a user
    /// holds the name. (It was recorded as a found organization, told in an Event as someone's organization in use,
    /// and written twice at every attempt.)
    /// </summary>
    [Fact]
    public async Task A_name_a_quay_user_holds_is_reported_not_recorded_as_a_found_organization()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("taken"));
        env.Quay.AddUser("openshift_taken");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("taken");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "taken" && e.Type == "Warning" && e.Message.Contains("a Quay user holds the name"),
            "the namespace told a user holds the name");
        // Between attempts (each writes its create ahead, and withdraws it at the refusal).
        await Eventually(async () => await env.RecordedOriginAsync("taken", "openshift_taken") is null, "nothing on record");
        Assert.DoesNotContain((await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items,
            e => e.InvolvedObject.Name == "taken" && e.Reason == "OrganizationExists");
    }

    /// <summary>
    /// The record of a namespace whose organization was just created holds its finalizer from the write ahead on, so
    /// nobody can delete it and make the operator forget the organization, even when the sync fails before the
    /// namespace is claimed (here the claim's patch meets a conflict, as it does when another controller writes the
    /// namespace at that moment). Every version of the record the API server ever serves holds it.
    /// </summary>
    [Fact]
    public async Task A_sync_that_fails_before_the_claim_never_lets_go_of_the_record_it_wrote_ahead()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("fresh"));
        await env.CreateNamespaceAsync("fresh");
        // Labelled already, so the claim is the sync's first write to the namespace, the one that fails.
        await env.LabelNamespaceAsync("fresh", "quay.redhat.com/managed", "pending");
        await Eventually(async () => (await env.Kube.CoreV1.ReadNamespaceAsync("fresh")).Metadata.Annotations?.ContainsKey("openshift.io/sa.scc.mcs") == true,
            "project set up");

        // Watched from the list's resourceVersion, so the API server replays every version written after it, however
        // late the watch connects.
        var listed = await env.Kube.CustomObjects.ListClusterCustomObjectAsync<JsonObject>("quay.redhat.com", "v1", "quaynamespaces");
        var versions = new List<string>();
        using var stop = new CancellationTokenSource();
        var watch = Task.Run(async () =>
        {
            try
            {
                await foreach (var (_, change) in env.Kube.CustomObjects.WatchListClusterCustomObjectAsync("quay.redhat.com", "v1", "quaynamespaces",
                                   resourceVersion: listed["metadata"]!["resourceVersion"]!.GetValue<string>(), cancellationToken: stop.Token))
                {
                    var record = System.Text.Json.JsonSerializer.SerializeToNode(change)!;
                    lock (versions)
                        versions.Add($"{record["spec"]?["organizations"]?[0]?["origin"]} finalizers {record["metadata"]?["finalizers"]?.ToJsonString() ?? "none"}");
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        });

        env.Cluster.ApiServer.Faults.InjectStatus(409, resource: "namespaces", verb: "patch");
        await env.StartOperatorAsync();
        await Eventually(() => env.IsSeededAsync("fresh", "openshift_fresh"), "synced after the conflict");
        await Task.Delay(500);
        await stop.CancelAsync();
        await watch;

        lock (versions)
        {
            Assert.Contains(versions, v => v.StartsWith("Creating", StringComparison.Ordinal)); // written ahead
            Assert.All(versions, v => Assert.Contains("quay.redhat.com/ownership-record", v));
        }
        Assert.Equal("Created", (await env.GetRecordAsync("fresh"))!["spec"]!["organizations"]![0]!["origin"]!.GetValue<string>());
    }

    [Fact]
    public async Task Repository_deletion_policy_deletes_only_repositories_the_operator_created()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("shop");
        await Eventually(() => env.IsSeededAsync("shop", "openshift_shop"), "namespace set up");

        // Someone makes a repository by hand before the ImageStream of the same name exists.
        admin.JoinOwners("openshift_shop");
        await admin.CreateRepositoryAsync("openshift_shop", "handmade");
        await env.CreateImageStreamAsync("shop", "handmade");
        await env.CreateImageStreamAsync("shop", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_shop", "handmade")?.UserPermissions.Count >= 4
                                               && env.Quay.State.Repository("openshift_shop", "app") is not null), "both repositories with robot permissions");
        Assert.Equal(QuayAdministrator.UserName, env.Quay.State.Repository("openshift_shop", "handmade")!.CreatedBy);

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "shop", "imagestreams", "handmade");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "shop", "imagestreams", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_shop", "app") is null), "the operator's repository deleted");
        // A marker ImageStream after both deletions: once its repository exists, both deletions have been processed.
        await env.CreateImageStreamAsync("shop", "marker");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_shop", "marker") is not null), "a later repository");
        Assert.NotNull(env.Quay.State.Repository("openshift_shop", "handmade"));
        var repositories = (await env.GetRecordAsync("shop"))!["spec"]!["organizations"]![0]!["repositories"]!.AsArray();
        Assert.Contains(repositories, r => r!["name"]!.GetValue<string>() == "handmade" && r["origin"]!.GetValue<string>() == "Found");
    }

    /// <summary>
    /// helper-119 #1: a repository someone made by hand before its ImageStream (recorded Found) is deleted by them, and the
    /// operator makes it again for the ImageStream; the create's answer is lost (Quay made it, the retry is told "already
    /// exists"), or the operator is killed before its record says so. The entry stayed Found and was never looked at
    /// again: the operator's own repository counted as someone's, and was not deleted with its ImageStream under
    /// repositoryDeletionPolicy Delete (in an organization the operator created, it would also have held the
    /// organization back for good). Both histories seen failing without the fix.
    /// </summary>
    [Theory]
    [InlineData("answer lost")]
    [InlineData("killed before the record's save")]
    public async Task A_repository_the_operator_makes_again_after_someones_was_deleted_is_the_operators(string history)
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var admin = new QuayAdministrator(env.Quay);
        var first = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("redo");
        await Eventually(() => env.IsSeededAsync("redo", "openshift_redo"), "namespace set up");
        admin.JoinOwners("openshift_redo");
        await admin.CreateRepositoryAsync("openshift_redo", "app");
        await env.CreateImageStreamAsync("redo", "app");
        await Eventually(async () => RepositoryOrigin(await env.GetRecordAsync("redo"), "app") == "Found", "someone's repository recorded as theirs");

        // Quay makes the next repository asked for, and its answer is lost: nginx answers 504 once it stops waiting, at
        // once, or not before the operator is killed (the create done, the record not saved).
        var killed = history.StartsWith("killed", StringComparison.Ordinal);
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/repository", Method = "POST", TimeoutAfterHandlingRate = 1, HangMs = killed ? 600_000 : 0, Times = 1 });
        await admin.DeleteRepositoryAsync("openshift_redo", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_redo", "app")?.CreatedBy == Operator), "made again by the operator",
            TimeSpan.FromSeconds(30));
        if (killed)
        {
            await env.KillOperatorAsync(first);
            await env.StartOperatorAsync("operator-2");
        }
        await Eventually(async () => RepositoryOrigin(await env.GetRecordAsync("redo"), "app") == "Created", "recorded as the operator's", TimeSpan.FromSeconds(30));

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "redo", "imagestreams", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_redo", "app") is null), "deleted with its ImageStream");
    }

    /// <summary>
    /// Review of fea582d (helper-120 #2): a repository on record as someone's (Found) stays theirs whatever its
    /// description says later. Its owner writes the operator's mark for it into its description and takes the robots'
    /// roles away: the operator took the repository for gone (no robot held a role on it), forgot it was someone's,
    /// tried to make it, was told "already exists", read the mark and recorded it as the operator's; deleted with its
    /// ImageStream. It is read first now: there, it stays Found, and only the roles are given again.
    /// </summary>
    [Fact]
    public async Task A_repository_on_record_as_someones_stays_theirs_when_its_robots_lose_their_roles()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var admin = new QuayAdministrator(env.Quay);
        var first = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("theirs");
        await Eventually(() => env.IsSeededAsync("theirs", "openshift_theirs"), "namespace set up");
        admin.JoinOwners("openshift_theirs");
        await admin.CreateRepositoryAsync("openshift_theirs", "app");
        await env.CreateImageStreamAsync("theirs", "app");
        await env.CreateImageStreamAsync("theirs", "other");
        await Eventually(async () => RepositoryOrigin(await env.GetRecordAsync("theirs"), "app") == "Found"
                                     && RepositoryOrigin(await env.GetRecordAsync("theirs"), "other") == "Created", "theirs and the operator's recorded");

        // All at once for the operator (stopped meanwhile): no robot holds a role on it when it looks next.
        await env.StopOperatorAsync(first);
        var mark = env.Quay.State.Repository("openshift_theirs", "other")!.Description!.Replace("theirs/other;", "theirs/app;", StringComparison.Ordinal);
        await admin.SetRepositoryDescriptionAsync("openshift_theirs", "app", mark);
        var creates = env.Quay.Calls.Count("POST", "/api/v1/repository");
        foreach (var account in new[] { "builder", "default", "deployer" })
            await admin.DeleteRepositoryPermissionAsync("openshift_theirs", "app", "openshift_theirs+" + account);
        await env.StartOperatorAsync("operator-2");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_theirs", "app")!.UserPermissions.Count(p => p.Key.StartsWith("openshift_theirs+", StringComparison.Ordinal)) == 3),
            "the roles given again", TimeSpan.FromSeconds(30));
        Assert.Equal(creates, env.Quay.Calls.Count("POST", "/api/v1/repository")); // not taken for gone
        Assert.Equal("Found", RepositoryOrigin(await env.GetRecordAsync("theirs"), "app"));

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "theirs", "imagestreams", "app");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "theirs", "imagestreams", "other");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_theirs", "other") is null), "the operator's deleted with its ImageStream");
        Assert.NotNull(env.Quay.State.Repository("openshift_theirs", "app"));
    }

    /// <summary>
    /// Review of fea582d (helper-120 #1): the operator's repository whose description someone rewrote (its mark gone)
    /// and whose robots lost their roles is taken for gone; its create is told "already exists", and the repository is
    /// read: someone's from then on, and the namespace told so in a RepositoryMarkLost Event, as on every other path
    /// (it was recorded someone's without a word).
    /// </summary>
    [Fact]
    public async Task A_repository_of_the_operators_that_lost_its_mark_and_its_robots_roles_is_told_as_someones()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var admin = new QuayAdministrator(env.Quay);
        var first = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("rewritten");
        await env.CreateImageStreamAsync("rewritten", "app");
        await Eventually(async () => RepositoryOrigin(await env.GetRecordAsync("rewritten"), "app") == "Created"
                                     && env.Quay.State.Repository("openshift_rewritten", "app")!.UserPermissions.Count >= 3, "the operator's repository");

        await env.StopOperatorAsync(first); // all at once for the operator: no robot holds a role on it when it looks next
        admin.JoinOwners("openshift_rewritten");
        await admin.SetRepositoryDescriptionAsync("openshift_rewritten", "app", "# app\n\nOurs now.");
        foreach (var account in new[] { "builder", "default", "deployer" })
            await admin.DeleteRepositoryPermissionAsync("openshift_rewritten", "app", "openshift_rewritten+" + account);
        await env.StartOperatorAsync("operator-2");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "rewritten" && e.Reason == "RepositoryMarkLost"
                                             && e.Message.Contains("openshift_rewritten/app", StringComparison.Ordinal), "the namespace told", TimeSpan.FromSeconds(30));
        Assert.Equal("Found", RepositoryOrigin(await env.GetRecordAsync("rewritten"), "app"));
    }

    /// <summary>
    /// helper-119 #2: a team's script makes repository app-cache in the namespace's organization with the settings of
    /// app, the operator's, description included. The mark was only the description's end, so app-cache counted as the
    /// operator's, and with no ImageStream of that name it was deleted under repositoryDeletionPolicy Delete, images and
    /// all. The mark counts on the repository it names only.
    /// </summary>
    [Fact]
    public async Task A_repository_whose_description_someone_copied_from_the_operators_is_theirs()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("copy");
        await env.CreateImageStreamAsync("copy", "app");
        await Eventually(async () => RepositoryOrigin(await env.GetRecordAsync("copy"), "app") == "Created", "the operator's repository");

        admin.JoinOwners("openshift_copy");
        await admin.CreateRepositoryAsync("openshift_copy", "app-cache", env.Quay.State.Repository("openshift_copy", "app")!.Description!);
        await Eventually(async () => RepositoryOrigin(await env.GetRecordAsync("copy"), "app-cache") == "Found", "the copy recorded as someone's", TimeSpan.FromSeconds(30));
        Assert.NotNull(env.Quay.State.Repository("openshift_copy", "app-cache"));
        Assert.Equal("Created", RepositoryOrigin(await env.GetRecordAsync("copy"), "app"));
    }

    /// <summary>
    /// Review of fea582d (helper-120 #3, helper-121 #3): text someone puts in front of the operator's mark (a README's
    /// first lines), and an editor's last newline after it, leave the repository the operator's, as it was before the
    /// mark had to name the repository: deleted with its ImageStream under repositoryDeletionPolicy Delete, not kept
    /// for good as someone's.
    /// </summary>
    [Fact]
    public async Task A_repository_whose_description_got_text_in_front_of_the_mark_is_still_the_operators()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("prefaced");
        await env.CreateImageStreamAsync("prefaced", "app");
        await Eventually(async () => RepositoryOrigin(await env.GetRecordAsync("prefaced"), "app") == "Created", "the operator's repository");
        admin.JoinOwners("openshift_prefaced");
        var mark = env.Quay.State.Repository("openshift_prefaced", "app")!.Description!;
        await admin.SetRepositoryDescriptionAsync("openshift_prefaced", "app", "# app\n\nBuilt by our pipeline.\n\n" + mark + "\n"); // an editor's last newline too

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "prefaced", "imagestreams", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_prefaced", "app") is null), "deleted with its ImageStream");
    }

    private static string? RepositoryOrigin(JsonNode? record, string repository) =>
        record?["spec"]?["organizations"]?[0]?["repositories"]?.AsArray().FirstOrDefault(r => r?["name"]?.GetValue<string>() == repository)?["origin"]?.GetValue<string>();

    /// <summary>
    /// Two ImageStreams go under repositoryDeletionPolicy Delete; the first repository is deleted, then Quay fails (503)
    /// on the second, which stops the pass. The deletion that happened is told all the same: the record no longer
    /// lists that repository, so no later pass could. (Nothing said so: no Event, no log line.)
    /// </summary>
    [Fact]
    public async Task A_deletion_made_before_quay_failed_later_in_the_same_pass_is_told()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("ledger");
        await env.CreateImageStreamAsync("ledger", "first");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_ledger", "first") is not null), "the first repository made");
        await env.CreateImageStreamAsync("ledger", "second");
        await Eventually(async () => env.Quay.State.Repository("openshift_ledger", "second") is not null
                                     && (await env.GetRecordAsync("ledger"))!["spec"]!["organizations"]![0]!["repositories"]!.AsArray().Count == 2, "both on record, in that order");
        env.Quay.Faults.Add(new FaultRule { Method = "DELETE", PathContains = "openshift_ledger/second", ErrorRate = 1, ErrorStatuses = [503] });

        // The second first: once its deletion fails, the first's deletion is met in a pass that goes on to the second.
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "ledger", "imagestreams", "second");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "ledger" && e.Reason == "QuaySyncFailed", "the second's deletion failing");
        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "ledger", "imagestreams", "first");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "ledger" && e.Reason == "RepositoryDeleted"
                                             && e.Message.Contains("openshift_ledger/first", StringComparison.Ordinal), "the deletion told");
        Assert.Null(env.Quay.State.Repository("openshift_ledger", "first"));
        Assert.NotNull(env.Quay.State.Repository("openshift_ledger", "second"));
    }

    /// <summary>
    /// The operator's repository has its description rewritten in Quay (a CI job copying a README in), so the mark at
    /// its end is gone; then its ImageStream is deleted under repositoryDeletionPolicy Delete. It cannot be told from a
    /// repository made again by someone: kept, and the namespace is told in an Event rather than the record turning
    /// it into someone's without a word.
    /// </summary>
    [Fact]
    public async Task A_repository_whose_description_lost_the_operators_mark_is_kept_and_the_namespace_told()
    {
        await using var env = await StartAsync(spec => spec["repositoryDeletionPolicy"] = "Delete");
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("readme");
        await env.CreateImageStreamAsync("readme", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_readme", "app") is not null), "the repository made");
        admin.JoinOwners("openshift_readme");
        await admin.SetRepositoryDescriptionAsync("openshift_readme", "app", "# app\n\nBuilt by our pipeline.");

        await env.Kube.CustomObjects.DeleteNamespacedCustomObjectAsync("image.openshift.io", "v1", "readme", "imagestreams", "app");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "readme" && e.Reason == "RepositoryMarkLost"
                                             && e.Message.Contains("openshift_readme/app", StringComparison.Ordinal), "the namespace told");
        Assert.NotNull(env.Quay.State.Repository("openshift_readme", "app"));
        Assert.Equal("# app\n\nBuilt by our pipeline.", env.Quay.State.Repository("openshift_readme", "app")!.Description);
    }

    [Fact]
    public async Task A_namespace_that_leaves_scope_and_comes_back_is_managed_again_and_its_organization_deleted_with_it()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("roam");
        await Eventually(() => env.IsSeededAsync("roam", "openshift_roam"), "set up");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["denylistNamespaces"] = new JsonArray("roam") });
        await Eventually(async () => (await env.GetNamespaceAsync("roam"))!.Metadata.Finalizers?.Contains("quay.redhat.com/quayintegrations") != true,
            "released (finalizer removed)");
        Assert.Equal("Released", (await env.GetRecordAsync("roam"))!["status"]!["phase"]!.GetValue<string>());
        Assert.NotNull(env.Quay.State.Organization("openshift_roam")); // cleanupPolicy Keep
        Assert.NotNull((await env.GetRecordAsync("roam"))!["status"]!["kept"]);

        await env.PatchIntegrationSpecAsync(new JsonObject { ["denylistNamespaces"] = new JsonArray() });
        await Eventually(async () => (await env.GetNamespaceAsync("roam"))!.Metadata.Finalizers?.Contains("quay.redhat.com/quayintegrations") == true
                                     && (await env.GetRecordAsync("roam"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "managed again");
        Assert.Equal("Created", await env.RecordedOriginAsync("roam", "openshift_roam"));
        // Nothing is kept any more: the list of the release is gone from the status, not left beside "Synced".
        var status = (await env.GetRecordAsync("roam"))!["status"]!;
        Assert.Null(status["kept"]);
        Assert.Null(status["keptCount"]);

        await env.Kube.CoreV1.DeleteNamespaceAsync("roam");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("roam");
        Assert.Null(env.Quay.State.Organization("openshift_roam"));
        Assert.Null(await env.GetRecordAsync("roam"));
    }

    /// <summary>
    /// helper-94 #1: the robot Secrets are written, but linking them to their service accounts keeps failing, so the
    /// sync never got to record them (only a Secret whose link succeeded was); then the cluster ID changes. An
    /// unrecorded Secret is the operator's only under the name the current cluster ID gives it, so the former cluster
    /// ID's Secrets, holding working robot logins, stayed for good. A Secret is now on record as soon as it is written.
    /// </summary>
    [Fact]
    public async Task A_robot_secret_whose_link_failed_is_not_forgotten_when_the_cluster_ID_changes()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("unlinked"));
        await env.StartOperatorAsync();
        env.Cluster.ApiServer.Faults.InjectStatus(500, count: int.MaxValue, resource: "serviceaccounts", verb: "patch", user: env.OperatorUser);
        await env.CreateNamespaceAsync("unlinked");
        await Eventually(async () => await env.GetSecretAsync("unlinked", "builder-quay-openshift") is not null
                                     && (await env.GetRecordAsync("unlinked"))?["status"]?["phase"]?.GetValue<string>() == "Failing",
            "the Secrets written, their links refused");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["clusterID"] = "east" });
        env.Cluster.ApiServer.Faults.Reset();
        await Eventually(async () => await env.IsSeededAsync("unlinked", "east_unlinked", "east")
                                     && await env.GetSecretAsync("unlinked", "builder-quay-openshift") is null,
            "the former cluster ID's Secrets deleted", TimeSpan.FromSeconds(30));
        Assert.Null(await env.GetSecretAsync("unlinked", "deployer-quay-openshift"));
    }

    [Fact]
    public async Task A_cluster_ID_change_and_back_moves_the_namespace_never_forgets_and_deletes_both_organizations_with_it()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("move");
        await Eventually(() => env.IsSeededAsync("move", "openshift_move"), "set up under openshift");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["clusterID"] = "east" });
        await Eventually(async () => await env.IsSeededAsync("move", "east_move", "east")
                                     && await env.GetSecretAsync("move", "builder-quay-openshift") is null, "moved to east_move");
        var builder = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("builder", "move");
        Assert.DoesNotContain(builder.Secrets, s => s.Name == "builder-quay-openshift");
        Assert.DoesNotContain(builder.ImagePullSecrets, s => s.Name == "builder-quay-openshift");
        Assert.NotNull(env.Quay.State.Organization("openshift_move")); // cleanupPolicy Keep: kept, and reported
        await Eventually(async () => (await env.GetRecordAsync("move"))?["status"]?["kept"]?.AsArray()
            .Any(k => k!.GetValue<string>().Contains("openshift_move")) == true, "the former organization listed as kept");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["clusterID"] = "openshift" });
        await Eventually(async () => await env.IsSeededAsync("move", "openshift_move")
                                     && await env.GetSecretAsync("move", "builder-quay-east") is null, "back to openshift_move");
        Assert.Equal("Created", await env.RecordedOriginAsync("move", "openshift_move"));
        Assert.Equal("owned", (await env.GetNamespaceAsync("move"))!.Metadata.Annotations["quay.redhat.com/organization-ownership"]);
        Assert.Equal(3, env.Quay.State.Organization("openshift_move")!.Robots.Count);

        await env.Kube.CoreV1.DeleteNamespaceAsync("move");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("move");
        Assert.Null(env.Quay.State.Organization("openshift_move"));
        Assert.Null(env.Quay.State.Organization("east_move"));
    }

    /// <summary>
    /// Issue (review of 49e13ff): once the integration moved to another Quay, the organization left on the first, which
    /// no integration reaches any more, was listed as "former organization; removed with the namespace", which nothing
    /// could do. It is listed as kept because no integration has credentials for that Quay.
    /// </summary>
    [Fact]
    public async Task A_former_organization_on_a_quay_no_integration_reaches_is_listed_as_kept_for_that_reason()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("hop"), secondQuay: true);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("hop");
        await Eventually(() => env.IsSeededAsync("hop", "openshift_hop"), "set up on the first Quay");

        var second = env.SecondQuaySpec("openshift");
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["quayHostname"] = second["quayHostname"]!.DeepClone(),
            ["credentialsSecret"] = second["credentialsSecret"]!.DeepClone(),
            ["caBundle"] = second["caBundle"]!.DeepClone(),
        });
        await Eventually(() => env.IsSeededAsync("hop", "openshift_hop", quay: env.SecondQuay), "set up on the second Quay", TimeSpan.FromSeconds(30));
        List<string> Kept(JsonNode? record) => record?["status"]?["kept"]?.AsArray().Select(k => k!.GetValue<string>()).ToList() ?? [];
        await Eventually(async () => Kept(await env.GetRecordAsync("hop")).Any(k => k.Contains("openshift_hop")), "the first Quay's organization listed as kept");
        var kept = Assert.Single(Kept(await env.GetRecordAsync("hop")), k => k.Contains("openshift_hop"));
        Assert.Contains("no QuayIntegration with credentials for that Quay", kept);
        Assert.DoesNotContain("removed with the namespace", kept);
        Assert.NotNull(env.Quay.State.Organization("openshift_hop"));
    }

    [Fact]
    public async Task With_cleanup_policy_Delete_a_prefix_change_deletes_the_former_organization_at_once()
    {
        await using var env = await StartAsync(spec => spec["cleanupPolicy"] = "Delete");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("hop");
        await Eventually(() => env.IsSeededAsync("hop", "openshift_hop"), "set up");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "team" });
        await Eventually(async () => await env.IsSeededAsync("hop", "team_hop") && env.Quay.State.Organization("openshift_hop") is null,
            "moved, former organization deleted");
        Assert.Null(await env.RecordedOriginAsync("hop", "openshift_hop"));
    }

    /// <summary>
    /// A namespace created from another's YAML (a copy, or a restore under a new name) carries the other's annotations,
    /// which name the other's organization as owned: the copy gets its own organization and says why it ignored them,
    /// and neither its sync under cleanupPolicy Delete nor its deletion touches the other's organization. (It took the
    /// other's organization into its record as created, and deleted it as a former organization.)
    /// </summary>
    [Fact]
    public async Task A_namespace_created_from_anothers_yaml_does_not_take_its_organization()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["cleanupPolicy"] = "Delete";
            spec["allowlistNamespaces"] = new JsonArray("team", "team-copy");
        });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("team");
        await env.CreateImageStreamAsync("team", "app");
        await Eventually(async () => await env.IsSeededAsync("team", "openshift_team") && env.Quay.State.Repository("openshift_team", "app") is not null, "team set up");

        var original = (await env.GetNamespaceAsync("team"))!;
        Assert.Equal("openshift_team", original.Metadata.Annotations["quay.redhat.com/organization"]);
        await env.Kube.CoreV1.CreateNamespaceAsync(new V1Namespace
        {
            Metadata = new V1ObjectMeta
            {
                Name = "team-copy",
                Annotations = new Dictionary<string, string>(original.Metadata.Annotations),
                Labels = new Dictionary<string, string>(original.Metadata.Labels),
                Finalizers = [.. original.Metadata.Finalizers],
            },
        });
        // A namespace's Events live in "default", as for any cluster-scoped object.
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == "team-copy" && e.Reason == "OwnershipAnnotationIgnored",
            "the copy says it ignored the annotations");
        Assert.Equal("Warning", told.Type);
        Assert.Contains("openshift_team", told.Message);
        await Eventually(() => env.IsSeededAsync("team-copy", "openshift_team-copy"), "the copy set up with its own organization");
        Assert.Null(await env.RecordedOriginAsync("team-copy", "openshift_team"));
        Assert.True(await env.IsSeededAsync("team", "openshift_team"));
        Assert.NotNull(env.Quay.State.Repository("openshift_team", "app"));

        await env.Kube.CoreV1.DeleteNamespaceAsync("team-copy");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("team-copy");
        Assert.Null(env.Quay.State.Organization("openshift_team-copy"));
        Assert.True(await env.IsSeededAsync("team", "openshift_team"));
        Assert.NotNull(env.Quay.State.Repository("openshift_team", "app"));
    }

    /// <summary>
    /// A default permission for someone else's robot is recorded before it is created, without its id. When the create
    /// lands and the operator stops before it saves the id (its answer stalled, then a crash), and the service account
    /// leaves the matrix before the next sync: the default permission is found in Quay and deleted, not only dropped from
    /// the record with an Event saying it was deleted while it stays in Quay for good. The same when the namespace goes.
    /// </summary>
    [Theory]
    [InlineData("service account leaves the matrix")]
    [InlineData("namespace deleted")]
    public async Task A_default_permission_created_before_a_crash_without_its_id_is_deleted_when_its_service_account_goes(string then)
    {
        await using var env = await CrashWhileAnAnswerIsHeldInAFoundOrganizationAsync("perm", theirRobot: "builder", "/api/v1/organization/{orgname}/prototypes", "POST",
            async env => env.Quay.State.Organization("openshift_perm")!.Prototypes.Any(p => p.DelegateName == "openshift_perm+builder")
                         && (await env.GetRecordAsync("perm"))?["spec"]?.ToJsonString().Contains("\"defaultPermissions\"") == true,
            "the default permission created in Quay, recorded without its id");

        if (then == "namespace deleted") await env.Kube.CoreV1.DeleteNamespaceAsync("perm");
        else await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix(("deployer", "read")) });
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => env.Quay.State.Organization("openshift_perm")!.Prototypes.All(p => p.DelegateName != "openshift_perm+builder")
                                     && (await env.GetRecordAsync("perm"))?["spec"]?.ToJsonString().Contains("openshift_perm+builder") != true,
            "the default permission deleted in Quay and gone from the record");
        Assert.Contains(env.Quay.State.Organization("openshift_perm")!.Robots, r => r.Name == "openshift_perm+builder"); // someone else's robot stays
    }

    /// <summary>
    /// Review of 49e13ff (helper-59): the operator's default permission for a robot it found landed, the operator
    /// stopped before noting its id, and someone gave the robot one of their own meanwhile. Which is the operator's
    /// cannot be told: neither is claimed or deleted when the service account leaves, and the status says why. (The first
    /// found was claimed and deleted, which could be theirs, leaving the operator's forgotten.)
    /// </summary>
    [Fact]
    public async Task A_default_permission_written_ahead_beside_someone_elses_is_not_guessed()
    {
        await using var env = await CrashWhileAnAnswerIsHeldInAFoundOrganizationAsync("twice", theirRobot: "builder", "/api/v1/organization/{orgname}/prototypes", "POST",
            async env => env.Quay.State.Organization("openshift_twice")!.Prototypes.Any(p => p.DelegateName == "openshift_twice+builder")
                         && (await env.GetRecordAsync("twice"))?["spec"]?.ToJsonString().Contains("\"defaultPermissions\"") == true,
            "the default permission created in Quay, recorded without its id");
        using (var admin = new QuayAdministrator(env.Quay)) await admin.CreateDefaultPermissionAsync("openshift_twice", "openshift_twice+builder", "admin");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix(("deployer", "read")) });
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => (await env.GetRecordAsync("twice"))?["status"]?["kept"]?.AsArray()
                .Any(k => k!.GetValue<string>().Contains("which is the operator's cannot be told")) == true,
            "the status saying the default permissions cannot be told apart", TimeSpan.FromSeconds(30));
        Assert.Equal(2, env.Quay.State.Organization("openshift_twice")!.Prototypes.Count(p => p.DelegateName == "openshift_twice+builder"));
    }

    /// <summary>
    /// Review of 105215c (helper-65): the default permission the operator writes ahead for a robot it found is refused
    /// outright (a 400: nothing was made), and the robot's owner gives it one of their own before the next sync. The
    /// placeholder stayed on record, claimed theirs as the operator's, changed its role, and deleted it when the
    /// service account left the matrix. A refused create withdraws its placeholder: theirs is left alone.
    /// </summary>
    [Fact]
    public async Task A_default_permission_create_refused_outright_leaves_no_placeholder_to_claim_someone_elses()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("refuse");
            spec["serviceAccounts"] = Matrix(("builder", "write"), ("deployer", "read"));
        });
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift_refuse");
        admin.AddOwner("openshift_refuse", Operator);
        await admin.CreateRobotAsync("openshift_refuse", "builder");
        var refused = env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/{orgname}/prototypes", Method = "POST", ErrorRate = 1, ErrorStatuses = [400] });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("refuse");
        await Eventually(async () => (await env.GetRecordAsync("refuse"))?["status"]?["phase"]?.GetValue<string>() == "Failing", "the creates refused");
        // The namespace is held still while the owner acts: with the token Secret gone no reconcile writes ahead again.
        // (One cut off between its write ahead and Quay's answer, by a stop say, leaves the placeholder, rightly: that
        // create may have landed.)
        var token = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token", OperatorNamespace);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "False", "the integration not ready");
        await Task.Delay(1000); // a reconcile in flight ends, refused
        Assert.DoesNotContain("defaultPermissions", (await env.GetRecordAsync("refuse"))!["spec"]!.ToJsonString());
        env.Quay.Faults.Remove(refused);
        await admin.CreateDefaultPermissionAsync("openshift_refuse", "openshift_refuse+builder", "admin");
        token.Metadata.ResourceVersion = null;
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(token, OperatorNamespace);

        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_refuse")!.Prototypes.Any(p => p.DelegateName == "openshift_refuse+deployer")),
            "the operator's own robot given its default permission");
        await Task.Delay(3000); // drift checks every 2 s
        var theirs = Assert.Single(env.Quay.State.Organization("openshift_refuse")!.Prototypes, p => p.DelegateName == "openshift_refuse+builder");
        Assert.Equal(("admin", QuayAdministrator.UserName), (theirs.Role, theirs.CreatedBy));
        // Left as it is, and said (helper-94 #3): repositories others make give the robot their role, not the matrix's.
        await Eventually(async () => (await env.GetRecordAsync("refuse"))?["status"]?["kept"]?.ToJsonString()
            .Contains("admin where spec.serviceAccounts asks for write") == true, "their role told");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix(("deployer", "read")) });
        await Eventually(async () => (await env.GetRecordAsync("refuse"))?["spec"]?.ToJsonString().Contains("builder-quay-openshift") != true, "builder left");
        Assert.Single(env.Quay.State.Organization("openshift_refuse")!.Prototypes, p => p.DelegateName == "openshift_refuse+builder");
    }

    /// <summary>
    /// An environment where <paramref name="ns"/>'s organization and its builder robot existed before the operator (so
    /// the default permission the operator gives that robot is written ahead of its create), and the operator's first
    /// create of it is dropped unanswered. The matrix holds the builder alone; no operator runs yet.
    /// </summary>
    private static async Task<OperatorEnvironment> WithTheFirstDefaultPermissionCreateUnansweredAsync(string ns, string? driftCheckInterval = null)
    {
        var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray(ns);
            spec["serviceAccounts"] = Matrix(("builder", "write"));
            if (driftCheckInterval is not null) spec["driftCheckInterval"] = driftCheckInterval; // no drift check reads Quay afresh meanwhile
        });
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await admin.CreateOrganizationAsync("openshift_" + ns);
            admin.AddOwner("openshift_" + ns, Operator);
            await admin.CreateRobotAsync("openshift_" + ns, "builder");
        }
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/{orgname}/prototypes", Method = "POST", DropRate = 1, Times = 1 });
        return env;
    }

    /// <summary>
    /// helper-90 #3: the default permission the operator gives a robot that existed gets no answer (the connection
    /// dropped), and Quay carries the create out late, after the operator's next sync. That sync created another at
    /// once, so the late one was on no record: counted someone's, it stayed in Quay for good when the namespace went.
    /// Now no other is created while the first may still land (its grace, 12 s here), the one that lands is taken for
    /// the operator's, and it goes with the namespace (the organization and the robot, which existed, stay). With the
    /// syncs failing meanwhile on the cluster's side (helper-95 #1: the observation of Quay is then kept, from before
    /// the landing), the grace's end asks Quay rather than trust that observation, so no second one is made either.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_default_permission_whose_create_got_no_answer_and_lands_late_is_the_operators(bool syncsFailMeanwhile)
    {
        await using var env = await WithTheFirstDefaultPermissionCreateUnansweredAsync("late", driftCheckInterval: "10m");
        using var admin = new QuayAdministrator(env.Quay);
        if (syncsFailMeanwhile) env.Cluster.ApiServer.Faults.InjectStatus(500, count: int.MaxValue, resource: "serviceaccounts", verb: "patch", user: env.OperatorUser);
        await env.StartOperatorAsync("operator-1", "--Operator:Quay:UnansweredCreateGrace=00:00:12");
        await env.CreateNamespaceAsync("late");
        await Eventually(async () => (await env.GetRecordAsync("late"))?["spec"]?.ToJsonString() is { } spec
                                     && spec.Contains("\"defaultPermissions\"") && spec.Contains("\"pendingSince\""), "the create written ahead, unanswered");
        if (!syncsFailMeanwhile)
            await Eventually(async () => (await env.GetRecordAsync("late"))?["status"]?["kept"]?.ToJsonString().Contains("Quay may still carry it out") == true,
                "the unanswered create awaited, and said");
        await Task.Delay(2000); // the syncs after the failed create run meanwhile
        Assert.DoesNotContain(env.Quay.State.Organization("openshift_late")!.Prototypes, p => p.DelegateName == "openshift_late+builder");

        await admin.CreateDefaultPermissionAsync("openshift_late", "openshift_late+builder", "write"); // the create, carried out late
        var landed = Assert.Single(env.Quay.State.Organization("openshift_late")!.Prototypes, p => p.DelegateName == "openshift_late+builder");
        if (syncsFailMeanwhile)
        {
            await Task.Delay(12_000); // past the grace, the syncs still failing
            env.Cluster.ApiServer.Faults.Reset();
        }
        await Eventually(async () => (await env.GetRecordAsync("late"))?["spec"]?.ToJsonString().Contains(landed.Id) == true,
            "the late one recorded as the operator's", TimeSpan.FromSeconds(30));
        await Eventually(async () => (await env.GetRecordAsync("late"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "in step");
        Assert.Single(env.Quay.State.Organization("openshift_late")!.Prototypes, p => p.DelegateName == "openshift_late+builder");

        await env.Kube.CoreV1.DeleteNamespaceAsync("late");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("late");
        var org = env.Quay.State.Organization("openshift_late");
        Assert.NotNull(org);
        Assert.Empty(org.Prototypes);
        Assert.Contains(org.Robots, r => r.Name == "openshift_late+builder");
    }

    /// <summary>
    /// helper-114 #1: the default permission the operator gives a robot that existed gets no answer, and the
    /// organization is kept by cleanupPolicy Keep before its grace ends: left behind as a former organization (the
    /// prefix changed), or with the namespace released (it left the allowlist). The create lands late. The Keep paths
    /// never looked for it, so when what the operator made there went, long after the grace (the namespace deleted, or
    /// the policy changed to Delete), the one landed could no longer be told from one the robot's owner gave, and stayed
    /// in their organization for good. Now the Keep paths settle it within the grace too: recorded by its id, it goes.
    /// </summary>
    [Theory]
    [InlineData("former organization, then the namespace deleted")]
    [InlineData("released, then cleanupPolicy Delete")]
    [InlineData("released, the look at the grace's end failing, then cleanupPolicy Delete")]
    public async Task A_default_permission_whose_create_lands_late_in_a_kept_organization_goes_with_the_rest(string history)
    {
        var released = history.StartsWith("released", StringComparison.Ordinal);
        await using var env = await WithTheFirstDefaultPermissionCreateUnansweredAsync("kp", driftCheckInterval: "10m");
        using var admin = new QuayAdministrator(env.Quay);
        var grace = TimeSpan.FromSeconds(20);
        await env.StartOperatorAsync("operator-1", $"--Operator:Quay:UnansweredCreateGrace={grace}");
        await env.CreateNamespaceAsync("kp");
        await Eventually(async () => (await env.GetRecordAsync("kp"))?["spec"]?.ToJsonString() is { } spec
                                     && spec.Contains("\"defaultPermissions\"") && spec.Contains("\"pendingSince\""), "the create written ahead, unanswered");
        var writtenAhead = DateTimeOffset.UtcNow;
        // Quay out for the default permissions' list from just before the create lands, late in its grace, until after
        // the grace's end: the looks then fail, and only one soon after (not at the drift interval, 10 minutes here) can
        // still tell the landed one as the operator's.
        var failing = history.Contains("failing", StringComparison.Ordinal);
        var outage = new FaultRule { Route = "/api/v1/organization/{orgname}/prototypes", Method = "GET", PathContains = "openshift_kp",
            OutageFrom = writtenAhead + grace - TimeSpan.FromSeconds(4), OutageUntil = writtenAhead + grace + TimeSpan.FromSeconds(5) };
        if (failing) env.Quay.Faults.Add(outage);

        // Kept by policy while the create may still land.
        if (released)
        {
            await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("someone-else") });
            await Eventually(async () => (await env.GetRecordAsync("kp"))?["status"]?["phase"]?.GetValue<string>() == "Released", "released");
        }
        else
        {
            await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "moved" });
            await Eventually(async () => env.Quay.State.Organization("moved_kp")?.Robots.Any(r => r.Name == "moved_kp+builder") == true
                                         && (await env.GetRecordAsync("kp"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "set up in its new organization");
        }
        await Eventually(async () => (await env.GetRecordAsync("kp"))?["status"]?["kept"]?.ToJsonString().Contains("kept with what else it made there") == true,
            "the unanswered create awaited while kept, and said");
        if (failing) await Task.Delay(writtenAhead + grace - TimeSpan.FromSeconds(3) - DateTimeOffset.UtcNow);
        Assert.True(DateTimeOffset.UtcNow < writtenAhead + grace, "kept while the create may still land");
        await admin.CreateDefaultPermissionAsync("openshift_kp", "openshift_kp+builder", "write"); // the create, carried out late
        var landed = Assert.Single(env.Quay.State.Organization("openshift_kp")!.Prototypes, p => p.DelegateName == "openshift_kp+builder");
        await Eventually(async () => (await env.GetRecordAsync("kp"))?["spec"]?.ToJsonString().Contains(landed.Id) == true,
            "the late one recorded as the operator's while kept", TimeSpan.FromSeconds(40));
        Assert.Equal(failing, outage.TimesMatched > 0);
        // Past the grace and the late look after it: only the record can tell it as the operator's now.
        if (writtenAhead + 2 * grace + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow is { Ticks: > 0 } left) await Task.Delay(left);

        if (released) await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
        else
        {
            await env.Kube.CoreV1.DeleteNamespaceAsync("kp");
            await env.Cluster.Oc.WaitForNamespaceGoneAsync("kp", TimeSpan.FromSeconds(30));
        }
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_kp")!.Prototypes.All(p => p.Id != landed.Id)),
            "the late default permission deleted with the rest", TimeSpan.FromSeconds(30));
        var org = env.Quay.State.Organization("openshift_kp")!; // found: it stays, with the robot someone made
        Assert.Contains(org.Robots, r => r.Name == "openshift_kp+builder");
    }

    /// <summary>
    /// Review of 86d03e0 (helper-118 #4): while the unanswered create may still land in an organization kept by policy,
    /// the robot's owner deletes the robot, makes it again (Quay takes the default permissions along) and gives the new
    /// one a default permission of their own. The Keep path's look took that one for the operator's late create, and
    /// the policy changed to Delete deleted it. The robot made again is seen first, and the note of the create is
    /// forgotten with what was given to the old robot, as at a removal.
    /// </summary>
    [Fact]
    public async Task A_default_permission_the_owner_gives_a_robot_made_again_in_a_kept_organization_is_not_taken()
    {
        await using var env = await WithTheFirstDefaultPermissionCreateUnansweredAsync("kr", driftCheckInterval: "10m");
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync("operator-1", "--Operator:Quay:UnansweredCreateGrace=00:00:20");
        await env.CreateNamespaceAsync("kr");
        await Eventually(async () => (await env.GetRecordAsync("kr"))?["spec"]?.ToJsonString().Contains("\"pendingSince\"") == true, "the create written ahead, unanswered");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("someone-else") });
        await Eventually(async () => (await env.GetRecordAsync("kr"))?["status"]?["kept"]?.ToJsonString().Contains("kept with what else it made there") == true,
            "released, the unanswered create awaited");

        await RemakeRobotAsync(env, "openshift_kr", "builder");
        await admin.CreateDefaultPermissionAsync("openshift_kr", "openshift_kr+builder", "read");
        var owners = Assert.Single(env.Quay.State.Organization("openshift_kr")!.Prototypes, p => p.DelegateName == "openshift_kr+builder");
        await Eventually(async () => (await env.GetRecordAsync("kr"))?["spec"]?.ToJsonString() is { } spec && !spec.Contains("\"defaultPermissions\""),
            "the note of the create forgotten with the robot made again", TimeSpan.FromSeconds(40));
        Assert.DoesNotContain(owners.Id, (await env.GetRecordAsync("kr"))!.ToJsonString());

        await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
        // Released under it, with nothing of the operator's left to keep on record.
        await Eventually(async () => await env.GetRecordAsync("kr") is null, "the release under cleanupPolicy Delete");
        Assert.Contains(env.Quay.State.Organization("openshift_kr")!.Prototypes, p => p.Id == owners.Id && p.Role == "read");
    }

    /// <summary>
    /// Review of 86d03e0 (helper-118 #3): the organization kept by policy while a create may still land in it is deleted
    /// by its owner. Quay refuses every list in an organization that does not exist (403); the look reported that as a
    /// failure to look again at, for good. The default permissions went with the organization: the notes are forgotten.
    /// </summary>
    [Fact]
    public async Task The_note_of_an_unanswered_create_in_a_kept_organization_someone_deleted_is_forgotten()
    {
        await using var env = await WithTheFirstDefaultPermissionCreateUnansweredAsync("kg", driftCheckInterval: "10m");
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync("operator-1", "--Operator:Quay:UnansweredCreateGrace=00:00:20");
        await env.CreateNamespaceAsync("kg");
        await Eventually(async () => (await env.GetRecordAsync("kg"))?["spec"]?.ToJsonString().Contains("\"pendingSince\"") == true, "the create written ahead, unanswered");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("someone-else") });
        await Eventually(async () => (await env.GetRecordAsync("kg"))?["status"]?["kept"]?.ToJsonString().Contains("kept with what else it made there") == true,
            "released, the unanswered create awaited");

        admin.JoinOwners("openshift_kg");
        await admin.DeleteOrganizationAsync("openshift_kg");
        await Eventually(async () => (await env.GetRecordAsync("kg"))?["spec"]?.ToJsonString() is { } spec && !spec.Contains("\"defaultPermissions\""),
            "the note forgotten with the organization", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("not looked for now", (await env.GetRecordAsync("kg"))!["status"]!.ToJsonString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// helper-96 #1: the create written ahead got no answer, and the operator stops before its grace ends; while it is
    /// down, long past the grace, the robot's owner gives the robot a default permission of their own. The one the
    /// entry names nowhere was taken for the operator's late create whenever it was first seen, then set to the
    /// matrix's role and deleted with the namespace. Seen only after the grace (and a short late look), it may be the
    /// owner's: not claimed, not changed, said in the status, and left in Quay when the namespace goes.
    /// </summary>
    [Fact]
    public async Task A_default_permission_first_seen_long_after_the_grace_of_an_unanswered_create_is_not_taken_for_it()
    {
        await using var env = await WithTheFirstDefaultPermissionCreateUnansweredAsync("after");
        using var admin = new QuayAdministrator(env.Quay);
        const string grace = "--Operator:Quay:UnansweredCreateGrace=00:00:04";
        var first = await env.StartOperatorAsync("operator-1", grace);
        await env.CreateNamespaceAsync("after");
        await Eventually(async () => (await env.GetRecordAsync("after"))?["status"]?["kept"]?.ToJsonString().Contains("Quay may still carry it out") == true,
            "the unanswered create awaited");
        await env.StopOperatorAsync(first);
        await Task.Delay(9000); // past the grace and its late look (4 s each)
        await admin.CreateDefaultPermissionAsync("openshift_after", "openshift_after+builder", "read"); // the owner's own

        await env.StartOperatorAsync("operator-2", grace);
        await Eventually(async () => (await env.GetRecordAsync("after"))?["status"]?["kept"]?.ToJsonString().Contains("may be its owner") == true,
            "their default permission not taken for the operator's, and said");
        var theirs = Assert.Single(env.Quay.State.Organization("openshift_after")!.Prototypes, p => p.DelegateName == "openshift_after+builder");
        Assert.Equal(("read", QuayAdministrator.UserName), (theirs.Role, theirs.CreatedBy));
        Assert.DoesNotContain(theirs.Id, (await env.GetRecordAsync("after"))!["spec"]!.ToJsonString());

        await env.Kube.CoreV1.DeleteNamespaceAsync("after");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("after");
        Assert.Single(env.Quay.State.Organization("openshift_after")!.Prototypes, p => p.Id == theirs.Id && p.Role == "read");
    }

    /// <summary>
    /// The same unanswered create that never lands: the wait ends with its grace (5 s here), Quay is asked, and the
    /// operator makes the default permission then, once, and records it; nothing is said as awaited any more.
    /// </summary>
    [Fact]
    public async Task A_default_permission_whose_create_got_no_answer_and_never_lands_is_made_once_its_grace_is_over()
    {
        await using var env = await WithTheFirstDefaultPermissionCreateUnansweredAsync("never");
        await env.StartOperatorAsync("operator-1", "--Operator:Quay:UnansweredCreateGrace=00:00:05");
        await env.CreateNamespaceAsync("never");
        await Eventually(async () => (await env.GetRecordAsync("never"))?["status"]?["kept"]?.ToJsonString().Contains("Quay may still carry it out") == true,
            "the unanswered create awaited");
        Assert.DoesNotContain(env.Quay.State.Organization("openshift_never")!.Prototypes, p => p.DelegateName == "openshift_never+builder");

        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_never")!.Prototypes.Any(p => p.DelegateName == "openshift_never+builder")),
            "made once the grace is over", TimeSpan.FromSeconds(20));
        var made = Assert.Single(env.Quay.State.Organization("openshift_never")!.Prototypes, p => p.DelegateName == "openshift_never+builder");
        Assert.Equal(Operator, made.CreatedBy);
        await Eventually(async () => (await env.GetRecordAsync("never")) is { } record && record["spec"]!.ToJsonString().Contains(made.Id)
                                     && record["status"]?["kept"]?.ToJsonString().Contains("Quay may still carry it out") != true,
            "recorded, and no longer said as awaited");
    }

    /// <summary>
    /// Review of 105215c (helper-65): the operator made its robot in an organization it found and was killed before
    /// the record named it; the organization prefix changed before the next sync. The former organization held nothing
    /// on record, and was forgotten unread, with the operator's robot in it for good. It is now read for the operator's
    /// marks first, so the robot is on record and goes with the namespace (their robot stays).
    /// </summary>
    [Fact]
    public async Task A_robot_made_before_a_crash_in_a_found_organization_is_not_forgotten_when_the_namespace_moves()
    {
        await using var env = await CrashWhileAnAnswerIsHeldInAFoundOrganizationAsync("lost", theirRobot: "theirs",
            "/api/v1/organization/{orgname}/robots/{robot_shortname}", "PUT",
            env => Task.FromResult(env.Quay.State.Organization("openshift_lost")!.Robots.Any(r => r.Name == "openshift_lost+builder")),
            "the operator's robot made in Quay, its answer held");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "moved" });
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => (await env.GetNamespaceAsync("lost"))?.Metadata.Annotations is { } a && a.TryGetValue("quay.redhat.com/organization", out var o) && o == "moved_lost"
                                     && (await env.GetRecordAsync("lost"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "set up under the new prefix");
        var recorded = (await env.GetRecordAsync("lost"))!["spec"]!["organizations"]!.AsArray()
            .SelectMany(o => o!["robots"]?.AsArray() ?? []).Select(r => r!["name"]!.GetValue<string>());
        Assert.Contains("openshift_lost+builder", recorded);
        await env.Kube.CoreV1.DeleteNamespaceAsync("lost");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("lost", TimeSpan.FromSeconds(30));
        var robots = env.Quay.State.Organization("openshift_lost")!.Robots.Select(r => r.Name).ToList();
        Assert.Equal(["openshift_lost+theirs"], robots);
    }

    /// <summary>
    /// Review of 2c028e7 (helper-67): the same, while the former organization cannot be read (its robot list refused).
    /// The read that keeps it from being forgotten must not stop the namespace moving: it is kept on record, listed,
    /// and read at a later sync, which finds the operator's robot.
    /// </summary>
    [Fact]
    public async Task A_former_organization_that_cannot_be_read_is_kept_and_does_not_stop_the_move()
    {
        await using var env = await CrashWhileAnAnswerIsHeldInAFoundOrganizationAsync("shut", theirRobot: "theirs",
            "/api/v1/organization/{orgname}/robots/{robot_shortname}", "PUT",
            env => Task.FromResult(env.Quay.State.Organization("openshift_shut")!.Robots.Any(r => r.Name == "openshift_shut+builder")),
            "the operator's robot made in Quay, its answer held");
        var refused = env.Quay.Faults.Add(new FaultRule
        {
            Route = "/api/v1/organization/{orgname}/robots", Method = "GET", PathContains = "openshift_shut", ErrorRate = 1, ErrorStatuses = [503],
        });

        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "moved" });
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => (await env.GetRecordAsync("shut"))?["status"] is { } status && status["phase"]?.GetValue<string>() == "Synced"
                                     && status["organization"]?.GetValue<string>() == "moved_shut"
                                     && status["kept"]?.AsArray().Any(k => k!.GetValue<string>().Contains("former organization openshift_shut")) == true,
            "moved, the former organization kept for now", TimeSpan.FromSeconds(60));

        env.Quay.Faults.Remove(refused);
        await Eventually(async () => (await env.GetRecordAsync("shut"))!["spec"]!["organizations"]!.AsArray()
            .SelectMany(o => o!["robots"]?.AsArray() ?? []).Any(r => r!["name"]!.GetValue<string>() == "openshift_shut+builder"), "the operator's robot on record");
    }

    /// <summary>
    /// Review of 18ac238 (helper-78): under cleanupPolicy Delete, a former organization Quay refuses to clean up (the
    /// operator's user no longer one of its owners, say) stopped the namespace's sync at that step, every time: the
    /// robot Secrets for the organization it moved to were never written. Each former organization is settled on its
    /// own now: the refusal is reported and the organization stays on record, while the namespace works.
    /// </summary>
    [Fact]
    public async Task A_former_organization_quay_refuses_to_clean_up_does_not_stop_the_namespace_working()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("refusal");
            spec["cleanupPolicy"] = "Delete";
        });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("refusal");
        await Eventually(() => env.IsSeededAsync("refusal", "openshift_refusal"), "set up");
        env.Quay.Faults.Add(new FaultRule { Method = "DELETE", PathContains = "openshift_refusal", ErrorRate = 1, ErrorStatuses = [403] });

        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "moved" });
        await Eventually(() => env.IsSeededAsync("refusal", "moved_refusal"), "set up in the organization it moved to");
        await Eventually(async () => (await env.GetRecordAsync("refusal"))?["status"]?["lastError"]?.GetValue<string>()
            ?.Contains("former organization openshift_refusal", StringComparison.Ordinal) == true, "the refusal reported");
        Assert.NotNull(env.Quay.State.Organization("openshift_refusal"));
        Assert.NotNull(await env.RecordedOriginAsync("refusal", "openshift_refusal"));
    }

    /// <summary>
    /// The integration serves <paramref name="ns"/> with the builder service account only; a person made its
    /// organization, with a robot of their own, and made the operator's user an owner. The operator sets it up, and is
    /// killed once <paramref name="landed"/> says its first <paramref name="method"/> on <paramref name="route"/> is
    /// done in Quay while the answer is held: a crash between a create and its record.
    /// </summary>
    private static async Task<OperatorEnvironment> CrashWhileAnAnswerIsHeldInAFoundOrganizationAsync(string ns, string theirRobot, string route, string method,
        Func<OperatorEnvironment, Task<bool>> landed, string what)
    {
        var org = "openshift_" + ns;
        var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray(ns);
            spec["serviceAccounts"] = Matrix(("builder", "write"));
        });
        try
        {
            using (var admin = new QuayAdministrator(env.Quay))
            {
                await admin.CreateOrganizationAsync(org);
                admin.AddOwner(org, "operator");
                await admin.CreateRobotAsync(org, theirRobot);
            }
            var held = new FaultRule { Route = route, Method = method, BodyStallRate = 1, HangMs = 600_000, Times = 1 };
            env.Quay.Faults.Add(held);
            var op = await env.StartOperatorAsync();
            await env.CreateNamespaceAsync(ns);
            await Eventually(async () => held.TimesMatched > 0 && await landed(env), what);
            await env.KillOperatorAsync(op);
            return env;
        }
        catch
        {
            await env.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// In an organization someone else made, a robot the operator created just before a crash, its answer never read
    /// and so never recorded, is still the operator's: its mark says so. When its service account leaves the matrix
    /// before the next sync, it is deleted (it stayed for good: only an organization the operator created had its
    /// unrecorded robots read).
    /// </summary>
    [Theory]
    [InlineData("service account removed")]
    [InlineData("namespace deleted")]
    public async Task A_robot_created_before_a_crash_in_a_found_organization_is_deleted_when_its_service_account_goes(string then)
    {
        await using var env = await CrashWhileAnAnswerIsHeldInAFoundOrganizationAsync("lost", theirRobot: "theirs", "/api/v1/organization/{orgname}/robots/{robot_shortname}", "PUT",
            env => Task.FromResult(env.Quay.State.Organization("openshift_lost")!.Robots.Any(r => r.Name == "openshift_lost+builder")),
            "the robot created in Quay, its answer held");
        Assert.DoesNotContain("openshift_lost+builder", (await env.GetRecordAsync("lost"))?["spec"]?.ToJsonString() ?? "");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix(("deployer", "read")) });
        if (then == "namespace deleted") await env.Kube.CoreV1.DeleteNamespaceAsync("lost");
        await env.StartOperatorAsync("operator-2");
        if (then == "namespace deleted") await env.Cluster.Oc.WaitForNamespaceGoneAsync("lost");
        else await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_lost")!.Robots.Any(r => r.Name == "openshift_lost+deployer")), "the new matrix set up");
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_lost")!.Robots.All(r => r.Name != "openshift_lost+builder")), "the robot deleted");
        Assert.Contains(env.Quay.State.Organization("openshift_lost")!.Robots, r => r.Name == "openshift_lost+theirs"); // someone else's robot stays
        Assert.NotNull(env.Quay.State.Organization("openshift_lost"));
    }

    /// <summary>
    /// A Secret someone made under the name the operator gives a robot's Secret (<c>builder-quay-openshift</c>) is theirs:
    /// left as it is, not linked, and the namespace fails naming it, while the other service accounts are set up. Once
    /// they delete it, the operator writes its own. (It was overwritten with the robot's credentials, its other keys
    /// removed, then recorded and deleted like the operator's own.)
    /// </summary>
    [Fact]
    public async Task A_secret_someone_made_under_a_robot_secrets_name_is_left_alone_and_reported()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("mine"));
        await env.CreateNamespaceAsync("mine");
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "builder-quay-openshift" },
            Type = "Opaque",
            StringData = new Dictionary<string, string> { ["password"] = "theirs" },
        }, "mine");
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync("mine"))?["status"]?["phase"]?.GetValue<string>() == "Failing", "the namespace failing");
        var record = (await env.GetRecordAsync("mine"))!;
        Assert.Contains("Secret builder-quay-openshift exists and is not the operator's", record["status"]!["lastError"]!.GetValue<string>());
        // Told as the cluster's failure, not Quay's: nothing in Quay is wrong.
        await env.EventAsync("default", e => e.InvolvedObject.Name == "mine" && e.Type == "Warning" && e.Reason == "ClusterUpdateFailed"
                                             && e.Message.Contains("builder-quay-openshift", StringComparison.Ordinal), "the failure told");
        Assert.DoesNotContain((await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items, e => e.InvolvedObject.Name == "mine" && e.Reason == "QuaySyncFailed");
        var theirs = (await env.GetSecretAsync("mine", "builder-quay-openshift"))!;
        Assert.Equal("Opaque", theirs.Type);
        Assert.Equal("theirs", System.Text.Encoding.UTF8.GetString(theirs.Data["password"]));
        Assert.Null(theirs.Metadata.Labels);
        Assert.NotNull(await env.GetSecretAsync("mine", "default-quay-openshift"));
        Assert.DoesNotContain("builder-quay-openshift", record["spec"]!.ToJsonString());

        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("builder-quay-openshift", "mine");
        await Eventually(async () => (await env.GetSecretAsync("mine", "builder-quay-openshift"))?.Type == "kubernetes.io/dockerconfigjson"
                                     && (await env.GetRecordAsync("mine"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "the operator's own written once it is free");
    }

    /// <summary>
    /// Issue (review of 49e13ff): a namespace released under cleanupPolicy Keep, then deleted while the operator was
    /// down and made again under its name by someone who also made a Secret named as the builder's robot Secret. The
    /// record's Secrets, recorded by name, were the deleted namespace's and went with it; yet the new namespace's status
    /// said they were kept, and once cleanupPolicy became Delete the owner's Secret was deleted as the operator's.
    /// </summary>
    [Fact]
    public async Task A_namespace_made_again_while_the_operator_was_down_does_not_inherit_the_secrets_of_the_one_before()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("again");
            spec["cleanupPolicy"] = "Keep";
        });
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("again");
        await Eventually(() => env.IsSeededAsync("again", "openshift_again"), "set up");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("elsewhere") });
        // The release ends with the namespace's finalizer taken off, after the record's write: stopped before, the
        // operator would leave the namespace held, and its deletion below waiting.
        await Eventually(async () => (await env.GetRecordAsync("again"))?["spec"]?["released"]?.GetValue<bool>() == true
                                     && (await env.Kube.CoreV1.ReadNamespaceAsync("again")).Metadata.Finalizers?.Contains("quay.redhat.com/quayintegrations") != true,
            "released under cleanupPolicy Keep");
        Assert.Contains("builder-quay-openshift", (await env.GetRecordAsync("again"))!["spec"]!.ToJsonString());
        var oldUid = (await env.Kube.CoreV1.ReadNamespaceAsync("again")).Metadata.Uid;

        await env.StopOperatorAsync(op);
        await env.Kube.CoreV1.DeleteNamespaceAsync("again");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("again");
        await env.CreateNamespaceAsync("again");
        Assert.NotEqual(oldUid, (await env.Kube.CoreV1.ReadNamespaceAsync("again")).Metadata.Uid);
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "builder-quay-openshift" },
            Type = "Opaque",
            StringData = new Dictionary<string, string> { ["password"] = "theirs" },
        }, "again");
        await env.StartOperatorAsync();
        await Eventually(async () => (await env.GetRecordAsync("again"))?["spec"]?["secrets"] is null, "the earlier namespace's Secrets off the record");
        Assert.DoesNotContain("robot Secret", (await env.GetRecordAsync("again"))!["status"]?.ToJsonString() ?? "");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_again") is null),
            "the kept organization deleted under cleanupPolicy Delete", TimeSpan.FromSeconds(30));
        var theirs = await env.GetSecretAsync("again", "builder-quay-openshift");
        Assert.NotNull(theirs);
        Assert.Equal("Opaque", theirs.Type);
        Assert.Equal("theirs", System.Text.Encoding.UTF8.GetString(theirs.Data["password"]));
    }

    /// <summary>
    /// A copy someone makes of a robot Secret under a name of their own carries the operator's label and annotations,
    /// but the operator did not make it and does not delete it. (Every sync deleted it as an unwanted Secret.)
    /// </summary>
    [Fact]
    public async Task A_copy_of_a_robot_secret_under_another_name_is_not_deleted()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("copies"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("copies");
        await Eventually(() => env.IsSeededAsync("copies", "openshift_copies"), "set up");
        var original = (await env.GetSecretAsync("copies", "builder-quay-openshift"))!;
        foreach (var copy in new[] { "my-pull-secret", "builder-quay-backup" })
            await env.Kube.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta
                {
                    Name = copy,
                    Labels = new Dictionary<string, string>(original.Metadata.Labels),
                    Annotations = new Dictionary<string, string>(original.Metadata.Annotations),
                },
                Type = original.Type,
                Data = original.Data,
            }, "copies");
        // Another sync of the namespace: an ImageStream to set up.
        await env.CreateImageStreamAsync("copies", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_copies", "app") is not null), "synced again");
        await Task.Delay(1000);
        Assert.NotNull(await env.GetSecretAsync("copies", "my-pull-secret"));
        Assert.NotNull(await env.GetSecretAsync("copies", "builder-quay-backup"));
        Assert.NotNull(await env.GetSecretAsync("copies", "builder-quay-openshift"));
    }

    /// <summary>Sets the namespace up, then a person adds a team of theirs (readers) to its organization.</summary>
    private static async Task SetUpWithSomeonesTeamAsync(OperatorEnvironment env, string ns)
    {
        await env.CreateNamespaceAsync(ns);
        await Eventually(() => env.IsSeededAsync(ns, "openshift_" + ns), "set up");
        using (new QuayAdministrator(env.Quay)) env.Quay.AddTeamMember("openshift_" + ns, "readers", QuayIntegration.Emulators.Quay.Model.TeamRole.Member, QuayAdministrator.UserName);
    }

    /// <summary>
    /// A team someone adds to an organization the operator created (its members, the roles it holds) would go with the
    /// organization: deleting the namespace keeps the organization, says why, and deletes it once the team is gone.
    /// (Only repositories and robots held it back; the organization was deleted with the team.)
    /// </summary>
    [Fact]
    public async Task A_team_someone_added_holds_back_the_deletion_of_an_organization_the_operator_created()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("teamed"));
        await env.StartOperatorAsync();
        await SetUpWithSomeonesTeamAsync(env, "teamed");

        await env.Kube.CoreV1.DeleteNamespaceAsync("teamed");
        await Eventually(async () => (await env.GetRecordAsync("teamed"))?["status"]?.ToJsonString().Contains("team readers") == true, "the organization kept for the team");
        Assert.NotNull(env.Quay.State.Organization("openshift_teamed"));
        Assert.Contains(env.Quay.State.Organization("openshift_teamed")!.Teams, t => t.Name == "readers");

        env.Quay.RemoveTeam("openshift_teamed", "readers");
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_teamed") is null), "deleted once the team is gone", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Quay deletes an organization's robots as it lists them, by SQL LIKE '&lt;org&gt;+%', in which the '_' of
    /// openshift_payments matches any character: deleting that organization would also delete the robots of a team's
    /// own openshift-payments. The namespace's deletion keeps it, says why, removes what the operator made inside, and
    /// deletes it once the look-alike's robots are gone. (The organization was deleted, and the team's robot with it.)
    /// </summary>
    [Fact]
    public async Task An_organization_whose_deletion_would_take_a_look_alikes_robots_along_is_kept_until_they_are_gone()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("payments"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("payments");
        await Eventually(() => env.IsSeededAsync("payments", "openshift_payments"), "set up");
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift-payments");
        await admin.CreateRobotAsync("openshift-payments", "ci");

        await env.Kube.CoreV1.DeleteNamespaceAsync("payments");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("payments", TimeSpan.FromSeconds(30));
        Assert.Equal("openshift-payments+ci", Assert.Single(env.Quay.State.Organization("openshift-payments")!.Robots).Name);
        Assert.Empty(env.Quay.State.Organization("openshift_payments")!.Robots); // the operator's own robots went
        Assert.Contains((await env.GetRecordAsync("payments"))!["status"]!["kept"]!.AsArray(), k => k!.GetValue<string>().Contains("robot openshift-payments+ci"));
        // Told on the namespace as well: its Events outlive it.
        await env.EventAsync("default", e => e.InvolvedObject.Name == "payments" && e.Reason == "OrganizationKept"
                                             && e.Message.Contains("robot openshift-payments+ci", StringComparison.Ordinal), "the organization's keeping told");

        await admin.DeleteRobotAsync("openshift-payments", "ci");
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_payments") is null), "deleted once the look-alike's robot is gone", TimeSpan.FromSeconds(60));
        Assert.NotNull(env.Quay.State.Organization("openshift-payments"));
    }

    /// <summary>
    /// An organization kept after its namespace's deletion for what someone added to it is still owed that deletion
    /// when a namespace of the same name is made again outside the integration's scope: the record speaks for the
    /// namespace that was deleted, not for the new one. (The new one was "released" under cleanupPolicy Keep, which
    /// turned the owed deletion into a kept organization for good, with "cleanupPolicy Keep" as the reason.)
    /// </summary>
    [Fact]
    public async Task An_organization_owed_deletion_stays_owed_when_a_namespace_of_that_name_is_made_again_out_of_scope()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("owed"));
        await env.StartOperatorAsync();
        await SetUpWithSomeonesTeamAsync(env, "owed");
        await env.Kube.CoreV1.DeleteNamespaceAsync("owed");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("owed");
        await Eventually(async () => (await env.GetRecordAsync("owed"))?["status"]?.ToJsonString().Contains("team readers") == true, "the organization kept for the team");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("elsewhere") });
        await Eventually(async () => await env.GetIntegrationAsync() is { } qi
                                     && qi["status"]?["observedGeneration"]?.GetValue<long>() == qi["metadata"]!["generation"]!.GetValue<long>(), "the allowlist change taken in");
        await env.CreateNamespaceAsync("owed");
        await Task.Delay(TimeSpan.FromSeconds(3)); // a drift interval or more: the record is looked at again meanwhile
        var record = (await env.GetRecordAsync("owed"))!;
        Assert.NotEqual(true, record["spec"]?["released"]?.GetValue<bool>());
        Assert.Contains("team readers", record["status"]!.ToJsonString());
        var ns = await env.Kube.CoreV1.ReadNamespaceAsync("owed");
        Assert.True(ns.Metadata.Finalizers is null || !ns.Metadata.Finalizers.Contains("quay.redhat.com/quayintegrations"));

        env.Quay.RemoveTeam("openshift_owed", "readers");
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_owed") is null), "deleted once the team is gone", TimeSpan.FromSeconds(60));
        await Eventually(async () => await env.GetRecordAsync("owed") is null, "the record gone");
        Assert.NotNull(await env.Kube.CoreV1.ReadNamespaceAsync("owed")); // the new namespace is left as it is
    }

    /// <summary>
    /// A namespace released under cleanupPolicy Keep (it left the allowlist) keeps its organization; when the policy is
    /// then Delete and the QuayIntegration is deleted, that organization is owed the policy too: the integration goes only
    /// after it is deleted. (With the operator down while both changes were made, the integration went at once, holding
    /// no namespace, and the organization stayed for good, its record saying "cleanupPolicy Keep".)
    /// </summary>
    [Theory]
    [InlineData("namespace kept")]
    [InlineData("namespace deleted since")]
    public async Task Deleting_the_integration_under_delete_removes_what_it_kept_for_namespaces_released_before(string then)
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("left"));
        var op = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("left");
        await env.CreateImageStreamAsync("left", "app");
        await Eventually(async () => await env.IsSeededAsync("left", "openshift_left") && env.Quay.State.Repository("openshift_left", "app") is not null, "set up");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("elsewhere") });
        await Eventually(async () => (await env.GetRecordAsync("left"))?["status"]?["phase"]?.GetValue<string>() == "Released", "released, its organization kept");
        Assert.NotNull(env.Quay.State.Organization("openshift_left"));
        if (then == "namespace deleted since")
        {
            await env.Kube.CoreV1.DeleteNamespaceAsync("left");
            await env.Cluster.Oc.WaitForNamespaceGoneAsync("left");
            await Eventually(async () => (await env.GetRecordAsync("left"))?["status"]?["phase"]?.GetValue<string>() == "NamespaceDeleted", "its record kept");
            Assert.NotNull(env.Quay.State.Organization("openshift_left"));
        }

        await env.StopOperatorAsync(op);
        await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
        await env.StartOperatorAsync("operator-2");
        await Eventually(async () => await env.GetIntegrationAsync() is null, "the QuayIntegration gone");
        Assert.Null(env.Quay.State.Organization("openshift_left"));
        Assert.Null(await env.GetRecordAsync("left"));
        if (then == "namespace kept")
        {
            Assert.Null(await env.GetSecretAsync("left", "builder-quay-openshift")); // Secrets go too under Delete
            Assert.NotNull(await env.Kube.CoreV1.ReadNamespaceAsync("left"));
        }
    }

    /// <summary>
    /// A robot Secret kept when its namespace was released stays on record by name. If the team then deletes it and
    /// makes one of their own under that name, the name on record proves nothing: their Secret was deleted under
    /// cleanupPolicy Delete (an Event saying it was the operator's), or overwritten when the namespace came back.
    /// </summary>
    [Theory]
    [InlineData("integration deleted under cleanupPolicy Delete", "opaque")]
    [InlineData("integration deleted under cleanupPolicy Delete", "their robot's pull secret")]
    [InlineData("namespace back in scope", "opaque")]
    [InlineData("integration deleted under cleanupPolicy Delete", "their own organization's builder robot")]
    [InlineData("service account out of the matrix", "their robot's pull secret")]
    public async Task A_kept_secret_whose_name_someone_took_since_is_left_to_them(string then, string theirs)
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("taken"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("taken");
        await Eventually(() => env.IsSeededAsync("taken", "openshift_taken"), "set up");
        if (then != "service account out of the matrix")
        {
            await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("elsewhere") });
            await Eventually(async () => (await env.GetRecordAsync("taken"))?["status"]?["phase"]?.GetValue<string>() == "Released", "released, its Secrets kept");
        }
        // Their own: any Secret, or a pull secret for a robot of theirs, in the same organization or their own.
        var replacement = theirs switch
        {
            "opaque" => new V1Secret { Metadata = new V1ObjectMeta { Name = "builder-quay-openshift" }, Type = "Opaque", Data = new Dictionary<string, byte[]> { ["password"] = "theirs"u8.ToArray() } },
            "their robot's pull secret" => LegacyWorld.DockerConfigSecret(env, "builder-quay-openshift", "openshift_taken+ci", "their-token"),
            _ => LegacyWorld.DockerConfigSecret(env, "builder-quay-openshift", "team+builder", "their-token"),
        };
        if (then == "service account out of the matrix")
        {
            // Replaced in place (no label, their data): a delete and a create would race the operator, which watches it.
            var current = await env.Kube.CoreV1.ReadNamespacedSecretAsync("builder-quay-openshift", "taken");
            replacement.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
            await env.Kube.CoreV1.ReplaceNamespacedSecretAsync(replacement, "builder-quay-openshift", "taken");
        }
        else
        {
            await env.Kube.CoreV1.DeleteNamespacedSecretAsync("builder-quay-openshift", "taken");
            await env.Kube.CoreV1.CreateNamespacedSecretAsync(replacement, "taken");
        }

        if (then == "namespace back in scope")
        {
            await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("taken") });
            await Eventually(async () => (await env.GetRecordAsync("taken"))?["status"]?["lastError"]?.GetValue<string>()
                ?.Contains("Secret builder-quay-openshift exists and is not the operator's", StringComparison.Ordinal) == true, "their Secret reported in the way");
        }
        else if (then == "service account out of the matrix")
        {
            // The organization is still on record: a login of any robot in it (theirs) proved nothing either.
            await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = new JsonArray(new JsonObject { ["name"] = "default", ["role"] = "read" }) });
            await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_taken")!.Robots.All(r => r.Name != "openshift_taken+builder")), "the builder robot deleted");
            // Failing until now (their Secret in the way), the namespace's sync is told in one Synced Event listing it.
            await env.EventAsync("default", e => e.InvolvedObject.Name == "taken"
                                                 && e.Message.Contains("Secret builder-quay-openshift, on record as the operator's, now carries neither", StringComparison.Ordinal),
                "the Event saying their Secret is left alone");
        }
        else
        {
            await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
            await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
            await Eventually(async () => await env.GetIntegrationAsync() is null, "the QuayIntegration gone");
            Assert.Null(env.Quay.State.Organization("openshift_taken"));
            Assert.Null(await env.GetSecretAsync("taken", "default-quay-openshift")); // the operator's own still go
            // Told with the release's reason: the service account is still in the matrix.
            var deleted = await env.EventAsync("default", e => e.InvolvedObject.Name == "taken" && e.Reason == "SecretDeleted"
                                                               && e.Message.Contains("default-quay-openshift", StringComparison.Ordinal), "the SecretDeleted Event");
            Assert.Contains("cleanupPolicy Delete", deleted.Message);
            Assert.DoesNotContain("spec.serviceAccounts", deleted.Message);
            // Events about a namespace are in "default" (a cluster-scoped object's go there).
            await env.EventAsync("default", e => e.InvolvedObject.Name == "taken" && e.Reason == "SecretLeftAlone"
                                                 && e.Message.Contains("builder-quay-openshift", StringComparison.Ordinal), "the SecretLeftAlone Event");
            Assert.DoesNotContain((await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items,
                e => e.InvolvedObject.Name == "taken" && e.Reason == "SecretDeleted" && e.Message.Contains("builder-quay-openshift", StringComparison.Ordinal));
        }
        var left = await env.Kube.CoreV1.ReadNamespacedSecretAsync("builder-quay-openshift", "taken");
        Assert.Equal((replacement.Type, replacement.Data.Keys.Single()), (left.Type, left.Data.Keys.Single()));
        Assert.Equal(replacement.Data.Values.Single(), left.Data.Values.Single());
    }

    /// <summary>
    /// Review of 18ac238 (helper-78): in an organization someone made, with their robot named after the builder
    /// service account, a Secret holding that robot's login under the robot Secret's name was taken for the operator's:
    /// the team's own, made in place of the one kept at a release, was deleted under cleanupPolicy Delete, or taken over
    /// and rewritten when the namespace came back into scope. The robot is theirs, and so may be a Secret holding its
    /// login: only a robot the operator made lets its login prove a Secret the operator's.
    /// </summary>
    [Theory]
    [InlineData("integration deleted under cleanupPolicy Delete")]
    [InlineData("namespace back in scope")]
    public async Task A_pull_secret_for_a_robot_the_operator_found_under_its_robot_secrets_name_is_left_to_them(string then)
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("ext"));
        using (var admin = new QuayAdministrator(env.Quay))
        {
            await admin.CreateOrganizationAsync("openshift_ext");
            admin.AddOwner("openshift_ext", "operator");
            await admin.CreateRobotAsync("openshift_ext", "builder");
        }
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("ext");
        await Eventually(async () => await env.GetSecretAsync("ext", "builder-quay-openshift") is not null
                                     && (await env.GetRecordAsync("ext"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "set up with their robot");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("elsewhere") });
        await Eventually(async () => (await env.GetRecordAsync("ext"))?["status"]?["phase"]?.GetValue<string>() == "Released", "released, its Secrets kept");

        // The team manages the credential for their robot themselves now, under the name the service account lists.
        var theirs = LegacyWorld.DockerConfigSecret(env, "builder-quay-openshift", "openshift_ext+builder", "their-copy-of-the-token");
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("builder-quay-openshift", "ext");
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(theirs, "ext");

        if (then == "namespace back in scope")
        {
            await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("ext") });
            await Eventually(async () => (await env.GetRecordAsync("ext"))?["status"]?["lastError"]?.GetValue<string>()
                ?.Contains("Secret builder-quay-openshift exists and is not the operator's", StringComparison.Ordinal) == true, "their Secret reported in the way");
        }
        else
        {
            await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
            await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
            await Eventually(async () => await env.GetIntegrationAsync() is null, "the QuayIntegration gone");
            await env.EventAsync("default", e => e.InvolvedObject.Name == "ext" && e.Reason == "SecretLeftAlone"
                                                 && e.Message.Contains("builder-quay-openshift", StringComparison.Ordinal), "the SecretLeftAlone Event");
            Assert.NotNull(env.Quay.State.Organization("openshift_ext")); // found: never deleted
        }
        var left = await env.Kube.CoreV1.ReadNamespacedSecretAsync("builder-quay-openshift", "ext");
        Assert.Null(left.Metadata.Labels);
        Assert.Equal(theirs.Data[".dockerconfigjson"], left.Data[".dockerconfigjson"]);
    }

    /// <summary>
    /// Review of 18ac238 (helper-78): a namespace deleted while its integration could not act (its token Secret gone)
    /// waits; the integration is then deleted under cleanupPolicy Keep, which lets the terminating namespace go. Its
    /// record was marked released, as for a namespace that stays, so the integration made again later read it as
    /// "deleted after it stopped being managed" and kept the organization for good. A namespace being deleted counts as
    /// gone: its deletion was asked for while it was managed, and the next integration that can act tears it down.
    /// </summary>
    [Fact]
    public async Task A_namespace_deleted_while_its_integration_could_not_act_is_torn_down_by_the_integration_made_again()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("late"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("late");
        await Eventually(async () => (await env.GetRecordAsync("late"))?["status"]?["phase"]?.GetValue<string>() == "Synced", "in step");
        var token = await env.Kube.CoreV1.ReadNamespacedSecretAsync("quay-token", OperatorNamespace);
        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("quay-token", OperatorNamespace);
        await Eventually(async () => (await env.ConditionAsync("Ready"))?.Status == "False", "the integration cannot act");
        await env.Kube.CoreV1.DeleteNamespaceAsync("late");
        await Task.Delay(1000); // the deletion waits for the integration
        Assert.NotNull(await env.GetNamespaceAsync("late"));

        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
        await Eventually(async () => await env.GetIntegrationAsync() is null, "the QuayIntegration gone (cleanupPolicy Keep)");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("late");
        Assert.NotNull(env.Quay.State.Organization("openshift_late"));

        token.Metadata.ResourceVersion = null;
        await env.Kube.CoreV1.CreateNamespacedSecretAsync(token, OperatorNamespace);
        await env.CreateIntegrationAsync(IntegrationName, spec => spec["allowlistNamespaces"] = new JsonArray("late"));
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_late") is null), "the organization of the deleted namespace deleted");
        await Eventually(async () => await env.GetRecordAsync("late") is null, "its record gone");
    }

    /// <summary>
    /// A robot Secret kept at release whose label someone removed still holds the operator's robot login: it is the
    /// operator's, and goes under cleanupPolicy Delete, although the organizations it was for left the record first.
    /// </summary>
    [Fact]
    public async Task A_kept_secret_that_lost_its_label_still_goes_under_cleanup_policy_delete()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("unlabelled"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("unlabelled");
        await Eventually(() => env.IsSeededAsync("unlabelled", "openshift_unlabelled"), "set up");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("elsewhere") });
        await Eventually(async () => (await env.GetRecordAsync("unlabelled"))?["status"]?["phase"]?.GetValue<string>() == "Released", "released, its Secrets kept");
        await env.Kube.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":null}}""", V1Patch.PatchType.MergePatch),
            "builder-quay-openshift", "unlabelled");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
        await Eventually(async () => await env.GetIntegrationAsync() is null, "the QuayIntegration gone");
        Assert.Null(await env.GetSecretAsync("unlabelled", "builder-quay-openshift"));
        Assert.Null(await env.GetSecretAsync("unlabelled", "default-quay-openshift"));
    }

    /// <summary>
    /// Deleted under cleanupPolicy Delete, an integration goes even when an organization it created is held back by
    /// someone's team. The record that keeps it then says why it is kept: no integration is left to act for it. (It
    /// said "cleanupPolicy Keep", a policy the integration never had.)
    /// </summary>
    [Fact]
    public async Task What_a_record_keeps_after_its_integration_went_says_why()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("orphan");
            spec["cleanupPolicy"] = "Delete";
        });
        await env.StartOperatorAsync();
        await SetUpWithSomeonesTeamAsync(env, "orphan");
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quayintegrations", IntegrationName);
        await Eventually(async () => await env.GetIntegrationAsync() is null, "the QuayIntegration gone");
        await Eventually(async () => (await env.GetRecordAsync("orphan"))?["status"]?["kept"]?.ToJsonString().Contains($"QuayIntegration {IntegrationName} is gone") == true,
            "the record saying why it keeps the organization");
        Assert.DoesNotContain("cleanupPolicy Keep", (await env.GetRecordAsync("orphan"))!["status"]!.ToJsonString());
        Assert.NotNull(env.Quay.State.Organization("openshift_orphan"));
    }

    [Fact]
    public async Task A_service_account_removed_from_the_matrix_loses_its_robot_default_permission_Secret_and_links()
    {
        await using var env = await StartAsync(spec => spec["serviceAccounts"] = Matrix(("builder", "write"), ("default", "read"), ("deployer", "read"), ("pipeline", "write")));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("revoke");
        await env.Kube.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "pipeline" } }, "revoke");
        await env.CreateImageStreamAsync("revoke", "app");
        await Eventually(async () =>
        {
            var sa = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("pipeline", "revoke");
            return sa.ImagePullSecrets?.Any(s => s.Name == "pipeline-quay-openshift") == true
                   && env.Quay.State.Repository("openshift_revoke", "app")?.UserPermissions.GetValueOrDefault("openshift_revoke+pipeline") == "write";
        }, "pipeline set up");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix(("builder", "write"), ("default", "read"), ("deployer", "read")) });
        await Eventually(async () =>
        {
            var org = env.Quay.State.Organization("openshift_revoke")!;
            var sa = await env.Kube.CoreV1.ReadNamespacedServiceAccountAsync("pipeline", "revoke");
            return org.Robots.All(r => r.Name != "openshift_revoke+pipeline")
                   && org.Prototypes.All(p => p.DelegateName != "openshift_revoke+pipeline")
                   && await env.GetSecretAsync("revoke", "pipeline-quay-openshift") is null
                   && sa.Secrets?.Any(s => s.Name == "pipeline-quay-openshift") != true
                   && sa.ImagePullSecrets?.Any(s => s.Name == "pipeline-quay-openshift") != true;
        }, "pipeline's robot, default permission, Secret and links gone");
        Assert.True(await env.IsSeededAsync("revoke", "openshift_revoke"));
    }

    [Fact]
    public async Task A_finalizer_removed_by_hand_is_restored()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("keep-me");
        await Eventually(() => env.IsSeededAsync("keep-me", "openshift_keep-me"), "set up");
        await Eventually(async () =>
        {
            var ns = (await env.GetNamespaceAsync("keep-me"))!;
            ns.Metadata.Finalizers = ns.Metadata.Finalizers.Where(f => f != "quay.redhat.com/quayintegrations").ToList();
            try
            {
                await env.Kube.CoreV1.ReplaceNamespaceAsync(ns, "keep-me");
                return true;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                return false; // the operator wrote the namespace meanwhile: read it again
            }
        }, "the finalizer removed by hand");
        await Eventually(async () => (await env.GetNamespaceAsync("keep-me"))!.Metadata.Finalizers?.Contains("quay.redhat.com/quayintegrations") == true,
            "finalizer restored");
    }

    [Fact]
    public async Task A_record_deleted_by_hand_is_kept_while_its_namespace_is_managed_and_still_used()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("held");
        await Eventually(() => env.IsSeededAsync("held", "openshift_held"), "set up");
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quaynamespaces", "held");
        var record = await env.GetRecordAsync("held");
        Assert.NotNull(record); // its finalizer holds it
        Assert.NotNull(record["metadata"]!["deletionTimestamp"]);

        // Still the truth: the organization the operator created is deleted with the namespace, and the record goes then.
        await env.Kube.CoreV1.DeleteNamespaceAsync("held");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("held");
        Assert.Null(env.Quay.State.Organization("openshift_held"));
        await Eventually(async () => await env.GetRecordAsync("held") is null, "the record gone with the namespace");
    }

    /// <summary>
    /// A record deleted by hand while its namespace is managed (its finalizer holds it), then the namespace released
    /// under cleanupPolicy Keep: the record is made again, released, rather than let go with the finalizer, and what it
    /// remembers still acts (under cleanupPolicy Delete the organization it kept is deleted). Before, the release
    /// dropped the finalizer and the API server deleted the record, forgetting the organization for good. With the
    /// create that makes it again refused (a 500 after the write that let the deleted one go), it is still made again
    /// from what was known rather than forgotten: once refused, by the save after the failure; three times (that save's
    /// create refused too, then the first retry's), by a later reconcile of the namespace.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_record_deleted_by_hand_while_managed_is_made_again_when_its_namespace_is_released(int remakeRefusals)
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("held"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("held");
        await Eventually(() => env.IsSeededAsync("held", "openshift_held"), "set up");
        // A former organization too: only the record knows it (the namespace's annotation names the current one).
        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "second" });
        await Eventually(() => env.IsSeededAsync("held", "second_held"), "moved to a second organization");
        await env.Kube.CustomObjects.DeleteClusterCustomObjectAsync("quay.redhat.com", "v1", "quaynamespaces", "held");
        Assert.NotNull((await env.GetRecordAsync("held"))!["metadata"]!["deletionTimestamp"]);
        if (remakeRefusals > 0) env.Cluster.ApiServer.Faults.InjectStatus(500, count: remakeRefusals, resource: "quaynamespaces", verb: "create");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("elsewhere") });
        await Eventually(async () => await env.GetRecordAsync("held") is { } record && record["metadata"]?["deletionTimestamp"] is null
                                     && record["status"]?["phase"]?.GetValue<string>() == "Released", "released, its record made again");
        Assert.Equal("Created", await env.RecordedOriginAsync("held", "openshift_held"));
        Assert.Equal("Created", await env.RecordedOriginAsync("held", "second_held"));
        if (remakeRefusals >= 3)
            await env.EventAsync("default", e => e.Reason == "OwnershipRecordNotMadeAgain" && e.InvolvedObject.Name == "held", "the failed re-creation told");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["cleanupPolicy"] = "Delete" });
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_held") is null && env.Quay.State.Organization("second_held") is null),
            "the organizations it kept deleted under Delete");
    }

    [Fact]
    public async Task A_robot_role_lowered_in_Quay_on_one_repository_is_repaired_at_the_next_drift_check()
    {
        await using var env = await StartAsync();
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("roles");
        await env.CreateImageStreamAsync("roles", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_roles", "app")?.UserPermissions.GetValueOrDefault("openshift_roles+builder") == "write"),
            "repository with the builder's write");

        // Only the repository permission changes; the default permission stays write.
        admin.JoinOwners("openshift_roles");
        await admin.SetRepositoryPermissionAsync("openshift_roles", "app", "openshift_roles+builder", "read");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_roles", "app")!.UserPermissions["openshift_roles+builder"] == "write"),
            "write restored within a drift interval (2 s)", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task In_an_organization_that_existed_only_what_the_operator_created_is_removed_with_the_namespace()
    {
        await using var env = await StartAsync();
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift_ext");
        admin.AddOwner("openshift_ext", Operator);
        await admin.CreateRobotAsync("openshift_ext", "keeper");
        await admin.CreateDefaultPermissionAsync("openshift_ext", "openshift_ext+keeper", "read");
        await admin.CreateRepositoryAsync("openshift_ext", "theirs");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("ext");
        await Eventually(() => env.IsSeededAsync("ext", "openshift_ext"), "set up in the existing organization");
        Assert.Equal("Found", await env.RecordedOriginAsync("ext", "openshift_ext"));

        await env.Kube.CoreV1.DeleteNamespaceAsync("ext");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("ext");
        var org = env.Quay.State.Organization("openshift_ext");
        Assert.NotNull(org);
        Assert.Equal(["openshift_ext+keeper"], org.Robots.Select(r => r.Name));
        Assert.Equal(["openshift_ext+keeper"], org.Prototypes.Select(p => p.DelegateName));
        Assert.NotNull(env.Quay.State.Repository("openshift_ext", "theirs"));
        Assert.Null(await env.GetRecordAsync("ext"));
    }

    /// <summary>
    /// An organization the operator made, deleted in Quay since, and refused when the operator makes it again (Quay
    /// leaves organization creation to superusers here) is no longer the operator's: the one a superuser then makes
    /// under that name, as the namespace's status asks, holding a robot of the very name the operator gives the builder's,
    /// is used as found, and neither it nor that robot goes with the namespace. (The refused create withdraws the write
    /// ahead, and the robots the record held in the deleted organization went with it.)
    /// </summary>
    [Fact]
    public async Task An_organization_someone_makes_after_the_operators_re_create_was_refused_is_theirs_with_its_robots()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("redo");
            spec["driftCheckInterval"] = "2s";
        });
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("redo");
        await Eventually(() => env.IsSeededAsync("redo", "openshift_redo"), "set up");
        Assert.Equal("Created", await env.RecordedOriginAsync("redo", "openshift_redo"));

        env.Quay.OrganizationCreationForSuperusersOnly = true;
        admin.JoinOwners("openshift_redo");
        await admin.DeleteOrganizationAsync("openshift_redo");
        await Eventually(async () => (await env.GetRecordAsync("redo"))?["status"]?["lastError"]?.GetValue<string>().Contains("may not create organizations") == true,
            "the operator's create refused", TimeSpan.FromSeconds(30));
        // Every retry writes its create ahead again (Creating) and withdraws it when refused: between attempts, Found.
        await Eventually(async () => await env.RecordedOriginAsync("redo", "openshift_redo") == "Found", "the write ahead withdrawn");

        // Made without an email, so that nothing but the withdrawal tells it from the operator's.
        using var root = new QuayAdministrator(env.Quay, "root", superuser: true);
        await Eventually(() => root.TryCreateOrganizationAsync("openshift_redo"), "the superuser makes the organization");
        await root.CreateRobotAsync("openshift_redo", "builder", "the platform team's");
        await root.CreateDefaultPermissionAsync("openshift_redo", "openshift_redo+builder", "admin");
        root.AddOwner("openshift_redo", Operator);
        await Eventually(() => env.IsSeededAsync("redo", "openshift_redo"), "set up in the superuser's organization", TimeSpan.FromSeconds(60));
        Assert.Equal("Found", await env.RecordedOriginAsync("redo", "openshift_redo"));
        // The superuser's robot is not taken for the one the operator made in the deleted organization: its default
        // permission is left as they gave it, not "repaired" to the matrix's role.
        Assert.Equal("admin", Assert.Single(env.Quay.State.Organization("openshift_redo")!.Prototypes, p => p.DelegateName == "openshift_redo+builder").Role);

        await env.Kube.CoreV1.DeleteNamespaceAsync("redo");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("redo", TimeSpan.FromSeconds(30));
        var organization = env.Quay.State.Organization("openshift_redo");
        Assert.Equal("root", organization?.CreatedBy);
        Assert.Equal("root", organization!.Robots.SingleOrDefault(r => r.Name == "openshift_redo+builder")?.CreatedBy);
    }

    /// <summary>
    /// A create the operator wrote ahead and Quay answered with a 503 may have happened, so the record keeps Creating,
    /// and the next create, refused (organization creation left to superusers), cannot withdraw it. The organization a
    /// superuser then makes, as the status asks, shows the superuser's email, not the one every create of the operator
    /// sends: it is used as found, never taken for the one the pending create made, and kept when the namespace goes.
    /// Quay shows that email only to the organization's administrators, so while the operator's user is not one yet,
    /// the operator looks at it and leaves the record pending, undecided.
    /// </summary>
    [Fact]
    public async Task An_organization_made_while_an_unanswered_create_is_pending_is_told_apart_by_its_email()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("unsure"));
        env.Quay.OrganizationCreationForSuperusersOnly = true;
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [503], Times = 1 });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("unsure");
        await Eventually(async () => (await env.GetRecordAsync("unsure"))?["status"]?["lastError"]?.GetValue<string>().Contains("may not create organizations") == true,
            "the second create refused", TimeSpan.FromSeconds(30));
        Assert.Equal("Creating", await env.RecordedOriginAsync("unsure", "openshift_unsure"));

        using var root = new QuayAdministrator(env.Quay, "root", superuser: true);
        await root.CreateOrganizationAsync("openshift_unsure", "platform@example.org");
        await AssertLeftUndecidedAsync(env, "unsure");
        await AssertTheSuperusersOnceTheOperatorIsAnOwnerAsync(env, root, "unsure");
    }

    /// <summary>
    /// helper-99 #2: the same, with the organization made without an email (Quay shows none, as with FEATURE_MAILING
    /// off) and the operator's user made an owner, after the grace in which the unanswered create may still land.
    /// Every create that records its time sends the operator's email, and only an earlier version's late create could
    /// show none, so an organization its user administers showing no address after the grace is someone else's: used
    /// as found, and kept when the namespace goes. (Before, no email counted as the operator's however long the entry
    /// had waited: a team's organization made weeks after a create was left pending was deleted with the namespace.)
    /// The retries meanwhile are refused (creation left to superusers) and made nothing: the grace runs from the
    /// unanswered create, not from the last refusal (helper-102: each retry started it again).
    /// </summary>
    [Fact]
    public async Task An_organization_made_without_an_email_after_a_pending_creates_grace_is_not_taken_for_the_operators()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("mailless"));
        env.Quay.OrganizationCreationForSuperusersOnly = true;
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [503], Times = 1 });
        await env.StartOperatorAsync("operator-1", "--Operator:Quay:UnansweredCreateGrace=00:00:20");
        await env.CreateNamespaceAsync("mailless");
        await Eventually(async () => (await env.GetRecordAsync("mailless"))?["status"]?["lastError"]?.GetValue<string>().Contains("may not create organizations") == true,
            "the second create refused", TimeSpan.FromSeconds(30));
        Assert.Equal("Creating", await env.RecordedOriginAsync("mailless", "openshift_mailless"));

        // The refused retries go on (backoff 0.5, 1, 2, 4, 8, 16 s…): the last before the organization appears is within
        // the 20 s grace of it, the unanswered create is not. Waited for on the record, not by the clock: under load a
        // retry that gets no answer in time is an unanswered create too, and starts the grace again (the rule).
        await Eventually(async () =>
        {
            var org = (await env.GetRecordAsync("mailless"))?["spec"]?["organizations"]?[0];
            return org?["pendingSince"]?.GetValue<DateTime>() is { } since && DateTime.UtcNow - since.ToUniversalTime() > TimeSpan.FromSeconds(22);
        }, "the unanswered create's grace over", TimeSpan.FromSeconds(90));
        using var root = new QuayAdministrator(env.Quay, "root", superuser: true);
        await root.CreateOrganizationAsync("openshift_mailless");
        await AssertTheSuperusersOnceTheOperatorIsAnOwnerAsync(env, root, "mailless");
    }

    /// <summary>
    /// The operator's first create got a 503, so it may have happened, and the second is "already exists": made by
    /// the first, or by someone while the second was on its way (here a superuser, in the 1.5 s the second is held).
    /// While the operator's user does not administer the organization, Quay does not show it the email that tells
    /// them apart, so the record stays Creating and the status asks for ownership; once it is an owner, the email says
    /// the organization is the superuser's, and it is kept when the namespace goes.
    /// </summary>
    [Fact]
    public async Task An_organization_made_as_a_create_follows_an_unanswered_one_is_judged_once_the_operator_administers_it()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("again"));
        await SecondCreateOnItsWayAsync(env, "again");
        using var root = new QuayAdministrator(env.Quay, "root", superuser: true);
        await root.CreateOrganizationAsync("openshift_again", "platform@example.org");
        await AssertLeftUndecidedAsync(env, "again");
        await AssertTheSuperusersOnceTheOperatorIsAnOwnerAsync(env, root, "again");
    }

    /// <summary>
    /// The operator's create got no answer (it gave up waiting), and the namespace is deleted before Quay is seen to make
    /// the organization. Quay may still finish that create: the namespace goes, but the record keeps the entry as
    /// pending and looks again, so an organization that lands afterwards is the operator's and is deleted, never an
    /// organization nothing remembers. (The entry was dropped at the first "absent", and the late create orphaned.)
    /// </summary>
    [Fact]
    public async Task A_create_that_got_no_answer_and_lands_after_its_namespace_was_deleted_is_still_deleted()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("late"));
        var hang = env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", HangRate = 1, HangMs = 600_000 });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("late");
        await UnansweredThenDeletedAsync(env, "late");
        Assert.Equal("Creating", await env.RecordedOriginAsync("late", "openshift_late"));

        // Quay finishes the create the operator stopped waiting for.
        env.Quay.Faults.Remove(hang);
        using var quay = env.Quay.CreateHttpClient(env.Token);
        await LegacyWorld.OkAsync(quay.PostAsJsonAsync("api/v1/organization/", new { name = "openshift_late", email = "openshift_late@quay-integration.invalid" }));
        await Eventually(async () => env.Quay.State.Organization("openshift_late") is null && await env.GetRecordAsync("late") is null,
            "the organization that landed late deleted, and the record let go", TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The same with nothing landing: once the grace for a late create is over, the entry goes, and the record with it.
    /// The creates get a 503 rather than no answer (either may have happened, so either leaves the entry pending): the
    /// test then waits for a 20-second grace rather than for a hung create's timeout and a grace longer than it.
    /// </summary>
    [Fact]
    public async Task A_create_left_in_doubt_that_never_lands_is_forgotten_once_its_grace_is_over()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("never"));
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [503] });
        await env.StartOperatorAsync("operator-1", "--Operator:Quay:UnansweredCreateGrace=00:00:20");
        await env.CreateNamespaceAsync("never");
        await UnansweredThenDeletedAsync(env, "never");
        Assert.Equal("Creating", await env.RecordedOriginAsync("never", "openshift_never"));
        await Eventually(async () => await env.GetRecordAsync("never") is null, "the record let go after the grace", TimeSpan.FromSeconds(90));
        Assert.Null(env.Quay.State.Organization("openshift_never"));
    }

    /// <summary>
    /// The namespace's organization is written ahead and its creates go unanswered (503s); then the organization prefix
    /// changes, under cleanupPolicy Keep. The former organization, never made, is listed as one that may still land
    /// while its grace lasts, and forgotten once it is over: not listed as the operator's organization for the
    /// namespace's life, and not waited on to be deleted with it.
    /// </summary>
    [Fact]
    public async Task A_former_organization_whose_create_never_landed_is_forgotten_after_its_grace_under_cleanup_policy_keep()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("renamed");
            spec["driftCheckInterval"] = "3s";
        });
        var refused = env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [503] });
        // A grace long enough for the second operator's first sync on a loaded machine (the listing is looked for while it lasts).
        const string grace = "--Operator:Quay:UnansweredCreateGrace=00:00:25";
        var first = await env.StartOperatorAsync("operator-1", grace);
        await env.CreateNamespaceAsync("renamed");
        await Eventually(async () => await env.RecordedOriginAsync("renamed", "openshift_renamed") == "Creating", "the create unanswered", TimeSpan.FromSeconds(30));
        // Changed while no operator runs: the first one's backoff and open circuit breaker, after the 503s, would delay
        // the next sync by tens of seconds, past the grace on a loaded machine.
        await env.StopOperatorAsync(first);
        env.Quay.Faults.Remove(refused);
        await env.PatchIntegrationSpecAsync(new JsonObject { ["organizationPrefix"] = "other" });
        await env.StartOperatorAsync("operator-2", grace);

        await Eventually(async () => await env.RecordedOriginAsync("renamed", "other_renamed") == "Created"
                                     && (await env.KeptAsync("renamed")).Any(k => k.Contains("openshift_renamed") && k.Contains("may still land")),
            "the former organization listed as one that may still land", TimeSpan.FromSeconds(25));
        await Eventually(async () => await env.RecordedOriginAsync("renamed", "openshift_renamed") is null
                                     && !(await env.KeptAsync("renamed")).Any(k => k.Contains("openshift_renamed")),
            "the former organization forgotten after its grace", TimeSpan.FromSeconds(60));
        Assert.Null(env.Quay.State.Organization("openshift_renamed"));
        Assert.NotNull(env.Quay.State.Organization("other_renamed"));
    }

    /// <summary>The create is written ahead and goes unanswered; the namespace is then deleted, and goes, its record listing the organization as looked for.</summary>
    private static async Task UnansweredThenDeletedAsync(OperatorEnvironment env, string ns)
    {
        await Eventually(async () => await env.RecordedOriginAsync(ns, $"openshift_{ns}") == "Creating"
                                     && (await env.GetRecordAsync(ns))?["status"]?["phase"]?.GetValue<string>() == "Failing", "the create unanswered", TimeSpan.FromSeconds(30));
        await env.Kube.CoreV1.DeleteNamespaceAsync(ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(ns, TimeSpan.FromSeconds(30));
        await Eventually(async () => (await env.GetRecordAsync(ns))?["status"]?["kept"]?.AsArray()
            .Any(k => k!.GetValue<string>().Contains("may still land")) == true, "the organization listed as looked for", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// The same history with a full-access superuser's token, which may delete any organization but is not shown the
    /// email of one it does not administer. The namespace is deleted while its record says Creating and the organization
    /// cannot be told apart: the namespace goes, the organization is kept and listed, and its entry stays pending. Once
    /// the operator's user is made an owner, the email says whose it is, and the record lets it go, still kept.
    /// </summary>
    [Fact]
    public async Task A_namespace_deleted_while_its_organization_cannot_be_told_apart_keeps_it_even_for_a_superuser()
    {
        const string token = "superuser-token-pending-0123";
        await using var quay = await QuayEmulator.StartAsync(new QuayEmulatorOptions { NamespaceGcDelay = TimeSpan.FromMilliseconds(300), SuperusersFullAccess = true }
            .WithUserToken(Operator, token, QuayScopes.All, superuser: true));
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("undecided"), sharedQuay: quay, sharedToken: token);
        await SecondCreateOnItsWayAsync(env, "undecided");
        using var admin = new QuayAdministrator(quay);
        await admin.CreateOrganizationAsync("openshift_undecided", "team@example.org");
        await AssertLeftUndecidedAsync(env, "undecided");

        await env.Kube.CoreV1.DeleteNamespaceAsync("undecided");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("undecided", TimeSpan.FromSeconds(30));
        Assert.Equal(QuayAdministrator.UserName, quay.State.Organization("openshift_undecided")?.CreatedBy);
        await Eventually(async () => (await env.GetRecordAsync("undecided"))?["status"]?["kept"]?.AsArray()
                .Any(k => k!.GetValue<string>().Contains("whose it is cannot be told")) == true, "the organization listed as kept");
        Assert.Equal("Creating", await env.RecordedOriginAsync("undecided", "openshift_undecided"));

        admin.AddOwner("openshift_undecided", Operator);
        await Eventually(async () => await env.GetRecordAsync("undecided") is null, "the record let go once the email tells", TimeSpan.FromSeconds(30));
        Assert.Equal(QuayAdministrator.UserName, quay.State.Organization("openshift_undecided")?.CreatedBy);
    }

    /// <summary>
    /// The operator's first create of the namespace's organization gets a 503 (so it may have happened), and its second
    /// is held 1.5 s on its way: returns once it is, for someone to make the organization meanwhile.
    /// </summary>
    private static async Task SecondCreateOnItsWayAsync(OperatorEnvironment env, string ns)
    {
        env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/organization/", Method = "POST", ErrorRate = 1, ErrorStatuses = [503], Times = 1 });
        var held = new FaultRule { Route = "/api/v1/organization/", Method = "POST", LatencyMs = 1500, Times = 1 };
        env.Quay.Faults.Add(held);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync(ns);
        await Eventually(() => Task.FromResult(held.TimesMatched > 0), "the second create on its way", TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Made an owner of the organization the superuser made while its create was pending, the operator sees the
    /// superuser's email: the organization is used as found, and kept when the namespace goes.
    /// </summary>
    private static async Task AssertTheSuperusersOnceTheOperatorIsAnOwnerAsync(OperatorEnvironment env, QuayAdministrator root, string ns)
    {
        var org = "openshift_" + ns;
        root.AddOwner(org, Operator);
        await Eventually(() => env.IsSeededAsync(ns, org), "set up in the superuser's organization", TimeSpan.FromSeconds(60));
        Assert.Equal("Found", await env.RecordedOriginAsync(ns, org));
        await env.Kube.CoreV1.DeleteNamespaceAsync(ns);
        await env.Cluster.Oc.WaitForNamespaceGoneAsync(ns, TimeSpan.FromSeconds(30));
        Assert.Equal(root.Name, env.Quay.State.Organization(org)?.CreatedBy);
    }

    /// <summary>
    /// The operator has looked at the organization made while its create was pending, and could not tell it apart:
    /// still Creating, and the status says what would decide it.
    /// </summary>
    private static async Task AssertLeftUndecidedAsync(OperatorEnvironment env, string ns)
    {
        var org = "openshift_" + ns;
        var error = "";
        await Eventually(async () => (error = (await env.GetRecordAsync(ns))?["status"]?["lastError"]?.GetValue<string>() ?? "").Contains("make it an owner")
                                     || await env.RecordedOriginAsync(ns, org) != "Creating",
            "the operator looks at the organization", TimeSpan.FromSeconds(30));
        Assert.Equal("Creating", await env.RecordedOriginAsync(ns, org));
        Assert.Contains("make it an owner", error);
    }

    /// <summary>
    /// A namespace released with cleanupPolicy Delete loses its organization annotations with its record, so when it
    /// comes back into scope nothing is read as an earlier version's ownership: an organization someone made under its
    /// name in between is used as found, and kept when the namespace goes.
    /// </summary>
    [Fact]
    public async Task A_namespace_released_with_its_organization_deleted_does_not_claim_the_next_organization_of_that_name()
    {
        await using var env = await StartAsync(spec => spec["cleanupPolicy"] = "Delete");
        using var admin = new QuayAdministrator(env.Quay);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("away");
        await Eventually(() => env.IsSeededAsync("away", "openshift_away"), "set up");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["denylistNamespaces"] = new JsonArray("away") });
        await Eventually(async () => await env.GetRecordAsync("away") is null && env.Quay.State.Organization("openshift_away") is null,
            "released, its organization and record deleted");
        var annotations = (await env.GetNamespaceAsync("away"))!.Metadata.Annotations ?? new Dictionary<string, string>();
        Assert.False(annotations.ContainsKey("quay.redhat.com/organization-ownership"));

        await Eventually(() => admin.TryCreateOrganizationAsync("openshift_away"), "a person makes an organization of that name");
        admin.AddOwner("openshift_away", Operator);
        await env.PatchIntegrationSpecAsync(new JsonObject { ["denylistNamespaces"] = new JsonArray() });
        await Eventually(() => env.IsSeededAsync("away", "openshift_away"), "managed again, in the person's organization");
        Assert.Equal("Found", await env.RecordedOriginAsync("away", "openshift_away"));

        await env.Kube.CoreV1.DeleteNamespaceAsync("away");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("away");
        Assert.Equal(QuayAdministrator.UserName, env.Quay.State.Organization("openshift_away")?.CreatedBy);
    }

    /// <summary>
    /// The operator's organization of a namespace released under Keep is deleted in Quay by an administrator, and a
    /// person makes one of that name for their own use (with their own email). The record still says the operator
    /// created the name; the organization Quay shows says otherwise. Back in scope it is used as found, and the
    /// namespace's deletion leaves it to them. The same check guards the deletion alone (a second namespace whose
    /// organization is made again while the operator is stopped).
    /// </summary>
    [Fact]
    public async Task An_organization_someone_made_again_under_the_name_of_the_operators_is_theirs()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("back", "later"));
        using var admin = new QuayAdministrator(env.Quay);
        var first = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("back");
        await env.CreateNamespaceAsync("later");
        await Eventually(() => env.IsSeededAsync("back", "openshift_back"), "back set up");
        await Eventually(() => env.IsSeededAsync("later", "openshift_later"), "later set up");

        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("later") });
        await Eventually(async () => (await env.GetRecordAsync("back"))?["status"]?["phase"]?.GetValue<string>() == "Released", "back released");
        await RemakeOrganizationAsync(env, admin, "openshift_back");
        await env.PatchIntegrationSpecAsync(new JsonObject { ["allowlistNamespaces"] = new JsonArray("back", "later") });
        await Eventually(() => env.IsSeededAsync("back", "openshift_back"), "back managed again");
        Assert.Equal("Found", await env.RecordedOriginAsync("back", "openshift_back"));
        await env.EventAsync("default", e => e.InvolvedObject.Name == "back" && e.Reason == "OrganizationReplaced", "the OrganizationReplaced Event");
        await env.Kube.CoreV1.DeleteNamespaceAsync("back");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("back", TimeSpan.FromSeconds(30));
        Assert.Equal(QuayAdministrator.UserName, env.Quay.State.Organization("openshift_back")?.CreatedBy);

        // Made again while the operator is stopped, and the namespace deleted before any sync sees it.
        await env.StopOperatorAsync(first);
        await RemakeOrganizationAsync(env, admin, "openshift_later");
        await env.Kube.CoreV1.DeleteNamespaceAsync("later");
        await env.StartOperatorAsync("operator-2");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("later", TimeSpan.FromSeconds(30));
        Assert.Equal(QuayAdministrator.UserName, env.Quay.State.Organization("openshift_later")?.CreatedBy);
    }

    private static async Task RemakeOrganizationAsync(OperatorEnvironment env, QuayAdministrator admin, string organization)
    {
        admin.JoinOwners(organization);
        await admin.DeleteOrganizationAsync(organization);
        env.Quay.CollectGarbageNow();
        await admin.CreateOrganizationAsync(organization, "team@example.org");
        admin.AddOwner(organization, Operator);
    }

    /// <summary>
    /// An organization that existed before the operator used it, deleted in Quay since, no longer holds up its
    /// namespace's deletion: Quay refuses every call inside a missing organization, and there is nothing left to remove.
    /// </summary>
    [Fact]
    public async Task A_found_organization_deleted_in_quay_does_not_hold_up_its_namespaces_deletion()
    {
        await using var env = await StartAsync();
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift_gone");
        admin.AddOwner("openshift_gone", Operator);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("gone");
        await Eventually(() => env.IsSeededAsync("gone", "openshift_gone"), "set up in the existing organization");
        Assert.Equal("Found", await env.RecordedOriginAsync("gone", "openshift_gone"));

        await admin.DeleteOrganizationAsync("openshift_gone");
        await env.Kube.CoreV1.DeleteNamespaceAsync("gone");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("gone", TimeSpan.FromSeconds(30));
        Assert.Null(await env.GetRecordAsync("gone"));
    }

    [Fact]
    public async Task A_robot_that_existed_is_used_but_never_deleted_and_only_the_default_permission_the_operator_gave_it_goes()
    {
        await using var env = await StartAsync();
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift_mixed");
        admin.AddOwner("openshift_mixed", Operator);
        await admin.CreateRobotAsync("openshift_mixed", "deployer");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("mixed");
        await Eventually(() => env.IsSeededAsync("mixed", "openshift_mixed"), "set up with the existing deployer robot");
        var deployer = env.Quay.State.Organization("openshift_mixed")!.Robots.Single(r => r.Name == "openshift_mixed+deployer");
        Assert.Equal(QuayAdministrator.UserName, deployer.CreatedBy);
        Assert.Contains(env.Quay.State.Organization("openshift_mixed")!.Prototypes, p => p.DelegateName == "openshift_mixed+deployer" && p.CreatedBy == Operator);

        await env.PatchIntegrationSpecAsync(new JsonObject { ["serviceAccounts"] = Matrix(("builder", "write"), ("default", "read")) });
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_mixed")!.Prototypes.All(p => p.DelegateName != "openshift_mixed+deployer")),
            "the operator's default permission for the existing robot removed");
        Assert.Equal(deployer.Token, env.Quay.State.Organization("openshift_mixed")!.Robots.Single(r => r.Name == "openshift_mixed+deployer").Token);
    }

    /// <summary>
    /// Issue (review of 49e13ff): a default permission someone else gives a robot that existed, beside the one the
    /// operator gave it, was taken for a duplicate of the operator's and deleted at the next drift check, silently, at
    /// every check after. Only the default permissions the operator recorded are its own for such a robot.
    /// </summary>
    [Fact]
    public async Task Someone_elses_default_permission_for_a_robot_that_existed_is_left_beside_the_operators()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("twin");
            spec["driftCheckInterval"] = "2s";
        });
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift_twin");
        admin.AddOwner("openshift_twin", Operator);
        await admin.CreateRobotAsync("openshift_twin", "deployer");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("twin");
        await Eventually(() => env.IsSeededAsync("twin", "openshift_twin"), "set up with the existing deployer robot");
        var operators = Assert.Single(env.Quay.State.Organization("openshift_twin")!.Prototypes, p => p.DelegateName == "openshift_twin+deployer");
        Assert.Equal(Operator, operators.CreatedBy);

        await admin.CreateDefaultPermissionAsync("openshift_twin", "openshift_twin+deployer", "admin");
        // Two drift checks later (each lists the organization's default permissions once).
        long PrototypeLists() => env.Quay.Calls.Snapshot().Where(c => c.Method == "GET" && c.Route.EndsWith("/prototypes", StringComparison.Ordinal)).Sum(c => c.Count);
        var lists = PrototypeLists();
        await Eventually(() => Task.FromResult(PrototypeLists() >= lists + 2), "two drift checks", TimeSpan.FromSeconds(20));
        await Task.Delay(500); // the second check's writes, had it decided any
        var prototypes = env.Quay.State.Organization("openshift_twin")!.Prototypes.Where(p => p.DelegateName == "openshift_twin+deployer").ToList();
        Assert.Equal(2, prototypes.Count);
        Assert.Contains(prototypes, p => p.CreatedBy == QuayAdministrator.UserName && p.Role == "admin");
        Assert.Contains(prototypes, p => p.Id == operators.Id && p.Role == operators.Role);

        // The operator's own still goes with the namespace; theirs stays.
        await env.Kube.CoreV1.DeleteNamespaceAsync("twin");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("twin", TimeSpan.FromSeconds(30));
        var left = Assert.Single(env.Quay.State.Organization("openshift_twin")!.Prototypes, p => p.DelegateName == "openshift_twin+deployer");
        Assert.Equal(QuayAdministrator.UserName, left.CreatedBy);
    }

    /// <summary>
    /// A robot the operator created, deleted in Quay by someone who then makes their own under its name, is known to the
    /// record by that name only. It was taken for the operator's: its default permission repaired or deleted, its token
    /// regenerated on rotation, and it went with the organization when the namespace was deleted. Quay's creation time
    /// tells the two apart.
    /// </summary>
    [Fact]
    public async Task A_robot_someone_deleted_and_made_again_under_its_name_is_theirs_and_keeps_the_organization()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("remade"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("remade");
        await Eventually(() => env.IsSeededAsync("remade", "openshift_remade"), "set up");
        await RemakeRobotAsync(env, "openshift_remade", "deployer");
        var theirs = env.Quay.State.Organization("openshift_remade")!.Robots.Single(r => r.Name == "openshift_remade+deployer").Token;

        await env.EventAsync("default", e => e.InvolvedObject.Name == "remade" && e.Reason == "RobotReplaced"
                                             && e.Message.Contains("openshift_remade+deployer", StringComparison.Ordinal), "the RobotReplaced Event");
        await env.Kube.CoreV1.DeleteNamespaceAsync("remade");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("remade", TimeSpan.FromSeconds(30));
        var organization = env.Quay.State.Organization("openshift_remade");
        Assert.NotNull(organization); // kept for their robot
        var left = Assert.Single(organization.Robots);
        Assert.Equal(("openshift_remade+deployer", theirs), (left.Name, left.Token));
        Assert.DoesNotContain(organization.Prototypes, p => p.CreatedBy == Operator);
    }

    /// <summary>
    /// A rotation asked for between drift checks, after someone deleted one of the operator's robots and made their own
    /// under its name: the rotation reads the robots first, so their token is not regenerated, and the Secret gets
    /// the token their robot has.
    /// </summary>
    [Fact]
    public async Task A_rotation_leaves_the_token_of_a_robot_someone_made_again_under_the_operators_name()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("rerot");
            spec["driftCheckInterval"] = "10m"; // only the rotation can see the robot made again
        });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("rerot");
        await Eventually(() => env.IsSeededAsync("rerot", "openshift_rerot"), "set up");
        await RemakeRobotAsync(env, "openshift_rerot", "deployer");
        string TokenOf(string robot) => env.Quay.State.Organization("openshift_rerot")!.Robots.Single(r => r.Name == robot).Token;
        var theirs = TokenOf("openshift_rerot+deployer");
        var builder = TokenOf("openshift_rerot+builder");

        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"2026-12-06T01:00:00Z"}}}""",
            V1Patch.PatchType.MergePatch), "rerot");
        await Eventually(async () => (await env.GetRecordAsync("rerot"))?["status"]?["rotationRequestHandled"]?.GetValue<string>() == "2026-12-06T01:00:00Z",
            "the request handled");
        Assert.NotEqual(builder, TokenOf("openshift_rerot+builder")); // the operator's own are rotated
        Assert.Equal(theirs, TokenOf("openshift_rerot+deployer"));
        await Eventually(() => env.IsSeededAsync("rerot", "openshift_rerot"), "every Secret holding its robot's current token");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "rerot" && e.Reason == "RobotReplaced", "the RobotReplaced Event");
    }

    /// <summary>
    /// The operator of another cluster (same prefix, a namespace of the same name) makes its robot again under the name
    /// of one of this operator's, after someone deleted it: the organization is being used by both, and the sync stops
    /// there as it does for any robot carrying another cluster's mark. Their robot's token never goes into this cluster's
    /// Secret, no default permission is given to it, and it stays when the namespace goes, with the organization. Still so
    /// after further drift checks, which no longer see it as made again.
    /// </summary>
    [Fact]
    public async Task A_robot_another_clusters_operator_made_again_under_the_operators_name_stops_the_sync_and_keeps_the_organization()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("twice");
            spec["driftCheckInterval"] = "2s";
        });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("twice");
        await Eventually(() => env.IsSeededAsync("twice", "openshift_twice"), "set up");
        var ours = (await env.GetSecretAsync("twice", "deployer-quay-openshift"))!.Data[".dockerconfigjson"];
        await RemakeRobotAsync(env, "openshift_twice", "deployer", "Service account twice/deployer, created by quay-integration-operator", new Dictionary<string, string>
        {
            ["createdBy"] = "quay-integration-operator", ["cluster"] = "west-identity", ["clusterID"] = "west",
            ["namespace"] = "twice", ["serviceAccount"] = "deployer",
        });

        await env.EventAsync("default", e => e.InvolvedObject.Name == "twice" && e.Reason == "OrganizationOfAnotherCluster"
                                             && e.Message.Contains("clusterID west", StringComparison.Ordinal), "the OrganizationOfAnotherCluster Event");
        await Task.Delay(5000); // two drift checks more: their robot is still not used
        Assert.Equal("Conflict", (await env.GetRecordAsync("twice"))!["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(ours, (await env.GetSecretAsync("twice", "deployer-quay-openshift"))!.Data[".dockerconfigjson"]);
        Assert.DoesNotContain(env.Quay.State.Organization("openshift_twice")!.Prototypes, p => p.DelegateName == "openshift_twice+deployer");

        await env.Kube.CoreV1.DeleteNamespaceAsync("twice");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("twice", TimeSpan.FromSeconds(30));
        var organization = env.Quay.State.Organization("openshift_twice");
        Assert.NotNull(organization); // kept for the other cluster's robot
        Assert.Equal("openshift_twice+deployer", Assert.Single(organization.Robots).Name);
    }

    /// <summary>
    /// Review of b24b624 (helper-69): between two drift checks another cluster's operator makes its robot again under
    /// this operator's name, and someone deletes this cluster's Secret. Rewriting the Secret read the robot's token
    /// from Quay and wrote it without judging the robot: this cluster's pods got the other cluster's credentials. A
    /// robot made at another time than recorded sends the sync to the organization's full read, which stops it.
    /// </summary>
    [Fact]
    public async Task A_secret_rewritten_between_drift_checks_never_holds_the_token_of_a_robot_another_cluster_made_again()
    {
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("twice");
            spec["driftCheckInterval"] = "10m";
        });
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("twice");
        await Eventually(() => env.IsSeededAsync("twice", "openshift_twice"), "set up");
        await RemakeRobotAsync(env, "openshift_twice", "deployer", "Service account twice/deployer, created by quay-integration-operator", new Dictionary<string, string>
        {
            ["createdBy"] = "quay-integration-operator", ["cluster"] = "west-identity", ["clusterID"] = "west",
            ["namespace"] = "twice", ["serviceAccount"] = "deployer",
        });
        var theirs = env.Quay.State.Organization("openshift_twice")!.Robots.Single(r => r.Name == "openshift_twice+deployer").Token;

        await env.Kube.CoreV1.DeleteNamespacedSecretAsync("deployer-quay-openshift", "twice");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "twice" && e.Reason == "OrganizationOfAnotherCluster", "the OrganizationOfAnotherCluster Event");
        Assert.Equal("Conflict", (await env.GetRecordAsync("twice"))!["status"]!["phase"]!.GetValue<string>());
        if (await env.GetSecretAsync("twice", "deployer-quay-openshift") is { } secret)
            Assert.DoesNotContain(theirs, System.Text.Encoding.UTF8.GetString(secret.Data[".dockerconfigjson"]) + DecodedAuths(secret));
    }

    private static string DecodedAuths(k8s.Models.V1Secret secret) =>
        string.Join(",", JsonNode.Parse(secret.Data[".dockerconfigjson"])!["auths"]!.AsObject()
            .Select(a => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(a.Value!["auth"]!.GetValue<string>()))));

    /// <summary>
    /// Review of b24b624 (helper-69): someone makes an OAuth application in an organization the operator created (to mint
    /// tokens for their CI, say). The teardown counted teams, repositories and robots only, and Quay deletes an
    /// organization's applications with it: theirs went with the namespace. It holds the organization back as someone's
    /// content does; what the operator made there goes.
    /// </summary>
    [Fact]
    public async Task An_oauth_application_someone_made_holds_back_the_deletion_of_an_organization_the_operator_created()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("apps"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("apps");
        await Eventually(() => env.IsSeededAsync("apps", "openshift_apps"), "set up");
        using (var admin = new QuayAdministrator(env.Quay))
        {
            admin.JoinOwners("openshift_apps");
            await admin.CreateApplicationAsync("openshift_apps", "ci-tokens");
        }

        await env.Kube.CoreV1.DeleteNamespaceAsync("apps");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("apps", TimeSpan.FromSeconds(30));
        var organization = env.Quay.State.Organization("openshift_apps");
        Assert.NotNull(organization);
        Assert.Equal("ci-tokens", Assert.Single(organization.Applications).Name);
        Assert.Empty(organization.Robots); // the operator's own robots went
        Assert.Contains((await env.GetRecordAsync("apps"))!["status"]!["kept"]!.AsArray(), k => k!.GetValue<string>().Contains("OAuth application"));
    }

    /// <summary>
    /// Someone deletes the operator's robot and makes their own under its name, a second later than the first (Quay's
    /// creation times are to the second).
    /// </summary>
    private static async Task RemakeRobotAsync(OperatorEnvironment env, string organization, string shortName, string description = "the team's own",
        Dictionary<string, string>? metadata = null)
    {
        using var admin = new QuayAdministrator(env.Quay);
        admin.AddOwner(organization, QuayAdministrator.UserName);
        await Task.Delay(1100);
        await admin.DeleteRobotAsync(organization, shortName);
        await admin.CreateRobotAsync(organization, shortName, description, metadata);
    }

    [Fact]
    public async Task A_default_permission_whose_answer_was_lost_is_found_on_the_retry_not_made_twice()
    {
        // No drift check during the test: the retry after the failed sync is all that can see what Quay holds.
        await using var env = await StartAsync(spec =>
        {
            spec["allowlistNamespaces"] = new JsonArray("lost");
            spec["driftCheckInterval"] = "10m";
        });
        using var admin = new QuayAdministrator(env.Quay);
        await admin.CreateOrganizationAsync("openshift_lost");
        admin.AddOwner("openshift_lost", Operator);
        await admin.CreateRobotAsync("openshift_lost", "deployer");
        // Quay makes the first default permission asked for, then its answer stalls until the operator gives up on it.
        var stall = new FaultRule { Route = "/api/v1/organization/{orgname}/prototypes", Method = "POST", BodyStallRate = 1, HangMs = 600_000, Times = 1 };
        env.Quay.Faults.Add(stall);
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("lost");
        await Eventually(() => env.IsSeededAsync("lost", "openshift_lost"), "set up after the lost answer", TimeSpan.FromSeconds(60));
        Assert.True(stall.TimesMatched > 0, "the answer stalled");

        var prototypes = env.Quay.State.Organization("openshift_lost")!.Prototypes.Where(p => p.ActivatingUser is null).ToList();
        var robots = env.Quay.State.Organization("openshift_lost")!.Robots.Select(r => r.Name).ToList();
        Assert.All(robots, robot => Assert.Single(prototypes, p => p.DelegateName == robot));

        // What the operator made for the robot it found goes with the namespace; the organization and robot stay.
        await env.Kube.CoreV1.DeleteNamespaceAsync("lost");
        await env.Cluster.Oc.WaitForNamespaceGoneAsync("lost", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(env.Quay.State.Organization("openshift_lost")!.Prototypes, p => p.CreatedBy == Operator);
    }

    [Fact]
    public async Task Every_managed_namespace_is_listed_with_kubectl_get_quaynamespaces()
    {
        await using var env = await StartAsync(spec => spec["allowlistNamespaces"] = new JsonArray("listed-a", "listed-b"));
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("listed-a");
        await env.CreateNamespaceAsync("listed-b");
        await Eventually(async () => await env.IsSeededAsync("listed-a", "openshift_listed-a") && await env.IsSeededAsync("listed-b", "openshift_listed-b"),
            "both set up");
        await Eventually(async () => (await env.GetRecordAsync("listed-b"))?["status"]?["lastVerified"] is not null, "status written");

        var output = await Kubectl.RunAsync(env.Cluster.KubeconfigPath, "get", "quaynamespaces");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+ORGANIZATION\s+ORIGIN\s+PHASE\s+SYNCED\s+VERIFIED\s+ERROR\s+AGE", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^listed-a\s+openshift_listed-a\s+Created\s+Synced\s+True\s+\d+s\s+(<none>\s+)?\d+s$"));
        Assert.Contains(lines, l => l.StartsWith("listed-b ", StringComparison.Ordinal));
    }

    /// <param name="repeat">
    /// The annotation's value is the first line repeated this often: a timestamp once, or 4,000 lines (about 100 KB,
    /// within the API server's 256 KiB of annotations), which the status keeps as a digest and the Event quotes short.
    /// </param>
    [Theory]
    [InlineData(1)]
    [InlineData(4000)]
    public async Task Robot_tokens_are_rotated_on_request_and_the_Secrets_follow_at_once(int repeat)
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("rotate");
        await Eventually(() => env.IsSeededAsync("rotate", "openshift_rotate"), "set up");
        var before = env.Quay.State.Organization("openshift_rotate")!.Robots.ToDictionary(r => r.Name, r => r.Token);

        var requested = string.Join("\n", Enumerable.Repeat("2026-12-01T10:00:00Z", repeat));
        var handled = repeat == 1 ? requested : "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(requested)));
        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch(new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject
            { ["quay.redhat.com/rotate-robot-tokens"] = requested } } }.ToJsonString(), V1Patch.PatchType.MergePatch), "rotate");
        await Eventually(async () => env.Quay.State.Organization("openshift_rotate")!.Robots.All(r => r.Token != before[r.Name])
                                     && await env.IsSeededAsync("rotate", "openshift_rotate"), "new tokens in Quay and in the Secrets");
        await Eventually(async () => (await env.GetRecordAsync("rotate"))?["status"]?["rotationRequestHandled"]?.GetValue<string>() == handled,
            "the request recorded as handled");
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == "rotate" && e.Reason == "RobotTokensRotated", "the RobotTokensRotated Event");
        Assert.DoesNotContain("\n", told.Message);
        Assert.True(told.Message.Length < 500, told.Message);

        // The same value again asks for nothing.
        var after = env.Quay.State.Organization("openshift_rotate")!.Robots.ToDictionary(r => r.Name, r => r.Token);
        await env.CreateImageStreamAsync("rotate", "poke");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_rotate", "poke") is not null), "a later reconcile");
        Assert.Equal(after, env.Quay.State.Organization("openshift_rotate")!.Robots.ToDictionary(r => r.Name, r => r.Token));
    }

    /// <summary>
    /// A rotation whose reconcile stops before the robot Secrets are written (Quay fails on a repository create later in
    /// it) says that the Secrets still hold the old tokens, which no longer work; the next sync writes them. (It said
    /// the Secrets held, or were being given, the new ones.)
    /// </summary>
    [Fact]
    public async Task A_rotation_whose_reconcile_stops_before_the_secrets_says_they_hold_the_old_tokens()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("halfway");
        await Eventually(() => env.IsSeededAsync("halfway", "openshift_halfway"), "set up");
        var failing = env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/repository", Method = "POST", ErrorRate = 1, ErrorStatuses = [503] });
        await env.CreateImageStreamAsync("halfway", "app");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "halfway" && e.Reason == "QuaySyncFailed", "the repository create failing");

        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"now"}}}""",
            V1Patch.PatchType.MergePatch), "halfway");
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == "halfway" && e.Reason == "RobotTokensRotated", "the rotation told");
        Assert.Contains("were not written with the new tokens", told.Message);
        Assert.False(await env.IsSeededAsync("halfway", "openshift_halfway")); // Quay holds new tokens, the Secrets old ones

        env.Quay.Faults.Remove(failing);
        await Eventually(() => env.IsSeededAsync("halfway", "openshift_halfway"), "the Secrets written by the next sync");
    }

    /// <summary>
    /// A rotation Quay refuses (400) or fails (503, retried and given up) for one robot regenerates the others' tokens
    /// and tells it; its retry regenerates only the refused robot's, since each regeneration invalidates the token a
    /// Secret was just given. (The retry regenerated every robot's token again; a 503 lost the others' rotation
    /// altogether, untold and unrecorded.)
    /// </summary>
    [Theory]
    [InlineData(400)]
    [InlineData(503)]
    public async Task A_rotation_refused_for_one_robot_retries_that_robot_alone(int status)
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("part");
        await Eventually(() => env.IsSeededAsync("part", "openshift_part"), "set up");
        string TokenOf(string robot) => env.Quay.State.Organization("openshift_part")!.Robots.Single(r => r.Name == robot).Token;
        var before = env.Quay.State.Organization("openshift_part")!.Robots.ToDictionary(r => r.Name, r => r.Token);
        var refusal = RefuseRegeneration("builder", status);
        var refusing = env.Quay.Faults.Add(refusal);

        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"in-part"}}}""",
            V1Patch.PatchType.MergePatch), "part");
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == "part" && e.Reason == "RobotTokensRotated", "the partial rotation told");
        Assert.Contains("the tokens of openshift_part+builder were not regenerated", told.Message);
        await Eventually(async () => (await env.GetRecordAsync("part"))?["status"]?["rotationInProgress"]?["robots"]?.AsArray().Count == before.Count - 1,
            "the rotation's progress kept");
        var partly = env.Quay.State.Organization("openshift_part")!.Robots.ToDictionary(r => r.Name, r => r.Token);
        Assert.Equal(before["openshift_part+builder"], partly["openshift_part+builder"]);
        Assert.All(partly.Where(r => r.Key != "openshift_part+builder"), r => Assert.NotEqual(before[r.Key], r.Value));
        // Quay answered for the others, so their Secrets get the new tokens at once, not once builder's is regenerated.
        async Task<bool> SecretHoldsItsTokenAsync(string account) =>
            await env.GetSecretAsync("part", $"{account}-quay-openshift") is { } secret
            && env.DockerAuth(secret) == $"openshift_part+{account}:{TokenOf($"openshift_part+{account}")}";
        await Eventually(async () => await SecretHoldsItsTokenAsync("default") && await SecretHoldsItsTokenAsync("deployer"),
            "the Secrets of the robots rotated hold their new tokens while builder's is refused");
        var attempts = refusal.TimesMatched;
        await Eventually(() => Task.FromResult(refusal.TimesMatched > attempts), "the refused regeneration tried again", TimeSpan.FromSeconds(60));

        env.Quay.Faults.Remove(refusing);
        await Eventually(async () => TokenOf("openshift_part+builder") != before["openshift_part+builder"] && await env.IsSeededAsync("part", "openshift_part"),
            "the refused robot rotated and every Secret in step", TimeSpan.FromSeconds(60));
        var record = await env.GetRecordAsync("part");
        Assert.Equal("in-part", record?["status"]?["rotationRequestHandled"]?.GetValue<string>());
        Assert.Null(record?["status"]?["rotationInProgress"]);
        // The robots rotated in the first attempt kept the tokens it gave them, and the last attempt tells its own robot
        // (in the Synced Event of a namespace that was failing until then).
        Assert.All(partly.Where(r => r.Key != "openshift_part+builder"), r => Assert.Equal(r.Value, TokenOf(r.Key)));
        await env.EventAsync("default", e => e.InvolvedObject.Name == "part"
                                             && e.Message.Contains("Regenerated the tokens of openshift_part+builder (", StringComparison.Ordinal), "the end told");
    }

    /// <summary>
    /// A rotation left unfinished that is no longer asked for (the annotation removed) is forgotten: asked for again,
    /// even with the same value, it regenerates every robot's token, those the first attempt did included. (The old
    /// progress was kept and the new request skipped them.)
    /// </summary>
    [Fact]
    public async Task An_unfinished_rotation_no_longer_asked_for_is_forgotten()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("given-up");
        await Eventually(() => env.IsSeededAsync("given-up", "openshift_given-up"), "set up");
        var refusing = env.Quay.Faults.Add(RefuseRegeneration("builder", 400));
        async Task AskAsync(string? value) => await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch(new JsonObject { ["metadata"] = new JsonObject
            { ["annotations"] = new JsonObject { ["quay.redhat.com/rotate-robot-tokens"] = value } } }.ToJsonString(), V1Patch.PatchType.MergePatch), "given-up");

        await AskAsync("leak");
        await Eventually(async () => (await env.GetRecordAsync("given-up"))?["status"]?["rotationInProgress"] is not null, "the rotation left unfinished");
        await AskAsync(null);
        await Eventually(async () => (await env.GetRecordAsync("given-up"))?["status"]?["rotationInProgress"] is null, "the unfinished rotation forgotten");

        env.Quay.Faults.Remove(refusing);
        var before = env.Quay.State.Organization("openshift_given-up")!.Robots.ToDictionary(r => r.Name, r => r.Token);
        await AskAsync("leak");
        await Eventually(async () => env.Quay.State.Organization("openshift_given-up")!.Robots.All(r => r.Token != before[r.Name])
                                     && await env.IsSeededAsync("given-up", "openshift_given-up"), "every robot rotated again, and the Secrets in step");
    }

    /// <summary>
    /// A robot created in the reconcile of a rotation that Quay fails in part is on record when that reconcile ends, the
    /// rotation's early status write notwithstanding. An end-to-end check of the history: the next reconcile repairs a
    /// gap from the robot's mark within moments, so the regression itself (a status write passing the record's unsaved
    /// changes for saved) is pinned down by <see cref="OwnershipRecordsTests"/>.
    /// </summary>
    [Fact]
    public async Task A_robot_created_beside_a_rotation_quay_fails_in_part_is_recorded()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("beside");
        await Eventually(() => env.IsSeededAsync("beside", "openshift_beside"), "set up");
        await env.Kube.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "pipeline" } }, "beside");
        // First Quay refuses builder's regeneration (400), then fails it (503): the end of the reconcile that makes the
        // robot names the 503, which the rotation's early status write (copying the status as it stood) does not.
        var refused = env.Quay.Faults.Add(RefuseRegeneration("builder", 400));
        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"beside"}}}""",
            V1Patch.PatchType.MergePatch), "beside");
        await Eventually(async () => (await env.GetRecordAsync("beside"))?["status"]?["rotationInProgress"]?["robots"]?.AsArray().Count == 2, "a partial rotation");
        env.Quay.Faults.Add(RefuseRegeneration("builder", 503));
        env.Quay.Faults.Remove(refused);
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = Matrix(("builder", "write"), ("default", "read"), ("deployer", "read"), ("pipeline", "write")),
        });

        // When the reconcile that made and rotated the robot has ended, the record names it (every poll until then is checked).
        var ended = false;
        await Eventually(async () =>
        {
            var record = await env.GetRecordAsync("beside");
            ended = record?["status"]?["phase"]?.GetValue<string>() == "Failing"
                && record["status"]?["lastError"]?.GetValue<string>()?.Contains("HTTP 503", StringComparison.Ordinal) == true
                && record["status"]?["rotationInProgress"]?["robots"]?.AsArray().Any(r => r?.GetValue<string>() == "openshift_beside+pipeline") == true;
            Assert.False(ended && OriginIn(record, "robots", "openshift_beside+pipeline") != "Created",
                "the reconcile that made the robot ended with it not on record");
            return ended;
        }, "the reconcile that made and rotated the robot ended");
    }

    /// <summary>
    /// Robots an earlier reconcile of a rotation regenerated, which stopped before their Secrets (a repository create
    /// failing), get their Secrets written by the next reconcile even while Quay keeps failing the last robot's
    /// regeneration. (That failure stopped every later reconcile before the Secrets, which held dead tokens meanwhile.)
    /// </summary>
    [Fact]
    public async Task Secrets_of_robots_rotated_earlier_are_written_while_the_last_robots_regeneration_fails()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("earlier");
        await Eventually(() => env.IsSeededAsync("earlier", "openshift_earlier"), "set up");
        string TokenOf(string robot) => env.Quay.State.Organization("openshift_earlier")!.Robots.Single(r => r.Name == robot).Token;
        async Task<bool> SecretHoldsItsTokenAsync(string account) =>
            await env.GetSecretAsync("earlier", $"{account}-quay-openshift") is { } secret
            && env.DockerAuth(secret) == $"openshift_earlier+{account}:{TokenOf($"openshift_earlier+{account}")}";
        var refused = env.Quay.Faults.Add(RefuseRegeneration("builder", 400));
        var repositories = env.Quay.Faults.Add(new FaultRule { Route = "/api/v1/repository", Method = "POST", ErrorRate = 1, ErrorStatuses = [503] });
        await env.CreateImageStreamAsync("earlier", "app");
        await env.EventAsync("default", e => e.InvolvedObject.Name == "earlier" && e.Reason == "QuaySyncFailed", "the repository create failing");
        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"earlier"}}}""",
            V1Patch.PatchType.MergePatch), "earlier");
        await Eventually(async () => (await env.GetRecordAsync("earlier"))?["status"]?["rotationInProgress"]?["robots"]?.AsArray().Count == 2,
            "default's and deployer's tokens regenerated, builder's refused");
        Assert.False(await SecretHoldsItsTokenAsync("default")); // the reconcile stopped at the repository, before the Secrets

        env.Quay.Faults.Remove(refused);
        var failing = env.Quay.Faults.Add(RefuseRegeneration("builder", 503));
        env.Quay.Faults.Remove(repositories);
        await Eventually(async () => await SecretHoldsItsTokenAsync("default") && await SecretHoldsItsTokenAsync("deployer"),
            "the Secrets of the robots rotated earlier written while builder's regeneration fails", TimeSpan.FromSeconds(60));
        Assert.NotNull((await env.GetRecordAsync("earlier"))?["status"]?["rotationInProgress"]);
        env.Quay.Faults.Remove(failing);
        await Eventually(() => env.IsSeededAsync("earlier", "openshift_earlier"), "the rotation complete", TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// An operator whose role lacks get on quaynamespaces (its image upgraded without its RBAC) says what is missing
    /// when a rotation is asked for, leaves the tokens alone, and still syncs the rest of the namespace. (The refused
    /// read stopped the whole reconcile as "the API server refused a write".)
    /// </summary>
    [Fact]
    public async Task A_rotation_the_role_cannot_read_for_waits_and_says_what_is_missing()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("old-role");
        await Eventually(() => env.IsSeededAsync("old-role", "openshift_old-role"), "set up");
        var before = env.Quay.State.Organization("openshift_old-role")!.Robots.ToDictionary(r => r.Name, r => r.Token);
        env.Cluster.ApiServer.Faults.InjectStatus(403, count: int.MaxValue, resource: "quaynamespaces", verb: "get", user: env.OperatorUser);

        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"old-role"}}}""",
            V1Patch.PatchType.MergePatch), "old-role");
        await env.CreateImageStreamAsync("old-role", "app");
        await Eventually(async () => (await env.GetRecordAsync("old-role"))?["status"]?["lastError"]?.GetValue<string>()
            ?.Contains("the operator's role needs get on quaynamespaces", StringComparison.Ordinal) == true, "the missing permission told");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_old-role", "app") is not null), "the rest of the namespace synced");
        Assert.Equal(before, env.Quay.State.Organization("openshift_old-role")!.Robots.ToDictionary(r => r.Name, r => r.Token));
        await env.EventAsync("default", e => e.InvolvedObject.Name == "old-role" && e.Reason == "ClusterUpdateFailed"
                                             && e.Message.Contains("get on quaynamespaces", StringComparison.Ordinal), "told as the cluster's failure");

        // The retries (with backoff) ask Quay nothing: the rotation that would have Quay read afresh is not decided.
        const string robots = "/api/v1/organization/{orgname}/robots";
        var refused = int.MaxValue - env.Cluster.ApiServer.Faults.PendingStatuses;
        var listed = env.Quay.Calls.Count("GET", robots);
        await Eventually(() => Task.FromResult(int.MaxValue - env.Cluster.ApiServer.Faults.PendingStatuses >= refused + 2), "two retries");
        Assert.Equal(listed, env.Quay.Calls.Count("GET", robots));
    }

    private static FaultRule RefuseRegeneration(string serviceAccount, int status) => new()
    {
        Route = "/api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate", PathContains = $"/robots/{serviceAccount}/", ErrorRate = 1, ErrorStatuses = [status],
    };

    /// <summary>
    /// A rotation whose reconcile then meets a conflict (another writer changed a robot Secret) is retried at once
    /// without a report: the rotation is in the status all the same, so the retry does not regenerate the tokens a
    /// second time, and it is told once, saying the retry writes the Secrets. (Only a reported failure wrote the
    /// status, and the retry rotated again and told it again.)
    /// </summary>
    [Fact]
    public async Task A_rotation_followed_by_a_conflict_is_not_done_twice()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("twice");
        await Eventually(() => env.IsSeededAsync("twice", "openshift_twice"), "set up");
        const string regenerate = "/api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate";
        var robots = env.Quay.State.Organization("openshift_twice")!.Robots.Count;
        var before = env.Quay.Calls.Count("POST", regenerate);

        env.Cluster.ApiServer.Faults.InjectStatus(409, count: 1, resource: "secrets", verb: "patch", user: env.OperatorUser);
        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"once"}}}""",
            V1Patch.PatchType.MergePatch), "twice");
        await Eventually(async () => (await env.GetRecordAsync("twice"))?["status"]?["rotationRequestHandled"]?.GetValue<string>() == "once"
                                     && await env.IsSeededAsync("twice", "openshift_twice"), "the rotation done and the Secrets in step");
        Assert.Equal(0, env.Cluster.ApiServer.Faults.PendingStatuses); // the conflict met a Secret write of the rotation's reconcile
        await env.CreateImageStreamAsync("twice", "later");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_twice", "later") is not null), "a later reconcile");
        Assert.Equal(robots, env.Quay.Calls.Count("POST", regenerate) - before);
        var told = (await env.Kube.CoreV1.ListNamespacedEventAsync("default")).Items
            .Where(e => e.InvolvedObject.Name == "twice" && e.Reason == "RobotTokensRotated").ToList();
        Assert.Equal(1, told.Sum(e => e.Count ?? 1));
        Assert.Contains("by the retry, at once", told[0].Message);
    }

    /// <summary>
    /// A rotation whose reconcile is stopped (the operator stopping, its Lease lost) before the robot Secrets are written
    /// is told all the same, saying what the next reconcile does: write the Secrets, without rotating again, as the
    /// status records the rotation; or, when the status write failed too, rotate again. (The stop ended the reconcile
    /// silently, and the status, which records the rotation, kept every later reconcile from telling it: the tokens
    /// changed with no word.)
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_rotation_cut_short_by_a_stop_is_told_with_what_comes_next(bool recorded)
    {
        await using var env = await StartAsync();
        var first = await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("cut");
        await Eventually(() => env.IsSeededAsync("cut", "openshift_cut"), "set up");
        const string regenerate = "/api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate";
        var robots = env.Quay.State.Organization("openshift_cut")!.Robots.Count;
        var before = env.Quay.Calls.Count("POST", regenerate);

        var faults = env.Cluster.ApiServer.Faults;
        if (!recorded) faults.InjectStatus(500, count: int.MaxValue, resource: "quaynamespaces", verb: "patch", user: env.OperatorUser);
        var held = faults.Stall(resource: "secrets", verb: "patch", ns: "cut", user: env.OperatorUser);
        await env.Kube.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"annotations":{"quay.redhat.com/rotate-robot-tokens":"cut"}}}""",
            V1Patch.PatchType.MergePatch), "cut");
        await Eventually(() => Task.FromResult(held.Held > 0), "a Secret write of the rotation's reconcile held");
        // An API server slow to take Events: the stop waits for the one told last (within its bound).
        faults.SetLatency("events", TimeSpan.FromMilliseconds(500));
        await env.StopOperatorAsync(first);
        faults.Reset();
        var told = await env.EventAsync("default", e => e.InvolvedObject.Name == "cut" && e.Reason == "RobotTokensRotated", "the rotation told",
            TimeSpan.FromSeconds(5));
        Assert.Contains(recorded ? "are written with the new tokens by the next reconcile" : "the next reconcile regenerates them again", told.Message);
        Assert.Equal(robots, env.Quay.Calls.Count("POST", regenerate) - before);

        await env.StartOperatorAsync("operator-2");
        await Eventually(() => env.IsSeededAsync("cut", "openshift_cut"), "the Secrets given the new tokens");
        await env.CreateImageStreamAsync("cut", "later");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_cut", "later") is not null), "a later reconcile");
        Assert.Equal(recorded ? robots : 2 * robots, env.Quay.Calls.Count("POST", regenerate) - before);
    }

    [Fact]
    public async Task Robot_tokens_are_rotated_on_schedule()
    {
        await using var env = await StartAsync(spec => spec["robotTokenRotationInterval"] = "10s");
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("schedule");
        await Eventually(() => env.IsSeededAsync("schedule", "openshift_schedule"), "set up");
        var before = env.Quay.State.Organization("openshift_schedule")!.Robots.ToDictionary(r => r.Name, r => r.Token);
        await Eventually(async () => env.Quay.State.Organization("openshift_schedule")!.Robots.All(r => r.Token != before[r.Name])
                                     && await env.IsSeededAsync("schedule", "openshift_schedule"), "tokens rotated after 10 s", TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// A record write lost after Quay made something (a crash between the two, or a conflict that met the save and the
    /// save after the failure alike): the next run finds the repository or robot in place, held as wanted, with no
    /// entry. It must still be recorded as the operator's, from its mark, not left out of the record for good.
    /// </summary>
    [Fact]
    public async Task What_was_created_while_the_record_could_not_be_written_is_recorded_by_the_next_run()
    {
        await using var env = await StartAsync();
        await env.StartOperatorAsync();
        await env.CreateNamespaceAsync("lost");
        await Eventually(() => env.IsSeededAsync("lost", "openshift_lost"), "set up");

        env.Cluster.ApiServer.Faults.InjectStatus(409, count: 2, resource: "quaynamespaces", verb: "update");
        await env.CreateImageStreamAsync("lost", "app");
        await Eventually(() => Task.FromResult(env.Quay.State.Repository("openshift_lost", "app")?.UserPermissions.Count >= 3), "the repository made");
        await Eventually(async () => OriginIn(await env.GetRecordAsync("lost"), "repositories", "app") == "Created", "the repository recorded as the operator's");

        env.Cluster.ApiServer.Faults.InjectStatus(409, count: 2, resource: "quaynamespaces", verb: "update");
        await env.PatchIntegrationSpecAsync(new JsonObject
        {
            ["serviceAccounts"] = Matrix(("builder", "write"), ("default", "read"), ("deployer", "read"), ("pipeline", "write")),
        });
        await Eventually(() => Task.FromResult(env.Quay.State.Organization("openshift_lost")!.Robots.Any(r => r.Name == "openshift_lost+pipeline")), "the robot made");
        await Eventually(async () => OriginIn(await env.GetRecordAsync("lost"), "robots", "openshift_lost+pipeline") == "Created", "the robot recorded as the operator's");
    }

    /// <summary>The origin the record gives a repository or robot, or null when it has no entry for it.</summary>
    private static string? OriginIn(JsonObject? record, string kind, string name) =>
        record?["spec"]?["organizations"]?.AsArray().SelectMany(o => o?[kind]?.AsArray() ?? [])
            .FirstOrDefault(e => e?["name"]?.GetValue<string>() == name)?["origin"]?.GetValue<string>();

    private static JsonArray Matrix(params (string Name, string Role)[] accounts) =>
        new(accounts.Select(a => (JsonNode)new JsonObject { ["name"] = a.Name, ["role"] = a.Role }).ToArray());
}
