namespace QuayIntegration.Emulators.Cluster.Infrastructure;

/// <summary>A group/version/resource the client has no typed model for, addressed through the generic (custom object) client.</summary>
public sealed record ApiResource(string Group, string Version, string Plural, string Kind)
{
    public static readonly ApiResource Builds = new("build.openshift.io", "v1", "builds", "Build");
    public static readonly ApiResource BuildConfigs = new("build.openshift.io", "v1", "buildconfigs", "BuildConfig");
    public static readonly ApiResource ImageStreams = new("image.openshift.io", "v1", "imagestreams", "ImageStream");
    public static readonly ApiResource ImageStreamTags = new("image.openshift.io", "v1", "imagestreamtags", "ImageStreamTag");
    public static readonly ApiResource Projects = new("project.openshift.io", "v1", "projects", "Project");
    public static readonly ApiResource ProjectRequests = new("project.openshift.io", "v1", "projectrequests", "ProjectRequest");

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public override string ToString() => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}
