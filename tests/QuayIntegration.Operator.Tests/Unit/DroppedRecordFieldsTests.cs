using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers.Namespaces;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>What counts as a field the API server dropped from a record, between what was sent and what it kept.</summary>
public sealed class DroppedRecordFieldsTests
{
    private static OwnershipRecord Record(DateTime? pendingSince, bool adoptedMakerChecked = false) => new()
    {
        Integration = "quay",
        Organizations =
        [
            new OrganizationRecord
            {
                Host = "quay.example.com",
                Name = "openshift_team",
                Origin = Origin.Found,
                AdoptedMakerChecked = adoptedMakerChecked ? true : null,
                DefaultPermissions = [new DefaultPermissionRecord { Robot = "openshift_team+builder", PendingSince = pendingSince }],
            },
        ],
    };

    [Fact]
    public void Nothing_is_dropped_when_everything_sent_was_kept()
    {
        var since = new DateTime(2026, 12, 7, 1, 0, 0, DateTimeKind.Utc);
        Assert.Empty(DroppedRecordFields.Between(Record(since, adoptedMakerChecked: true), Record(since, adoptedMakerChecked: true)));
    }

    [Fact]
    public void A_field_sent_with_a_value_and_missing_from_what_was_kept_is_named_by_its_path()
    {
        var dropped = DroppedRecordFields.Between(Record(DateTime.UtcNow, adoptedMakerChecked: true), Record(null));
        Assert.Equal(["spec.organizations[0].adoptedMakerChecked", "spec.organizations[0].defaultPermissions[0].pendingSince"], dropped);
    }

    [Fact]
    public void A_value_the_api_server_changed_is_not_a_loss()
    {
        var sent = Record(new DateTime(2026, 12, 7, 1, 0, 0, 123, DateTimeKind.Utc));
        Assert.Empty(DroppedRecordFields.Between(sent, Record(new DateTime(2026, 12, 7, 1, 0, 0, DateTimeKind.Utc))));
    }

    [Fact]
    public void A_list_kept_shorter_names_each_item_missing()
    {
        var kept = Record(null);
        kept.Organizations![0].DefaultPermissions = null;
        var sent = Record(null);
        sent.Organizations![0].DefaultPermissions!.Add(new DefaultPermissionRecord { Robot = "openshift_team+deployer" });
        Assert.Equal(["spec.organizations[0].defaultPermissions"], DroppedRecordFields.Between(sent, kept));
        kept.Organizations[0].DefaultPermissions = [new DefaultPermissionRecord { Robot = "openshift_team+builder" }];
        Assert.Equal(["spec.organizations[0].defaultPermissions[1]"], DroppedRecordFields.Between(sent, kept));
    }

    [Fact]
    public void The_fields_a_strict_write_was_refused_for_are_read_from_the_api_servers_message()
    {
        const string fields = "unknown field \"spec.organizations[0].pendingSince\", unknown field \"spec.organizations[1].adoptedMakerChecked\"";
        // A create's or an update's (kube-apiserver's transformDecodeError puts the kind before it), and a patch's.
        Assert.Equal(["spec.organizations[0].pendingSince", "spec.organizations[1].adoptedMakerChecked"], DroppedRecordFields.Refused(
            "QuayNamespace in version \"v1\" cannot be handled as a QuayNamespace: strict decoding error: " + fields));
        Assert.Equal(["spec.organizations[0].pendingSince", "spec.organizations[1].adoptedMakerChecked"], DroppedRecordFields.Refused(
            "strict decoding error: " + fields));
        Assert.Empty(DroppedRecordFields.Refused("QuayNamespace.quay.redhat.com \"team\" is invalid: spec.organizations[0].name: Required value"));
    }

    [Fact]
    public void A_message_names_the_first_few_paths_and_counts_the_rest()
    {
        var paths = Enumerable.Range(0, 7).Select(i => $"spec.organizations[{i}].pendingSince").ToList();
        Assert.Equal("spec.organizations[0].pendingSince, spec.organizations[1].pendingSince, spec.organizations[2].pendingSince, " +
                     "spec.organizations[3].pendingSince, spec.organizations[4].pendingSince and 2 more", DroppedRecordFields.Describe(paths));
    }
}
