using System.Text;
using k8s.Models;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

public class WebhookCertificateTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly string[] Names = CertificateAuthority.ServiceDnsNames("quay-integration", "quay-integration");

    private static WebhookCertificateBundle Bundle(TimeSpan servingValidity, string[]? names = null, PemPair? signer = null)
    {
        var ca = CertificateAuthority.CreateCa("test CA", Now.AddMinutes(-5), TimeSpan.FromDays(365));
        var serving = CertificateAuthority.IssueServing(signer ?? ca, names ?? Names, Now.AddMinutes(-5), servingValidity);
        return new WebhookCertificateBundle(ca, serving, ca.CertificatePem);
    }

    [Fact]
    public void Fresh_serving_certificate_for_the_service_is_good()
    {
        var bundle = Bundle(TimeSpan.FromDays(30));
        Assert.True(bundle.ServingIsGood(Names, Now, TimeSpan.FromDays(1)));
        Assert.Equal(new[] { "quay-integration.quay-integration.svc", "quay-integration.quay-integration.svc.cluster.local" }, Names);
    }

    [Fact]
    public void Serving_certificate_close_to_expiry_for_another_name_or_from_another_ca_is_renewed()
    {
        Assert.False(Bundle(TimeSpan.FromDays(2)).ServingIsGood(Names, Now, TimeSpan.FromDays(3)));
        Assert.False(Bundle(TimeSpan.FromDays(30), names: ["other.quay-integration.svc"]).ServingIsGood(Names, Now, TimeSpan.FromDays(1)));
        var stranger = CertificateAuthority.CreateCa("another CA", Now.AddMinutes(-5), TimeSpan.FromDays(365));
        Assert.False(Bundle(TimeSpan.FromDays(30), signer: stranger).ServingIsGood(Names, Now, TimeSpan.FromDays(1)));
    }

    [Fact]
    public void Secret_round_trips_and_unreadable_secrets_are_treated_as_absent()
    {
        var bundle = Bundle(TimeSpan.FromDays(30));
        var secret = new V1Secret { Data = bundle.ToData() };
        Assert.Equal(bundle, WebhookCertificateBundle.FromSecret(secret));

        Assert.Null(WebhookCertificateBundle.FromSecret(null));
        Assert.Null(WebhookCertificateBundle.FromSecret(new V1Secret { Data = new Dictionary<string, byte[]> { ["tls.crt"] = [1] } }));
        var corrupt = bundle.ToData();
        corrupt["tls.key"] = Encoding.UTF8.GetBytes("not a key");
        Assert.Null(WebhookCertificateBundle.FromSecret(new V1Secret { Data = corrupt }));
    }

    [Fact]
    public void Leaf_never_outlives_its_ca()
    {
        var ca = CertificateAuthority.CreateCa("short CA", Now.AddMinutes(-5), TimeSpan.FromDays(10));
        var serving = CertificateAuthority.IssueServing(ca, Names, Now.AddMinutes(-5), TimeSpan.FromDays(365));
        Assert.True(serving.NotAfter <= ca.NotAfter);
    }
}
