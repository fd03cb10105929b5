namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Repository user/robot permissions (docs/quay-api.md, "Endpoint details", PUT .../permissions/user/{username}).</summary>
public sealed class PermissionTests : EmulatorTest
{

    private async Task Setup()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        await CreateRobot("acme", "builder");
    }

    [Fact]
    public async Task Put_is_200_with_the_permission_view_and_robots_are_org_members()
    {
        await Setup();
        var view = (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "write" })).AssertStatus(200).Object;
        Assert.Equal(["role", "name", "is_robot", "avatar", "is_org_member"], view.Select(p => p.Key));
        Assert.Equal("write", (string?)view["role"]);
        Assert.True((bool)view["is_robot"]!);
        Assert.True((bool)view["is_org_member"]!);

        var user = (await Put("/api/v1/repository/acme/app/permissions/user/bob", AliceToken, new { role = "read" })).AssertStatus(200).Object;
        Assert.False((bool)user["is_robot"]!);
        Assert.False((bool)user["is_org_member"]!);
    }

    [Fact]
    public async Task Permission_view_has_no_org_member_key_in_a_user_namespace()
    {
        await CreateRepo("alice", "mine");
        var view = (await Put("/api/v1/repository/alice/mine/permissions/user/bob", AliceToken, new { role = "read" })).AssertStatus(200).Object;
        Assert.False(view.ContainsKey("is_org_member"));
    }

    [Fact]
    public async Task Put_overwrites_an_existing_permission()
    {
        await Setup();
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "read" })).AssertStatus(200);
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "admin" })).AssertStatus(200);
        Assert.Equal("admin", (string?)(await Get("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken)).AssertStatus(200).Object["role"]);
    }

    [Fact]
    public async Task Put_refuses_the_namespace_owner_unknown_users_and_foreign_robots()
    {
        await Setup();
        await CreateOrg("other", BobToken);
        await CreateRobot("other", "spy", BobToken);
        (await Put("/api/v1/repository/acme/app/permissions/user/acme", AliceToken, new { role = "read" }))
            .AssertProblem(400, "invalid_request", "Namespace owner must always be admin.");
        (await Put("/api/v1/repository/acme/app/permissions/user/nobody", AliceToken, new { role = "read" }))
            .AssertProblem(400, "invalid_request", "Invalid username: nobody");
        (await Put("/api/v1/repository/acme/app/permissions/user/other+spy", AliceToken, new { role = "read" }))
            .AssertProblem(400, "invalid_request", "Cannot add robot other+spy under namespace acme");
    }

    [Fact]
    public async Task Put_validates_the_role()
    {
        await Setup();
        (await Put("/api/v1/repository/acme/app/permissions/user/bob", AliceToken, new { role = "owner" }))
            .AssertProblemStartsWith(400, "invalid_request", "'owner' is not one of ['read', 'write', 'admin']");
    }

    [Fact]
    public async Task Put_on_a_missing_repository_by_an_org_admin_is_quays_500_page()
    {
        await Setup();
        var reply = (await Put("/api/v1/repository/acme/ghost/permissions/user/bob", AliceToken, new { role = "read" })).AssertStatus(500);
        Assert.Equal("text/html", reply.MediaType);
    }

    [Fact]
    public async Task Non_admins_get_403()
    {
        await Setup();
        (await Put("/api/v1/repository/acme/app/permissions/user/bob", BobToken, new { role = "read" })).AssertForbidden();
        (await Get("/api/v1/repository/acme/app/permissions/user/", BobToken)).AssertForbidden();
        (await Get("/api/v1/repository/acme/app/permissions/user/bob")).AssertUnauthenticated();
    }

    [Fact]
    public async Task Get_without_a_permission_is_400_message_and_delete_is_400_problem()
    {
        await Setup();
        (await Get("/api/v1/repository/acme/app/permissions/user/bob", AliceToken)).AssertMessage(400, "User does not have permission for repo.");
        (await Delete("/api/v1/repository/acme/app/permissions/user/bob", AliceToken)).AssertProblem(400, "invalid_request", "User does not have permission for repo.");
    }

    [Fact]
    public async Task Delete_is_204()
    {
        await Setup();
        (await Put("/api/v1/repository/acme/app/permissions/user/bob", AliceToken, new { role = "read" })).AssertStatus(200);
        (await Delete("/api/v1/repository/acme/app/permissions/user/bob", AliceToken)).AssertStatus(204);
        Assert.False(Quay.State.Repository("acme", "app")!.UserPermissions.ContainsKey("bob"));
    }

    [Fact]
    public async Task List_maps_usernames_to_views()
    {
        await Setup();
        (await Put("/api/v1/repository/acme/app/permissions/user/acme+builder", AliceToken, new { role = "write" })).AssertStatus(200);
        var permissions = (await Get("/api/v1/repository/acme/app/permissions/user/", AliceToken)).AssertStatus(200).Object["permissions"]!.AsObject();
        Assert.Equal(["acme+builder", "alice"], permissions.Select(p => p.Key));
        Assert.Equal("write", (string?)permissions["acme+builder"]!["role"]);
    }

    [Fact]
    public async Task List_of_a_missing_repository_is_empty_for_an_admin()
    {
        // Assumption (docs/quay-api.md is silent): Quay's permission query finds no rows, so the list is empty rather than 404.
        await Setup();
        Assert.Empty((await Get("/api/v1/repository/acme/ghost/permissions/user/", AliceToken)).AssertStatus(200).Object["permissions"]!.AsObject());
    }
}
