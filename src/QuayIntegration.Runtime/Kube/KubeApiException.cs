using System.Net;

namespace QuayIntegration.Runtime.Kube;

/// <summary>A non-success answer from the API server, with the Status reason and message it carried.</summary>
public sealed class KubeApiException(HttpStatusCode status, string reason, string message)
    : Exception($"{(int)status} {reason}: {message}")
{
    public HttpStatusCode Status { get; } = status;
    public string Reason { get; } = reason;
    public string ApiMessage { get; } = message;

    public bool IsNotFound => Status == HttpStatusCode.NotFound;
    public bool IsConflict => Status == HttpStatusCode.Conflict;
    public bool IsAlreadyExists => Status == HttpStatusCode.Conflict && Reason == "AlreadyExists";
    public bool IsGone => Status == HttpStatusCode.Gone;
    /// <summary>A failed JSON patch "test" (stale resourceVersion) is a 422 on most servers, 409 on some.</summary>
    public bool IsPreconditionFailure => IsConflict || Status == HttpStatusCode.UnprocessableEntity;
}
