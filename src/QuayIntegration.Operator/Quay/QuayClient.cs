using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly.CircuitBreaker;
using Polly.RateLimiting;
using Polly.Timeout;

namespace QuayIntegration.Operator.Quay;

/// <summary>
/// Precise Quay operations over <see cref="IQuayApi"/>. Every method returns a <see cref="QuayResult{T}"/> instead of
/// throwing, so reconcilers decide what each outcome means. Where Quay's 403 can mean "absent" (repositories,
/// organizations an admin cannot see), the token is verified first so a bad token is never mistaken for absence.
/// </summary>
public sealed class QuayClient(IQuayApi api, IQuayApi probe, QuayConnection connection, QuayEndpoint endpoint, TimeProvider time)
{
    private static readonly TimeSpan TokenCheckValidity = TimeSpan.FromSeconds(30);
    private DateTimeOffset _tokenVerifiedAt = DateTimeOffset.MinValue;

    public QuayConnection Connection { get; } = connection;

    /// <summary>Whether this Quay answers, as every call finds out.</summary>
    public QuayAvailability Availability => endpoint.Availability;

    /// <summary>
    /// Asks Quay who the token belongs to in one short attempt that bypasses retries, the concurrency cap and the
    /// circuit breaker: the check that Quay is back after an outage. An answer marks Quay available again and closes
    /// the breaker, so parked work can go at once.
    /// </summary>
    public async Task<QuayResult<QuayUser>> ProbeAsync(CancellationToken ct)
    {
        var result = await UserAsync(probe, ct);
        if (result.Outcome is not (QuayOutcome.Unavailable or QuayOutcome.TlsFailure))
        {
            endpoint.Availability.Recovered();
            await endpoint.Breaker.CloseAsync(ct);
        }
        return result;
    }

    public Task<QuayResult<QuayUser>> GetCurrentUserAsync(CancellationToken ct) => UserAsync(api, ct);

    private async Task<QuayResult<QuayUser>> UserAsync(IQuayApi through, CancellationToken ct)
    {
        var result = await CallAsync<QuayUser>(() => through.GetCurrentUser(ct), ct, parse: true);
        if (result.IsSuccess && result.Value is { Anonymous: true })
            return new(QuayOutcome.BadToken, result.StatusCode, "Quay treated the token as anonymous");
        if (result.IsSuccess) _tokenVerifiedAt = time.GetUtcNow();
        return result;
    }

    /// <summary>Confirms the token (cached briefly) before a 403 is read as "absent".</summary>
    public async Task<QuayResult<bool>> VerifyTokenAsync(CancellationToken ct)
    {
        if (time.GetUtcNow() - _tokenVerifiedAt < TokenCheckValidity) return new(QuayOutcome.Success, 200, "", true);
        var user = await GetCurrentUserAsync(ct);
        return user.As(user.IsSuccess);
    }

    public Task<QuayResult<bool>> OrganizationExistsAsync(string org, CancellationToken ct) =>
        ExistsAsync(() => api.GetOrganization(org, ct), ct);

    /// <summary>The organization as the lookup shows it (its email to its administrators only); null when there is none.</summary>
    public async Task<QuayResult<QuayOrganization>> GetOrganizationAsync(string org, CancellationToken ct)
    {
        var result = await CallAsync<QuayOrganization>(() => api.GetOrganization(org, ct), ct, parse: true);
        return result.Outcome == QuayOutcome.NotFound ? new(QuayOutcome.Success, result.StatusCode, result.Message) : result;
    }

    /// <summary>
    /// Whether a call inside the organization was refused because the organization does not exist: Quay answers 403,
    /// not 404, for the robots of a missing organization, so a 403 is followed by the (public) organization lookup.
    /// False when the organization exists or cannot be looked up.
    /// </summary>
    public async Task<bool> RefusedAsGoneAsync<T>(QuayResult<T> result, string org, CancellationToken ct) =>
        result.Outcome == QuayOutcome.Forbidden && (await OrganizationExistsAsync(org, ct)) is { IsSuccess: true, Value: false };

