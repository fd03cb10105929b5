using System.Text.Json.Nodes;

namespace QuayIntegration.BundleGenerator;

/// <summary>
/// The part of kustomize the bundle needs, read from the files: <c>resources</c> (files and directories with their
/// own kustomization.yaml) and <c>images</c> (newName, newTag, digest). Anything else in a kustomization read here
/// (patches, generators, a namespace) is refused with its name, since the bundle would silently differ from what
/// <c>kubectl kustomize</c> makes.
/// </summary>
public static class Kustomization
{
    private static readonly HashSet<string> Understood = ["apiVersion", "kind", "resources", "images"];

    public sealed record Resource(string File, JsonObject Body);

    public sealed record Image(string Name, string? NewName, string? NewTag, string? Digest)
    {
        public string Reference => (NewName ?? Name) + (Digest is { Length: > 0 } d ? "@" + d : NewTag is { Length: > 0 } t ? ":" + t : "");
    }

    public static (IReadOnlyList<Resource> Resources, IReadOnlyList<Image> Images) Load(string directory)
    {
        var path = Path.Combine(directory, "kustomization.yaml");
        if (!File.Exists(path)) throw new BundleException($"{directory} has no kustomization.yaml");
        var kustomization = Yaml.LoadSingle(path);
        foreach (var (key, _) in kustomization)
            if (!Understood.Contains(key))
                throw new BundleException($"{path}: '{key}' is not understood by the bundle generator (only resources and images are); " +
                    "keep such changes in an overlay, or teach hack/BundleGenerator what they mean");
        var resources = new List<Resource>();
        var images = new List<Image>();
        foreach (var entry in kustomization["resources"]?.AsArray() ?? [])
        {
            var target = Path.GetFullPath(Path.Combine(directory, (string?)entry ?? throw new BundleException($"{path}: an empty resource")));
            if (Directory.Exists(target))
            {
                var (nested, nestedImages) = Load(target);
                resources.AddRange(nested);
                images.AddRange(nestedImages);
            }
            else if (File.Exists(target))
            {
                resources.AddRange(Yaml.LoadDocuments(target).Select(d => new Resource(target, d)));
            }
            else
            {
                throw new BundleException($"{path}: resource {entry} does not exist");
            }
        }
        foreach (var image in kustomization["images"]?.AsArray() ?? [])
        {
            if (image is not JsonObject entry) throw new BundleException($"{path}: an image entry is not a mapping");
            images.Add(new Image((string?)entry["name"] ?? throw new BundleException($"{path}: an image without a name"),
                (string?)entry["newName"], (string?)entry["newTag"], (string?)entry["digest"]));
        }
        foreach (var r in resources) ApplyImages(r.Body, images);
        return (resources, images);
    }

    /// <summary>kustomize's image transformer on containers and initContainers of pod templates.</summary>
    private static void ApplyImages(JsonObject body, IReadOnlyList<Image> images)
    {
        if (body["spec"]?["template"]?["spec"] is not JsonObject pod) return;
        foreach (var list in new[] { "containers", "initContainers" })
        {
            foreach (var container in pod[list]?.AsArray() ?? [])
            {
                if (container?["image"] is not JsonValue value) continue;
                var reference = value.GetValue<string>();
                var name = reference.Split('@')[0];
                var colon = name.LastIndexOf(':');
                if (colon > name.LastIndexOf('/')) name = name[..colon];
                if (images.FirstOrDefault(i => i.Name == name) is { } image) container["image"] = image.Reference;
            }
        }
    }
}
