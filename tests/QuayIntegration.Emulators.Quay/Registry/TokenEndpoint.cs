using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayIntegration.Emulators.Quay.Api;
using QuayIntegration.Emulators.Quay.Auth;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Registry;

/// <summary>
/// <c>GET /v2/auth</c> as Quay's endpoints/v2/v2auth.py (generate_registry_jwt, _authorize_or_downscope_request)
/// answers it:
/// <list type="bullet">
/// <item>credentials (Basic: a user, a robot <c>org+short</c> with its token, or <c>$oauthtoken</c> with an OAuth token)
/// that are sent but invalid → 401 <c>UNAUTHORIZED</c> with the credential check's message (auth/credentials.py) and
/// the <c>WWW-Authenticate</c> challenge every v2 401 carries (endpoints/v2/__init__.py get_auth_headers);</item>
/// <item>no credentials and no <c>scope</c> → 401 (an auth flow that is not an anonymous pull); an empty scope is
/// skipped for an authenticated caller, 401 for an anonymous one;</item>
/// <item>each <c>scope</c> parameter (not split on spaces) must match SCOPE_REGEX_TEMPLATE, optionally prefixed with
/// the registry host (SERVER_HOSTNAME), else 400 <c>INVALID_REQUEST</c> "Unable to decode repository and actions";
/// a repository name that fails REPOSITORY_NAME_REGEX (upper case, say) is 400 <c>NAME_INVALID</c>;</item>
/// <item>granted actions: push needs write (or, for a missing repository, create permission, which creates it —
/// push-to-create), pull needs read or a public repository, <c>*</c> needs admin; a scope without rights still
/// yields an access entry with no actions;</item>
/// <item>the answer is only <c>{"token": "&lt;JWT&gt;"}</c> (<see cref="RegistryJwt"/>), not cached.</item>
/// </list>
/// Assumption (Quay's source not re-read for it): a host-prefixed scope's access entry carries the prefixed name, as
/// the JWT does, while the grant it gives applies to the repository under that host.
/// </summary>
public static class TokenEndpoint
{
    private const string ActionsPattern = @"((?:push|pull|\*)(?:,(?:push|pull|\*))*)";
    private const string LibraryNamespace = "library";

    public static ApiResponse IssueToken(ApiRequest request)
    {
        var store = request.Core.Store;
        var host = request.Http.Request.Host.ToString();
        var scopes = request.Http.Request.Query["scope"].Select(s => s ?? "").ToList();
        var access = new JsonArray();
        var grants = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        Caller caller;
        lock (store.Sync)
        {
            caller = Authenticate(request, store);
            var authenticated = caller.User is not null;
            if (!authenticated && scopes.Count == 0) throw RegistryErrors.Unauthorized(RegistryEndpoints.Realm(request), host, scope: null);
            var scopeRegex = new Regex($@"^repository:((?:{Regex.Escape(host)}/)?((?:[\.a-zA-Z0-9_\-]+/)*[\.a-zA-Z0-9_\-]+)):{ActionsPattern}$", RegexOptions.CultureInvariant);
            foreach (var scope in scopes)
            {
                if (scope.Length == 0)
                {
                    if (!authenticated) throw RegistryErrors.Unauthorized(RegistryEndpoints.Realm(request), host, scope: null);
                    continue;
                }
                var match = scopeRegex.Match(scope);
                if (!match.Success) throw RegistryErrors.Error(400, "INVALID_REQUEST", $"Unable to decode repository and actions: {scope}");
                var registryAndRepo = match.Groups[1].Value;
                var namespaceAndRepo = match.Groups[2].Value;
                var slash = namespaceAndRepo.IndexOf('/');
                var (ns, name) = slash < 0 ? (LibraryNamespace, namespaceAndRepo) : (namespaceAndRepo[..slash], namespaceAndRepo[(slash + 1)..]);
                if (!NameRules.IsValidRepository(name))
                    throw RegistryErrors.Error(400, "NAME_INVALID", $"Invalid repository name: {namespaceAndRepo}");
                var granted = Grant(request.Core, caller, ns, name, match.Groups[3].Value.Split(','));
                access.Add(new JsonObject { ["type"] = "repository", ["name"] = registryAndRepo, ["actions"] = new JsonArray(granted.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()) });
                grants[$"{ns}/{name}"] = granted.ToHashSet(StringComparer.Ordinal);
            }
        }
        var issuedAt = DateTimeOffset.UtcNow;
        var subject = caller.User?.Name ?? RegistryJwt.AnonymousSubject;
        var kind = caller.User is null ? null : caller.User.IsRobot ? "robot" : caller.HasValidToken && !caller.IsRegistryLogin ? "oauth" : "user";
        var token = RegistryJwt.Issue(request.Query("service"), subject, kind, access, issuedAt, RegistryTokens.Lifetime);
        request.Core.RegistryTokens.Remember(token, new RegistryGrant(caller.User?.Name, grants, issuedAt + RegistryTokens.Lifetime));
        return ApiResponse.Ok(new JsonObject { ["token"] = token }).WithHeader("Cache-Control", "no-cache, no-store, must-revalidate");
    }

