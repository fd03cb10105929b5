using k8s.Models;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Caching;

/// <summary>
/// One of the operator's Secrets as its cache keeps it: what the credential step compares with the Secret it wants
/// (type, the digest of the data, labels, annotations), whether its data may be written at all, and lists by (the
/// robot annotation). The data itself is not
/// kept, only its <see cref="DataDigest"/>: no robot token is held between the reconciles that write it.
/// </summary>
public sealed class CachedSecret : CachedObject
{
    public CachedSecret(string? @namespace, string name, string? resourceVersion, string? type, bool immutable, IDictionary<string, byte[]>? data,
        IDictionary<string, string>? labels, IDictionary<string, string>? annotations)
        : base(@namespace, name, resourceVersion)
    {
        Type = type;
        Immutable = immutable;
        DataKeys = data is null || data.Count == 0 ? []
            : data.Count == 1 && data.ContainsKey(RobotSecret.DataKey) ? OnlyDockerConfig
            : [.. data.Keys];
        DataDigest = Runtime.DataDigest.OfData(data);
        Labels = labels;
        Annotations = annotations;
    }

    /// <summary>The Secret as the API server sent it, without sharing anything with the cache (a Secret read directly).</summary>
    public static CachedSecret Of(V1Secret secret) =>
        new(secret.Metadata.NamespaceProperty, secret.Metadata.Name, secret.Metadata.ResourceVersion, secret.Type, secret.Immutable == true, secret.Data,
            secret.Metadata.Labels, secret.Metadata.Annotations);

    // The keys of every Secret the operator wrote, one array for all of them.
    private static readonly string[] OnlyDockerConfig = [RobotSecret.DataKey];

    public string? Type { get; }

    /// <summary>
    /// <c>immutable: true</c>: the API server refuses any change of its data, and it cannot be made mutable again; only
    /// its metadata may change.
    /// </summary>
    public bool Immutable { get; }

    /// <summary>The keys of the Secret's data: a write of the data must remove any key but its own.</summary>
    public IReadOnlyList<string> DataKeys { get; }

    /// <summary>The <see cref="Runtime.DataDigest.OfData"/> of the Secret's data.</summary>
    public UInt128 DataDigest { get; }

    public IDictionary<string, string>? Labels { get; }
    public IDictionary<string, string>? Annotations { get; }
}
