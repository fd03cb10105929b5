using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayIntegration.BundleGenerator;

/// <summary>
/// The OLM registry+v1 bundle and the file-based catalog, made from deploy/ (what is installed) and
/// hack/bundle/csv-base.yaml (what only a person can write: words, icon, feature claims). Every file is returned as
/// the exact bytes to commit, keyed by its path from the repository root.
/// </summary>
public static partial class Bundle
{
    /// <summary>Where OLM mounts the webhook certificate it issues (apiserver.crt/apiserver.key) into the operator's containers.</summary>
    public const string OlmCertificateDirectory = "/apiserver.local.config/certificates";
    public const string ManifestsDirectory = "bundle/manifests";
    public const string MetadataDirectory = "bundle/metadata";
    public const string CatalogDirectory = "catalog";

    /// <summary>Webhook fields a WebhookDescription carries as they are; anything else on a webhook is refused.</summary>
    private static readonly string[] CarriedWebhookFields =
        ["admissionReviewVersions", "rules", "failurePolicy", "matchPolicy", "objectSelector", "sideEffects", "timeoutSeconds", "reinvocationPolicy"];

    private static readonly HashSet<string> BundleObjectKinds =
    [
        "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "ConfigMap", "Secret", "ServiceMonitor", "PrometheusRule",
        "PodDisruptionBudget", "PriorityClass", "VerticalPodAutoscaler",
    ];

    /// <summary>
    /// Kinds deploy/ has that the bundle leaves to kustomize: OLM installs a bundle's NetworkPolicy only from
    /// operator-registry 1.55 (OpenShift 4.20) on, older catalogs fail the whole InstallPlan on it, and the bundle
    /// claims every cluster from Kubernetes 1.25 (OpenShift 4.12).
    /// </summary>
    private static readonly HashSet<string> KustomizeOnlyKinds = ["NetworkPolicy"];

    private static readonly string[] FeatureNames =
        ["disconnected", "fips-compliant", "proxy-aware", "tls-profiles", "token-auth-aws", "token-auth-azure", "token-auth-gcp", "cnf", "cni", "csi"];

    private static readonly string[] CapabilityLevels = ["Basic Install", "Seamless Upgrades", "Full Lifecycle", "Deep Insights", "Auto Pilot"];

    public static SortedDictionary<string, byte[]> Generate(string root)
    {
        var meta = Yaml.LoadSingle(Path.Combine(root, "hack", "bundle", "csv-base.yaml"));
        var (resources, images) = Kustomization.Load(Path.Combine(root, "deploy", "base"));
        var (monitoring, _) = Kustomization.Load(Path.Combine(root, "deploy", "monitoring"));
        var scraperBinding = Path.Combine(root, "deploy", "overlays", "openshift", "metrics_reader_binding.yaml");
        var all = resources.Concat(monitoring).Concat(Yaml.LoadDocuments(scraperBinding).Select(d => new Kustomization.Resource(scraperBinding, d))).ToList();

        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var package = Str(meta, "packageName");
        var channel = Str(meta, "channel");

        // The operator: its Deployment, image and version.
        var deployment = Single(all, "Deployment");
        var pod = deployment.Body["spec"]?["template"]?["spec"] as JsonObject ?? throw new BundleException("the Deployment has no pod template");
        var serviceAccount = (string?)pod["serviceAccountName"] ?? throw new BundleException("the Deployment names no serviceAccountName");
        var containerImages = pod["containers"]!.AsArray().Select(c => (string)c!["image"]!).ToList();
        var operatorImage = images.Count == 1 ? images[0] : throw new BundleException("deploy/base/kustomization.yaml must set exactly one image (the operator's)");
        var version = operatorImage.NewTag ?? throw new BundleException("deploy/base/kustomization.yaml images: the operator image needs a newTag (the release version)");
        if (!SemVer().IsMatch(version)) throw new BundleException($"the operator image's tag '{version}' is not a version (x.y.z): the bundle's version is that tag");
        var csvName = $"{package}.v{version}";
        var digestPinned = operatorImage.Digest is { Length: > 0 };

        // The API: CRDs copied byte for byte.
        var owned = new JsonArray();
        var crdsByName = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var crd in all.Where(r => Kind(r) == "CustomResourceDefinition"))
        {
            if (Yaml.LoadDocuments(crd.File).Count != 1) throw new BundleException($"{crd.File}: a CRD file must hold only that CRD (it is copied as it is)");
            files[$"{ManifestsDirectory}/{Path.GetFileName(crd.File)}"] = File.ReadAllBytes(crd.File);
            var name = Name(crd);
            crdsByName[name] = crd.Body;
            owned.Add(OwnedCrd(crd.Body, meta["crds"]?[name] as JsonObject ?? throw new BundleException($"hack/bundle/csv-base.yaml: crds has no entry for {name}")));
        }

