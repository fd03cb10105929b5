using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>
/// Review of 65f9c16 (helper-80): a denial tells the user when to retry; "in a few seconds" for a state that lasts until
/// someone acts (the target namespace being deleted, a service account nobody makes) sent them retrying for nothing,
/// each retry of a BuildConfig spending a build number.
/// </summary>
public class NamespaceSetupCheckTests
{
    [Theory]
    [InlineData("its Quay setup failed: Quay refused the organization", true)]
    [InlineData("it is not synced: QuayIntegrations a and b both select it", true)]
    [InlineData("namespace late is being deleted", true)]
    [InlineData("service account app/pusher does not exist", true)]
    [InlineData("service account app/builder does not exist yet", false)] // OpenShift makes it a moment after the project
    [InlineData("namespace app is not known to the operator yet", false)]
    [InlineData("its Quay organization is being set up on quay.example.com", false)]
    [InlineData(null, false)]
    public void Only_states_that_last_until_someone_acts_say_so(string? missing, bool lasts) =>
        Assert.Equal(lasts, NamespaceSetupCheck.LastsUntilFixed(missing));
}
