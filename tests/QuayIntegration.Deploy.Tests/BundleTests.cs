using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.BundleGenerator;
using QuayIntegration.Deploy.Tests.Support;

namespace QuayIntegration.Deploy.Tests;

/// <summary>
/// The OLM bundle (bundle/, bundle.Dockerfile) and catalog (catalog/): what is committed is exactly what
/// hack/generate-bundle.sh makes from deploy/, and what it makes is what OLM's registry+v1 format and file-based
/// catalogs document, and what deploy/ installs (CRDs byte for byte, RBAC rule for rule, the webhook field by field).
/// </summary>
public sealed class BundleTests
{
    private const string Csv = "bundle/manifests/quay-integration.clusterserviceversion.yaml";
    private static JsonObject CsvBody => Manifests.Load(Path.Combine(Repo.Root, Csv)).Single().Body;
    private static JsonObject CsvSpec => CsvBody["spec"]!.AsObject();

    [Fact]
    public void The_committed_bundle_and_catalog_are_what_hack_generate_bundle_makes()
    {
        var differences = Bundle.Differences(Repo.Root, Bundle.Generate(Repo.Root));
        Assert.True(differences.Count == 0,
            "run hack/generate-bundle.sh and commit the result (bundle/ is never edited by hand):\n" + string.Join("\n", differences));
    }