    public Task<QuayResult<bool>> CreateOrganizationAsync(string org, CancellationToken ct) =>
        CallAsync<bool>(() => api.CreateOrganization(new CreateOrganizationRequest(org, QuayNames.OrganizationEmailFor(org)), ct), ct);

    /// <summary>The status code of a deletion's success when there was nothing left to delete.</summary>
    public const int AlreadyGone = 404;

    /// <summary>Deletes an organization; an organization that is already gone counts as success, with <see cref="AlreadyGone"/>.</summary>
    public async Task<QuayResult<bool>> DeleteOrganizationAsync(string org, CancellationToken ct)
    {
        var result = await CallAsync<bool>(() => api.DeleteOrganization(org, ct), ct);
        if (result.Outcome is not (QuayOutcome.Forbidden or QuayOutcome.NotFound)) return result;
        // Quay answers 403 for a missing organization too (404 only to a superuser with full access): only call it
        // gone when the token is fine and the (public) organization lookup says 404.
        var token = await VerifyTokenAsync(ct);
        if (!token.IsSuccess) return token;
        var exists = await OrganizationExistsAsync(org, ct);
        if (exists is { IsSuccess: true, Value: false }) return new(QuayOutcome.Success, AlreadyGone, "organization already gone", true);
        return result;
    }

    public Task<QuayResult<QuayRobot>> GetRobotAsync(string org, string shortName, CancellationToken ct) =>
        CallAsync<QuayRobot>(() => api.GetRobot(org, shortName, ct), ct, parse: true);

    public Task<QuayResult<QuayRobot>> CreateRobotAsync(string org, string shortName, string description,
        Dictionary<string, string>? metadata, CancellationToken ct) =>
        CallAsync<QuayRobot>(() => api.CreateRobot(org, shortName, new CreateRobotRequest(description, metadata), ct), ct, parse: true);

    /// <summary>
    /// Creates the robot and returns it with its token; when it already exists (an interrupted earlier run, a
    /// concurrent replica, someone else), reads the existing one instead, with its description and metadata so the
    /// caller can tell whose it is. Create first: on the usual path the robot is new. <c>Created</c> says whether this
    /// call created it.
    /// </summary>
    /// <returns>The robot (or why not), whether this call created it, and the operation whose answer it is (for messages).</returns>
    public async Task<(QuayResult<QuayRobot> Robot, bool Created, string Operation)> CreateOrGetRobotAsync(string org, string shortName,
        string description, Dictionary<string, string>? metadata, CancellationToken ct)
    {
        var created = await CreateRobotAsync(org, shortName, description, metadata, ct);
        return created.Outcome == QuayOutcome.AlreadyExists
            ? (await GetRobotAsync(org, shortName, ct), false, $"read robot {org}+{shortName}")
            : (created, created.IsSuccess, $"create robot {org}+{shortName}");
    }

    /// <summary>Deletes a robot (Quay removes its permissions and the default permissions naming it); a missing robot counts as deleted.</summary>
    public async Task<QuayResult<bool>> DeleteRobotAsync(string org, string shortName, CancellationToken ct)
    {
        var result = await CallAsync<bool>(() => api.DeleteRobot(org, shortName, ct), ct);
        return result.Outcome == QuayOutcome.NotFound ? new(QuayOutcome.Success, result.StatusCode, "robot already gone", true) : result;
    }

    /// <summary>A new token for the robot; Quay invalidates the old one at once.</summary>
    public Task<QuayResult<QuayRobot>> RegenerateRobotTokenAsync(string org, string shortName, CancellationToken ct) =>
        CallAsync<QuayRobot>(() => api.RegenerateRobotToken(org, shortName, ct), ct, parse: true);

    /// <summary>The robot's repository permissions with their roles: repository name → role.</summary>
    public async Task<QuayResult<Dictionary<string, string>>> ListRobotPermissionsAsync(string org, string shortName, CancellationToken ct)
    {
        var result = await CallAsync<QuayRobotPermissionList>(() => api.ListRobotPermissions(org, shortName, ct), ct, parse: true);
        return result.As(result.Value?.Permissions.ToDictionary(p => p.Repository.Name, p => p.Role, StringComparer.Ordinal));
    }

