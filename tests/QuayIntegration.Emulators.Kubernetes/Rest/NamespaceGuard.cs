using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Rest;

/// <summary>The NamespaceLifecycle admission plugin: no content in missing or terminating namespaces.</summary>
public static class NamespaceGuard
{
    public const string NamespacesKey = "/namespaces";

    public static void EnsureAcceptsNewContent(ApiServerCore server, string ns)
    {
        var namespaceObj = server.Store.Get(NamespacesKey, null, ns) ?? throw Errors.NotFound("namespaces", ns, "", "namespaces");
        if (namespaceObj.At("metadata", "deletionTimestamp") is not null || namespaceObj.At("status", "phase").AsString() == "Terminating")
            throw Errors.Forbidden($"unable to create new content in namespace {ns} because it is being terminated", new JsonObject
            {
                ["name"] = ns,
                ["kind"] = "namespaces",
                ["causes"] = new JsonArray(new JsonObject
                {
                    ["reason"] = "NamespaceTerminating",
                    ["message"] = $"namespace {ns} is being terminated",
                    ["field"] = "metadata.namespace",
                }),
            });
    }
}
