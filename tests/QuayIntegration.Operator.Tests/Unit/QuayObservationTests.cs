using System.Text.Json;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// A namespace's Quay observation is kept for a whole drift interval, one per managed namespace: it holds each robot's
/// name once (the key of its credentials) however often Quay's answers repeat it, and the roles and kinds Quay answers with
/// once for all observations, while answering every question as before.
/// </summary>
public sealed class QuayObservationTests
{
    private static readonly ObservationBasis Basis = new("conn", "openshift_a", "desired", "uid");

    /// <summary>A string with the same content as <paramref name="value"/> but its own instance, as a JSON answer gives it.</summary>
    private static string Fresh(string value) => new(value.AsSpan());

    private static QuayPrototype Prototype(string robot, string role) =>
        JsonSerializer.Deserialize<QuayPrototype>($$$"""{"id":"{{{Guid.NewGuid()}}}","role":"{{{role}}}","delegate":{"name":"{{{robot}}}","kind":"user"}}""")!;

    private static QuayObservation Observed()
    {
        var observation = new QuayObservation("openshift_a", Basis, DateTimeOffset.UnixEpoch);
        observation.Credentials[Fresh("openshift_a+builder")] = 1;
        observation.AddPrototype(Prototype("openshift_a+builder", "write"));
        observation.Grant(Fresh("openshift_a+builder"), "app", Fresh("write"));
        observation.PermissionsKnown(Fresh("openshift_a+builder"), replace: false);
        return observation;
    }

    [Fact]
    public void A_robot_name_is_held_once_however_often_quay_repeats_it()
    {
        var observation = Observed();
        var name = observation.Credentials.Keys.Single();

        Assert.Same(name, observation.Permissions.Keys.Single());
        Assert.Same(name, observation.Prototypes.Single().Delegate!.Name);
        Assert.Equal("write", observation.RoleOf("openshift_a+builder", "app"));
    }

    [Fact]
    public void Roles_and_kinds_are_shared_between_observations()
    {
        var (first, second) = (Observed(), Observed());

        Assert.Same(first.Prototypes[0].Role, second.Prototypes[0].Role);
        Assert.Same(first.Prototypes[0].Delegate!.Kind, second.Prototypes[0].Delegate!.Kind);
        Assert.Same(first.Permissions["openshift_a+builder"]["app"], second.Permissions["openshift_a+builder"]["app"]);
    }

    [Theory]
    [InlineData("6f1c2a4e-8b3d-4c5e-9a7f-0123456789ab")] // Quay's form: a lower-case uuid4
    [InlineData("6F1C2A4E-8B3D-4C5E-9A7F-0123456789AB")] // anything else is kept as it came
    [InlineData("{6f1c2a4e-8b3d-4c5e-9a7f-0123456789ab}")]
    [InlineData("not-a-uuid")]
    [InlineData("")]
    public void A_prototype_id_reads_back_as_quay_gave_it(string id)
    {
        var prototype = JsonSerializer.Deserialize("""{"id":""" + JsonSerializer.Serialize(id) + ""","role":"read"}""", QuayJson.Options.GetTypeInfo(typeof(QuayPrototype)))!;

        Assert.Equal(id, ((QuayPrototype)prototype).Id);
        Assert.Contains("\"id\":" + JsonSerializer.Serialize(id), JsonSerializer.Serialize(prototype, QuayJson.Options.GetTypeInfo(typeof(QuayPrototype))));
    }

    [Fact]
    public void Known_permissions_are_kept_unless_replaced()
    {
        var observation = Observed();

        observation.PermissionsKnown("openshift_a+builder", replace: false);
        Assert.Equal("write", observation.RoleOf("openshift_a+builder", "app"));

        observation.PermissionsKnown("openshift_a+builder", replace: true);
        Assert.Null(observation.RoleOf("openshift_a+builder", "app"));
        Assert.Empty(observation.Permissions["openshift_a+builder"]);

        observation.RobotDeleted("openshift_a+builder");
        Assert.Empty(observation.Credentials);
        Assert.Empty(observation.Permissions);
        Assert.Empty(observation.Prototypes);
    }
}
