namespace QuayIntegration.Emulators.Cluster.Cli;

/// <summary>The builder image a template's BuildConfig starts from, as an ImageStreamTag in a shared namespace.</summary>
public sealed record BuilderImage(string Namespace, string ImageStream, string Tag, string DockerImage);

/// <summary>
/// The build-related objects of an OpenShift application template: the application's ImageStream and a Source-strategy
/// BuildConfig that builds <see cref="GitUri"/> on top of <see cref="Builder"/> into <c>&lt;Name&gt;:latest</c>.
/// </summary>
public sealed record AppTemplate(string Name, string GitUri, BuilderImage Builder)
{
    /// <summary>
    /// OpenShift's <c>httpd-example</c> template (the one <c>oc new-app --template=httpd-example</c> instantiates): builds
    /// sclorg/httpd-ex on <c>openshift/httpd:2.4-el8</c> into <c>httpd-example:latest</c>.
    /// </summary>
    public static AppTemplate HttpdExample { get; } = new(
        "httpd-example",
        "https://github.com/sclorg/httpd-ex.git",
        new BuilderImage("openshift", "httpd", "2.4-el8", "registry.access.redhat.com/ubi8/httpd-24:latest"));
}
