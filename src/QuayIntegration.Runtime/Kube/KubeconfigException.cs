namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// The connection to the API server cannot be set up as configured: a kubeconfig that is missing, unreadable or
/// inconsistent, an in-cluster environment that is incomplete, a credential plugin that fails. The message says
/// which file, context or field, never a credential's value.
/// </summary>
public sealed class KubeconfigException : Exception
{
    public KubeconfigException(string message) : base(message)
    {
    }

    public KubeconfigException(string message, Exception inner) : base(message, inner)
    {
    }
}
