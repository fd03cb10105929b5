using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Api;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Registry;

/// <summary>
/// A minimal Docker Registry HTTP API v2 with Quay's token auth (docs/ARCHITECTURE.md): enough for the emulated
/// cluster's build runner to push with a robot's credentials and for ImageStreamImport to HEAD manifests.
/// Missing or insufficient grants are 401 UNAUTHORIZED with a challenge, as Quay answers.
/// </summary>
public static class RegistryEndpoints
{
    private const string ApiVersionHeader = "Docker-Distribution-API-Version";

    public static void Map(RouteTable routes)
    {
        routes.Add(RouteArea.Registry, "/v2/").Map("GET", Ping);
        routes.Add(RouteArea.Registry, "/v2/auth").Map("GET", TokenEndpoint.IssueToken);
        routes.Add(RouteArea.Registry, "/v2/{repository}/tags/list").Map("GET", TagListEndpoint.List);
        routes.Add(RouteArea.Registry, "/v2/{repository}/blobs/uploads/").Map("POST", StartUpload);
        routes.Add(RouteArea.Registry, "/v2/{repository}/blobs/uploads/{upload}").Map("PATCH", ContinueUpload).Map("PUT", FinishUpload);
        routes.Add(RouteArea.Registry, "/v2/{repository}/blobs/{digest}").Map("GET", GetBlob);
        routes.Add(RouteArea.Registry, "/v2/{repository}/manifests/{reference}").Map("GET", GetManifest).Map("PUT", PutManifest);
    }

    public static string Realm(ApiRequest request) => $"{request.Http.Request.Scheme}://{request.Http.Request.Host}/v2/auth";
    private static string Service(ApiRequest request) => request.Http.Request.Host.ToString();

    private static ApiResponse Ping(ApiRequest request)
    {
        if (BearerGrant(request) is null) throw RegistryErrors.Unauthorized(Realm(request), Service(request), scope: null);
        return ApiResponse.Ok(new JsonObject()).WithHeader(ApiVersionHeader, "registry/2.0");
    }

    private static RegistryGrant? BearerGrant(ApiRequest request)
    {
        var header = request.Http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? request.Core.RegistryTokens.Find(header[7..].Trim()) : null;
    }

    public static void RequireAccess(ApiRequest request, string repository, string action)
    {
        var grant = BearerGrant(request);
        if (grant is null || !grant.Allows(repository, action))
            throw RegistryErrors.Unauthorized(Realm(request), Service(request), $"repository:{repository}:{(action == "push" ? "push,pull" : "pull")}");
    }

    public static Repository RequireRepository(ApiRequest request, string repository)
    {
        var (ns, name) = Api.Endpoints.RepositoryEndpoints.SplitPath(repository);
        return request.Core.Store.FindRepository(ns, name)
            ?? throw RegistryErrors.Error(404, "NAME_UNKNOWN", "repository name not known to registry");
    }

    private static string Sha256Digest(ReadOnlySpan<byte> content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    private static ApiResponse StartUpload(ApiRequest request)
    {
        var repository = request["repository"];
        RequireAccess(request, repository, "push");
        var digest = request.Query("digest");
        if (digest is not null) return StoreBlob(request, repository, request.Body, digest);

        var id = request.Core.Uploads.Start(repository);
        var session = request.Core.Uploads.Find(id, repository)!;
        session.Content.Write(request.Body);
        return UploadProgress(repository, id, session);
    }

    private static ApiResponse ContinueUpload(ApiRequest request)
    {
        var repository = request["repository"];
        RequireAccess(request, repository, "push");
        var session = request.Core.Uploads.Find(request["upload"], repository)
            ?? throw RegistryErrors.Error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");
        lock (session) session.Content.Write(request.Body);
        return UploadProgress(repository, request["upload"], session);
    }

    private static ApiResponse FinishUpload(ApiRequest request)
    {
        var repository = request["repository"];
        RequireAccess(request, repository, "push");
        var session = request.Core.Uploads.Find(request["upload"], repository)
            ?? throw RegistryErrors.Error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry");
        var digest = request.Query("digest") ?? throw RegistryErrors.Error(400, "DIGEST_INVALID", "provided digest did not match uploaded content");
        byte[] content;
        lock (session)
        {
            session.Content.Write(request.Body);
            content = session.Content.ToArray();
        }
        var response = StoreBlob(request, repository, content, digest);
        request.Core.Uploads.Finish(request["upload"]);
        return response;
    }

    private static ApiResponse UploadProgress(string repository, string id, UploadSessions.Session session) =>
        ApiResponse.NoContentWithStatus(202)
            .WithHeader("Location", $"/v2/{repository}/blobs/uploads/{id}")
            .WithHeader("Range", $"0-{Math.Max(session.Content.Length - 1, 0)}")
            .WithHeader("Docker-Upload-UUID", id);

    private static ApiResponse StoreBlob(ApiRequest request, string repository, byte[] content, string digest)
    {
        if (!string.Equals(Sha256Digest(content), digest, StringComparison.Ordinal))
            throw RegistryErrors.Error(400, "DIGEST_INVALID", "provided digest did not match uploaded content");
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RequireRepository(request, repository);
            store.Blobs.TryAdd(digest, content);
            repo.Blobs.Add(digest);
        }
        return ApiResponse.NoContentWithStatus(201)
            .WithHeader("Location", $"/v2/{repository}/blobs/{digest}")
            .WithHeader("Docker-Content-Digest", digest);
    }

