using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources.OpenShift;

/// <summary>project.openshift.io/v1 Project: a view of Namespaces (get, list, watch, delete).</summary>
public sealed class ProjectStrategy : ResourceStrategy
{
    public override string? BackingStorageKey => Rest.NamespaceGuard.NamespacesKey;
    public override JsonObject ViewOf(JsonObject stored, ResourceType type) => ToProject(stored, type);

    private static readonly HashSet<string> Selectable = ["metadata.name", "status.phase"];
    public override IReadOnlySet<string> SelectableFieldNames => Selectable;
    public override IReadOnlyList<TableColumn> Columns =>
    [
        new("Display Name", "string", "", "", 0, o => o.At("metadata", "annotations", "openshift.io/display-name")?.DeepClone()),
        new("Status", "string", "", "", 0, o => o.At("status", "phase")?.DeepClone()),
    ];

    public override Dictionary<string, string> SelectableFields(JsonObject obj)
    {
        var fields = base.SelectableFields(obj);
        fields["status.phase"] = obj.At("status", "phase").AsString() ?? "";
        return fields;
    }

    public override async Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        var namespaces = ctx.Server.Registry.Find("", "v1", "namespaces")!;
        switch (ctx.Verb)
        {
            case "get":
                var ns = ctx.Server.Store.Get(namespaces.StorageKey, null, ctx.Name!) ?? throw ctx.Type.NotFound(ctx.Name!);
                return new ApiResult(200, ToProject(ns, ctx.Type));
            case "list":
                var (items, revision) = ctx.Server.Store.List(namespaces.StorageKey, null);
                return ListQuery.List(ctx, items.Select(n => ToProject(n, ctx.Type)), revision);
            case "delete":
                if (ctx.Server.Store.Get(namespaces.StorageKey, null, ctx.Name!) is null) throw ctx.Type.NotFound(ctx.Name!);
                var result = await ResourceOperations.DeleteAsync(ctx.For(namespaces, "delete", null, ctx.Name), null);
                return result.Body is JsonObject o && o.Str("kind") == "Namespace" ? new ApiResult(200, ToProject(o, ctx.Type)) : result;
            default:
                throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        }
    }

    public static JsonObject ToProject(JsonObject ns, ResourceType projectType)
    {
        var project = ns.Clone();
        project["kind"] = projectType.Kind;
        project["apiVersion"] = projectType.GroupVersion;
        return project;
    }
}

/// <summary>
/// project.openshift.io/v1 ProjectRequest (create only): <c>oc new-project</c>. Reserved names are forbidden; the
/// namespace gets the display-name, description and requester annotations (possibly empty), and the answer is a Project.
/// </summary>
public sealed class ProjectRequestStrategy : ResourceStrategy
{
    public const string OriginFinalizer = "openshift.io/origin";
    private static readonly string[] ReservedNames = ["openshift", "kubernetes", "kube"];
    private static readonly string[] ReservedPrefixes = ["openshift-", "kubernetes-", "kube-"];

    public override async Task<ApiResult?> TryHandleAsync(RequestContext ctx)
    {
        if (ctx.Verb != "create") throw Errors.MethodNotAllowed("the server does not allow this method on the requested resource");
        var body = ResourceOperations.NormalizeIncoming(ctx, await RequestBody.ReadObjectAsync(ctx));
        var name = body.At("metadata", "name").AsString() ?? "";
        if (ReservedNames.Contains(name))
            throw Errors.Forbidden($"projectrequests.project.openshift.io \"{name}\" is forbidden: cannot request a project with the name \"{name}\"",
                new JsonObject { ["name"] = name, ["group"] = "project.openshift.io", ["kind"] = "projectrequests" });
        if (ReservedPrefixes.FirstOrDefault(p => name.StartsWith(p, StringComparison.Ordinal)) is { } prefix)
            throw Errors.Forbidden($"projectrequests.project.openshift.io \"{name}\" is forbidden: cannot request a project starting with \"{prefix}\"",
                new JsonObject { ["name"] = name, ["group"] = "project.openshift.io", ["kind"] = "projectrequests" });
        var projects = ctx.Server.Registry.Find("project.openshift.io", "v1", "projects")!;
        if (name.Length == 0) throw projects.Invalid(name, [FieldError.Required("metadata.name")]);
        if (NameRules.ValidateDns1123Label(name) is { } problem) throw projects.Invalid(name, [FieldError.Invalid("metadata.name", JsonValue.Create(name), problem)]);
        var namespaces = ctx.Server.Registry.Find("", "v1", "namespaces")!;
        if (ctx.Server.Store.Get(namespaces.StorageKey, null, name) is not null) throw projects.AlreadyExists(name);
        var ns = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["annotations"] = new JsonObject
                {
                    ["openshift.io/description"] = body.Str("description") ?? "",
                    ["openshift.io/display-name"] = body.Str("displayName") ?? "",
                    ["openshift.io/requester"] = ctx.UserInfo.Str("username") ?? "",
                },
            },
            // openshift-controller-manager's project finalizer controller removes it once the namespace terminates.
            ["spec"] = new JsonObject { ["finalizers"] = new JsonArray(OriginFinalizer) },
        };
        try
        {
            var created = await ResourceOperations.CreateAsync(ctx.For(namespaces, "create", null, null), ns);
            return new ApiResult(201, ProjectStrategy.ToProject((JsonObject)created.Body, projects));
        }
        catch (ApiException e) when (e.Code == 409)
        {
            throw projects.AlreadyExists(name);
        }
    }
}
