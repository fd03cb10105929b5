using System.Net;

namespace QuayIntegration.Runtime.Kube;

/// <summary>A non-success answer from the API server, with the Status reason and message it carried.</summary>
public sealed class KubeApiException(HttpStatusCode status, string reason, string message, IReadOnlyList<string>? causeFields = null)
    : Exception($"{(int)status} {reason}: {message}")
{
    public HttpStatusCode Status { get; } = status;
    public string Reason { get; } = reason;
    public string ApiMessage { get; } = message;
    /// <summary>The fields the Status's causes name (<c>metadata.uid</c>), for a 422 Invalid: which part was refused.</summary>
    public IReadOnlyList<string> CauseFields { get; } = causeFields ?? [];

    /// <summary>A 422 Invalid that names <paramref name="field"/> among its causes.</summary>
    public bool IsInvalidAt(string field) => Status == HttpStatusCode.UnprocessableEntity && CauseFields.Contains(field);

    public bool IsNotFound => Status == HttpStatusCode.NotFound;
    public bool IsConflict => Status == HttpStatusCode.Conflict;
    public bool IsAlreadyExists => Status == HttpStatusCode.Conflict && Reason == "AlreadyExists";
    public bool IsGone => Status == HttpStatusCode.Gone;
    /// <summary>A failed JSON patch "test" (stale resourceVersion) is a 422 on most servers, 409 on some.</summary>
    public bool IsPreconditionFailure => IsConflict || Status == HttpStatusCode.UnprocessableEntity;
}
