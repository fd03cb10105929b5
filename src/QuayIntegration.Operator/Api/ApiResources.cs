using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Api;

/// <summary>Where the operator's own kinds and the OpenShift kinds it uses live in the API.</summary>
public static class ApiResources
{
    public static readonly ResourceType QuayIntegrations = new(QuayIntegrationResource.Group, QuayIntegrationResource.Version, QuayIntegrationResource.Plural, false);
    public static readonly ResourceType QuayNamespaces = new(QuayIntegrationResource.Group, QuayIntegrationResource.Version, QuayNamespaceResource.Plural, false);
    public static readonly ResourceType ImageStreams = new(ImageStream.Group, ImageStream.Version, ImageStream.Plural, true);
    public static readonly ResourceType Builds = new(Build.Group, Build.Version, Build.Plural, true);
}
