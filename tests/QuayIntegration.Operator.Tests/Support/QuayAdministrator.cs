using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// A person working in the same Quay by hand, through Quay's API with a token of their own, so that everything they
/// create carries their name as its creator in the emulator's state (<c>CreatedBy</c>): what the operator must never
/// delete or change.
/// </summary>
public sealed class QuayAdministrator : IDisposable
{
    public const string UserName = "quay-admin";
    private readonly QuayEmulator _quay;
    private readonly HttpClient _http;

    public QuayAdministrator(QuayEmulator quay)
    {
        _quay = quay;
        if (quay.State.Users.All(u => u.Name != UserName)) quay.AddUser(UserName);
        _http = quay.CreateHttpClient(quay.AddToken(UserName, QuayScopes.All & ~QuayScopes.SuperUser));
    }

    /// <summary>Makes the person an owner of an organization someone else created (the operator's, say).</summary>
    public void JoinOwners(string organization) => _quay.AddTeamMember(organization, "owners", TeamRole.Admin, UserName);

    /// <summary>Makes <paramref name="user"/> (the operator's user) an owner of an organization this person created.</summary>
    public void AddOwner(string organization, string user) => _quay.AddTeamMember(organization, "owners", TeamRole.Admin, user);

    public Task CreateOrganizationAsync(string name) => Expect(_http.PostAsJsonAsync("api/v1/organization/", new { name }));

    public Task CreateRepositoryAsync(string org, string name, string description = "made by hand") =>
        Expect(_http.PostAsJsonAsync("api/v1/repository", new { @namespace = org, repository = name, visibility = "private", description }));

    public Task CreateRobotAsync(string org, string shortName, string description = "made by hand") =>
        Expect(_http.PutAsJsonAsync($"api/v1/organization/{org}/robots/{shortName}", new { description }));

    public Task DeleteRobotAsync(string org, string shortName) => Expect(_http.DeleteAsync($"api/v1/organization/{org}/robots/{shortName}"));

    public Task CreateDefaultPermissionAsync(string org, string robot, string role) =>
        Expect(_http.PostAsJsonAsync($"api/v1/organization/{org}/prototypes",
            new JsonObject { ["role"] = role, ["delegate"] = new JsonObject { ["kind"] = "user", ["name"] = robot } }));

    public Task SetRepositoryPermissionAsync(string org, string repository, string user, string role) =>
        Expect(_http.PutAsJsonAsync($"api/v1/repository/{org}/{repository}/permissions/user/{user}", new { role }));

    public Task DeleteRepositoryAsync(string org, string repository) => Expect(_http.DeleteAsync($"api/v1/repository/{org}/{repository}"));

    public Task DeleteOrganizationAsync(string org) => Expect(_http.DeleteAsync($"api/v1/organization/{org}"));

    private static async Task Expect(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => _http.Dispose();
}
