using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using k8s.Models;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Api;

/// <summary>
/// Source-generated JSON metadata of the operator's own API types (its custom resources and the OpenShift kinds it
/// reads and writes), as the API server sees them: camelCase, nulls left out. The KubernetesClient models it uses have
/// their own (<see cref="KubernetesModelsJsonContext"/>); <see cref="KubernetesSerializerOptions"/> has no reflection
/// fallback, so a type missing here fails in the tests as it would under Native AOT.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(QuayIntegrationResource))]
[JsonSerializable(typeof(QuayIntegrationStatus))]
[JsonSerializable(typeof(QuayNamespaceResource))]
[JsonSerializable(typeof(QuayNamespaceStatus))]
[JsonSerializable(typeof(OwnershipRecord))]
[JsonSerializable(typeof(ImageStream))]
[JsonSerializable(typeof(Build))]
[JsonSerializable(typeof(ImageStreamImport))]
[JsonSerializable(typeof(ImageStreamWithHistory))]
internal sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Runs when this assembly is loaded, before any of its types can be sent or read: every host of the operator's
    /// code (the program, the tests, the sandbox) then serializes them the same way without having to remember to.
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "registration must precede the first serialization in every host, test hosts included")]
    internal static void Register()
    {
        KubernetesSerializerOptions.AddTypeInfoResolver(Default);
        KubernetesSerializerOptions.AddTypeInfoResolver(KubernetesModelsJsonContext.Default);
    }
}

/// <summary>
/// The KubernetesClient models the operator reads or writes beyond those the runtime library describes, and only
/// those: KubernetesClient's own context describes all 1,199 of its models, and looking a type up in it loads them
/// all (see <see cref="KubernetesSerializerOptions"/>). The models these reach (object metadata, references,
/// webhooks' rules) are described with them.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(V1Namespace))]
[JsonSerializable(typeof(V1ServiceAccount))]
[JsonSerializable(typeof(V1Secret))]
[JsonSerializable(typeof(V1ConfigMap))]
[JsonSerializable(typeof(Corev1Event))]
[JsonSerializable(typeof(V1MutatingWebhookConfiguration))]
[JsonSerializable(typeof(V1TokenReview))]
[JsonSerializable(typeof(V1SubjectAccessReview))]
internal sealed partial class KubernetesModelsJsonContext : JsonSerializerContext;
