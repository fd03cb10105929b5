using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>How a role the operator gives a robot it did not create is noted ahead, over what an earlier grant noted.</summary>
public sealed class GivenPermissionNoteTests
{
    private const string Robot = "openshift_team+builder";

    [Fact]
    public void A_first_grant_notes_what_the_robot_held()
    {
        var org = new OrganizationRecord();
        Assert.True(org.NoteGivenPermission(Robot, "app", "write", "read"));
        Assert.Equal(("write", "read", (string?)null), Only(org));
    }

    [Fact]
    public void A_matrix_change_over_the_role_given_is_pending_and_keeps_what_was_held_before()
    {
        var org = new OrganizationRecord();
        org.NoteGivenPermission(Robot, "app", "write", "read");
        Assert.True(org.NoteGivenPermission(Robot, "app", "admin", held: "write"));
        Assert.Equal(("write", "read", "admin"), Only(org));
        org.GivenPermissionGiven(Robot, "app", "admin");
        Assert.Equal(("admin", "read", (string?)null), Only(org));
    }

    [Fact]
    public void A_pending_role_the_matrix_took_back_is_void_once_the_robot_is_seen_holding_the_role_given()
    {
        var org = AdminPendingOverWrite();
        org.GivenPermissionGiven(Robot, "app", "write");
        Assert.Equal(("write", "read", (string?)null), Only(org));
    }

    [Fact]
    public void A_role_someone_changed_or_took_away_is_what_the_robot_held_before_the_next_grant()
    {
        var org = new OrganizationRecord();
        org.NoteGivenPermission(Robot, "app", "write", "read");
        Assert.True(org.NoteGivenPermission(Robot, "app", "write", held: null));
        Assert.Equal(("write", (string?)null, (string?)null), Only(org));
    }

    [Fact]
    public void The_note_survives_the_records_serialization()
    {
        var org = AdminPendingOverWrite();
        var json = KubernetesSerializerOptions.Serialize(new OwnershipRecord { Organizations = [org] });
        Assert.Contains("\"pending\":\"admin\"", json);
        var back = KubernetesSerializerOptions.Deserialize<OwnershipRecord>(json).Organizations![0];
        Assert.Equal(("write", "read", "admin"), Only(back));
    }

    /// <summary>write given over the read the robot held, then admin pending in its place (a matrix change).</summary>
    private static OrganizationRecord AdminPendingOverWrite()
    {
        var org = new OrganizationRecord();
        org.NoteGivenPermission(Robot, "app", "write", "read");
        org.NoteGivenPermission(Robot, "app", "admin", held: "write");
        return org;
    }

    private static (string Role, string? Previous, string? Pending) Only(OrganizationRecord org)
    {
        var given = Assert.Single(org.RepositoryPermissions!);
        return (given.Role, given.Previous, given.Pending);
    }
}
