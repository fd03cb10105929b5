using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Caching;
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
    public void A_secret_holds_the_credentials_when_its_type_and_whole_data_have_the_wanted_digest_cached_or_read()
    {
        var digest = RobotSecret.DataDigestOf("quay", "r", "T");
        // The Secret as the API server gives it, and in the two forms the operator compares: cached, and read directly.
        V1Secret Raw(Action<V1Secret>? change = null, string token = "T")
        {
            var secret = RobotSecret.Desired("demo", "s", "quay", "r", token, "builder");
            change?.Invoke(secret);
            return KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(secret));
        }
        foreach (var form in new Func<V1Secret, CachedSecret>[] { ClusterCaches.ToCachedSecret, CachedSecret.Of })
        {
            Assert.True(RobotSecret.HoldsCredentials(form(Raw()), digest));
            Assert.False(RobotSecret.HoldsCredentials(form(Raw(token: "OLD")), digest));
            Assert.False(RobotSecret.HoldsCredentials(form(Raw()), RobotSecret.DataDigestOf("quay", "r", "NEW")));
            Assert.False(RobotSecret.HoldsCredentials(form(Raw()), RobotSecret.DataDigestOf("other-host", "r", "T")));
            Assert.False(RobotSecret.HoldsCredentials(form(Raw(s => s.Type = "Opaque")), digest));
            Assert.False(RobotSecret.HoldsCredentials(form(Raw(s => s.Data["extra"] = [1])), digest));
            Assert.False(RobotSecret.HoldsCredentials(form(Raw(s => s.Data = null)), digest));
        }
    }

    [Fact]
    public void A_secret_has_the_wanted_metadata_only_with_every_label_and_annotation_of_the_desired_secret()
    {
        var wanted = RobotSecret.Metadata("demo", "s", "quay", "r", "builder");
        Assert.True(RobotSecret.HasMetadata(ClusterCaches.ToCachedSecret(RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder")), wanted));
        var desired = RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder");
        desired.Metadata.Labels["extra"] = "kept";
        desired.Metadata.Annotations["note"] = "kept";
        Assert.True(RobotSecret.HasMetadata(CachedSecret.Of(desired), wanted));

        // Whatever the desired Secret carries is checked: each label and annotation missing, or with another value.
        foreach (var (map, key) in wanted.Labels.Keys.Select(k => ("labels", k)).Concat(wanted.Annotations.Keys.Select(k => ("annotations", k))))
        {
            foreach (var change in new Action<IDictionary<string, string>>[] { m => m.Remove(key), m => m[key] = "other" })
            {
                var secret = RobotSecret.Desired("demo", "s", "quay", "r", "T", "builder");
                change(map == "labels" ? secret.Metadata.Labels : secret.Metadata.Annotations);
                Assert.False(RobotSecret.HasMetadata(CachedSecret.Of(secret), wanted), $"{map} {key}");
            }
        }
    }

    [Fact]
    public void The_cache_keeps_no_token()
    {
        var secret = RobotSecret.Desired("demo", "s", "quay", "openshift_demo+builder", "SECRET-TOKEN-VALUE", "builder");
        var cached = ClusterCaches.ToCachedSecret(KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(secret)));

        // What the cached type holds besides its identity: type, digest, labels and annotations; none of them the token.
        var held = string.Join("\n", new[] { cached.Type }.Concat(cached.Labels!.Values).Concat(cached.Annotations!.Values));
        Assert.DoesNotContain("SECRET-TOKEN-VALUE", held);
        Assert.DoesNotContain(Convert.ToBase64String(secret.Data[RobotSecret.DataKey]), held);
        Assert.Equal(RobotSecret.DataDigestOf("quay", "openshift_demo+builder", "SECRET-TOKEN-VALUE"), cached.DataDigest);
    }

    [Theory]
    [InlineData("{\"auths\":{\"https://quay.example.com\":{\"email\":\"\",\"auth\":\"b3JnK2J1aWxkZXI6VE9LRU4=\"}}}", "org+builder")] // the Go operator's form
    [InlineData("{\"auths\":{\"a\":{\"auth\":\"b3JnK2J1aWxkZXI6VE9LRU4=\"},\"b\":{\"auth\":\"dXNlcjpwdw==\"}}}", "org+builder,user")]
    [InlineData("{\"auths\":{\"a\":{\"auth\":\"not base64!\"},\"b\":{\"auth\":42},\"c\":\"x\",\"d\":{\"auth\":\"bm9jb2xvbg==\"}}}", "")]
    [InlineData("{\"auths\":[]}", "")]
    [InlineData("{\"auths\":", "")]
    [InlineData("null", "")]
    public void The_logins_a_docker_config_holds_are_read_from_any_registry_entry_and_bad_data_holds_none(string config, string users)
    {
        var secret = new V1Secret { Type = RobotSecret.Type, Data = new Dictionary<string, byte[]> { [RobotSecret.DataKey] = Encoding.UTF8.GetBytes(config) } };
        Assert.Equal(users, string.Join(",", RobotSecret.LoginUsersOf(secret)));
        Assert.Empty(RobotSecret.LoginUsersOf(new V1Secret { Type = RobotSecret.Type }));
    }
}