    [Fact]
    public void Every_CRD_of_deploy_is_in_the_bundle_byte_for_byte_and_nothing_else_is()
    {
        var deployed = Directory.GetFiles(Path.Combine(Repo.Base, "crds"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(deployed);
        foreach (var crd in deployed)
        {
            var inBundle = Path.Combine(Repo.Root, "bundle", "manifests", Path.GetFileName(crd));
            Assert.True(File.Exists(inBundle), $"{Manifests.Relative(crd)} is not in bundle/manifests");
            Assert.True(File.ReadAllBytes(crd).AsSpan().SequenceEqual(File.ReadAllBytes(inBundle)), $"{Manifests.Relative(inBundle)} differs from {Manifests.Relative(crd)}");
        }
        var bundleCrds = Directory.GetFiles(Path.Combine(Repo.Root, "bundle", "manifests"), "*.yaml")
            .Where(f => Manifests.Load(f).Any(m => m.Kind == "CustomResourceDefinition")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(deployed.Select(Path.GetFileName), bundleCrds);
    }

    [Fact]
    public void The_bundle_carries_only_kinds_every_supported_OLM_installs_and_lets_Prometheus_find_the_operator()
    {
        var kinds = Directory.GetFiles(Path.Combine(Repo.Root, "bundle", "manifests"), "*.yaml")
            .SelectMany(f => Manifests.Load(f)).Select(m => m.Kind).ToHashSet(StringComparer.Ordinal);
        // OLM (operator-registry) accepts NetworkPolicy from 1.55 (OpenShift 4.20) only; the CSV claims Kubernetes 1.25.
        Assert.Equal("1.25.0", (string?)CsvSpec["minKubeVersion"]);
        Assert.DoesNotContain("NetworkPolicy", kinds);
        Assert.True(File.Exists(Path.Combine(Repo.Base, "network_policy.yaml")), "the NetworkPolicy stays in the kustomize install");
        // Prometheus needs to list the namespace's Services, Endpoints and Pods to find a ServiceMonitor's targets.
        var discovery = Directory.GetFiles(Path.Combine(Repo.Root, "bundle", "manifests"), "*.yaml").SelectMany(f => Manifests.Load(f))
            .Single(m => m.Kind == "Role").Body;
        var resources = discovery["rules"]!.AsArray().SelectMany(r => r!["resources"]!.AsArray().Select(x => (string)x!)).ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["services", "endpoints", "pods", "endpointslices"], StringComparer.Ordinal), resources);
        var binding = Directory.GetFiles(Path.Combine(Repo.Root, "bundle", "manifests"), "*.yaml").SelectMany(f => Manifests.Load(f))
            .Single(m => m.Kind == "RoleBinding").Body;
        Assert.Equal("prometheus-k8s", (string?)binding["subjects"]![0]!["name"]);
    }

    [Fact]
    public void Every_earlier_version_has_an_upgrade_edge_to_this_one()
    {
        // The catalog keeps one bundle per channel; olm.skipRange lets OLM upgrade any installed older version to it.
        var version = (string)CsvSpec["version"]!;
        Assert.Equal($"<{version}", (string?)CsvBody["metadata"]!["annotations"]!["olm.skipRange"]);
    }

    [Fact]
    public void The_CSV_has_the_fields_OLM_and_OperatorHub_require()
    {
        var csv = CsvBody;
        var spec = CsvSpec;
        Assert.Equal("operators.coreos.com/v1alpha1", (string?)csv["apiVersion"]);
        Assert.Equal("ClusterServiceVersion", (string?)csv["kind"]);
        var version = (string)spec["version"]!;
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        Assert.Equal($"quay-integration.v{version}", (string?)csv["metadata"]!["name"]);
        foreach (var field in new[] { "displayName", "description", "maturity", "minKubeVersion" })
            Assert.False(string.IsNullOrWhiteSpace((string?)spec[field]), $"spec.{field} is empty");
        Assert.Matches(@"^\d+\.\d+\.\d+$", (string)spec["minKubeVersion"]!);
        Assert.False(string.IsNullOrWhiteSpace((string?)spec["provider"]?["name"]), "spec.provider.name is empty");
        foreach (var m in spec["maintainers"]!.AsArray())
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)m!["name"]));
            Assert.Matches(@"^[^@\s]+@[^@\s]+\.[a-z]+$", (string)m["email"]!);
        }
        foreach (var link in spec["links"]!.AsArray())
            Assert.True(Uri.TryCreate((string?)link!["url"], UriKind.Absolute, out var url) && url.Scheme == "https", $"link {link.ToJsonString()} is not an https URL");
        Assert.NotEmpty(spec["keywords"]!.AsArray());
        var icon = Assert.Single(spec["icon"]!.AsArray())!;
        Assert.Equal("image/svg+xml", (string?)icon["mediatype"]);
        Assert.StartsWith("<svg", Encoding.UTF8.GetString(Convert.FromBase64String((string)icon["base64data"]!)).TrimStart());

        // AllNamespaces only: the operator watches every namespace and its QuayIntegration is cluster-scoped.
        var modes = spec["installModes"]!.AsArray().ToDictionary(m => (string)m!["type"]!, m => (bool)m!["supported"]!);
        Assert.Equal(new Dictionary<string, bool> { ["OwnNamespace"] = false, ["SingleNamespace"] = false, ["MultiNamespace"] = false, ["AllNamespaces"] = true }, modes);

        var annotations = csv["metadata"]!["annotations"]!.AsObject();
        Assert.Contains((string)annotations["capabilities"]!, new[] { "Basic Install", "Seamless Upgrades", "Full Lifecycle", "Deep Insights", "Auto Pilot" });
        Assert.False(string.IsNullOrWhiteSpace((string?)annotations["categories"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)annotations["description"]));
        foreach (var feature in new[] { "disconnected", "fips-compliant", "proxy-aware", "tls-profiles", "token-auth-aws", "token-auth-azure", "token-auth-gcp", "cnf", "cni", "csi" })
            Assert.Contains((string?)annotations[$"features.operators.openshift.io/{feature}"], new[] { "true", "false" });

        // alm-examples: the samples of deploy/samples, each of a kind the CSV owns.
        var owned = spec["customresourcedefinitions"]!["owned"]!.AsArray();
        var ownedKinds = owned.Select(o => (string)o!["kind"]!).ToHashSet();
        var examples = JsonNode.Parse((string)annotations["alm-examples"]!)!.AsArray();
        Assert.NotEmpty(examples);
        Assert.All(examples, e => Assert.Contains((string)e!["kind"]!, ownedKinds));
        var sample = Manifests.Load(Path.Combine(Repo.Deploy, "samples", "quayintegration.yaml")).Single().Body;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(sample.ToJsonString())!["spec"]!["quayHostname"], examples[0]!["spec"]!["quayHostname"]));

        // The image: the one kustomize pins in deploy/base, never :latest, listed in relatedImages.
        var container = spec["install"]!["spec"]!["deployments"]![0]!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var image = (string)container["image"]!;
        Assert.Equal(image, (string?)annotations["containerImage"]);
        Assert.DoesNotMatch(@":latest$", image);
        Assert.Matches(@"(:\d+\.\d+\.\d+|@sha256:[0-9a-f]{64})$", image);
        Assert.Contains(spec["relatedImages"]!.AsArray(), r => (string?)r!["image"] == image);
        Assert.Equal("deployment", (string?)spec["install"]!["strategy"]);
    }

    [Fact]
    public void Both_CRDs_are_owned_with_descriptors_for_every_field_and_QuayNamespace_is_marked_internal()
    {
        var owned = CsvSpec["customresourcedefinitions"]!["owned"]!.AsArray();
        var crds = Directory.GetFiles(Path.Combine(Repo.Base, "crds"), "*.yaml").Select(f => Manifests.Load(f).Single().Body).ToList();
        Assert.Equal(crds.Select(c => (string)c["metadata"]!["name"]!).Order(), owned.Select(o => (string)o!["name"]!).Order());
        foreach (var crd in crds)
        {
            var name = (string)crd["metadata"]!["name"]!;
            var entry = owned.Single(o => (string?)o!["name"] == name)!;
            var storage = crd["spec"]!["versions"]!.AsArray().Single(v => (bool?)v!["storage"] == true)!;
            Assert.Equal((string?)storage["name"], (string?)entry["version"]);
            Assert.Equal((string?)crd["spec"]!["names"]!["kind"], (string?)entry["kind"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)entry["displayName"]));
            Assert.False(string.IsNullOrWhiteSpace((string?)entry["description"]));
            var schema = storage["schema"]!["openAPIV3Schema"]!["properties"]!;
            foreach (var (part, key) in new[] { ("spec", "specDescriptors"), ("status", "statusDescriptors") })
            {
                var paths = entry[key]!.AsArray().Select(d => (string)d!["path"]!).ToList();
                foreach (var (field, _) in schema[part]!["properties"]!.AsObject())
                    Assert.True(paths.Any(p => p == field || p.StartsWith(field + ".", StringComparison.Ordinal) || p.StartsWith(field + "[", StringComparison.Ordinal)),
                        $"{name}: {part}.{field} has no descriptor in the CSV");
            }
            Assert.Contains(entry["statusDescriptors"]!.AsArray(), d => d!["x-descriptors"]?.AsArray().Any(x => (string?)x == "urn:alm:descriptor:io.kubernetes.conditions") == true);
        }
        var internalObjects = JsonNode.Parse((string)CsvBody["metadata"]!["annotations"]!["operators.operatorframework.io/internal-objects"]!)!.AsArray();
        Assert.Equal(["quaynamespaces.quay.redhat.com"], internalObjects.Select(o => (string)o!));
    }

    [Fact]
    public void Permissions_are_exactly_the_rules_deploy_rbac_binds_to_the_operator()
    {
        var rbac = Manifests.Load(Path.Combine(Repo.Base, "rbac.yaml"));
        var rules = RbacPolicy.RulesFor(rbac, "quay-integration", "quay-integration");
        var install = CsvSpec["install"]!["spec"]!;
        foreach (var (key, cluster) in new[] { ("clusterPermissions", true), ("permissions", false) })
        {
            var permission = Assert.Single(install[key]!.AsArray())!;
            Assert.Equal("quay-integration", (string?)permission["serviceAccountName"]);
            var expected = rules.Where(r => (r.Namespace is null) == cluster).Select(Describe).ToList();
            var actual = permission["rules"]!.AsArray().Select(r => Describe(r!.AsObject())).ToList();
            Assert.NotEmpty(expected);
            Assert.Equal(expected, actual);
        }
        // The deployment runs as that account.
        Assert.Equal("quay-integration", (string?)install["deployments"]![0]!["spec"]!["template"]!["spec"]!["serviceAccountName"]);
    }

    private static string Describe(RbacRule r) =>
        $"groups={string.Join(',', r.ApiGroups)} resources={string.Join(',', r.Resources)} names={string.Join(',', r.ResourceNames)} verbs={string.Join(',', r.Verbs)}";

    private static string Describe(JsonObject rule)
    {
        static string List(JsonNode? n) => string.Join(',', n?.AsArray().Select(x => (string?)x ?? "") ?? []);
        Assert.Null(rule["nonResourceURLs"]);
        return $"groups={List(rule["apiGroups"])} resources={List(rule["resources"])} names={List(rule["resourceNames"])} verbs={List(rule["verbs"])}";
    }

    [Fact]
    public void The_webhook_definition_is_the_deploy_webhook_field_by_field_and_the_namespace_selector_gap_is_told()
    {
        var manifest = Manifests.Load(Path.Combine(Repo.Base, "mutating_webhook_configuration.yaml")).Single().Body;
        var webhook = Assert.Single(manifest["webhooks"]!.AsArray())!.AsObject();
        var definition = Assert.Single(CsvSpec["webhookdefinitions"]!.AsArray())!.AsObject();

        Assert.Equal("MutatingAdmissionWebhook", (string?)definition["type"]);
        Assert.Equal((string?)webhook["name"], (string?)definition["generateName"]);
        foreach (var field in new[] { "rules", "failurePolicy", "sideEffects", "timeoutSeconds", "matchPolicy", "reinvocationPolicy", "admissionReviewVersions" })
            Assert.True(JsonNode.DeepEquals(webhook[field], definition[field]), $"{field}: deploy has {webhook[field]?.ToJsonString()}, the CSV {definition[field]?.ToJsonString()}");
        var service = webhook["clientConfig"]!["service"]!;
        Assert.Equal((string?)service["path"], (string?)definition["webhookPath"]);
        Assert.Equal((int?)service["port"], (int?)definition["containerPort"]);

        // The Service's targetPort, resolved to the container port OLM's Service must reach.
        var deployment = Manifests.Load(Path.Combine(Repo.Base, "deployment.yaml")).Single().Body;
        var services = Manifests.Load(Path.Combine(Repo.Base, "service.yaml"));
        var servicePort = services.Single(s => s.Name == (string?)service["name"]).Body["spec"]!["ports"]!.AsArray().Single(p => (int?)p!["port"] == (int?)service["port"])!;
        var containerPort = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]!.AsArray().Single(p => (string?)p!["name"] == (string?)servicePort["targetPort"])!;
        Assert.Equal((int?)containerPort["containerPort"], (int?)definition["targetPort"]);
        Assert.Equal((string?)deployment["metadata"]!["name"], (string?)definition["deploymentName"]);

        // namespaceSelector: deploy/ limits the webhook to managed namespaces; OLM's WebhookDescription has no such
        // field (OLM derives it from the OperatorGroup), so the CSV cannot carry it and its description says what
        // that changes.
        var selector = webhook["namespaceSelector"]!["matchExpressions"]!.AsArray().Single()!;
        Assert.Equal(("quay.redhat.com/managed", "Exists"), ((string?)selector["key"], (string?)selector["operator"]));
        Assert.Null(definition["namespaceSelector"]);
        var description = (string)CsvSpec["description"]!;
        Assert.Contains("### Webhook scope under OLM", description);
        Assert.Contains("quay.redhat.com/managed", description);
    }

    [Fact]
    public void The_OLM_deployment_is_the_deploy_deployment_with_OLM_mounting_the_webhook_certificate()
    {
        var deployment = Manifests.Load(Path.Combine(Repo.Base, "deployment.yaml")).Single().Body;
        var olm = CsvSpec["install"]!["spec"]!["deployments"]![0]!;
        Assert.Equal((string?)deployment["metadata"]!["name"], (string?)olm["name"]);
        var expected = deployment["spec"]!.DeepClone().AsObject();
        var pod = expected["template"]!["spec"]!;
        var mounts = pod["containers"]![0]!["volumeMounts"]!.AsArray();
        var certMount = mounts.Single(m => (string?)m!["mountPath"] == Bundle.OlmCertificateDirectory)!;
        mounts.Remove(certMount);
        var volumes = pod["volumes"]!.AsArray();
        volumes.Remove(volumes.Single(v => (string?)v!["name"] == (string?)certMount["name"]));
        var actual = olm["spec"]!.DeepClone().AsObject();
        // kustomize's images: pins the tag; the file names the image only.
        Assert.StartsWith((string)pod["containers"]![0]!["image"]! + ":", (string)actual["template"]!["spec"]!["containers"]![0]!["image"]!);
        actual["template"]!["spec"]!["containers"]![0]!["image"] = pod["containers"]![0]!["image"]!.DeepClone();
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected\n{expected.ToJsonString()}\nCSV\n{actual.ToJsonString()}");
        // The operator reads the certificate where OLM puts it.
        var env = actual["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray();
        Assert.Equal(Bundle.OlmCertificateDirectory, (string?)env.Single(e => (string?)e!["name"] == "WEBHOOK_CERT_DIR")!["value"]);
    }

    [Fact]
    public void Bundle_metadata_Dockerfile_labels_and_the_file_based_catalog_agree()
    {
        var annotations = Manifests.Load(Path.Combine(Repo.Root, "bundle", "metadata", "annotations.yaml")).Single().Body["annotations"]!.AsObject();
        Assert.Equal("registry+v1", (string?)annotations["operators.operatorframework.io.bundle.mediatype.v1"]);
        Assert.Equal("manifests/", (string?)annotations["operators.operatorframework.io.bundle.manifests.v1"]);
        Assert.Equal("metadata/", (string?)annotations["operators.operatorframework.io.bundle.metadata.v1"]);
        var labels = File.ReadAllLines(Path.Combine(Repo.Root, "bundle.Dockerfile")).Where(l => l.StartsWith("LABEL ", StringComparison.Ordinal))
            .Select(l => l["LABEL ".Length..].Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(annotations.ToDictionary(a => a.Key, a => (string)a.Value!), labels);
        var dockerfile = File.ReadAllText(Path.Combine(Repo.Root, "bundle.Dockerfile"));
        Assert.Contains("COPY bundle/manifests /manifests/", dockerfile);
        Assert.Contains("COPY bundle/metadata /metadata/", dockerfile);

        var package = (string)annotations["operators.operatorframework.io.bundle.package.v1"]!;
        var catalog = Manifests.Load(Path.Combine(Repo.Root, "catalog", package, "catalog.yaml")).Select(m => m.Body).ToList();
        var pkg = Assert.Single(catalog, d => (string?)d["schema"] == "olm.package");
        Assert.Equal(package, (string?)pkg["name"]);
        var channel = Assert.Single(catalog, d => (string?)d["schema"] == "olm.channel");
        Assert.Equal((string?)pkg["defaultChannel"], (string?)channel["name"]);
        Assert.Equal((string?)annotations["operators.operatorframework.io.bundle.channel.default.v1"], (string?)channel["name"]);
        var bundle = Assert.Single(catalog, d => (string?)d["schema"] == "olm.bundle");
        var csvName = (string)CsvBody["metadata"]!["name"]!;
        Assert.Equal(csvName, (string?)bundle["name"]);
        Assert.Contains(channel["entries"]!.AsArray(), e => (string?)e!["name"] == csvName);
        var properties = bundle["properties"]!.AsArray();
        var packageProperty = properties.Single(p => (string?)p!["type"] == "olm.package")!["value"]!;
        Assert.Equal((package, (string?)CsvSpec["version"]), ((string?)packageProperty["packageName"], (string?)packageProperty["version"]));
        var gvks = properties.Where(p => (string?)p!["type"] == "olm.gvk").Select(p => (string)p!["value"]!["kind"]!).Order();
        Assert.Equal(CsvSpec["customresourcedefinitions"]!["owned"]!.AsArray().Select(o => (string)o!["kind"]!).Order(), gvks);
        var image = (string)CsvSpec["relatedImages"]![0]!["image"]!;
        Assert.Contains(bundle["relatedImages"]!.AsArray(), r => (string?)r!["image"] == image);
        Assert.Contains(bundle["relatedImages"]!.AsArray(), r => (string?)r!["image"] == (string?)bundle["image"]);
    }
}
