using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>The openshift-apiserver groups the operator and its tests use.</summary>
public static class OpenShiftTypes
{
    public static void Register(ApiServerCore core)
    {
        var r = core.Registry;
        r.Add(new ResourceType
        {
            Group = "build.openshift.io", Version = "v1", Plural = "builds", Singular = "build", Kind = "Build", Namespaced = true,
            Categories = ["all"], Strategy = new BuildStrategy(),
            // builds/details is what the builder pod writes; webhooks on "builds" do not see it.
            Subresources = [new("clone", "BuildRequest", ["create"]), new("details", "Build", ["update"])],
        });
        r.Add(new ResourceType
        {
            Group = "build.openshift.io", Version = "v1", Plural = "buildconfigs", Singular = "buildconfig", Kind = "BuildConfig", Namespaced = true,
            ShortNames = ["bc"], Categories = ["all"], Strategy = new BuildConfigStrategy(),
            Subresources = [new("instantiate", "BuildRequest", ["create"]), new("status", "BuildConfig", ["get", "patch", "update"])],
        });
        r.Add(new ResourceType
        {
            Group = "image.openshift.io", Version = "v1", Plural = "imagestreams", Singular = "imagestream", Kind = "ImageStream", Namespaced = true,
            ShortNames = ["is"], Categories = ["all"], Strategy = new ImageStreamStrategy(),
            Subresources = [new("status", "ImageStream", ["get", "patch", "update"])],
        });
        r.Add(new ResourceType
        {
            Group = "image.openshift.io", Version = "v1", Plural = "imagestreamtags", Singular = "imagestreamtag", Kind = "ImageStreamTag", Namespaced = true,
            ShortNames = ["istag"], Verbs = ["get", "list"], Strategy = new ImageStreamTagStrategy(),
        });
        r.Add(new ResourceType
        {
            Group = "image.openshift.io", Version = "v1", Plural = "imagestreamimports", Singular = "imagestreamimport", Kind = "ImageStreamImport", Namespaced = true,
            Verbs = ["create"], Strategy = new ImageStreamImportStrategy(),
        });
        r.Add(new ResourceType
        {
            Group = "project.openshift.io", Version = "v1", Plural = "projects", Singular = "project", Kind = "Project", Namespaced = false,
            Verbs = ["delete", "get", "list", "watch"], Strategy = new ProjectStrategy(),
        });
        r.Add(new ResourceType
        {
            Group = "project.openshift.io", Version = "v1", Plural = "projectrequests", Singular = "projectrequest", Kind = "ProjectRequest", Namespaced = false,
            Verbs = ["create"], Strategy = new ProjectRequestStrategy(),
        });
    }
}
