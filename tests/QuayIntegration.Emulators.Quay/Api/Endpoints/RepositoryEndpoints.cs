using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary><c>endpoints/api/repository.py</c>: create, list, get, update (the description) and delete repositories.</summary>
public static class RepositoryEndpoints
{
    private static readonly string[] Visibilities = ["public", "private"];

    public static void Map(RouteTable routes)
    {
        routes.Add(RouteArea.QuayApi, "/api/v1/repository").Map("POST", Create).Map("GET", List);
        // Registered after the tag and permission routes (see QuayApiRoutes), whose paths this pattern also matches.
        routes.Add(RouteArea.QuayApi, "/api/v1/repository/{repository}/changevisibility").Map("POST", ChangeVisibility);
        routes.Add(RouteArea.QuayApi, "/api/v1/repository/{repository}").Map("GET", Get).Map("PUT", Update).Map("DELETE", Delete);
    }

    /// <summary>Splits Quay's <c>apirepopath</c> value: the namespace is the first segment, the rest is the name.</summary>
    public static (string Namespace, string Name) SplitPath(string repositoryPath)
    {
        var slash = repositoryPath.IndexOf('/');
        return (repositoryPath[..slash], repositoryPath[(slash + 1)..]);
    }

    /// <summary>
    /// <c>require_repo_permission</c>: the permission check runs before the existence check, so a repository that
    /// does not exist outside the caller's admin namespaces is 403 (401 anonymous), and only namespace-wide access
    /// reaches the handler's 404. Returns the repository (null if missing) with the lock held by the caller.
    /// </summary>
    public static Repository? RequireRepositoryRole(ApiRequest request, RepositoryRole needed, out string ns, out string name)
    {
        (ns, name) = SplitPath(request["repository"]);
        var repo = request.Core.Store.FindRepository(ns, name);
        var role = request.Core.Authorizer.RepositoryRoleOf(request.Caller, ns, repo);
        if (role is null || role < needed) throw QuayErrors.Unauthorized(request.Caller.User is not null);
        return repo;
    }

    /// <summary>Checks in the order of docs/quay-api.md, "Endpoint details", POST /api/v1/repository.</summary>
    private static ApiResponse Create(ApiRequest request)
    {
        var body = request.RequireJsonObject();
        var name = Schema.RequiredString(body, "repository");
        var visibility = Schema.RequiredEnum(body, "visibility", Visibilities);
        var description = Schema.RequiredString(body, "description");
        var requestedNamespace = Schema.OptionalString(body, "namespace");
        if (body.ContainsKey("repo_kind") && Schema.OptionalNullableString(body, "repo_kind") is { } kind && kind != "image")
            throw Schema.NotOneOf(kind, ["image", "None"]);

        var caller = request.Caller;
        // Quay's code raises this whenever there is no user, even when a namespace is given.
        var user = caller.User ?? throw QuayErrors.InvalidRequest("Must provide a namespace or must be logged in.");
        var ns = requestedNamespace ?? user.Name;

        var store = request.Core.Store;
        lock (store.Sync)
        {
            if (!request.Core.Authorizer.CanCreateRepository(caller, ns)) throw QuayErrors.Unauthorized(authenticated: true);
            if (store.FindRepository(ns, name) is not null) throw QuayErrors.InvalidRequest("Repository already exists");
            if (!NameRules.IsValidRepository(name)) throw QuayErrors.InvalidRequest("Invalid repository name");
            store.CreateRepository(ns, name, visibility == "public", description, user);
        }
        return ApiResponse.Json(201, new JsonObject { ["namespace"] = ns, ["name"] = name, ["kind"] = "image" });
    }

