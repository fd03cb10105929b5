using QuayIntegration.BundleGenerator;
using QuayIntegration.Deploy.Tests.Support;

namespace QuayIntegration.Deploy.Tests;

/// <summary>
/// hack/generate-bundle.sh on inputs it must refuse, each with a message that names the file and the fix; and the one
/// feature claim it derives rather than takes (disconnected: true only for an image pinned by digest).
/// </summary>
public sealed class BundleGeneratorInputTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bundle-inputs-").FullName;

    public BundleGeneratorInputTests()
    {
        Copy(Path.Combine(Repo.Root, "deploy"), Path.Combine(_root, "deploy"));
        Copy(Path.Combine(Repo.Root, "hack", "bundle"), Path.Combine(_root, "hack", "bundle"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static void Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private void Edit(string relative, string from, string to)
    {
        var path = Path.Combine(_root, relative);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    private string Refusal() => Assert.Throws<BundleException>(() => Bundle.Generate(_root)).Message;

    [Fact]
    public void The_copied_inputs_generate_the_committed_bundle()
    {
        var files = Bundle.Generate(_root);
        Assert.Empty(Bundle.Differences(Repo.Root, files));
    }

    [Fact]
    public void An_image_tag_that_is_not_a_version_is_refused()
    {
        Edit("deploy/base/kustomization.yaml", "newTag: 1.0.0", "newTag: latest");
        Assert.Contains("'latest' is not a version", Refusal());
    }

    [Fact]
    public void A_kustomize_feature_the_generator_would_ignore_is_refused_by_name()
    {
        Edit("deploy/base/kustomization.yaml", "images:", "namePrefix: x-\nimages:");
        var message = Refusal();
        Assert.Contains("'namePrefix' is not understood", message);
        Assert.Contains("kustomization.yaml", message);
    }

    [Fact]
    public void A_webhook_called_by_URL_is_refused()
    {
        Edit("deploy/base/mutating_webhook_configuration.yaml", "      service:\n        namespace: quay-integration\n        name: quay-integration\n        path: /admissionwebhook\n        port: 443",
            "      url: https://quay-integration.example.com/admissionwebhook");
        Assert.Contains("calls a URL", Refusal());
    }

    [Fact]
    public void Dropping_the_namespace_selector_is_refused_unless_the_description_tells_users()
    {
        Edit("hack/bundle/csv-base.yaml", "### Webhook scope under OLM", "### Webhook");
        Assert.Contains("namespaceSelector cannot be carried", Refusal());
    }

    [Fact]
    public void Disconnected_is_derived_from_a_digest_pin_and_cannot_be_claimed_by_hand()
    {
        Edit("hack/bundle/csv-base.yaml", "  fips-compliant:", "  disconnected: \"true\"\n  fips-compliant:");
        Assert.Contains("features.disconnected is derived", Refusal());

        Edit("hack/bundle/csv-base.yaml", "  disconnected: \"true\"\n", "");
        var digest = "sha256:" + new string('a', 64);
        Edit("deploy/base/kustomization.yaml", "newTag: 1.0.0", $"newTag: 1.0.0\n    digest: {digest}");
        var csv = System.Text.Encoding.UTF8.GetString(Bundle.Generate(_root)[BundleCsvPath]);
        Assert.Contains("features.operators.openshift.io/disconnected: \"true\"", csv);
        Assert.Contains($"image: quay.io/quay-integration/operator@{digest}", csv);
    }

    private const string BundleCsvPath = "bundle/manifests/quay-integration.clusterserviceversion.yaml";
}
