using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Operator.Api;

namespace QuayIntegration.Operator.Controllers;

/// <summary>The <c>kubernetes.io/dockerconfigjson</c> Secret holding one robot's credentials for the Quay host.</summary>
public static class RobotSecret
{
    public const string Type = "kubernetes.io/dockerconfigjson";
    public const string DataKey = ".dockerconfigjson";

    public static V1Secret Desired(string ns, string name, string registryHost, string robotName, string robotToken, string serviceAccount)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{robotName}:{robotToken}"));
        var config = new JsonObject { ["auths"] = new JsonObject { [registryHost] = new JsonObject { ["auth"] = auth } } };
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = Type,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = ns,
                Labels = new Dictionary<string, string> { [WellKnown.ManagedByLabel] = WellKnown.ManagedByValue },
                Annotations = new Dictionary<string, string>
                {
                    [WellKnown.RobotAnnotation] = robotName,
                    [WellKnown.QuayHostAnnotation] = registryHost,
                    [WellKnown.ServiceAccountAnnotation] = serviceAccount,
                },
            },
            Data = new Dictionary<string, byte[]> { [DataKey] = Encoding.UTF8.GetBytes(config.ToJsonString()) },
        };
    }

    /// <summary>Whether an existing Secret already has the desired type, data, label and annotations.</summary>
    public static bool Matches(V1Secret existing, V1Secret desired) =>
        existing.Type == desired.Type
        && existing.Data is not null && existing.Data.Count == desired.Data.Count
        && desired.Data.All(kv => existing.Data.TryGetValue(kv.Key, out var v) && v.AsSpan().SequenceEqual(kv.Value))
        && Contains(existing.Metadata.Labels, desired.Metadata.Labels)
        && Contains(existing.Metadata.Annotations, desired.Metadata.Annotations);

    private static bool Contains(IDictionary<string, string>? actual, IDictionary<string, string> wanted) =>
        actual is not null && wanted.All(kv => actual.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
