using System.Collections.Concurrent;
using System.Net.Http.Json;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Many parallel clients on the same and different objects: consistent state and only Quay's own answers.</summary>
public sealed class ConcurrencyTests : EmulatorTest
{
    protected override void Configure(QuayEmulatorOptions options) => options.NamespaceGcDelay = TimeSpan.Zero;

    private readonly Lazy<HttpClient> _shared;

    public ConcurrencyTests() => _shared = new Lazy<HttpClient>(() => Client(AliceToken));

    /// <summary>One connection pool for all workers, like one operator process.</summary>
    private HttpClient Shared => _shared.Value;

    private async Task<int> Status(HttpMethod method, string path, object? json = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (json is not null) request.Content = JsonContent.Create(json);
        using var response = await Shared.SendAsync(request);
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task Racing_creates_of_the_same_robot_give_exactly_one_201()
    {
        await CreateOrg("acme");
        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Status(HttpMethod.Put, "/api/v1/organization/acme/robots/builder")));
        Assert.Equal(1, statuses.Count(s => s == 201));
        Assert.All(statuses, s => Assert.Contains(s, new[] { 201, 400 }));
        Assert.Single(Quay.State.Organization("acme")!.Robots);
    }

    [Fact]
    public async Task Racing_creates_of_the_same_org_and_repo_give_exactly_one_201_each()
    {
        var orgs = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Status(HttpMethod.Post, "/api/v1/organization/", new { name = "acme" })));
        Assert.Equal(1, orgs.Count(s => s == 201));
        Assert.All(orgs, s => Assert.Contains(s, new[] { 201, 400 }));
        var repos = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ =>
            Status(HttpMethod.Post, "/api/v1/repository", new { @namespace = "acme", repository = "app", visibility = "private", description = "" })));
        Assert.Equal(1, repos.Count(s => s == 201));
        Assert.All(repos, s => Assert.Contains(s, new[] { 201, 400 }));
    }

    [Fact]
    public async Task Parallel_prototype_posts_all_land()
    {
        await CreateOrg("acme");
        var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            Status(HttpMethod.Post, "/api/v1/organization/acme/prototypes", new { role = "read", @delegate = new { kind = "user", name = "bob" } })));
        Assert.All(statuses, s => Assert.Equal(200, s));
        Assert.Equal(50, Quay.State.Organization("acme")!.Prototypes.Count);
    }

    [Fact]
    public async Task Mixed_create_delete_churn_on_shared_and_private_objects_stays_consistent()
    {
        const int Workers = 16;
        const int Rounds = 25;
        await CreateOrg("shared");
        var unexpected = new ConcurrentBag<string>();
        var allowed = new Dictionary<string, int[]>
        {
            ["org-create"] = [201, 400],
            ["org-delete"] = [204, 403],
            ["robot-put"] = [201, 400],
            ["robot-get"] = [200, 400],
            ["robot-delete"] = [204, 400],
            ["repo-create"] = [201, 400],
            ["repo-get"] = [200, 404],
            ["repo-delete"] = [204],
            // A permission PUT racing a delete of its repository meets Quay's own uncaught DoesNotExist
            // (docs/quay-api.md, "Endpoint details").
            ["perm-put"] = [200, 400, 500],
            ["proto-post"] = [200, 400],
        };

        async Task Check(string what, Task<int> call)
        {
            var status = await call;
            if (!allowed[what].Contains(status)) unexpected.Add($"{what}: {status}");
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var own = $"org{worker}";
            for (var round = 0; round < Rounds; round++)
            {
                var robot = $"bot{round % 3}";
                await Check("org-create", Status(HttpMethod.Post, "/api/v1/organization/", new { name = own }));
                await Check("robot-put", Status(HttpMethod.Put, $"/api/v1/organization/shared/robots/{robot}"));
                await Check("robot-get", Status(HttpMethod.Get, $"/api/v1/organization/shared/robots/{robot}"));
                await Check("proto-post", Status(HttpMethod.Post, "/api/v1/organization/shared/prototypes", new { role = "write", @delegate = new { kind = "user", name = $"shared+{robot}" } }));
                await Check("repo-create", Status(HttpMethod.Post, "/api/v1/repository", new { @namespace = "shared", repository = $"app{round % 4}", visibility = "private", description = "" }));
                await Check("perm-put", Status(HttpMethod.Put, $"/api/v1/repository/shared/app{round % 4}/permissions/user/shared+{robot}", new { role = "read" }));
                await Check("repo-get", Status(HttpMethod.Get, $"/api/v1/repository/shared/app{round % 4}"));
                await Check("repo-delete", Status(HttpMethod.Delete, $"/api/v1/repository/shared/app{(round + 1) % 4}"));
                await Check("robot-delete", Status(HttpMethod.Delete, $"/api/v1/organization/shared/robots/{robot}"));
                await Check("org-delete", Status(HttpMethod.Delete, $"/api/v1/organization/{own}"));
            }
        })));

        Assert.Empty(unexpected);
        Assert.Empty(Quay.UnexpectedExceptions);

        // Invariants: every robot, prototype delegate and permission left points at something that exists.
        var state = Quay.State;
        var shared = state.Organization("shared")!;
        var robots = shared.Robots.Select(r => r.Name).ToHashSet();
        Assert.All(shared.Prototypes, p => Assert.Contains(p.DelegateName, robots));
        Assert.All(state.Repositories.SelectMany(r => r.UserPermissions.Keys).Where(u => u.Contains('+')), u => Assert.Contains(u, robots));
        Assert.All(Enumerable.Range(0, Workers), w => Assert.Null(state.Organization($"org{w}")));
        var total = Quay.Calls.Total;
        Assert.Equal(Workers * Rounds * 10 + 1, total);
    }
}
