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
        var plan = BuildImportPlan.For(Build("demo/app:v1", digest: "sha256:abc"), "quay:8443", ["openshift_demo"], "openshift_demo", out var problem);
        Assert.Null(problem);
        Assert.Equal("quay:8443/openshift_demo/app@sha256:abc", plan!.From);
        Assert.Equal("demo/app:v1", plan.Destination.ToString());
    }

    [Fact]
    public void Imports_the_tag_without_a_digest()
    {
        var plan = BuildImportPlan.For(Build("demo/app:v1"), "quay:8443", ["openshift_demo"], "openshift_demo", out _);
        Assert.Equal("quay:8443/openshift_demo/app:v1", plan!.From);
    }

    [Theory]
    [InlineData(null)]                  // annotation removed
    [InlineData("garbage")]             // not namespace/name:tag
    [InlineData("demo/other:v1")]       // points at another stream than the output
    [InlineData("demo/app:v2")]         // another tag
    public void Tampered_or_missing_destination_is_refused(string? destination)
    {
        Assert.Null(BuildImportPlan.For(Build(destination), "quay:8443", ["openshift_demo"], "openshift_demo", out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void Output_that_is_not_the_quay_image_is_refused()
    {
        Assert.Null(BuildImportPlan.For(Build("demo/app:v1", "ImageStreamTag", "app:v1"), "quay:8443", ["openshift_demo"], "openshift_demo", out _));
        Assert.Null(BuildImportPlan.For(Build("demo/app:v1"), "other-quay", ["openshift_demo"], "openshift_demo", out _));
        Assert.Null(BuildImportPlan.For(Build("demo/app:v1"), "quay:8443", [], null, out _));
    }

    /// <summary>
    /// Review of 18ac238 (helper-77): from a former organization a scheduled import kept following the former tag, so
    /// pushes to the namespace's organization never reached the ImageStreamTag. It names the digest and is not scheduled.
    /// </summary>
    [Fact]
    public void An_import_from_a_former_organization_is_never_scheduled()
    {
        var build = Build("demo/app:v1", digest: "sha256:abc", outputName: "quay:8443/old_demo/app:v1");
        var plan = BuildImportPlan.For(build, "quay:8443", ["openshift_demo", "old_demo"], "openshift_demo", out _)!;
        Assert.True(plan.Former);
        Assert.False(plan.FollowsTag(scheduled: true));
        Assert.Equal("quay:8443/old_demo/app@sha256:abc", plan.SourceFor(scheduled: true));
        var current = BuildImportPlan.For(Build("demo/app:v1", digest: "sha256:abc"), "quay:8443", ["openshift_demo", "old_demo"], "openshift_demo", out _)!;
        Assert.False(current.Former);
        Assert.Equal("quay:8443/openshift_demo/app:v1", current.SourceFor(scheduled: true));
        // A namespace pushing to another Quay now: every organization on this one is a former one.
        Assert.True(BuildImportPlan.For(Build("demo/app:v1", digest: "sha256:abc"), "quay:8443", ["openshift_demo"], null, out _)!.Former);
    }
}
