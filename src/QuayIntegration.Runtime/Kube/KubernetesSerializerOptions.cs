using System.Text.Json;
using k8s;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// The <see cref="JsonSerializerOptions"/> behind <see cref="KubernetesJson"/> (its converters for Kubernetes dates,
/// quantities and Status), for deserializing straight from UTF-8 bytes and streams, which <see cref="KubernetesJson"/>
/// itself only offers through strings.
/// </summary>
internal static class KubernetesSerializerOptions
{
    public static JsonSerializerOptions Value { get; } = Capture();

    private static JsonSerializerOptions Capture()
    {
        JsonSerializerOptions? options = null;
        KubernetesJson.AddJsonOptions(o => options = o);
        return options!;
    }
}