        // Permissions: the rules bound to the operator's service account, as deploy/base/rbac.yaml grants them.
        var (clusterRules, namespacedRules, rbacUsed) = Permissions(all, serviceAccount);

        // The webhook: the Service it names is OLM's to make, its certificate OLM's to issue.
        var webhookConfig = Single(all, "MutatingWebhookConfiguration");
        var (webhookDefinitions, webhookService) = WebhookDefinitions(webhookConfig, all, Name(deployment), pod, meta);

        // Everything else OLM can install next to the operator, without its namespace (OLM's install namespace).
        foreach (var r in all)
        {
            var kind = Kind(r);
            if (kind is "CustomResourceDefinition" or "Deployment" or "MutatingWebhookConfiguration" or "Namespace" || rbacUsed.Contains(r)) continue;
            if (kind == "ServiceAccount" && Name(r) == serviceAccount) continue;
            if (kind == "Service" && Name(r) == webhookService) continue;
            if (KustomizeOnlyKinds.Contains(kind)) continue;
            if (!BundleObjectKinds.Contains(kind)) throw new BundleException($"{r.File}: OLM cannot install a {kind} from a bundle");
            var body = r.Body.DeepClone().AsObject();
            (body["metadata"] as JsonObject)?.Remove("namespace");
            var group = ((string)body["apiVersion"]!).Contains('/', StringComparison.Ordinal) ? ((string)body["apiVersion"]!).Replace('/', '_') : "v1";
            files[$"{ManifestsDirectory}/{Name(r)}_{group}_{kind.ToLowerInvariant()}.yaml"] = Utf8(Yaml.Write(body));
        }

