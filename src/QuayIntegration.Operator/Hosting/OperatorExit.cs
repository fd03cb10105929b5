namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// How the process should end once the host has stopped: 0, or 1 when the operator stopped itself because it could
/// not go on (it lost the leader Lease). Read by <see cref="OperatorCommand"/>; the host itself is then stopped the
/// ordinary way, so everything shuts down in order.
/// </summary>
public sealed class OperatorExit
{
    /// <summary>The reason given when the replica lost the leader Lease: it exits so that its pod restarts and campaigns again.</summary>
    public const string LostLease = "lost the leader Lease";

    public int Code { get; private set; }

    /// <summary>Why the operator stopped itself, for the last line on standard error.</summary>
    public string? Reason { get; private set; }

    public void Fail(string reason)
    {
        Code = OperatorCommand.Failed;
        Reason = reason;
    }
}
