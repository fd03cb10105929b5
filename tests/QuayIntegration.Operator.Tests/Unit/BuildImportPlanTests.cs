using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;

namespace QuayIntegration.Operator.Tests.Unit;

public class BuildImportPlanTests
{
    private static Build Build(string? destination, string outputKind = "DockerImage", string outputName = "quay:8443/openshift_demo/app:v1", string? digest = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "app-1", NamespaceProperty = "demo",
            Annotations = destination is null ? null : new Dictionary<string, string> { ["quay-registry-operator.quay.redhat.com/destination-imagestream"] = destination },
        },
        Spec = new BuildSpec { Output = new BuildOutput { To = new V1ObjectReference { Kind = outputKind, Name = outputName } } },
        Status = new BuildStatus { Phase = "Complete", Output = digest is null ? null : new BuildStatusOutput { To = new BuildStatusOutputTo { ImageDigest = digest } } },
    };

    [Fact]
    public void Imports_by_digest_when_the_build_reports_one()
    {
        var plan = BuildImportPlan.For(Build("demo/app:v1", digest: "sha256:abc"), "quay:8443", ["openshift_demo"], out var problem);
        Assert.Null(problem);
        Assert.Equal("quay:8443/openshift_demo/app@sha256:abc", plan!.From);
        Assert.Equal("demo/app:v1", plan.Destination.ToString());
    }

    [Fact]
    public void Imports_the_tag_without_a_digest()
    {
        var plan = BuildImportPlan.For(Build("demo/app:v1"), "quay:8443", ["openshift_demo"], out _);
        Assert.Equal("quay:8443/openshift_demo/app:v1", plan!.From);
    }

    [Theory]
    [InlineData(null)]                  // annotation removed
    [InlineData("garbage")]             // not namespace/name:tag
    [InlineData("demo/other:v1")]       // points at another stream than the output
    [InlineData("demo/app:v2")]         // another tag
    public void Tampered_or_missing_destination_is_refused(string? destination)
    {
        Assert.Null(BuildImportPlan.For(Build(destination), "quay:8443", ["openshift_demo"], out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void Output_that_is_not_the_quay_image_is_refused()
    {
        Assert.Null(BuildImportPlan.For(Build("demo/app:v1", "ImageStreamTag", "app:v1"), "quay:8443", ["openshift_demo"], out _));
        Assert.Null(BuildImportPlan.For(Build("demo/app:v1"), "other-quay", ["openshift_demo"], out _));
        Assert.Null(BuildImportPlan.For(Build("demo/app:v1"), "quay:8443", [], out _));
    }
}