        var csv = new JsonObject
        {
            ["apiVersion"] = "operators.coreos.com/v1alpha1",
            ["kind"] = "ClusterServiceVersion",
            ["metadata"] = new JsonObject
            {
                ["name"] = csvName,
                ["annotations"] = CsvAnnotations(meta, root, crdsByName, operatorImage.Reference, digestPinned, version),
                ["labels"] = new JsonObject((meta["architectures"]?.AsArray() ?? []).Select(a => KeyValuePair.Create<string, JsonNode?>($"operatorframework.io/arch.{a}", "supported"))
                    .Append(KeyValuePair.Create<string, JsonNode?>("operatorframework.io/os.linux", "supported"))),
            },
            ["spec"] = new JsonObject
            {
                ["displayName"] = Str(meta, "displayName"),
                ["description"] = Str(meta, "description"),
                ["version"] = version,
                ["maturity"] = Str(meta, "maturity"),
                ["minKubeVersion"] = Str(meta, "minKubeVersion"),
                ["provider"] = new JsonObject { ["name"] = Str(meta, "provider") },
                ["maintainers"] = meta["maintainers"]!.DeepClone(),
                ["links"] = meta["links"]!.DeepClone(),
                ["keywords"] = meta["keywords"]!.DeepClone(),
                ["icon"] = new JsonArray(Icon(root, meta)),
                ["installModes"] = new JsonArray(
                    InstallMode("OwnNamespace", false), InstallMode("SingleNamespace", false), InstallMode("MultiNamespace", false), InstallMode("AllNamespaces", true)),
                ["customresourcedefinitions"] = new JsonObject { ["owned"] = owned },
                ["install"] = new JsonObject
                {
                    ["strategy"] = "deployment",
                    ["spec"] = new JsonObject
                    {
                        ["clusterPermissions"] = new JsonArray(new JsonObject { ["serviceAccountName"] = serviceAccount, ["rules"] = clusterRules }),
                        ["permissions"] = new JsonArray(new JsonObject { ["serviceAccountName"] = serviceAccount, ["rules"] = namespacedRules }),
                        ["deployments"] = new JsonArray(new JsonObject
                        {
                            ["name"] = Name(deployment),
                            ["label"] = deployment.Body["metadata"]?["labels"]?.DeepClone(),
                            ["spec"] = OlmDeploymentSpec(deployment.Body),
                        }),
                    },
                },
                ["webhookdefinitions"] = webhookDefinitions,
                ["relatedImages"] = new JsonArray(containerImages.Distinct(StringComparer.Ordinal)
                    .Select((image, i) => (JsonNode)new JsonObject { ["name"] = i == 0 ? "operator" : $"image-{i}", ["image"] = image }).ToArray()),
            },
        };
        files[$"{ManifestsDirectory}/{package}.clusterserviceversion.yaml"] = Utf8(Yaml.Write(csv));

        var bundleLabels = new JsonObject
        {
            ["operators.operatorframework.io.bundle.mediatype.v1"] = "registry+v1",
            ["operators.operatorframework.io.bundle.manifests.v1"] = "manifests/",
            ["operators.operatorframework.io.bundle.metadata.v1"] = "metadata/",
            ["operators.operatorframework.io.bundle.package.v1"] = package,
            ["operators.operatorframework.io.bundle.channels.v1"] = channel,
            ["operators.operatorframework.io.bundle.channel.default.v1"] = channel,
        };
        files[$"{MetadataDirectory}/annotations.yaml"] = Utf8(Generated + Yaml.Write(new JsonObject { ["annotations"] = bundleLabels.DeepClone() }));
        var dockerfile = new StringBuilder(Generated).Append("FROM scratch\n\n");
        foreach (var (key, value) in bundleLabels) dockerfile.Append("LABEL ").Append(key).Append('=').Append((string?)value).Append('\n');
        dockerfile.Append("\nCOPY bundle/manifests /manifests/\nCOPY bundle/metadata /metadata/\n");
        files["bundle.Dockerfile"] = Utf8(dockerfile.ToString());

