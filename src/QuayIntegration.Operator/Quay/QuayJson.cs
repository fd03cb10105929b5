using System.Text.Json;
using System.Text.Json.Serialization;
using Refit;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// How Quay's JSON is read and written: web defaults (Quay's field names are given on each property), with type
/// metadata from <see cref="QuayJsonContext"/> only. There is no reflection fallback, so a Quay type left out of the
/// context fails in every build, tests included, rather than only under Native AOT.
/// </summary>
public static class QuayJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Refit writes request bodies with the same options.</summary>
    public static RefitSettings RefitSettings { get; } = new(new SystemTextJsonContentSerializer(Options));

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = QuayJsonContext.Default };
        options.MakeReadOnly();
        return options;
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CreateOrganizationRequest))]
[JsonSerializable(typeof(CreateRobotRequest))]
[JsonSerializable(typeof(RoleRequest))]
[JsonSerializable(typeof(CreatePrototypeRequest))]
[JsonSerializable(typeof(CreateRepositoryRequest))]
[JsonSerializable(typeof(QuayUser))]
[JsonSerializable(typeof(QuayOrganization))]
[JsonSerializable(typeof(QuayRobot))]
[JsonSerializable(typeof(QuayRobotList))]
[JsonSerializable(typeof(QuayApplicationList))]
[JsonSerializable(typeof(QuayRobotPermissionList))]
[JsonSerializable(typeof(QuayRepositoryPermissionList))]
[JsonSerializable(typeof(QuayRepository))]
[JsonSerializable(typeof(QuayRepositoryList))]
[JsonSerializable(typeof(QuayPrototype))]
[JsonSerializable(typeof(QuayPrototypeList))]
[JsonSerializable(typeof(QuayPermission))]
internal sealed partial class QuayJsonContext : JsonSerializerContext;