    private static ApiResponse GetBlob(ApiRequest request)
    {
        var repository = request["repository"];
        RequireAccess(request, repository, "pull");
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RequireRepository(request, repository);
            var digest = request["digest"];
            if (!repo.Blobs.Contains(digest) || !store.Blobs.TryGetValue(digest, out var content))
                throw RegistryErrors.Error(404, "BLOB_UNKNOWN", "blob unknown to registry");
            return ApiResponse.Raw(200, "application/octet-stream", content).WithHeader("Docker-Content-Digest", digest);
        }
    }

    private static ApiResponse GetManifest(ApiRequest request)
    {
        var repository = request["repository"];
        RequireAccess(request, repository, "pull");
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RequireRepository(request, repository);
            var reference = request["reference"];
            var digest = reference.Contains(':') ? reference : repo.ActiveTag(reference)?.ManifestDigest;
            if (digest is null || !repo.Manifests.TryGetValue(digest, out var manifest))
                throw RegistryErrors.Error(404, "MANIFEST_UNKNOWN", "manifest unknown");
            return ApiResponse.Raw(200, manifest.MediaType, manifest.Content)
                .WithHeader("Docker-Content-Digest", manifest.Digest)
                .WithHeader(ApiVersionHeader, "registry/2.0");
        }
    }

    /// <summary>Stores an image manifest or index; every blob (or child manifest) it references must already be in the repository.</summary>
    private static ApiResponse PutManifest(ApiRequest request)
    {
        var repository = request["repository"];
        RequireAccess(request, repository, "push");
        var reference = request["reference"];
        var isDigestReference = reference.Contains(':');
        if (!isDigestReference && !NameRules.IsValidTag(reference))
            throw RegistryErrors.Error(400, "TAG_INVALID", "manifest tag did not match URI");

        JsonObject manifestJson;
        try
        {
            manifestJson = JsonNode.Parse(request.Body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            throw RegistryErrors.Error(400, "MANIFEST_INVALID", "manifest invalid");
        }
        var mediaType = manifestJson["mediaType"]?.GetValue<string>()
            ?? request.Http.Request.ContentType?.Split(';')[0].Trim()
            ?? "application/vnd.oci.image.manifest.v1+json";
        var digest = Sha256Digest(request.Body);
        if (isDigestReference && reference != digest)
            throw RegistryErrors.Error(400, "DIGEST_INVALID", "provided digest did not match uploaded content");

        var isList = manifestJson["manifests"] is JsonArray;
        var references = isList
            ? ((JsonArray)manifestJson["manifests"]!).Select(m => m?["digest"]?.GetValue<string>()).ToList()
            : new[] { manifestJson["config"]?["digest"]?.GetValue<string>() }
                .Concat((manifestJson["layers"] as JsonArray ?? []).Select(l => l?["digest"]?.GetValue<string>())).ToList();
        var size = isList ? 0 : new[] { manifestJson["config"] }.Concat(manifestJson["layers"] as JsonArray ?? [])
            .Sum(n => n?["size"]?.GetValue<long>() ?? 0);

        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RequireRepository(request, repository);
            foreach (var referenced in references)
            {
                if (referenced is null) throw RegistryErrors.Error(400, "MANIFEST_INVALID", "manifest invalid");
                var known = isList ? repo.Manifests.ContainsKey(referenced) : repo.Blobs.Contains(referenced);
                if (!known)
                    throw isList
                        ? RegistryErrors.Error(400, "MANIFEST_UNKNOWN", "manifest unknown")
                        : RegistryErrors.Error(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry");
            }
            repo.Manifests[digest] = new StoredManifest(digest, mediaType, request.Body, size, isList);
            if (!isDigestReference)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                if (repo.ActiveTag(reference) is { } previous) previous.EndTs = now;
                repo.Tags.Add(new TagRecord { Name = reference, ManifestDigest = digest, Size = size, IsManifestList = isList, StartTs = now });
            }
        }
        return ApiResponse.NoContentWithStatus(201)
            .WithHeader("Location", $"/v2/{repository}/manifests/{digest}")
            .WithHeader("Docker-Content-Digest", digest);
    }
}
