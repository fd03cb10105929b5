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

    public QuayAdministrator(QuayEmulator quay) : this(quay, UserName, superuser: false)
    {
    }

    /// <summary>
    /// A person of that name; a superuser's token also carries super:user (where Quay leaves organization creation to
    /// superusers, only such a person makes organizations).
    /// </summary>
    public QuayAdministrator(QuayEmulator quay, string name, bool superuser)
    {
        _quay = quay;
        Name = name;
        if (quay.State.Users.All(u => u.Name != name)) quay.AddUser(name, superuser);
        _http = quay.CreateHttpClient(quay.AddToken(name, superuser ? QuayScopes.All : QuayScopes.All & ~QuayScopes.SuperUser));
    }

    /// <summary>The person's Quay user, the creator the emulator's state names for what they make.</summary>
    public string Name { get; }

    /// <summary>Makes the person an owner of an organization someone else created (the operator's, say).</summary>
    public void JoinOwners(string organization) => _quay.AddTeamMember(organization, "owners", TeamRole.Admin, Name);

    /// <summary>Makes <paramref name="user"/> (the operator's user) an owner of an organization this person created.</summary>
    public void AddOwner(string organization, string user) => _quay.AddTeamMember(organization, "owners", TeamRole.Admin, user);

    public Task CreateOrganizationAsync(string name, string? email = null) => Expect(_http.PostAsJsonAsync("api/v1/organization/", OrganizationBody(name, email)));

    /// <summary>
    /// Makes the organization once Quay lets go of its name: false while the name is still a deleted organization's,
    /// not yet garbage-collected ("Username is not available"); any other refusal throws.
    /// </summary>
    public async Task<bool> TryCreateOrganizationAsync(string name, string? email = null)
    {
        try
        {
            await CreateOrganizationAsync(name, email);
            return true;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("not available", StringComparison.Ordinal))
        {
            return false;
        }
    }

    /// <summary>Quay's schema takes an email as a string or not at all, never null.</summary>
    private static JsonObject OrganizationBody(string name, string? email)
    {
        var body = new JsonObject { ["name"] = name };
        if (email is not null) body["email"] = email;
        return body;
    }

    public Task CreateRepositoryAsync(string org, string name, string description = "made by hand") =>
        Expect(_http.PostAsJsonAsync("api/v1/repository", new { @namespace = org, repository = name, visibility = "private", description }));

    public Task CreateRobotAsync(string org, string shortName, string description = "made by hand", Dictionary<string, string>? metadata = null) =>
        // Quay's schema refuses a null unstructured_metadata: without one, the field is left out.
        Expect(metadata is null
            ? _http.PutAsJsonAsync($"api/v1/organization/{org}/robots/{shortName}", new { description })
            : _http.PutAsJsonAsync($"api/v1/organization/{org}/robots/{shortName}", new { description, unstructured_metadata = metadata }));

    public Task DeleteRobotAsync(string org, string shortName) => Expect(_http.DeleteAsync($"api/v1/organization/{org}/robots/{shortName}"));

    public Task CreateDefaultPermissionAsync(string org, string robot, string role) =>
        Expect(_http.PostAsJsonAsync($"api/v1/organization/{org}/prototypes",
            new JsonObject { ["role"] = role, ["delegate"] = new JsonObject { ["kind"] = "user", ["name"] = robot } }));

    public Task SetRepositoryPermissionAsync(string org, string repository, string user, string role) =>
        Expect(_http.PutAsJsonAsync($"api/v1/repository/{org}/{repository}/permissions/user/{user}", new { role }));

    /// <summary>What a person (or their CI, copying a README) does to a repository's description: PUT, as Quay's UI does.</summary>
    public Task DeleteRepositoryPermissionAsync(string org, string repository, string user) =>
        Expect(_http.DeleteAsync($"api/v1/repository/{org}/{repository}/permissions/user/{user}"));

    public Task SetRepositoryDescriptionAsync(string org, string repository, string description) =>
        Expect(_http.PutAsJsonAsync($"api/v1/repository/{org}/{repository}", new { description }));

    public Task DeleteRepositoryAsync(string org, string repository) => Expect(_http.DeleteAsync($"api/v1/repository/{org}/{repository}"));

    public Task DeleteOrganizationAsync(string org) => Expect(_http.DeleteAsync($"api/v1/organization/{org}"));

    /// <summary>An OAuth application in the organization (the administrator must administer it).</summary>
    public Task CreateApplicationAsync(string org, string name) =>
        Expect(_http.PostAsJsonAsync($"api/v1/organization/{org}/applications", new { name }));

    private static async Task Expect(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => _http.Dispose();
}