    private static ApiResponse Get(ApiRequest request)
    {
        var includeTags = request.QueryFlag("includeTags", true);
        var includeStats = request.QueryFlag("includeStats", false);
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RequireRepositoryRole(request, RepositoryRole.Read, out var ns, out _) ?? throw QuayErrors.NotFound();
            var role = request.Core.Authorizer.RepositoryRoleOf(request.Caller, ns, repo);
            var body = new JsonObject
            {
                ["namespace"] = repo.Namespace,
                ["name"] = repo.Name,
                ["kind"] = "image",
                ["description"] = repo.Description,
                ["is_public"] = repo.IsPublic,
                ["is_organization"] = store.FindOrganization(repo.Namespace) is not null,
                ["is_starred"] = false,
                ["status_token"] = repo.IsPublic ? "" : repo.BadgeToken,
                ["trust_enabled"] = false,
                ["tag_expiration_s"] = 1209600,
                ["is_free_account"] = true,
                ["state"] = "NORMAL",
                ["can_write"] = role >= RepositoryRole.Write,
                ["can_admin"] = role >= RepositoryRole.Admin,
            };
            if (includeTags)
            {
                var tags = new JsonObject();
                foreach (var tag in repo.ActiveTags.OrderByDescending(t => t.StartTs).Take(500))
                {
                    tags[tag.Name] = new JsonObject
                    {
                        ["name"] = tag.Name,
                        ["size"] = tag.Size,
                        ["last_modified"] = WireFormats.Rfc2822(DateTimeOffset.FromUnixTimeSeconds(tag.StartTs)),
                        ["manifest_digest"] = tag.ManifestDigest,
                    };
                }
                body["tags"] = tags;
            }
            if (includeStats) body["stats"] = new JsonArray();
            return ApiResponse.Ok(body);
        }
    }

    /// <summary>
    /// <c>Repository.put</c> (<c>updateRepo</c>): repository write first (<c>require_repo_write</c>), then the RepoUpdate
    /// schema (<c>description</c>, a string, required), then 404 when the repository does not exist; sets the
    /// description and answers <c>{"success": true}</c>.
    /// </summary>
    private static ApiResponse Update(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RequireRepositoryRole(request, RepositoryRole.Write, out _, out _);
            var description = Schema.RequiredString(request.RequireJsonObject(), "description");
            if (repo is null) throw QuayErrors.NotFound();
            repo.Description = description;
        }
        return ApiResponse.Ok(new JsonObject { ["success"] = true });
    }

    /// <summary>204 even for a missing repository when the caller administers the namespace; the name is reusable at once.</summary>
    private static ApiResponse Delete(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RequireRepositoryRole(request, RepositoryRole.Admin, out _, out _);
            if (repo is not null) store.DeleteRepository(repo);
        }
        return ApiResponse.NoContent();
    }

    /// <summary>
    /// <c>RepositoryVisibility.post</c> (<c>changeRepoVisibility</c>): repository admin first (require_repo_admin
    /// decorates the method, so a caller without it gets 403/401 before the body is looked at), then the
    /// ChangeVisibility schema (<c>visibility</c>: public or private, required), then 404 when the repository does not
    /// exist; answers <c>{"success": true}</c>.
    /// </summary>
    private static ApiResponse ChangeVisibility(ApiRequest request)
    {
        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RequireRepositoryRole(request, RepositoryRole.Admin, out _, out _);
            var body = request.RequireJsonObject();
            var visibility = Schema.RequiredEnum(body, "visibility", Visibilities);
            if (repo is null) throw QuayErrors.NotFound();
            repo.IsPublic = visibility == "public";
        }
        return ApiResponse.Ok(new JsonObject { ["success"] = true });
    }

    /// <summary>REPOS_PER_PAGE in endpoints/api/repository.py.</summary>
    private const int RepositoriesPerPage = 100;

    /// <summary>
    /// <c>RepositoryList.get</c>, reduced to the namespace and public filters: the repositories the caller can read,
    /// 100 per page; when more remain, <c>next_page</c> holds the token of the next page (page_support in
    /// endpoints/api/__init__.py; Quay encrypts it, here it is opaque base64 of the last repository seen). Assumption:
    /// pages follow the emulator's repository order (by namespace, then name), not Quay's database order.
    /// </summary>
    private static ApiResponse List(ApiRequest request)
    {
        var ns = request.Query("namespace");
        var publicOnly = request.QueryFlag("public", false);
        var starred = request.QueryFlag("starred", false);
        if (ns is null && !publicOnly && !starred)
            throw QuayErrors.InvalidRequest("namespace, starred or public are required for this API call");

        var store = request.Core.Store;
        lock (store.Sync)
        {
            var candidates = starred && ns is null && !publicOnly ? [] : ns is null ? store.AllRepositories : store.RepositoriesIn(ns);
            var list = new JsonArray();
            var after = DecodePageToken(request.Query("next_page"));
            string? next = null;
            foreach (var repo in candidates)
            {
                var role = request.Core.Authorizer.RepositoryRoleOf(request.Caller, repo.Namespace, repo);
                if (role is null || (publicOnly && ns is null && !repo.IsPublic)) continue;
                var key = $"{repo.Namespace}/{repo.Name}";
                if (after is not null && string.CompareOrdinal(key, after) <= 0) continue;
                if (list.Count == RepositoriesPerPage)
                {
                    next = EncodePageToken((string)list[^1]!["namespace"]! + "/" + (string)list[^1]!["name"]!);
                    break;
                }
                list.Add(new JsonObject
                {
                    ["namespace"] = repo.Namespace,
                    ["name"] = repo.Name,
                    ["description"] = repo.Description,
                    ["is_public"] = repo.IsPublic,
                    ["kind"] = "image",
                    ["state"] = "NORMAL",
                    ["is_starred"] = false,
                });
            }
            var body = new JsonObject { ["repositories"] = list };
            if (next is not null) body["next_page"] = next;
            return ApiResponse.Ok(body);
        }
    }

    private static string EncodePageToken(string lastKey) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(lastKey));

    /// <summary>An unreadable token starts from the beginning (decrypt_page_token answers None).</summary>
    private static string? DecodePageToken(string? token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        try { return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token)); }
        catch (FormatException) { return null; }
    }
}
