using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using k8s.Models;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Runtime.Tests.Support;

/// <summary>
/// The Kubernetes models these tests send and read through the runtime library. The library describes only those it
/// uses itself; a program registers the rest, as the operator does, and so do these tests, before any test runs.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(V1Namespace))]
[JsonSerializable(typeof(V1ConfigMap))]
[JsonSerializable(typeof(V1ServiceAccount))]
[JsonSerializable(typeof(V1Secret))]
internal sealed partial class TestModelsJsonContext : JsonSerializerContext
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "registration must precede the first serialization in the test host")]
    internal static void Register() => KubernetesSerializerOptions.AddTypeInfoResolver(Default);
}
