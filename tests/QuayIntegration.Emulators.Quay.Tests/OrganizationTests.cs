using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>POST/GET/PUT/DELETE organization (docs/quay-api.md, "Endpoint details", "Name rules, by example", checklist 3, 5, 6, 10).</summary>
public sealed class OrganizationTests : EmulatorTest
{
    protected override void Configure(QuayEmulatorOptions options) => options.NamespaceGcDelay = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task Create_is_201_with_the_json_string_Created_and_makes_the_caller_owner()
    {
        var reply = (await Post("/api/v1/organization/", AliceToken, new { name = "acme", email = "acme@example.org" })).AssertStatus(201);
        Assert.Equal("\"Created\"\n", reply.Body);
        Assert.Equal("application/json", reply.MediaType);
        var owners = Assert.Single(Quay.State.Organization("acme")!.Teams);
        Assert.Equal(("owners", "admin"), (owners.Name, owners.Role));
        Assert.Equal(["alice"], owners.Members);
    }

    [Fact]
    public async Task Duplicate_is_400_problem_not_409()
    {
        await CreateOrg("acme");
        (await Post("/api/v1/organization/", BobToken, new { name = "acme" }))
            .AssertProblem(400, "invalid_request", "A user or organization with this name already exists");
    }

    [Fact]
    public async Task Name_of_a_user_is_taken_too()
    {
        (await Post("/api/v1/organization/", AliceToken, new { name = "bob" }))
            .AssertProblem(400, "invalid_request", "A user or organization with this name already exists");
    }

