using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>The <c>kubernetes.io/dockerconfigjson</c> Secret holding one robot's credentials for the Quay host.</summary>
public static class RobotSecret
{
    public const string Type = "kubernetes.io/dockerconfigjson";
    public const string DataKey = ".dockerconfigjson";

    public static V1Secret Desired(string ns, string name, string registryHost, string robotName, string robotToken, string serviceAccount) =>
        new()
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
            Data = new Dictionary<string, byte[]> { [DataKey] = Data(registryHost, robotName, robotToken) },
        };

    /// <summary>The value of <see cref="DataKey"/>: a Docker config with the robot's login for the host.</summary>
    public static byte[] Data(string registryHost, string robotName, string robotToken)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{robotName}:{robotToken}"));
        var config = new JsonObject { ["auths"] = new JsonObject { [registryHost] = new JsonObject { ["auth"] = auth } } };
        return Encoding.UTF8.GetBytes(config.ToJsonString());
    }

    /// <summary>
    /// The <see cref="DataDigest"/> of the Secret data the token makes: what the operator keeps of a robot's token
    /// between reconciles (<see cref="Namespaces.QuayObservation.Credentials"/>), and compares with the digest the
    /// Secrets' cache keeps.
    /// </summary>
    public static UInt128 DataDigestOf(string registryHost, string robotName, string robotToken) =>
        DataDigest.Of(Data(registryHost, robotName, robotToken));

    /// <summary>
    /// Whether a cached Secret (its data digested, <see cref="CacheTransforms.DigestSecret"/>) already has the wanted
    /// type, label and annotations and, as its only data, the content whose digest is <paramref name="dataDigest"/>.
    /// Labels and annotations others add are tolerated.
    /// </summary>
    public static bool IsCurrent(V1Secret cached, string registryHost, string robotName, string serviceAccount, UInt128 dataDigest) =>
        cached.Type == Type
        && cached.Data is { Count: 1 } data && data.TryGetValue(DataKey, out var digest) && DataDigest.Read(digest) == dataDigest
        && cached.Metadata.Labels?.TryGetValue(WellKnown.ManagedByLabel, out var managedBy) == true && managedBy == WellKnown.ManagedByValue
        && cached.Metadata.Annotations is { } annotations
        && Has(annotations, WellKnown.RobotAnnotation, robotName)
        && Has(annotations, WellKnown.QuayHostAnnotation, registryHost)
        && Has(annotations, WellKnown.ServiceAccountAnnotation, serviceAccount);

    private static bool Has(IDictionary<string, string> map, string key, string value) => map.TryGetValue(key, out var v) && v == value;
}
