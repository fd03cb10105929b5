using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Tests.Unit;

public class RobotSecretTests
{
    [Fact]
    public void Desired_secret_is_a_dockerconfigjson_for_the_quay_host_labelled_as_ours()
    {
        var secret = RobotSecret.Desired("demo", "builder-quay-openshift", "quay.example.com:8443", "openshift_demo+builder", "TOKEN", "builder");
        Assert.Equal("kubernetes.io/dockerconfigjson", secret.Type);
        Assert.Equal("quay-integration-operator", secret.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("openshift_demo+builder", secret.Metadata.Annotations["quay.redhat.com/robot"]);
        var config = JsonNode.Parse(secret.Data[".dockerconfigjson"])!;
        var auth = config["auths"]!["quay.example.com:8443"]!["auth"]!.GetValue<string>();
        Assert.Equal("openshift_demo+builder:TOKEN", Encoding.UTF8.GetString(Convert.FromBase64String(auth)));
    }

    [Fact]
    public void A_secret_holds_the_credentials_when_its_type_and_only_data_have_the_wanted_digest_cached_or_not()
    {
        var digest = RobotSecret.DataDigestOf("quay", "r", "T");
        // The form the Secrets' cache keeps (data replaced by its digest), and the form the API server gives.
        V1Secret Raw(Action<V1Secret>? change = null, string token = "T")
        {
            var secret = RobotSecret.Desired("demo", "s", "quay", "r", token, "builder");
            change?.Invoke(secret);
            return KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(secret));
        }
        V1Secret Cached(Action<V1Secret>? change = null, string token = "T") => ClusterCaches.TrimSecret(Raw(change, token));

        Assert.True(RobotSecret.HoldsCredentials(Cached(), digest, digested: true));
        Assert.True(RobotSecret.HoldsCredentials(Raw(), digest, digested: false));
        Assert.False(RobotSecret.HoldsCredentials(Cached(token: "OLD"), digest, digested: true));
        Assert.False(RobotSecret.HoldsCredentials(Raw(token: "OLD"), digest, digested: false));
        Assert.False(RobotSecret.HoldsCredentials(Cached(), RobotSecret.DataDigestOf("quay", "r", "NEW"), digested: true));
        Assert.False(RobotSecret.HoldsCredentials(Cached(), RobotSecret.DataDigestOf("other-host", "r", "T"), digested: true));
        Assert.False(RobotSecret.HoldsCredentials(Cached(s => s.Type = "Opaque"), digest, digested: true));
        Assert.False(RobotSecret.HoldsCredentials(Cached(s => s.Data["extra"] = [1]), digest, digested: true));
        // Each form is only ever compared as what it is: data is not a digest, nor a digest data.
        Assert.False(RobotSecret.HoldsCredentials(Raw(), digest, digested: true));
        Assert.False(RobotSecret.HoldsCredentials(Cached(), digest, digested: false));
    }

    [Fact]
    public void A_secret_has_the_wanted_metadata_only_with_every_label_and_annotation_of_the_desired_secret()
    {
        var wanted = RobotSecret.Metadata("demo", "s", "quay", "r", "builder");
        Assert.True(RobotSecret.HasMetadata(ClusterCaches.TrimSecret(RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder")), wanted));
        var desired = RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder");
        desired.Metadata.Labels["extra"] = "kept";
        desired.Metadata.Annotations["note"] = "kept";
        Assert.True(RobotSecret.HasMetadata(desired, wanted));

        // Whatever the desired Secret carries is checked: each label and annotation missing, or with another value.
        foreach (var (map, key) in wanted.Labels.Keys.Select(k => ("labels", k)).Concat(wanted.Annotations.Keys.Select(k => ("annotations", k))))
        {
            foreach (var change in new Action<IDictionary<string, string>>[] { m => m.Remove(key), m => m[key] = "other" })
            {
                var secret = RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder");
                change(map == "labels" ? secret.Metadata.Labels : secret.Metadata.Annotations);
                Assert.False(RobotSecret.HasMetadata(secret, wanted), $"{map} {key}");
            }
        }
    }

    [Fact]
    public void The_cache_keeps_no_token()
    {
        var secret = RobotSecret.Desired("demo", "s", "quay", "openshift_demo+builder", "SECRET-TOKEN-VALUE", "builder");
        var cached = KubernetesJson.Serialize(ClusterCaches.TrimSecret(KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(secret))));

        Assert.DoesNotContain(Convert.ToBase64String(secret.Data[RobotSecret.DataKey]), cached);
        Assert.Equal(DataDigest.Length, ClusterCaches.TrimSecret(KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(secret))).Data[RobotSecret.DataKey].Length);
    }
}
