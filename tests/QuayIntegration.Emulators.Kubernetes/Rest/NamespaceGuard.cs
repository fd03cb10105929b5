using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Rest;

/// <summary>The NamespaceLifecycle admission plugin: no content in missing or terminating namespaces.</summary>
public static class NamespaceGuard
{
    public const string NamespacesKey = "/namespaces";

    /// <param name="type">What is being created.</param>
    /// <param name="name">Its name, or its generateName while no name is chosen yet (as admission sees it).</param>
    public static void EnsureAcceptsNewContent(ApiServerCore server, string ns, ResourceType type, string? name)
    {
        var namespaceObj = server.Store.Get(NamespacesKey, null, ns) ?? throw Errors.NotFound("namespaces", ns, "", "namespaces");
        // admission.NewForbidden: "<resource> "<name>" is forbidden: <reason>", details naming what was created.
        name = string.IsNullOrEmpty(name) ? "Unknown" : name;
        if (namespaceObj.At("metadata", "deletionTimestamp") is not null || namespaceObj.At("status", "phase").AsString() == "Terminating")
            throw Errors.Forbidden($"{type.QualifiedResource} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", new JsonObject
            {
                ["name"] = name,
                ["group"] = type.Group,
                ["kind"] = type.Plural,
                ["causes"] = new JsonArray(new JsonObject
                {
                    ["reason"] = "NamespaceTerminating",
                    ["message"] = $"namespace {ns} is being terminated",
                    ["field"] = "metadata.namespace",
                }),
            });
    }
}
