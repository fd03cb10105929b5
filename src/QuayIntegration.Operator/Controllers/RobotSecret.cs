using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Caching;
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
            Metadata = Metadata(ns, name, registryHost, robotName, serviceAccount),
            Data = DataOf(registryHost, robotName, robotToken),
        };

    /// <summary>The Secret's wanted metadata: the operator's label, and annotations naming the robot, the host and the service account.</summary>
    public static V1ObjectMeta Metadata(string ns, string name, string registryHost, string robotName, string serviceAccount) =>
        new()
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
        };

    /// <summary>The Secret's whole data: <see cref="DataKey"/> and nothing else.</summary>
    public static Dictionary<string, byte[]> DataOf(string registryHost, string robotName, string robotToken) =>
        new() { [DataKey] = DockerConfig(registryHost, robotName, robotToken) };

    /// <summary>The value of <see cref="DataKey"/>: a Docker config with the robot's login for the host.</summary>
    private static byte[] DockerConfig(string registryHost, string robotName, string robotToken)
    {
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{robotName}:{robotToken}"));
        var config = new JsonObject { ["auths"] = new JsonObject { [registryHost] = new JsonObject { ["auth"] = auth } } };
        return Encoding.UTF8.GetBytes(config.ToJsonString());
    }

    /// <summary>
    /// The <see cref="DataDigest.OfData">digest</see> of the Secret data the token makes: what the operator keeps of a
    /// robot's token between reconciles (<see cref="Namespaces.QuayObservation.Credentials"/>), and compares with the
    /// digest the Secrets' cache keeps.
    /// </summary>
    public static UInt128 DataDigestOf(string registryHost, string robotName, string robotToken) =>
        DataDigest.OfData(DataOf(registryHost, robotName, robotToken));

    /// <summary>
    /// Whether the Secret is of the wanted type and its data, as a whole, is the content whose digest is
    /// <paramref name="dataDigest"/> (a Secret with any other key besides is not).
    /// </summary>
    public static bool HoldsCredentials(CachedSecret secret, UInt128 dataDigest) => secret.Type == Type && secret.DataDigest == dataDigest;

    /// <summary>Whether the Secret carries the wanted labels and annotations (<see cref="Metadata"/>); others' additions are tolerated.</summary>
    public static bool HasMetadata(CachedSecret secret, V1ObjectMeta wanted) =>
        Contains(secret.Labels, wanted.Labels) && Contains(secret.Annotations, wanted.Annotations);

    /// <summary>A Docker config Secret holding <paramref name="robot"/>'s login: one written for that robot, by whichever tool.</summary>
    public static bool HoldsLoginOf(V1Secret secret, string robot) =>
        secret.Type == Type && LoginUsersOf(secret).Contains(robot, StringComparer.Ordinal);

    /// <summary>
    /// The users whose logins the Secret's Docker config holds, for any registry: how a Secret another tool wrote for a
    /// robot is recognised (the Go operator keyed its entry by its own spelling of the host). Unreadable data holds none.
    /// </summary>
    public static IEnumerable<string> LoginUsersOf(V1Secret secret)
    {
        if (secret.Data?.TryGetValue(DataKey, out var bytes) != true) yield break;
        JsonNode? auths;
        try
        {
            auths = JsonNode.Parse(bytes!)?["auths"];
        }
        catch (System.Text.Json.JsonException)
        {
            yield break;
        }
        if (auths is not JsonObject entries) yield break;
        foreach (var (_, entry) in entries)
        {
            if (entry is not JsonObject fields || fields["auth"] is not JsonValue value || !value.TryGetValue<string>(out var auth)) continue;
            string login;
            try
            {
                login = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
            }
            catch (FormatException)
            {
                continue;
            }
            var colon = login.IndexOf(':');
            if (colon > 0) yield return login[..colon];
        }
    }

    private static bool Contains(IDictionary<string, string>? actual, IDictionary<string, string> wanted) =>
        actual is not null && wanted.All(kv => actual.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
