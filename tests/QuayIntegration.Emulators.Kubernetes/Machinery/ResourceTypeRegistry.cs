namespace QuayIntegration.Emulators.Kubernetes.Machinery;

/// <summary>The set of served resources. CRDs add and remove entries at runtime, so reads take a snapshot.</summary>
public sealed class ResourceTypeRegistry
{
    private readonly Lock _gate = new();
    private List<ResourceType> _types = [];

    public void Add(ResourceType type)
    {
        lock (_gate) _types = [.. _types.Where(t => !(t.Group == type.Group && t.Version == type.Version && t.Plural == type.Plural)), type];
    }

    public void RemoveGroupResource(string group, string plural)
    {
        lock (_gate) _types = [.. _types.Where(t => !(t.Group == group && t.Plural == plural))];
    }

    public IReadOnlyList<ResourceType> All { get { lock (_gate) return _types; } }

    public ResourceType? Find(string group, string version, string plural) =>
        All.FirstOrDefault(t => t.Group == group && t.Version == version && t.Plural == plural);

    public ResourceType? FindByKind(string group, string version, string kind) =>
        All.FirstOrDefault(t => t.Group == group && t.Version == version && t.Kind == kind);

    /// <summary>Groups in discovery order: the legacy core group first, then by registration order.</summary>
    public IEnumerable<IGrouping<string, ResourceType>> Groups() => All.Where(t => t.Group.Length > 0).GroupBy(t => t.Group);
}
