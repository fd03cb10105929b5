namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Every value of the <c>outcome</c> label of <see cref="AdmissionMetrics.Requests"/>: a closed set written in code,
/// never text from a request, so the metric's series stay bounded whatever clients send.
/// </summary>
public static class AdmissionOutcome
{
    public const string Patched = "patched";
    public const string NotCreate = "not-create";
    public const string NotABuild = "not-a-build";
    public const string Pipeline = "pipeline";
    public const string NotImageStreamTag = "not-imagestreamtag";
    public const string InvalidOutput = "invalid-output";
    public const string NotSynced = "not-synced";
    public const string NoIntegration = "no-integration";
    public const string IntegrationDeleting = "integration-deleting";
    public const string IntegrationUnusable = "integration-unusable";
    public const string IntegrationConflict = "integration-conflict";
    public const string NamespaceNotAllowed = "namespace-not-allowed";
    public const string NamespaceNotReady = "namespace-not-ready";
    public const string TargetNotAllowed = "target-not-allowed";
    public const string TargetNotReady = "target-not-ready";
    public const string TargetOfAnotherIntegration = "target-other-integration";
    public const string InvalidRepository = "invalid-repository";
    /// <summary>HTTP 400 (the body is not an AdmissionReview the webhook can read), or a CREATE without object or namespace (denied).</summary>
    public const string Malformed = "malformed";
    /// <summary>HTTP 413: the body is larger than the limit.</summary>
    public const string TooLarge = "too-large";
    /// <summary>The client sent its body too slowly, broke off, or spoke broken HTTP.</summary>
    public const string ClientError = "client-error";
    /// <summary>A bug in the webhook: the request was denied with a generic message and logged.</summary>
    public const string Error = "error";
    /// <summary>Folds anything not listed here (a value added without registering it).</summary>
    public const string Other = "other";

    public static readonly IReadOnlySet<string> All = new HashSet<string>
    {
        Patched, NotCreate, NotABuild, Pipeline, NotImageStreamTag, InvalidOutput, NotSynced, NoIntegration, IntegrationDeleting,
        IntegrationUnusable, IntegrationConflict, NamespaceNotAllowed, NamespaceNotReady, TargetNotAllowed, TargetNotReady, TargetOfAnotherIntegration, InvalidRepository, Malformed,
        TooLarge, ClientError, Error, Other,
    };
}
