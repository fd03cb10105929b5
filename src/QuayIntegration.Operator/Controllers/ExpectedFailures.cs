using QuayIntegration.Operator.Quay;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Operator.Controllers;

/// <summary>The failures a reconcile expects from Quay, the API server and the network; any other is logged with its stack (a bug, most likely).</summary>
public static class ExpectedFailures
{
    public static bool Contains(Exception e) =>
        e is QuayOperationException or KubeApiException or ReconcileException or Namespaces.RecordFieldsDroppedException or TimeoutException or HttpRequestException or IOException;
}
