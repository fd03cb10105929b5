using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay.Api;

namespace QuayIntegration.Emulators.Quay.Registry;

/// <summary>
/// <c>GET /v2/&lt;repository&gt;/tags/list</c> as Quay's endpoints/v2/tag.py (list_all_tags) and the v2 paginate
/// decorator (endpoints/v2/__init__.py) answer it: a pull grant is needed (401 with the pull challenge otherwise), a
/// missing repository is 404 <c>NAME_UNKNOWN</c>; the body is <c>{"name": "ns/repo", "tags": [...]}</c> with the
/// active tags in the order they were created (tag id); <c>n</c> is clamped to 1–100 (V2_PAGINATION_SIZE, default
/// 100; a non-number counts as 0, so 1), and when more tags remain a <c>Link: &lt;url?n=…&amp;next_page=…&gt;;
/// rel="next"</c> header names the next page (Quay encrypts its page token; here it is opaque base64 of the last id).
/// </summary>
public static class TagListEndpoint
{
    private const int MaxPageSize = 100;

    public static ApiResponse List(ApiRequest request)
    {
        var repository = request["repository"];
        RegistryEndpoints.RequireAccess(request, repository, "pull");
        var limit = int.TryParse(request.Query("n") ?? MaxPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), out var n) ? n : 0;
        limit = Math.Max(Math.Min(limit, MaxPageSize), 1);
        var startAfter = DecodePageToken(request.Query("next_page") ?? request.Query("last"));
        var store = request.Core.Store;
        List<(int Id, string Name)> page;
        bool more;
        lock (store.Sync)
        {
            var repo = RegistryEndpoints.RequireRepository(request, repository);
            var active = repo.Tags.Select((tag, id) => (Id: id, Tag: tag)).Where(t => t.Tag.EndTs is null && t.Id > startAfter).ToList();
            page = active.Take(limit).Select(t => (t.Id, t.Tag.Name)).ToList();
            more = active.Count > limit;
        }
        var response = ApiResponse.Ok(new JsonObject
        {
            ["name"] = repository,
            ["tags"] = new JsonArray(page.Select(t => (JsonNode?)JsonValue.Create(t.Name)).ToArray()),
        });
        if (more)
        {
            var url = $"{request.Http.Request.Scheme}://{request.Http.Request.Host}/v2/{repository}/tags/list";
            response.WithHeader("Link", $"<{url}?n={limit}&next_page={Uri.EscapeDataString(EncodePageToken(page[^1].Id))}>; rel=\"next\"");
        }
        return response;
    }

    private static string EncodePageToken(int lastId) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { start_id = lastId })));

    /// <summary>Like decrypt_page_token: an unreadable token means "from the start".</summary>
    private static int DecodePageToken(string? token)
    {
        if (string.IsNullOrEmpty(token)) return -1;
        try
        {
            return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)))?["start_id"]?.GetValue<int>() ?? -1;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return -1;
        }
    }
}
