using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Tests.Unit;

public sealed class OwnershipMarkersTests
{
    [Theory]
    [InlineData(8)]
    [InlineData(150)]
    [InlineData(253)] // the longest service account name Kubernetes allows
    public void A_robot_description_fits_quays_limit_and_always_names_the_creator(int accountLength)
    {
        var ns = new string('n', 63);
        var account = new string('a', accountLength);
        var description = OwnershipMarkers.RobotDescription(ns, account);
        Assert.True(description.Length <= 255, $"{description.Length} characters");
        Assert.StartsWith($"Service account {ns}/", description);
        Assert.EndsWith($", created by {OwnershipMarkers.Creator}", description);
        // What a robot list shows is enough to know its mark must be read.
        Assert.Equal(["org+x"], OtherClusterMarks.MarkedByAnOperator([new QuayRobot { Name = "org+x", Description = description }], ns));
    }
}