        files[$"{CatalogDirectory}/{package}/catalog.yaml"] = Utf8(Generated + Catalog(meta, root, csvName, version, owned, csv, containerImages));
        return files;
    }

    private const string Generated = "# Generated by hack/generate-bundle.sh from deploy/ and hack/bundle/; do not edit.\n";

    /// <summary>What differs between <paramref name="files"/> and the repository: changed, missing and stale files.</summary>
    public static IReadOnlyList<string> Differences(string root, IReadOnlyDictionary<string, byte[]> files)
    {
        var differences = new List<string>();
        foreach (var (path, bytes) in files)
        {
            var full = Path.Combine(root, path);
            if (!File.Exists(full)) differences.Add($"{path}: missing (the generator makes it)");
            else if (!File.ReadAllBytes(full).AsSpan().SequenceEqual(bytes)) differences.Add($"{path}: differs from what the generator makes");
        }
        foreach (var stale in OwnedFiles(root).Where(p => !files.ContainsKey(p))) differences.Add($"{stale}: not made by the generator (stale)");
        return differences;
    }

    public static void Write(string root, IReadOnlyDictionary<string, byte[]> files)
    {
        foreach (var stale in OwnedFiles(root).Where(p => !files.ContainsKey(p))) File.Delete(Path.Combine(root, stale));
        foreach (var (path, bytes) in files)
        {
            var full = Path.Combine(root, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, bytes);
        }
    }

    /// <summary>Files under the generator's directories (bundle/, catalog/), relative to the root with '/'.</summary>
    private static IEnumerable<string> OwnedFiles(string root) =>
        new[] { "bundle", CatalogDirectory }.Select(d => Path.Combine(root, d)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'));

    private static JsonObject CsvAnnotations(JsonObject meta, string root, Dictionary<string, JsonObject> crds, string image, bool digestPinned, string version)
    {
        var annotations = new JsonObject
        {
            ["alm-examples"] = AlmExamples(root, crds),
            ["capabilities"] = CapabilityLevels.Contains(Str(meta, "capabilities"))
                ? Str(meta, "capabilities") : throw new BundleException($"capabilities must be one of {string.Join(", ", CapabilityLevels)}"),
            ["categories"] = Str(meta, "categories"),
            ["containerImage"] = image,
            ["description"] = Str(meta, "summary"),
            ["operatorframework.io/suggested-namespace"] = Str(meta, "suggestedNamespace"),
            // The console offers to label the suggested namespace for the cluster monitoring stack (for openshift-*
            // namespaces only), which then scrapes the ServiceMonitor and evaluates the PrometheusRule of the bundle.
            ["operatorframework.io/cluster-monitoring"] = "true",
        };
        // Every earlier version upgrades straight to this one, whether or not the catalog still lists it: the catalog
        // keeps one bundle per channel, so without the range an installed older version would have no upgrade edge.
        if (version != "0.0.0") annotations["olm.skipRange"] = $"<{version}";
        var features = meta["features"] as JsonObject ?? throw new BundleException("hack/bundle/csv-base.yaml: features is missing");
        if (features.ContainsKey("disconnected"))
            throw new BundleException("hack/bundle/csv-base.yaml: features.disconnected is derived (true once the operator image is pinned by digest), not written");
        foreach (var feature in FeatureNames)
        {
            var value = feature == "disconnected" ? (digestPinned ? "true" : "false") : (string?)features[feature]
                ?? throw new BundleException($"hack/bundle/csv-base.yaml: features.{feature} must say \"true\" or \"false\"");
            if (value is not ("true" or "false")) throw new BundleException($"features.{feature} must be \"true\" or \"false\", not {value}");
            annotations[$"features.operators.openshift.io/{feature}"] = value;
        }
        var internalObjects = crds.Keys.Where(k => (bool?)meta["crds"]?[k]?["internal"] == true).ToList();
        if (internalObjects.Count > 0)
            annotations["operators.operatorframework.io/internal-objects"] = JsonSerializer.Serialize(internalObjects);
        return annotations;
    }

    /// <summary>Every object in deploy/samples of a kind the bundle owns, as OLM's alm-examples JSON.</summary>
    private static string AlmExamples(string root, Dictionary<string, JsonObject> crds)
    {
        var kinds = crds.Values.Select(c => ((string)c["spec"]!["group"]!, (string)c["spec"]!["names"]!["kind"]!)).ToHashSet();
        var examples = new JsonArray();
        foreach (var file in Directory.GetFiles(Path.Combine(root, "deploy", "samples"), "*.yaml").Order(StringComparer.Ordinal))
            foreach (var doc in Yaml.LoadDocuments(file))
                if (kinds.Contains((((string?)doc["apiVersion"])?.Split('/')[0] ?? "", (string?)doc["kind"] ?? ""))) examples.Add(doc.DeepClone());
        if (examples.Count == 0) throw new BundleException("deploy/samples holds no example of the bundle's kinds (alm-examples)");
        return examples.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject Icon(string root, JsonObject meta)
    {
        var path = Path.Combine(root, "hack", "bundle", Str(meta, "iconFile"));
        var mediatype = Path.GetExtension(path) switch
        {
            ".svg" => "image/svg+xml",
            ".png" => "image/png",
            var other => throw new BundleException($"icon {path}: {other} is not an icon type OLM shows (svg, png)"),
        };
        return new JsonObject { ["base64data"] = Convert.ToBase64String(File.ReadAllBytes(path)), ["mediatype"] = mediatype };
    }

    private static JsonObject InstallMode(string type, bool supported) => new() { ["type"] = type, ["supported"] = supported };

    /// <summary>
    /// The ClusterRole and Role rules bound to the service account, copied rule by rule, and the objects that held
    /// them (OLM makes its own roles and bindings from the CSV, so those are not bundle objects).
    /// </summary>
    private static (JsonArray Cluster, JsonArray Namespaced, HashSet<Kustomization.Resource> Used) Permissions(
        IReadOnlyList<Kustomization.Resource> all, string serviceAccount)
    {
        var cluster = new JsonArray();
        var namespaced = new JsonArray();
        var used = new HashSet<Kustomization.Resource>();
        foreach (var binding in all.Where(r => Kind(r) is "ClusterRoleBinding" or "RoleBinding"))
        {
            var subjects = binding.Body["subjects"]?.AsArray() ?? [];
            if (!subjects.Any(s => (string?)s?["kind"] == "ServiceAccount" && (string?)s["name"] == serviceAccount)) continue;
            if (subjects.Count != 1) throw new BundleException($"{binding.File}: {Name(binding)} binds the operator together with others; OLM binds only the operator");
            var roleKind = (string)binding.Body["roleRef"]!["kind"]!;
            var roleName = (string)binding.Body["roleRef"]!["name"]!;
            var role = all.SingleOrDefault(r => Kind(r) == roleKind && Name(r) == roleName)
                ?? throw new BundleException($"{binding.File}: {Name(binding)} refers to {roleKind} {roleName}, which deploy/ does not define");
            if (Kind(binding) == "RoleBinding" && roleKind != "Role")
                throw new BundleException($"{binding.File}: a RoleBinding of a ClusterRole cannot be expressed in a CSV");
            var target = Kind(binding) == "ClusterRoleBinding" ? cluster : namespaced;
            foreach (var rule in role.Body["rules"]?.AsArray() ?? []) target.Add(rule!.DeepClone());
            used.Add(binding);
            used.Add(role);
        }
        if (cluster.Count == 0 && namespaced.Count == 0) throw new BundleException($"no role in deploy/ is bound to ServiceAccount {serviceAccount}");
        return (cluster, namespaced, used);
    }

    private static (JsonArray Definitions, string Service) WebhookDefinitions(Kustomization.Resource config, IReadOnlyList<Kustomization.Resource> all,
        string deploymentName, JsonObject pod, JsonObject meta)
    {
        var definitions = new JsonArray();
        string? serviceName = null;
        foreach (var webhook in config.Body["webhooks"]?.AsArray() ?? [])
        {
            var w = webhook!.AsObject();
            var service = w["clientConfig"]?["service"] as JsonObject
                ?? throw new BundleException($"{config.File}: webhook {(string?)w["name"]} calls a URL; OLM only serves webhooks through the operator's Service");
            serviceName = (string)service["name"]!;
            var port = Int(service["port"]) ?? 443;
            var svc = all.SingleOrDefault(r => Kind(r) == "Service" && Name(r) == serviceName)
                ?? throw new BundleException($"{config.File}: webhook Service {serviceName} is not in deploy/");
            var servicePort = svc.Body["spec"]!["ports"]!.AsArray().SingleOrDefault(p => Int(p!["port"]) == port)
                ?? throw new BundleException($"{svc.File}: Service {serviceName} has no port {port}");
            var targetPort = ContainerPort(pod, servicePort["targetPort"] ?? servicePort["port"]);
            var definition = new JsonObject
            {
                ["type"] = "MutatingAdmissionWebhook",
                ["generateName"] = (string)w["name"]!,
                ["deploymentName"] = deploymentName,
                ["containerPort"] = port,
                ["targetPort"] = targetPort,
                ["webhookPath"] = (string?)service["path"] ?? "/",
            };
            foreach (var field in CarriedWebhookFields)
                if (w[field] is { } value) definition[field] = value.DeepClone();
            foreach (var (field, _) in w)
            {
                if (field is "name" or "clientConfig" || CarriedWebhookFields.Contains(field)) continue;
                if (field == "namespaceSelector")
                {
                    // OLM's WebhookDescription has no namespace selector: OLM sets it from the OperatorGroup. The CSV's
                    // description must tell users what that changes.
                    if (!Str(meta, "description").Contains("### Webhook scope under OLM", StringComparison.Ordinal))
                        throw new BundleException("the webhook's namespaceSelector cannot be carried into a CSV (OLM sets it from the OperatorGroup): " +
                            "hack/bundle/csv-base.yaml's description must say so under a '### Webhook scope under OLM' heading");
                    continue;
                }
                throw new BundleException($"{config.File}: webhook field {field} has no place in an OLM webhook definition");
            }
            definitions.Add(definition);
        }
        return (definitions, serviceName ?? throw new BundleException($"{config.File} has no webhook"));
    }

    /// <summary>A Service's targetPort as the container's port number (a name is looked up in the pod's containers).</summary>
    private static int ContainerPort(JsonObject pod, JsonNode? targetPort)
    {
        if (targetPort is JsonValue v && v.TryGetValue<long>(out var number)) return (int)number;
        var name = (string?)targetPort ?? throw new BundleException("a webhook Service port without a targetPort");
        foreach (var container in pod["containers"]!.AsArray())
            foreach (var p in container!["ports"]?.AsArray() ?? [])
                if ((string?)p!["name"] == name) return Int(p["containerPort"]) ?? throw new BundleException($"container port {name} has no number");
        throw new BundleException($"no container of the Deployment has a port named {name}");
    }

    /// <summary>
    /// The Deployment's spec as OLM is to create it: OLM mounts the webhook certificate it issues at
    /// <see cref="OlmCertificateDirectory"/> itself, so the volume deploy/ mounts there (the Secret of the other
    /// certificate modes) is left out; everything else is as deploy/ has it.
    /// </summary>
    private static JsonObject OlmDeploymentSpec(JsonObject deployment)
    {
        var spec = deployment["spec"]!.DeepClone().AsObject();
        var pod = spec["template"]!["spec"]!.AsObject();
        var removed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var container in pod["containers"]!.AsArray())
        {
            if (container!["volumeMounts"] is not JsonArray mounts) continue;
            foreach (var mount in mounts.Where(m => (string?)m!["mountPath"] == OlmCertificateDirectory).ToList())
            {
                removed.Add((string)mount!["name"]!);
                mounts.Remove(mount);
            }
        }
        if (pod["volumes"] is JsonArray volumes)
            foreach (var volume in volumes.Where(v => removed.Contains((string)v!["name"]!)).ToList()) volumes.Remove(volume);
        return spec;
    }

    private static JsonObject OwnedCrd(JsonObject crd, JsonObject words)
    {
        var spec = crd["spec"]!;
        var version = spec["versions"]!.AsArray().Single(v => (bool?)v!["storage"] == true)!;
        var schema = version["schema"]?["openAPIV3Schema"] ?? throw new BundleException($"{Name(crd)}: no schema");
        var displayNames = words["displayNames"] as JsonObject ?? [];
        var owned = new JsonObject
        {
            ["name"] = (string)crd["metadata"]!["name"]!,
            ["version"] = (string)version["name"]!,
            ["kind"] = (string)spec["names"]!["kind"]!,
            ["displayName"] = Str(words, "displayName"),
            ["description"] = Str(words, "description"),
            ["resources"] = new JsonArray((words["resources"]?.AsArray() ?? []).Select(r => (JsonNode)new JsonObject
            {
                ["kind"] = (string)r!["kind"]!, ["name"] = "", ["version"] = (string)r["version"]!,
            }).ToArray()),
            ["specDescriptors"] = new JsonArray(Descriptors(schema["properties"]?["spec"]?["properties"] as JsonObject, "", null, displayNames, status: false).ToArray()),
            ["statusDescriptors"] = new JsonArray(Descriptors(schema["properties"]?["status"]?["properties"] as JsonObject, "", null, displayNames, status: true).ToArray()),
        };
        return owned;
    }

    private static JsonObject Name_(string name) => new() { ["name"] = name };

    /// <summary>
    /// One descriptor per field of the schema, so the console's form and details page cover every field, a new one
    /// included: x-descriptors from the field's type (switch, select of the enum, number, text), fields of an object
    /// in a fieldGroup and of a list of objects in an arrayFieldGroup; conditions as conditions.
    /// </summary>
    private static IEnumerable<JsonNode> Descriptors(JsonObject? properties, string prefix, string? group, JsonObject displayNames, bool status)
    {
        if (properties is null) yield break;
        foreach (var (name, node) in properties)
        {
            var schema = node!.AsObject();
            var type = (string?)schema["type"];
            var path = prefix + name;
            if (status && name == "conditions")
            {
                yield return Descriptor(path, "Conditions", "The conditions of the resource.", ["urn:alm:descriptor:io.kubernetes.conditions"]);
                continue;
            }
            if (!status && type == "object" && schema["properties"] is JsonObject children && group is null)
            {
                foreach (var d in Descriptors(children, path + ".", $"urn:alm:descriptor:com.tectonic.ui:fieldGroup:{name}", displayNames, status)) yield return d;
                continue;
            }
            if (!status && type == "array" && schema["items"]?["properties"] is JsonObject itemProps && group is null)
            {
                foreach (var d in Descriptors(itemProps, path + "[0].", $"urn:alm:descriptor:com.tectonic.ui:arrayFieldGroup:{name}", displayNames, status)) yield return d;
                continue;
            }
            var x = new List<string>();
            if (group is not null) x.Add(group);
            if (status)
            {
                if (type is "string" or "integer" or "boolean") x.Add("urn:alm:descriptor:text");
            }
            else if (type == "boolean") x.Add("urn:alm:descriptor:com.tectonic.ui:booleanSwitch");
            else if (type == "string" && schema["enum"] is JsonArray values) x.AddRange(values.Select(v => $"urn:alm:descriptor:com.tectonic.ui:select:{(string?)v}"));
            else if (type == "integer") x.Add("urn:alm:descriptor:com.tectonic.ui:number");
            else if (type == "string") x.Add("urn:alm:descriptor:com.tectonic.ui:text");
            var display = (string?)displayNames[name] ?? Humanize(name);
            yield return Descriptor(path, display, (string?)schema["description"], x);
        }
    }

    private static JsonObject Descriptor(string path, string displayName, string? description, List<string> x)
    {
        var d = new JsonObject { ["path"] = path, ["displayName"] = displayName };
        if (description is { Length: > 0 }) d["description"] = description;
        if (x.Count > 0) d["x-descriptors"] = new JsonArray(x.Select(s => (JsonNode)JsonValue.Create(s)).ToArray());
        return d;
    }

    /// <summary><c>quayHostname</c> → <c>Quay Hostname</c>.</summary>
    private static string Humanize(string name)
    {
        var spaced = WordBoundary().Replace(name, " ");
        return spaced.Length == 0 ? spaced : char.ToUpperInvariant(spaced[0]) + spaced[1..];
    }

    private static string Catalog(JsonObject meta, string root, string csvName, string version, JsonArray owned, JsonObject csv, IReadOnlyList<string> images)
    {
        var package = Str(meta, "packageName");
        var bundleImage = $"{Str(meta, "bundleImage")}:{version}";
        var documents = new List<JsonObject>
        {
            new()
            {
                ["schema"] = "olm.package",
                ["name"] = package,
                ["defaultChannel"] = Str(meta, "channel"),
                ["description"] = Str(meta, "summary"),
                ["icon"] = Icon(root, meta),
            },
            new()
            {
                ["schema"] = "olm.channel",
                ["package"] = package,
                ["name"] = Str(meta, "channel"),
                ["entries"] = new JsonArray(Name_(csvName)),
            },
        };
        var properties = new JsonArray(new JsonObject { ["type"] = "olm.package", ["value"] = new JsonObject { ["packageName"] = package, ["version"] = version } });
        foreach (var crd in owned)
        {
            var name = (string)crd!["name"]!;
            properties.Add(new JsonObject
            {
                ["type"] = "olm.gvk",
                ["value"] = new JsonObject { ["group"] = name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..], ["kind"] = (string)crd["kind"]!, ["version"] = (string)crd["version"]! },
            });
        }
        var spec = csv["spec"]!;
        properties.Add(new JsonObject
        {
            ["type"] = "olm.csv.metadata",
            ["value"] = new JsonObject
            {
                ["annotations"] = csv["metadata"]!["annotations"]!.DeepClone(),
                ["crdDescriptions"] = new JsonObject { ["owned"] = owned.DeepClone() },
                ["description"] = spec["description"]!.DeepClone(),
                ["displayName"] = spec["displayName"]!.DeepClone(),
                ["installModes"] = spec["installModes"]!.DeepClone(),
                ["keywords"] = spec["keywords"]!.DeepClone(),
                ["labels"] = csv["metadata"]!["labels"]!.DeepClone(),
                ["links"] = spec["links"]!.DeepClone(),
                ["maintainers"] = spec["maintainers"]!.DeepClone(),
                ["maturity"] = spec["maturity"]!.DeepClone(),
                ["minKubeVersion"] = spec["minKubeVersion"]!.DeepClone(),
                ["provider"] = spec["provider"]!.DeepClone(),
            },
        });
        documents.Add(new JsonObject
        {
            ["schema"] = "olm.bundle",
            ["name"] = csvName,
            ["package"] = package,
            ["image"] = bundleImage,
            ["properties"] = properties,
            ["relatedImages"] = new JsonArray(
                new[] { new JsonObject { ["name"] = "bundle", ["image"] = bundleImage } }
                    .Concat(images.Distinct(StringComparer.Ordinal).Select((image, i) => new JsonObject { ["name"] = i == 0 ? "operator" : $"image-{i}", ["image"] = image }))
                    .Select(o => (JsonNode)o).ToArray()),
        });
        return string.Concat(documents.Select(d => "---\n" + Yaml.Write(d)));
    }

    private static Kustomization.Resource Single(IReadOnlyList<Kustomization.Resource> all, string kind) =>
        all.Where(r => Kind(r) == kind).ToList() is [var only] ? only : throw new BundleException($"deploy/ must hold exactly one {kind}");

    private static string Kind(Kustomization.Resource r) => (string?)r.Body["kind"] ?? "";
    private static string Name(Kustomization.Resource r) => Name(r.Body);
    private static string Name(JsonObject body) => (string?)body["metadata"]?["name"] ?? throw new BundleException("an object without metadata.name");

    private static string Str(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : throw new BundleException($"hack/bundle/csv-base.yaml: {key} must be a non-empty string");

    private static int? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? (int)l : null;

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [GeneratedRegex(@"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$")]
    private static partial Regex SemVer();

    [GeneratedRegex(@"(?<=[a-z0-9])(?=[A-Z])")]
    private static partial Regex WordBoundary();
}
