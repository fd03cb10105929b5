namespace QuayIntegration.Emulators.Kubernetes.Patch;

/// <summary>
/// The patch metadata strategic merge patch needs for one type: which lists merge, and by which key.
/// Paths are dotted member names from the object root (array elements add no segment), e.g. <c>spec.tags</c>.
/// Lists not named here are atomic and replaced whole, as <c>imagePullSecrets</c> is.
/// </summary>
public sealed class StrategicMergeSchema(IReadOnlyDictionary<string, string?> mergeLists)
{
    /// <summary>Keyed lists map to their merge key; primitive lists that merge as sets map to null.</summary>
    public IReadOnlyDictionary<string, string?> MergeLists { get; } = mergeLists;

    public static readonly StrategicMergeSchema Common = new(new Dictionary<string, string?>
    {
        ["metadata.finalizers"] = null,
        ["metadata.ownerReferences"] = "uid",
    });

    public StrategicMergeSchema With(params (string Path, string? Key)[] lists)
    {
        var all = new Dictionary<string, string?>(MergeLists);
        foreach (var (path, key) in lists) all[path] = key;
        return new StrategicMergeSchema(all);
    }

    public bool TryGetList(string path, out string? mergeKey) => MergeLists.TryGetValue(path, out mergeKey);
}
