namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// An API request (other than a watch) that got no complete answer within <c>Operator:ApiRequestTimeout</c>. A
/// <see cref="TimeoutException"/>, not an <see cref="OperationCanceledException"/>, so that callers never mistake a
/// stalled API server for their own shutdown.
/// </summary>
public sealed class KubeApiTimeoutException(HttpMethod method, string path, TimeSpan timeout, Exception inner)
    : TimeoutException($"{method} {path}: no complete answer from the Kubernetes API server within {timeout.TotalSeconds:0.###}s (Operator:ApiRequestTimeout)", inner)
{
    public HttpMethod Method { get; } = method;
    public string Path { get; } = path;
    public TimeSpan Timeout { get; } = timeout;
}
