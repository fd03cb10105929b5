using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>
/// image.openshift.io/v1 ImageStreamImport, create-only. Queries the registry synchronously with the namespace's pull
/// secrets, answers 201 with per-image results (failures included), and with <c>spec.import</c> rewrites the target
/// stream's spec and status tags. <c>metadata.resourceVersion</c>/<c>uid</c> act as preconditions on the stream as
/// read when the request begins; the write that follows the registry's answers is made against that same read
/// (<see cref="ImageStreamTagUpdater"/>).
/// </summary>
public sealed class ImageStreamImportStrategy : ResourceStrategy
{
    public const string DockerRepositoryCheckAnnotation = "openshift.io/image.dockerRepositoryCheck";

    public override async Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        if (ctx.Verb != "create" || ctx.Subresource is not null)
            throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        var body = ResourceOperations.NormalizeIncoming(ctx, await RequestBody.ReadObjectAsync(ctx));
        var meta = body.Metadata();
        var name = meta.Str("name") ?? "";
        var bodyNs = meta.Str("namespace");
        if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ctx.Namespace)
            throw Errors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        var errors = new List<FieldError>();
        if (name.Length == 0) errors.Add(FieldError.Required("metadata.name", "name or generateName is required"));
        else if (NameRules.ValidateDns1123Subdomain(name) is { } problem) errors.Add(FieldError.Invalid("metadata.name", JsonValue.Create(name), problem));
        var images = body.At("spec", "images") as JsonArray ?? [];
        var repository = body.At("spec", "repository") as JsonObject;
        if (images.Count == 0 && repository is null)
            errors.Add(FieldError.Required("spec", "you must specify at least one image or a repository import"));
        for (var i = 0; i < images.Count; i++)
        {
            if (images[i].At("from", "kind").AsString() != "DockerImage")
                errors.Add(FieldError.Invalid($"spec.images[{i}].from.kind", images[i].At("from", "kind")?.DeepClone(), "only DockerImage is supported"));
            else if (RegistryClientParse(images[i].At("from", "name").AsString()) is null)
                errors.Add(FieldError.Invalid($"spec.images[{i}].from.name", images[i].At("from", "name")?.DeepClone(), "invalid reference format"));
        }
        if (errors.Count > 0) throw ctx.Type.Invalid(name, errors);
        NamespaceGuard.EnsureAcceptsNewContent(ctx.Server, ctx.Namespace!, ctx.Type, name);

        var streams = ctx.Server.Registry.Find("image.openshift.io", "v1", "imagestreams")!;
        var stream = ctx.Server.Store.Get(streams.StorageKey, ctx.Namespace, name);
        var expectedVersion = meta.Str("resourceVersion");
        var expectedUid = meta.Str("uid");
        if (stream is null && (!string.IsNullOrEmpty(expectedVersion) || !string.IsNullOrEmpty(expectedUid))) throw streams.NotFound(name);
        if (stream is not null && !string.IsNullOrEmpty(expectedVersion) && expectedVersion != stream.At("metadata", "resourceVersion").AsString())
            throw Errors.Conflict(ctx.Type.QualifiedResource, name, ctx.Type.Group, ctx.Type.Plural,
                $"the image stream was updated from \"{expectedVersion}\" to \"{stream.At("metadata", "resourceVersion").AsString()}\"");
        // Another stream of that name (deleted and made again) is not the one named: 404, as for a missing one.
        if (stream is not null && !string.IsNullOrEmpty(expectedUid) && expectedUid != stream.At("metadata", "uid").AsString())
            throw streams.NotFound(name);

        var results = new List<ImportResult>();
        foreach (var image in images.OfType<JsonObject>()) results.Add(await ImportAsync(ctx, image));
        var repositoryResults = repository is null ? null : await ImportRepositoryAsync(ctx, repository);

        var status = new JsonObject();
        var statusImages = new JsonArray();
        foreach (var r in results) statusImages.Add(r.ToStatus());
        if (images.Count > 0) status["images"] = statusImages;
        if (repositoryResults is not null)
        {
            var repoImages = new JsonArray();
            foreach (var r in repositoryResults) repoImages.Add(r.ToStatus());
            status["repository"] = new JsonObject { ["status"] = new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 200 }, ["images"] = repoImages };
        }

        if (body.At("spec").Bool("import") && !ctx.DryRun)
        {
            var all = results.Concat(repositoryResults ?? []).ToList();
            status["import"] = await ImageStreamTagUpdater.ApplyAsync(ctx, streams, name, stream, all);
        }
        var response = body.Clone();
        var responseMeta = response.Metadata();
        responseMeta["namespace"] = ctx.Namespace;
        responseMeta["creationTimestamp"] = Json.Now();
        response["status"] = status;
        return new ApiResult(201, response);
    }

    private static (string, string, string)? RegistryClientParse(string? spec) =>
        spec is null ? null : Hosting.RegistryClient.ParsePullSpec(spec);

    private static async Task<ImportResult> ImportAsync(RequestContext ctx, JsonObject image)
    {
        var from = image.At("from", "name").AsString()!;
        var (registry, repository, reference) = Hosting.RegistryClient.ParsePullSpec(from)!.Value;
        var tag = image.At("to", "name").AsString() ?? (reference.StartsWith("sha256:", StringComparison.Ordinal) ? "latest" : reference);
        var insecure = image.At("importPolicy").Bool("insecure");
        var credentials = RegistryCredentialLookup.Find(ctx.Server, ctx.Namespace!, registry, repository);
        var lookup = await ctx.Server.RegistryClient.ResolveAsync(registry, repository, reference, credentials, insecure, ctx.Server.Stopping);
        return new ImportResult(tag, from, $"{registry}/{repository}", lookup, image["importPolicy"]?.DeepClone() as JsonObject, image["referencePolicy"]?.DeepClone() as JsonObject);
    }

    private static async Task<List<ImportResult>> ImportRepositoryAsync(RequestContext ctx, JsonObject repository)
    {
        // Importing a whole repository would need the registry's tag list; the emulator imports the "latest" tag of it.
        var from = repository.At("from", "name").AsString() ?? "";
        var image = new JsonObject
        {
            ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = from.Contains(':') && !from.Contains('/') ? from : from + ":latest" },
            ["importPolicy"] = repository["importPolicy"]?.DeepClone(),
            ["referencePolicy"] = repository["referencePolicy"]?.DeepClone(),
        };
        return [await ImportAsync(ctx, image)];
    }
}

/// <summary>The outcome of importing one image into one tag.</summary>
public sealed record ImportResult(string Tag, string From, string Repository, Hosting.ManifestLookup Lookup, JsonObject? ImportPolicy, JsonObject? ReferencePolicy)
{
    public string? DockerImageReference => Lookup.Success ? $"{Repository}@{Lookup.Digest}" : null;

    public JsonObject ToStatus()
    {
        var status = Lookup.Success
            ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 200 }
            : new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = Lookup.Message, ["reason"] = Lookup.Reason, ["code"] = Lookup.Code };
        var result = new JsonObject { ["status"] = status, ["tag"] = Tag };
        if (Lookup.Success)
            result["image"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = Lookup.Digest, ["creationTimestamp"] = Json.Now() },
                ["dockerImageReference"] = DockerImageReference,
                ["dockerImageManifestMediaType"] = Lookup.MediaType,
            };
        return result;
    }
}