    /// <summary>auth/credentials.py validate_credentials, with its error messages.</summary>
    private static Caller Authenticate(ApiRequest request, QuayStore store)
    {
        var header = request.Http.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return Caller.Anonymous;
        if (!AuthenticationHeaderValue.TryParse(header, out var parsed) || !parsed.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            throw InvalidLogin(request, "Specified credentials are invalid");
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(parsed.Parameter ?? ""));
        }
        catch (FormatException)
        {
            throw InvalidLogin(request, "Specified credentials are invalid");
        }
        var colon = decoded.IndexOf(':');
        if (colon < 0) throw InvalidLogin(request, "Specified credentials are invalid");
        var (user, password) = (decoded[..colon], decoded[(colon + 1)..]);

        if (user == "$oauthtoken")
        {
            // OAuth tokens keep their scope caps on the registry too.
            if (store.Tokens.TryGetValue(password, out var token) && !token.IsExpired(DateTimeOffset.UtcNow) && store.FindUser(token.Username) is { } owner)
                return new Caller(owner, token.Scopes, hasValidToken: true, isRegistryLogin: false);
            throw InvalidLogin(request, "Invalid access token");
        }
        if (user.Contains('+'))
        {
            // data/model/user.py verify_robot and lookup_robot.
            if (store.FindUser(user) is not { IsRobot: true } robot) throw InvalidLogin(request, $"Could not find robot with username: {user}");
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(robot.RobotToken), Encoding.UTF8.GetBytes(password)))
                throw InvalidLogin(request, $"Could not find robot with username: {user} and supplied password.");
            robot.LastAccessed = DateTimeOffset.UtcNow;
            return new Caller(robot, QuayScopes.None, hasValidToken: true, isRegistryLogin: true);
        }
        // The emulator keeps no passwords for users: any user password is wrong.
        throw InvalidLogin(request, "Invalid Username or Password");
    }

    /// <summary>endpoints/v2/errors.py InvalidLogin: 401 UNAUTHORIZED, with the challenge of every v2 401.</summary>
    private static QuayErrorException InvalidLogin(ApiRequest request, string message) =>
        RegistryErrors.Unauthorized(RegistryEndpoints.Realm(request), request.Http.Request.Host.ToString(), scope: null, message);

    private static List<string> Grant(Hosting.EmulatorCore core, Caller caller, string ns, string name, string[] actions)
    {
        var store = core.Store;
        var repo = store.FindRepository(ns, name);
        var granted = new List<string>();
        if (actions.Contains("push") && caller.User is not null)
        {
            if (repo is null && core.Authorizer.CanCreateRepository(caller, ns))
            {
                repo = store.CreateRepository(ns, name, isPublic: false, description: "", caller.User);
                granted.Add("push");
            }
            else if (repo is not null && core.Authorizer.RepositoryRoleOf(caller, ns, repo) >= RepositoryRole.Write) granted.Add("push");
        }
        var role = core.Authorizer.RepositoryRoleOf(caller, ns, repo);
        if (actions.Contains("pull") && (role >= RepositoryRole.Read || repo is { IsPublic: true })) granted.Add("pull");
        if (actions.Contains("*") && role >= RepositoryRole.Admin) granted.Add("*");
        return granted;
    }
}
