using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Operator.Controllers;

namespace QuayIntegration.Operator.Tests.Unit;

public class RobotSecretTests
{
    [Fact]
    public void Desired_secret_is_a_dockerconfigjson_for_the_quay_host_labelled_as_ours()
    {
        var secret = RobotSecret.Desired("demo", "builder-quay-openshift", "quay.example.com:8443", "openshift_demo+builder", "TOKEN", "builder");
        Assert.Equal("kubernetes.io/dockerconfigjson", secret.Type);
        Assert.Equal("quay-integration-operator", secret.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("openshift_demo+builder", secret.Metadata.Annotations["quay.redhat.com/robot"]);
        var config = JsonNode.Parse(secret.Data[".dockerconfigjson"])!;
        var auth = config["auths"]!["quay.example.com:8443"]!["auth"]!.GetValue<string>();
        Assert.Equal("openshift_demo+builder:TOKEN", Encoding.UTF8.GetString(Convert.FromBase64String(auth)));
    }

    [Fact]
    public void Matches_detects_changed_data_type_and_missing_label_but_tolerates_extra_metadata()
    {
        var desired = RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder");
        var same = RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder");
        same.Metadata.Labels["extra"] = "kept";
        Assert.True(RobotSecret.Matches(same, desired));

        Assert.False(RobotSecret.Matches(RobotSecret.Desired("demo", "s", "quay", "r", "OLD", "builder"), desired));
        var wrongType = RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder");
        wrongType.Type = "Opaque";
        Assert.False(RobotSecret.Matches(wrongType, desired));
        var unlabelled = RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder");
        unlabelled.Metadata.Labels.Clear();
        Assert.False(RobotSecret.Matches(unlabelled, desired));
    }
}
