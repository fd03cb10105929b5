namespace QuayIntegration.Operator.Quay;

/// <summary>What a Quay answer means, once Quay's conventions (see docs/quay-api.md) are decoded.</summary>
public enum QuayOutcome
{
    Success,
    /// <summary>The object does not exist (a 404, or Quay's 400 "Could not find robot").</summary>
    NotFound,
    /// <summary>A create found the object already there (Quay answers 400, never 409).</summary>
    AlreadyExists,
    /// <summary>The name belongs to a deleted organization not yet garbage-collected: retry later.</summary>
    NameNotAvailableYet,
    /// <summary>Quay rejected the name itself.</summary>
    InvalidName,
    /// <summary>The token is unknown or expired (Quay treats it as anonymous: 401 on reads, CSRF 403 on writes).</summary>
    BadToken,
    /// <summary>A 403 from a valid token: either missing scope/permission or, for repositories, a missing object.</summary>
    Forbidden,
    /// <summary>Quay is down, overloaded, rate limiting, or the network failed; retry with backoff.</summary>
    Unavailable,
    /// <summary>The TLS handshake failed (unknown CA, wrong host name).</summary>
    TlsFailure,
    /// <summary>An answer that fits none of the above (for example an HTML 404 from a wrong base URL).</summary>
    Unexpected,
}

/// <summary>The result of one Quay call: outcome, HTTP status (0 without a response) and Quay's own message.</summary>
public sealed record QuayResult<T>(QuayOutcome Outcome, int StatusCode, string Message, T? Value = default)
{
    public bool IsSuccess => Outcome == QuayOutcome.Success;

    /// <summary>
    /// Quay answered with a refusal (a 4xx other than a timeout): the request was judged and not carried out, so a
    /// create refused so made nothing, and none can land later. A 429 is one too: Quay's API sends it to a bearer token
    /// only from nginx's rate limit, in front of the application, so the request never reached Quay. (No answer, a 408
    /// or a 5xx leave that open.)
    /// </summary>
    public bool RefusedOutright => StatusCode is >= 400 and < 500 and not 408;

    public QuayResult<TOther> As<TOther>(TOther? value = default) => new(Outcome, StatusCode, Message, value);

    /// <summary>The value of a successful call; any other outcome stops the caller's step as a <see cref="QuayOperationException"/>.</summary>
    public T? ValueOrThrow(string operation) => IsSuccess ? Value : throw QuayOperationException.From(operation, this);

    public override string ToString() => StatusCode == 0 ? $"{Outcome}: {Message}" : $"{Outcome} (HTTP {StatusCode}): {Message}";
}

/// <summary>Raised by reconcilers when a Quay outcome stops the current step; carries the outcome for status and backoff.</summary>
public sealed class QuayOperationException(string operation, QuayOutcome outcome, int statusCode, string quayMessage)
    : Exception($"{operation} failed: {Describe(outcome)} (HTTP {statusCode}: {quayMessage})")
{
    public string Operation { get; } = operation;
    public QuayOutcome Outcome { get; } = outcome;
    public int StatusCode { get; } = statusCode;

    public static QuayOperationException From<T>(string operation, QuayResult<T> result) =>
        new(operation, result.Outcome, result.StatusCode, result.Message);

    /// <summary>Words a person can act on.</summary>
    public static string Describe(QuayOutcome outcome) => outcome switch
    {
        QuayOutcome.BadToken => "Quay did not accept the token (unknown, expired, or lacking user:read); update the credentials Secret",
        QuayOutcome.Forbidden => "the token lacks a scope or permission (needs org:admin, repo:admin, repo:create, repo:read, repo:write, user:admin, user:read)",
        QuayOutcome.Unavailable => "Quay is unavailable; retrying with backoff",
        QuayOutcome.TlsFailure => "TLS verification of Quay failed; set spec.caBundle to the CA that signs Quay's certificate (or insecureRegistry)",
        QuayOutcome.NameNotAvailableYet => "Quay still reserves this name for a deleted organization until its garbage collection runs; retrying",
        QuayOutcome.InvalidName => "Quay rejected the name",
        QuayOutcome.Unexpected => "Quay gave an unexpected answer; check that quayHostname is the Quay base URL",
        _ => outcome.ToString(),
    };
}