    [Theory]
    [InlineData("a--b")]
    [InlineData("a__b")]
    [InlineData("a._b")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData("_a")]
    [InlineData("MyOrg")]
    [InlineData("foo/bar")]
    [InlineData("caf\u00e9")]
    public async Task Names_off_the_namespace_pattern_are_rejected(string name)
    {
        (await Post("/api/v1/organization/", AliceToken, new { name }))
            .AssertProblem(400, "invalid_request", $"Invalid namespace {name}: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(256)]
    public async Task Names_outside_2_to_255_characters_are_rejected(int length)
    {
        var name = new string('x', length);
        (await Post("/api/v1/organization/", AliceToken, new { name }))
            .AssertProblem(400, "invalid_request", $"Invalid namespace {name}: Namespace must be between 2 and 255 characters in length");
    }

    [Theory]
    [InlineData("openshift_e2e-demo")]
    [InlineData("prefix_abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abc")]
    [InlineData("a.b")]
    [InlineData("ab")]
    public async Task Valid_names_are_accepted(string name) => await CreateOrg(name);

    [Fact]
    public async Task Name_of_255_characters_is_accepted() => await CreateOrg(new string('x', 255));

    [Fact]
    public async Task Existence_is_checked_before_the_email_and_the_email_before_the_name()
    {
        await CreateOrg("acme");
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme", email = "bad" }))
            .AssertProblem(400, "invalid_request", "A user or organization with this name already exists");
        (await Post("/api/v1/organization/", AliceToken, new { name = "Bad--Name", email = "bad" }))
            .AssertProblem(400, "invalid_request", "Invalid email address");
    }

    [Fact]
    public async Task Contact_email_wins_over_email()
    {
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme", email = "bad", contact_email = "ok@example.org" })).AssertStatus(201);
        Assert.Equal("ok@example.org", Quay.State.Organization("acme")!.Email);
    }

    /// <summary>
    /// Quay releases before contact emails, with FEATURE_MAILING on: no organization without an email (checked right
    /// after the name is found free), and an email taken by a user or another organization is refused.
    /// </summary>
    [Fact]
    public async Task Where_an_organization_needs_an_email_one_is_required_and_unique_among_organizations_too()
    {
        await CreateOrg("acme");
        Quay.OrganizationEmailRequired = true;
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme" }))
            .AssertProblem(400, "invalid_request", "A user or organization with this name already exists");
        (await Post("/api/v1/organization/", AliceToken, new { name = "beta" }))
            .AssertProblem(400, "invalid_request", "Email address is required");
        (await Post("/api/v1/organization/", AliceToken, new { name = "beta", email = "" }))
            .AssertProblem(400, "invalid_request", "Email address is required");
        (await Post("/api/v1/organization/", AliceToken, new { name = "beta", email = "team@example.org" })).AssertStatus(201);
        (await Post("/api/v1/organization/", AliceToken, new { name = "gamma", email = "team@example.org" }))
            .AssertProblem(400, "invalid_request", "Email has already been used: team@example.org");
        (await Post("/api/v1/organization/", AliceToken, new { name = "gamma", email = "bob@example.com" }))
            .AssertProblem(400, "invalid_request", "Email has already been used: bob@example.com");
        Assert.Null(Quay.State.Organization("gamma"));

        // The current Quay keeps a contact email apart from the organization's row: shared and optional.
        Quay.OrganizationEmailRequired = false;
        (await Post("/api/v1/organization/", AliceToken, new { name = "gamma", email = "team@example.org" })).AssertStatus(201);
        (await Post("/api/v1/organization/", AliceToken, new { name = "delta" })).AssertStatus(201);
    }

    [Fact]
    public async Task Where_only_superusers_create_organizations_anyone_else_gets_403_before_the_name_is_checked()
    {
        await CreateOrg("acme");
        Quay.OrganizationCreationForSuperusersOnly = true;
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme" })).AssertProblem(403, "insufficient_scope", "Unauthorized");
        (await Post("/api/v1/organization/", AliceToken, new { name = "beta" })).AssertProblem(403, "insufficient_scope", "Unauthorized");
        Assert.Null(Quay.State.Organization("beta"));
        Quay.OrganizationCreationForSuperusersOnly = false;
        await CreateOrg("beta");
    }

    [Fact]
    public async Task Email_of_an_existing_user_is_refused()
    {
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme", email = "bob@example.com" }))
            .AssertProblem(400, "invalid_request", "Email has already been used: bob@example.com");
    }

    [Fact]
    public async Task Unknown_fields_are_ignored()
    {
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme", color = "blue", recaptcha_response = "x" })).AssertStatus(201);
    }

    [Fact]
    public async Task Schema_failures_are_400_invalid_request()
    {
        (await Post("/api/v1/organization/", AliceToken, new { email = "a@b.c" }))
            .AssertProblemStartsWith(400, "invalid_request", "'name' is a required property");
        (await Post("/api/v1/organization/", AliceToken, new { name = 5 }))
            .AssertProblemStartsWith(400, "invalid_request", "5 is not of type 'string'");
        (await Post("/api/v1/organization/", AliceToken, new JsonArray()))
            .AssertProblemStartsWith(400, "invalid_request", "[] is not of type 'object'");
    }

    [Fact]
    public async Task Body_errors_have_flasks_shapes()
    {
        (await Send(HttpMethod.Post, "/api/v1/organization/", AliceToken, rawBody: "{\"name\":\"acme\"}", contentType: "text/plain")).AssertMessage(415);
        (await Send(HttpMethod.Post, "/api/v1/organization/", AliceToken, rawBody: "{\"name\":\"acme\"}", contentType: null)).AssertMessage(415);
        (await Send(HttpMethod.Post, "/api/v1/organization/", AliceToken, rawBody: "{\"name\":", contentType: "application/json")).AssertMessage(400);
        (await Send(HttpMethod.Post, "/api/v1/organization/", AliceToken, rawBody: "", contentType: "application/json")).AssertMessage(400);
        (await Send(HttpMethod.Post, "/api/v1/organization/", AliceToken, rawBody: "null", contentType: "application/json"))
            .AssertProblem(400, "invalid_request", "Missing JSON body");
    }

    [Fact]
    public async Task User_admin_scope_is_checked_before_the_body()
    {
        // carol (repo:read only) gets 403 even with a broken body: require_user_admin runs first.
        (await Send(HttpMethod.Post, "/api/v1/organization/", CarolToken, rawBody: "{", contentType: "application/json")).AssertForbidden();
    }

    [Fact]
    public async Task Get_shows_more_to_admins_and_members()
    {
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme", email = "acme@example.org" })).AssertStatus(201);
        var admin = (await Get("/api/v1/organization/acme", AliceToken)).AssertStatus(200).Object;
        Assert.Equal("acme@example.org", (string?)admin["email"]);
        Assert.True((bool)admin["is_admin"]!);
        Assert.True((bool)admin["is_member"]!);
        Assert.Equal("admin", (string?)admin["teams"]!["owners"]!["role"]);
        Assert.Single(admin["ordered_teams"]!.AsArray());
        Assert.True(admin.ContainsKey("tag_expiration_s"));
        Assert.Equal("org", (string?)admin["avatar"]!["kind"]);

        var outsider = (await Get("/api/v1/organization/acme", BobToken)).AssertStatus(200).Object;
        Assert.Equal("", (string?)outsider["email"]);
        Assert.False((bool)outsider["is_admin"]!);
        Assert.False(outsider.ContainsKey("teams"));
        Assert.False(outsider.ContainsKey("tag_expiration_s"));

        Quay.AddTeamMember("acme", "readers", TeamRole.Member, "bob");
        var member = (await Get("/api/v1/organization/acme", BobToken)).AssertStatus(200).Object;
        Assert.True((bool)member["is_member"]!);
        Assert.False((bool)member["is_admin"]!);
        Assert.True(member.ContainsKey("teams"));
        Assert.Equal(["owners", "readers"], member["ordered_teams"]!.AsArray().Select(t => (string?)t));
    }

    /// <summary>ChangeOrganizationDetails: an administrator changes the email, never to one a user has; others are refused.</summary>
    [Fact]
    public async Task Put_changes_the_email_for_administrators_only_and_never_to_a_users()
    {
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme", email = "acme@example.org" })).AssertStatus(201);
        var changed = (await Put("/api/v1/organization/acme", AliceToken, new { email = "team@example.org" })).AssertStatus(200).Object;
        Assert.Equal("team@example.org", (string?)changed["email"]);
        Assert.True((bool)changed["is_admin"]!);
        (await Put("/api/v1/organization/acme", AliceToken, new { email = "bob@example.com" }))
            .AssertProblem(400, "invalid_request", "E-mail address already used");
        (await Put("/api/v1/organization/acme", BobToken, new { email = "bob-team@example.org" })).AssertStatus(403);
        Assert.Equal("team@example.org", (string?)(await Get("/api/v1/organization/acme", AliceToken)).AssertStatus(200).Object["email"]);
    }

    /// <summary>
    /// org_view asks the organization permissions themselves, which only team membership grants: a superuser with
    /// full access, which may do anything in the organization, is still no administrator of it there, and is not
    /// shown its email.
    /// </summary>
    [Fact]
    public async Task Get_does_not_make_a_full_access_superuser_an_administrator()
    {
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme", email = "acme@example.org" })).AssertStatus(201);
        Quay.SuperusersFullAccess = true;
        var superuser = (await Get("/api/v1/organization/acme", AdminToken)).AssertStatus(200).Object;
        Assert.False((bool)superuser["is_admin"]!);
        Assert.False((bool)superuser["is_member"]!);
        Assert.Equal("", (string?)superuser["email"]);
        (await Get("/api/v1/organization/acme/robots", AdminToken)).AssertStatus(200);
    }

    [Fact]
    public async Task Get_of_a_missing_org_or_a_user_namespace_is_404()
    {
        (await Get("/api/v1/organization/ghost", AliceToken)).AssertProblem(404, "not_found", "Not Found");
        (await Get("/api/v1/organization/bob", AliceToken)).AssertProblem(404, "not_found", "Not Found");
    }

    [Fact]
    public async Task Delete_is_204_then_404_at_once_but_the_name_stays_unavailable_until_gc()
    {
        await CreateOrg("acme");
        var reply = (await Delete("/api/v1/organization/acme", AliceToken)).AssertStatus(204);
        Assert.Equal("", reply.Body);
        (await Get("/api/v1/organization/acme", AliceToken)).AssertProblem(404, "not_found");
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme" })).AssertProblem(400, "invalid_request", "Username is not available");
        Assert.Contains(Quay.State.DeletedNamespaces, d => d.Name == "acme");

        await Task.Delay(Quay.NamespaceGcDelay + TimeSpan.FromMilliseconds(100));
        await CreateOrg("acme");
    }

    [Fact]
    public async Task Name_validity_is_checked_before_the_gc_reservation()
    {
        await CreateOrg("acme");
        (await Delete("/api/v1/organization/acme", AliceToken)).AssertStatus(204);
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme", email = "nope" })).AssertProblem(400, "invalid_request", "Invalid email address");
    }

    [Fact]
    public async Task Gc_can_be_forced_and_the_delay_changed_at_run_time()
    {
        Quay.NamespaceGcDelay = TimeSpan.FromHours(1);
        await CreateOrg("acme");
        (await Delete("/api/v1/organization/acme", AliceToken)).AssertStatus(204);
        (await Post("/api/v1/organization/", AliceToken, new { name = "acme" })).AssertProblem(400, "invalid_request", "Username is not available");
        Quay.CollectGarbageNow();
        await CreateOrg("acme");
    }

    [Fact]
    public async Task Delete_of_a_missing_org_or_by_a_non_admin_is_403()
    {
        await CreateOrg("acme");
        (await Delete("/api/v1/organization/ghost", AliceToken)).AssertForbidden();
        (await Delete("/api/v1/organization/acme", BobToken)).AssertForbidden();
        Assert.NotNull(Quay.State.Organization("acme"));
    }

    [Fact]
    public async Task Delete_cascades_to_robots_repositories_and_prototypes()
    {
        await CreateOrg("acme");
        var robot = await CreateRobot("acme", "builder");
        await CreateRepo("acme", "app");
        await AddPrototype("acme", "write", "acme+builder");
        (await Delete("/api/v1/organization/acme", AliceToken)).AssertStatus(204);

        var state = Quay.State;
        Assert.Null(state.Organization("acme"));
        Assert.Null(state.Repository("acme", "app"));
        Assert.DoesNotContain(state.Organizations.SelectMany(o => o.Robots), r => r.Name == (string?)robot["name"]);
        Quay.CollectGarbageNow();
        await CreateOrg("acme");
        Assert.Empty((await Get("/api/v1/organization/acme/robots", AliceToken)).AssertStatus(200).Object["robots"]!.AsArray());
        Assert.Empty((await Get("/api/v1/organization/acme/prototypes", AliceToken)).AssertStatus(200).Object["prototypes"]!.AsArray());
        (await Get("/api/v1/repository/acme/app", AliceToken)).AssertProblem(404, "not_found");
    }
}