    /// <summary>
    /// The organization's own robots, with tokens: of <see cref="ListRobotsAsSelectedAsync"/>, those whose name is the
    /// organization's.
    /// </summary>
    public async Task<QuayResult<List<QuayRobot>>> ListRobotsAsync(string org, CancellationToken ct)
    {
        var result = await ListRobotsAsSelectedAsync(org, ct);
        return result.As(result.Value?.Where(r => IsRobotOf(org, r)).ToList());
    }

    /// <summary>
    /// The robots Quay selects for the organization, with tokens. It selects them with SQL LIKE '&lt;org&gt;+%', in
    /// which the <c>_</c> of an organization name matches any character, so robots of look-alike organizations come
    /// too (those of <c>a-b</c> and <c>a.b</c> for <c>a_b</c>); and so does its deletion of the organization, which
    /// deletes them all.
    /// </summary>
    public async Task<QuayResult<List<QuayRobot>>> ListRobotsAsSelectedAsync(string org, CancellationToken ct)
    {
        var result = await CallAsync<QuayRobotList>(() => api.ListRobots(org, ct), ct, parse: true);
        return result.As(result.Value?.Robots);
    }

    /// <summary>Whether the robot belongs to the organization, not to a look-alike one Quay selected with it.</summary>
    public static bool IsRobotOf(string org, QuayRobot robot) =>
        robot.Name.Length > org.Length && robot.Name[org.Length] == '+' && robot.Name.StartsWith(org, StringComparison.Ordinal);

    /// <summary>
    /// The organization's OAuth applications. A Quay without the route (404) has none to lose with the organization:
    /// an empty list.
    /// </summary>
    public async Task<QuayResult<List<QuayApplication>>> ListApplicationsAsync(string org, CancellationToken ct)
    {
        var result = await CallAsync<QuayApplicationList>(() => api.ListApplications(org, ct), ct, parse: true);
        return result.Outcome == QuayOutcome.NotFound ? new(QuayOutcome.Success, result.StatusCode, result.Message, []) : result.As(result.Value?.Applications);
    }

    public async Task<QuayResult<List<QuayPrototype>>> ListPrototypesAsync(string org, CancellationToken ct)
    {
        var result = await CallAsync<QuayPrototypeList>(() => api.ListPrototypes(org, ct), ct, parse: true);
        return result.As(result.Value?.Prototypes);
    }

    public Task<QuayResult<QuayPrototype>> CreatePrototypeAsync(string org, string robotFullName, string role, CancellationToken ct) =>
        CallAsync<QuayPrototype>(() => api.CreatePrototype(org, new CreatePrototypeRequest(role, new PrototypeDelegate("user", robotFullName)), ct), ct, parse: true);

    public Task<QuayResult<QuayPrototype>> UpdatePrototypeAsync(string org, string id, string role, CancellationToken ct) =>
        CallAsync<QuayPrototype>(() => api.UpdatePrototype(org, id, new RoleRequest(role), ct), ct, parse: true);

    /// <summary>Deletes a default permission; one that is already gone (404) counts as deleted.</summary>
    public async Task<QuayResult<bool>> DeletePrototypeAsync(string org, string id, CancellationToken ct)
    {
        var result = await CallAsync<bool>(() => api.DeletePrototype(org, id, ct), ct);
        return result.Outcome == QuayOutcome.NotFound ? new(QuayOutcome.Success, result.StatusCode, "default permission already gone", true) : result;
    }

    /// <summary>
    /// The repository (name and description), or a NotFound outcome. To an administrator of the organization (which the
    /// operator is wherever it works) Quay answers 404 for a missing repository; its 403 is read as NotFound only when
    /// the organization itself is gone, since otherwise it means that the token cannot see repositories (a repository
    /// scope missing) and says nothing about this one.
    /// </summary>
    public async Task<QuayResult<QuayRepository>> GetRepositoryAsync(string org, string repo, CancellationToken ct)
    {
        var result = await CallAsync<QuayRepository>(() => api.GetRepository(org, repo, ct), ct, parse: true);
        return await RefusedAsGoneAsync(result, org, ct) ? new(QuayOutcome.NotFound, 403, "organization gone") : result;
    }

