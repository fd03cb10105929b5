using Refit;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// The Quay v1 endpoints the operator uses. Every call returns the raw response so that <see cref="QuayClient"/> can
/// classify Quay's unusual answers (400 for a missing robot, 403 for a missing repository, CSRF 403 for a bad token).
/// Trailing slashes matter: only <c>/api/v1/user/</c> and <c>/api/v1/organization/</c> have one (Werkzeug strict slashes).
/// </summary>
public interface IQuayApi
{
    [Get("/api/v1/user/")]
    Task<HttpResponseMessage> GetCurrentUser(CancellationToken ct);

    [Get("/api/v1/organization/{org}")]
    Task<HttpResponseMessage> GetOrganization(string org, CancellationToken ct);

    [Post("/api/v1/organization/")]
    Task<HttpResponseMessage> CreateOrganization([Body] CreateOrganizationRequest body, CancellationToken ct);

    [Delete("/api/v1/organization/{org}")]
    Task<HttpResponseMessage> DeleteOrganization(string org, CancellationToken ct);

    /// <summary>The organization's OAuth applications (administrators only).</summary>
    [Get("/api/v1/organization/{org}/applications")]
    Task<HttpResponseMessage> ListApplications(string org, CancellationToken ct);

    /// <summary>Every robot of the organization with its token.</summary>
    [Get("/api/v1/organization/{org}/robots?token=true")]
    Task<HttpResponseMessage> ListRobots(string org, CancellationToken ct);

    [Get("/api/v1/organization/{org}/robots/{shortName}")]
    Task<HttpResponseMessage> GetRobot(string org, string shortName, CancellationToken ct);

    [Put("/api/v1/organization/{org}/robots/{shortName}")]
    Task<HttpResponseMessage> CreateRobot(string org, string shortName, [Body] CreateRobotRequest body, CancellationToken ct);

    [Delete("/api/v1/organization/{org}/robots/{shortName}")]
    Task<HttpResponseMessage> DeleteRobot(string org, string shortName, CancellationToken ct);

    [Post("/api/v1/organization/{org}/robots/{shortName}/regenerate")]
    Task<HttpResponseMessage> RegenerateRobotToken(string org, string shortName, CancellationToken ct);

    /// <summary>Every repository permission of one robot, with its role (needs user:admin and organization admin).</summary>
    [Get("/api/v1/organization/{org}/robots/{shortName}/permissions")]
    Task<HttpResponseMessage> ListRobotPermissions(string org, string shortName, CancellationToken ct);

    [Get("/api/v1/organization/{org}/prototypes")]
    Task<HttpResponseMessage> ListPrototypes(string org, CancellationToken ct);

    [Post("/api/v1/organization/{org}/prototypes")]
    Task<HttpResponseMessage> CreatePrototype(string org, [Body] CreatePrototypeRequest body, CancellationToken ct);

    [Put("/api/v1/organization/{org}/prototypes/{id}")]
    Task<HttpResponseMessage> UpdatePrototype(string org, string id, [Body] RoleRequest body, CancellationToken ct);

    [Delete("/api/v1/organization/{org}/prototypes/{id}")]
    Task<HttpResponseMessage> DeletePrototype(string org, string id, CancellationToken ct);

    /// <summary>One page of the repositories of a namespace (Quay pages by 100 and answers a next_page token while more remain).</summary>
    [Get("/api/v1/repository")]
    Task<HttpResponseMessage> ListRepositories([AliasAs("namespace")] string org, [AliasAs("next_page")] string? nextPage, CancellationToken ct);

    [Get("/api/v1/repository/{ns}/{repo}?includeTags=false")]
    Task<HttpResponseMessage> GetRepository(string ns, string repo, CancellationToken ct);

    [Post("/api/v1/repository")]
    Task<HttpResponseMessage> CreateRepository([Body] CreateRepositoryRequest body, CancellationToken ct);

    [Delete("/api/v1/repository/{ns}/{repo}")]
    Task<HttpResponseMessage> DeleteRepository(string ns, string repo, CancellationToken ct);

    /// <summary>Every user and robot permission on one repository, by name (the route ends in '/', as Quay's does).</summary>
    [Get("/api/v1/repository/{ns}/{repo}/permissions/user/")]
    Task<HttpResponseMessage> ListRepositoryUserPermissions(string ns, string repo, CancellationToken ct);

    [Put("/api/v1/repository/{ns}/{repo}/permissions/user/{username}")]
    Task<HttpResponseMessage> SetRepositoryUserPermission(string ns, string repo, string username, [Body] RoleRequest body, CancellationToken ct);

    [Delete("/api/v1/repository/{ns}/{repo}/permissions/user/{username}")]
    Task<HttpResponseMessage> DeleteRepositoryUserPermission(string ns, string repo, string username, CancellationToken ct);
}
