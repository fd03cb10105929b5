using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Api.Endpoints;

/// <summary><c>endpoints/api/tag.py ListRepositoryTags</c>: the tag history of a repository, paged.</summary>
public static class TagEndpoints
{
    public static void Map(RouteTable routes) =>
        routes.Add(RouteArea.QuayApi, "/api/v1/repository/{repository}/tag/").Map("GET", List);

    private static ApiResponse List(ApiRequest request)
    {
        var specificTag = request.Query("specificTag");
        var filter = request.Query("filter_tag_name");
        Func<string, bool> nameFilter = _ => true;
        if (!string.IsNullOrEmpty(filter))
        {
            if (filter.StartsWith("like:", StringComparison.Ordinal)) nameFilter = n => n.Contains(filter[5..], StringComparison.Ordinal);
            else if (filter.StartsWith("eq:", StringComparison.Ordinal)) nameFilter = n => n == filter[3..];
            else throw QuayErrors.Message(400, "Invalid filter_tag_name format");
        }
        var limit = Math.Clamp(request.QueryInt("limit") ?? 50, 1, 100);
        var page = Math.Max(request.QueryInt("page") ?? 1, 1);
        var onlyActive = request.QueryFlag("onlyActiveTags", false);

        var store = request.Core.Store;
        lock (store.Sync)
        {
            var repo = RepositoryEndpoints.RequireRepositoryRole(request, RepositoryRole.Read, out _, out _) ?? throw QuayErrors.NotFound();
            var matching = repo.Tags
                .Where(t => (!onlyActive || t.EndTs is null) && (specificTag is null || t.Name == specificTag) && nameFilter(t.Name))
                .OrderByDescending(t => t.StartTs).ThenBy(t => t.Name, StringComparer.Ordinal)
                .Skip((page - 1) * limit)
                .Take(limit + 1)
                .ToList();

            var tags = new JsonArray();
            foreach (var tag in matching.Take(limit))
            {
                var view = new JsonObject
                {
                    ["name"] = tag.Name,
                    ["reversion"] = false,
                    ["start_ts"] = tag.StartTs,
                };
                if (tag.EndTs is { } end) view["end_ts"] = end;
                view["manifest_digest"] = tag.ManifestDigest;
                view["is_manifest_list"] = tag.IsManifestList;
                view["size"] = tag.Size;
                view["last_modified"] = WireFormats.Rfc2822(DateTimeOffset.FromUnixTimeSeconds(tag.StartTs));
                if (tag.EndTs is { } expired) view["expiration"] = WireFormats.Rfc2822(DateTimeOffset.FromUnixTimeSeconds(expired));
                tags.Add(view);
            }
            return ApiResponse.Ok(new JsonObject { ["tags"] = tags, ["page"] = page, ["has_additional"] = matching.Count > limit });
        }
    }
}
