using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Api;

/// <summary>
/// Source-generated JSON metadata of the operator's own API types (its custom resources and the OpenShift kinds it
/// reads and writes), as the API server sees them: camelCase, nulls left out. KubernetesClient's models come with
/// their own context; <see cref="KubernetesSerializerOptions"/> has no reflection fallback, so a type missing here
/// fails in the tests as it would under Native AOT.
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
internal sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Runs when this assembly is loaded, before any of its types can be sent or read: every host of the operator's
    /// code (the program, the tests, the sandbox) then serializes them the same way without having to remember to.
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "registration must precede the first serialization in every host, test hosts included")]
    internal static void Register() => KubernetesSerializerOptions.AddTypeInfoResolver(Default);
}
