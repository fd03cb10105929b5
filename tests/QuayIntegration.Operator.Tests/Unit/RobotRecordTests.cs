using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers.Namespaces;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>What a robot's entry in the record carries along when the robot behind its name changes.</summary>
public sealed class RobotRecordTests
{
    private const string Robot = "openshift_team+builder";

    /// <summary>
    /// helper-94 #2: a found robot with a default permission written ahead (no id), deleted by its owner; the operator
    /// makes the robot anew, then someone makes theirs again. The entry written for the first robot must not survive
    /// either change: it would take the next default permission someone gives the robot for the operator's late create.
    /// </summary>
    [Theory]
    [InlineData(Origin.Found, Origin.Created)]
    [InlineData(Origin.Created, Origin.Found)]
    public void Default_permissions_written_for_the_robot_go_when_another_robot_takes_its_name(string before, string after)
    {
        var org = new OrganizationRecord();
        org.SetRobot(Robot, "builder", before, "2026-12-01T10:00:00Z");
        org.AddDefaultPermission(Robot, null, DateTime.UtcNow);
        org.SetRobot(Robot, "builder", after, "2026-12-01T11:00:00Z");
        Assert.Empty(org.DefaultPermissionsOf(Robot));
    }

    [Fact]
    public void Default_permissions_stay_while_the_robot_is_the_same()
    {
        var org = new OrganizationRecord();
        org.SetRobot(Robot, "builder", Origin.Found, "2026-12-01T10:00:00Z");
        org.AddDefaultPermission(Robot, "2f6b0b5e-0000-4000-8000-000000000001");
        org.SetRobot(Robot, "builder", Origin.Found, "2026-12-01T10:00:00Z");
        org.SetRobot(Robot, "builder", Origin.Found);
        Assert.Single(org.DefaultPermissionsOf(Robot));
    }

    [Fact]
    public void An_id_ends_the_wait_for_a_create_that_got_no_answer()
    {
        var org = new OrganizationRecord();
        org.AddDefaultPermission(Robot, null, DateTime.UtcNow);
        var entry = Assert.Single(org.DefaultPermissionsOf(Robot));
        Assert.NotNull(entry.PendingSince);
        entry.Id = "2f6b0b5e-0000-4000-8000-000000000001";
        Assert.Null(entry.PendingSince);
    }
}