    /// <summary>Every repository of the organization (name and description), following Quay's pages.</summary>
    public async Task<QuayResult<List<QuayRepository>>> ListRepositoriesAsync(string org, CancellationToken ct)
    {
        var all = new List<QuayRepository>();
        string? next = null;
        for (var page = 0; page < 10_000; page++)
        {
            var result = await CallAsync<QuayRepositoryList>(() => api.ListRepositories(org, next, ct), ct, parse: true);
            if (!result.IsSuccess) return result.As<List<QuayRepository>>();
            all.AddRange(result.Value!.Repositories.Where(r => r.Namespace is null || r.Namespace == org));
            next = result.Value.NextPage;
            if (string.IsNullOrEmpty(next)) break;
        }
        return new(QuayOutcome.Success, 200, "", all);
    }

    public Task<QuayResult<bool>> CreatePrivateRepositoryAsync(string org, string repo, string description, CancellationToken ct) =>
        CallAsync<bool>(() => api.CreateRepository(new CreateRepositoryRequest(org, repo, "private", description, "image"), ct), ct);

    public Task<QuayResult<bool>> DeleteRepositoryAsync(string org, string repo, CancellationToken ct) =>
        CallAsync<bool>(() => api.DeleteRepository(org, repo, ct), ct);

    /// <summary>The roles held on the repository: user or robot name → role.</summary>
    public async Task<QuayResult<Dictionary<string, string>>> ListRepositoryPermissionsAsync(string org, string repo, CancellationToken ct)
    {
        var result = await CallAsync<QuayRepositoryPermissionList>(() => api.ListRepositoryUserPermissions(org, repo, ct), ct, parse: true);
        return result.As(result.Value?.Permissions.ToDictionary(p => p.Key, p => p.Value.Role, StringComparer.Ordinal));
    }

    /// <summary>
    /// Gives the user (or robot) the role on the repository. Quay answers a repository that does not exist with a 500
    /// (<see cref="QuayResilience.AnswersWith500"/>), asked once: the repository is then looked up, and a missing one is
    /// NotFound, so a repository deleted since it was last read is not taken for Quay failing.
    /// </summary>
    public async Task<QuayResult<QuayPermission>> SetRepositoryPermissionAsync(string org, string repo, string username, string role, CancellationToken ct)
    {
        var result = await CallAsync<QuayPermission>(() => api.SetRepositoryUserPermission(org, repo, username, new RoleRequest(role), ct), ct, parse: true);
        if (result.StatusCode != 500 || (await GetRepositoryAsync(org, repo, ct)).Outcome != QuayOutcome.NotFound) return result;
        return new(QuayOutcome.NotFound, 404, $"repository {org}/{repo} does not exist (Quay answered the role's grant with HTTP 500)");
    }

    /// <summary>
    /// Deletes the user's (or robot's) permission on the repository; one it does not hold (Quay's 400 "User does not
    /// have permission for repo") or a repository that is gone counts as deleted.
    /// </summary>
    public async Task<QuayResult<bool>> DeleteRepositoryPermissionAsync(string org, string repo, string username, CancellationToken ct)
    {
        var result = await CallAsync<bool>(() => api.DeleteRepositoryUserPermission(org, repo, username, ct), ct);
        return result.Outcome == QuayOutcome.NotFound ? new(QuayOutcome.Success, result.StatusCode, "permission already gone", true) : result;
    }

    private async Task<QuayResult<bool>> ExistsAsync(Func<Task<HttpResponseMessage>> call, CancellationToken ct)
    {
        var result = await CallAsync<bool>(call, ct);
        return result.Outcome switch
        {
            QuayOutcome.Success => result.As(true),
            QuayOutcome.NotFound => new(QuayOutcome.Success, result.StatusCode, result.Message, false),
            _ => result,
        };
    }

    private async Task<QuayResult<T>> CallAsync<T>(Func<Task<HttpResponseMessage>> call, CancellationToken ct, bool parse = false)
    {
        var result = await SendAsync<T>(call, parse, endpoint.BodyTimeout, ct);
        endpoint.Availability.Record(result.Outcome);
        return result;
    }

