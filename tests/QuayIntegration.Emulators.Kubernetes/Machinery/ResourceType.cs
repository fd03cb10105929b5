using QuayIntegration.Emulators.Kubernetes.Resources;

namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>A subresource as discovery lists it (e.g. <c>namespaces/finalize</c>).</summary>
public sealed record Subresource(string Name, string Kind, IReadOnlyList<string> Verbs, string? Group = null, string? Version = null);

/// <summary>Everything the server knows about one served resource: names for URLs, discovery and messages, plus its strategy.</summary>
public sealed class ResourceType
{
    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public required string Group { get; init; }
    public required string Version { get; init; }
    public required string Plural { get; init; }
    public required string Singular { get; init; }
    public required string Kind { get; init; }
    public required bool Namespaced { get; init; }
    public required ResourceStrategy Strategy { get; init; }
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public IReadOnlyList<Subresource> Subresources { get; init; } = [];
    /// <summary>Compiled-in types omit kind/apiVersion on list items and accept strategic merge patch; custom resources do not.</summary>
    public bool BuiltIn { get; init; } = true;

    public string ListKind => Kind + "List";
    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    /// <summary><c>builds.build.openshift.io</c> or <c>secrets</c>: how messages name the resource.</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
    /// <summary>
    /// Storage is per group and resource, independent of the version requested; a resource served in two groups over
    /// one storage (events.k8s.io Events are core Events) names the other's key here.
    /// </summary>
    public string? StorageKeyOverride { get; init; }
    public string StorageKey => StorageKeyOverride ?? $"{Group}/{Plural}";
    public bool Supports(string verb) => Verbs.Contains(verb);

    public ApiException NotFound(string name) => Errors.NotFound(QualifiedResource, name, Group, Plural);
    public ApiException AlreadyExists(string name) => Errors.AlreadyExists(QualifiedResource, name, Group, Plural);
    public ApiException Conflict(string name) => Errors.Conflict(QualifiedResource, name, Group, Plural);
    public ApiException Invalid(string name, IReadOnlyList<FieldError> errors) => Errors.Invalid(Kind, Group, name, errors);
}
