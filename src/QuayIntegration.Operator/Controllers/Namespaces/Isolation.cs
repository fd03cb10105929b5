using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>The result of one item's part of a reconcile that did not fail.</summary>
public sealed record Done<T>(T Value);

/// <summary>
/// Keeps a failure confined to the item it belongs to: one service account whose robot Quay refuses, one repository
/// whose name Quay rejects, one service account whose link keeps conflicting. Such a failure becomes a problem of that
/// item (the namespace is reported failing and retried) while every other item is still brought in step. A failure of
/// Quay or of the credentials as a whole is not confined: it stops the reconcile, since every other item would fail
/// the same way.
/// </summary>
public static class Isolation
{
    public static async Task<Done<T>?> RunAsync<T>(NamespaceWork work, string item, Func<Task<T>> action)
    {
        try
        {
            return new Done<T>(await action());
        }
        catch (QuayOperationException e) when (e.Outcome is not (QuayOutcome.Unavailable or QuayOutcome.BadToken or QuayOutcome.TlsFailure))
        {
            work.Problem($"{item}: {e.Message}", ProblemSide.Quay);
            work.QuayCallFailed = true;
        }
        catch (ObjectInTheWayException e)
        {
            work.Problem($"{item}: {e.Message}", ProblemSide.Cluster);
        }
        catch (KubeApiException e) when (!e.IsConflict)
        {
            work.Problem($"{item}: {e.Message}", ProblemSide.Cluster);
        }
        return null;
    }
}
