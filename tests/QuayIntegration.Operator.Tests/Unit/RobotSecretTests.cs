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
    public void A_cached_secret_is_current_when_its_data_digest_type_label_and_annotations_are_the_wanted_ones()
    {
        var digest = RobotSecret.DataDigestOf("quay", "r", "T");
        // The form the Secrets' cache keeps: data replaced by its digest.
        V1Secret Cached(Action<V1Secret>? change = null, string token = "T")
        {
            var secret = RobotSecret.Desired("demo", "s", "quay", "r", token, "builder");
            change?.Invoke(secret);
            return ClusterCaches.TrimSecret(KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(secret)));
        }

        Assert.True(RobotSecret.IsCurrent(Cached(), "quay", "r", "builder", digest));
        Assert.True(RobotSecret.IsCurrent(Cached(s => { s.Metadata.Labels["extra"] = "kept"; s.Metadata.Annotations["note"] = "kept"; }), "quay", "r", "builder", digest));

        Assert.False(RobotSecret.IsCurrent(Cached(token: "OLD"), "quay", "r", "builder", digest));
        Assert.False(RobotSecret.IsCurrent(Cached(), "quay", "r", "builder", RobotSecret.DataDigestOf("quay", "r", "NEW")));
        Assert.False(RobotSecret.IsCurrent(Cached(s => s.Type = "Opaque"), "quay", "r", "builder", digest));
        Assert.False(RobotSecret.IsCurrent(Cached(s => s.Metadata.Labels.Clear()), "quay", "r", "builder", digest));
        Assert.False(RobotSecret.IsCurrent(Cached(s => s.Data["extra"] = [1]), "quay", "r", "builder", digest));
        Assert.False(RobotSecret.IsCurrent(Cached(s => s.Metadata.Annotations.Remove(WellKnown.QuayHostAnnotation)), "quay", "r", "builder", digest));
        Assert.False(RobotSecret.IsCurrent(Cached(), "other-host", "r", "builder", digest));
        Assert.False(RobotSecret.IsCurrent(Cached(), "quay", "r", "deployer", digest));
        // The uncached form (the data itself, not its digest) never passes for current.
        Assert.False(RobotSecret.IsCurrent(RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder"), "quay", "r", "builder", digest));
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