    /// <summary>
    /// Sends one call and reads its answer. A success is read straight from the stream into <typeparamref name="T"/>
    /// (or not read at all when nothing is parsed): no copy of the body as text, and no buffering of what the type does
    /// not keep, such as the list of every organization in <c>/api/v1/user/</c>, which grows with the cluster. Only an
    /// error's body is read as text, for its message.
    /// </summary>
    /// <param name="bodyTimeout">
    /// The resilience pipeline's attempt timeout ends when the headers arrive. The body gets a bound of its own, so an
    /// answer that stalls half-way (a proxy or Quay worker dying mid-write) fails the call instead of holding it forever.
    /// </param>
    private static async Task<QuayResult<T>> SendAsync<T>(Func<Task<HttpResponseMessage>> call, bool parse, TimeSpan bodyTimeout,
        CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await call();
        }
        catch (Exception e) when (ct.IsCancellationRequested)
        {
            throw CancelledByCaller(e, ct);
        }
        catch (Exception e) when (Transport(e) is { } failure)
        {
            // Refit wraps transport failures (ApiRequestException); the cause is somewhere in the chain.
            return new(failure.Outcome, 0, failure.Message);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var success = QuayResponseClassifier.IsSuccess(response.StatusCode);
            if (success && !parse) return new(QuayOutcome.Success, status, ""); // nothing to read, nothing to time
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct);
            reading.CancelAfter(bodyTimeout);
            try
            {
                if (success)
                {
                    await using var stream = await response.Content.ReadAsStreamAsync(reading.Token);
                    return new(QuayOutcome.Success, status, "", await JsonSerializer.DeserializeAsync(stream, (JsonTypeInfo<T>)QuayJson.Options.GetTypeInfo(typeof(T)), reading.Token));
                }
                var body = await response.Content.ReadAsStringAsync(reading.Token);
                var outcome = QuayResponseClassifier.Classify(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, out var message);
                return new(outcome, status, message);
            }
            catch (JsonException e)
            {
                return new(QuayOutcome.Unexpected, status, $"unreadable JSON answer: {e.Message}");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new(QuayOutcome.Unavailable, status, $"timed out reading the answer (HTTP {status}) after {bodyTimeout.TotalSeconds:0.#} s");
            }
            catch (Exception e) when (ct.IsCancellationRequested)
            {
                throw CancelledByCaller(e, ct);
            }
            catch (Exception e) when (Transport(e) is { } failure)
            {
                return new(failure.Outcome, status, failure.Message);
            }
        }
    }

    /// <summary>
    /// A call its caller gave up on (a stop, a lost lease) ends as a cancellation, whatever the transport made of it (a
    /// read interrupted mid-TLS surfaces as an IOException): never as Quay being unavailable, which the outage tracking
    /// and the error-rate alert would count against Quay.
    /// </summary>
    private static OperationCanceledException CancelledByCaller(Exception e, CancellationToken ct) =>
        e as OperationCanceledException is { InnerException: null } cancelled ? cancelled : new("the Quay call was cancelled by its caller", e, ct);

    /// <summary>Maps a failed send (TLS, network, timeout, open circuit, saturated limiter) to an outcome; null if it is none of those.</summary>
    internal static (QuayOutcome Outcome, string Message)? Transport(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case System.Security.Authentication.AuthenticationException:
                    return (QuayOutcome.TlsFailure, x.Message);
                case BrokenCircuitException:
                    return (QuayOutcome.Unavailable, "circuit open after repeated failures");
                case TimeoutRejectedException:
                    return (QuayOutcome.Unavailable, "timed out");
                case RateLimiterRejectedException:
                    return (QuayOutcome.Unavailable, "too many concurrent Quay calls queued");
            }
        }
        for (var x = e; x is not null; x = x.InnerException)
            if (x is HttpRequestException or System.Net.Sockets.SocketException or IOException)
                return (QuayOutcome.Unavailable, $"network error: {x.Message}");
        return null;
    }
}
