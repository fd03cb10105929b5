using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Runtime;

/// <summary>
/// An informer's cache with this process's own latest writes laid over it, the idea of client-go's MutationCache: a
/// reconcile that runs before the watch event of the previous write has arrived reads the object as it was written
/// (or as deleted), not the older copy, from which it would repeat a write made already, or send one with an old
/// resourceVersion and be refused.
/// <para>
/// Each write's reply is kept with the resourceVersions this process's writes replaced (a chain of writes, each
/// computed from the reply of the one before, replaces several before the cache shows any). The copy is served while
/// the cache still shows one of those versions, and let go as soon as it shows any other: caught up, or someone else
/// wrote since, and then the cache is the truth. No resourceVersion is compared for order: they are opaque.
/// </para>
/// </summary>
/// <typeparam name="TWire">What the API server answers a write with.</typeparam>
/// <typeparam name="T">What the informer keeps (the reply is made into it as the informer makes what it caches).</typeparam>
public class ReadYourWrites<TWire, T> : IInformerHandler<T> where TWire : class, IKubernetesObject<V1ObjectMeta> where T : class
{
    /// <summary>
    /// What this process wrote last: the object as written, or null when it deleted it; and how many relists the
    /// informer had started then (a relist started later reads everything afresh, so the cache is the truth after it).
    /// </summary>
    private sealed record Copy(IReadOnlySet<string?> Replaced, T? Written, long ListsStartedBefore);

    private readonly Informer<TWire, T> _cache;
    private readonly ConcurrentDictionary<ObjectKey, Copy> _written = new();

    public ReadYourWrites(Informer<TWire, T> cache)
    {
        _cache = cache;
        cache.AddHandler(this);
    }

    /// <summary>The object as this process last wrote it while the cache has not caught up, else as the cache has it.</summary>
    public T? Get(ObjectKey key)
    {
        var cached = _cache.Get(key);
        // Read again when no copy applies: the copy may have been let go because the cache moved on meanwhile.
        return Ahead(key, cached) is { } copy ? copy.Written : _cache.Get(key);
    }

    public T? Get(string? ns, string name) => Get(new ObjectKey(ns, name));

    /// <summary>The namespace's objects, each as <see cref="Get(ObjectKey)"/> reads it (created ones the cache lacks included).</summary>
    public IReadOnlyList<T> ListInNamespace(string ns)
    {
        var cached = _cache.ListInNamespace(ns);
        var result = new List<T>(cached.Count);
        foreach (var item in cached)
        {
            var copy = Ahead(_cache.Identity.KeyOf(item), item);
            if (copy is null) result.Add(item);
            else if (copy.Written is { } written) result.Add(written);
        }
        foreach (var (key, _) in _written)
        {
            if (key.Namespace == ns && _cache.Get(key) is null && Ahead(key, null)?.Written is { } created) result.Add(created);
        }
        return result;
    }

    /// <summary>
    /// Remembers the reply of a write computed from <paramref name="before"/> (null for a create), made into what the
    /// cache keeps, which is returned.
    /// </summary>
    public T Written(T? before, TWire reply)
    {
        // A write that took the last finalizer off an object marked for deletion deleted it: the reply is the object as
        // written, never stored, so it still carries the version written over. (A namespace whose spec.finalizers still
        // hold it is stored, under a new version.)
        var deleted = reply.Metadata.DeletionTimestamp is not null && reply.Metadata.Finalizers is not { Count: > 0 }
                      && before is not null && reply.Metadata.ResourceVersion == _cache.Identity.VersionOf(before);
        var written = _cache.ToCached(reply);
        Remember(_cache.Identity.KeyOf(written), before, deleted ? null : written);
        return written;
    }

    /// <summary>
    /// Remembers the reply of a create that made an object again under its name right after this process's write let
    /// <paramref name="before"/> go (its last finalizer taken off an object being deleted): the cache may show the old
    /// object, then none, before it shows the new one, and the new one is served meanwhile.
    /// </summary>
    public T Recreated(T before, TWire reply)
    {
        var written = _cache.ToCached(reply);
        // What the write that let it go replaced is still replaced (the cache may show any version of that chain), and
        // so is the absence between the two objects.
        Remember(_cache.Identity.KeyOf(written), before, written, absenceReplaced: true);
        return written;
    }

    /// <summary>Remembers that this process deleted the object it read as <paramref name="before"/>.</summary>
    public void Deleted(ObjectKey key, T? before)
    {
        // Nothing was there to the process's knowledge: the cache agrees already.
        if (before is null) Forget(key);
        else Remember(key, before, null);
    }

    /// <summary>From now on the cache is the truth for this object (a write was refused, or the object is gone).</summary>
    public void Forget(ObjectKey key) => _written.TryRemove(key, out _);

    /// <summary>Copies the cache has not caught up with yet (for tests and diagnostics).</summary>
    public int PendingCount => _written.Count;

    private void Remember(ObjectKey key, T? before, T? written, bool absenceReplaced = false)
    {
        var listsStarted = _cache.ListsStarted;
        var beforeVersion = before is null ? null : _cache.Identity.VersionOf(before);
        var replaced = new HashSet<string?> { beforeVersion };
        if (absenceReplaced) replaced.Add(null);
        if (_written.TryGetValue(key, out var last) && (VersionOf(last.Written) == beforeVersion || absenceReplaced && last.Written is null && last.Replaced.Contains(beforeVersion)))
            replaced.UnionWith(last.Replaced);
        // A write that changed nothing keeps its version and causes no watch event: the cache showing that version
        // is caught up, so it must not count as replaced.
        if (written is not null) replaced.Remove(_cache.Identity.VersionOf(written));
        if (replaced.Count == 0)
        {
            Forget(key);
            return;
        }
        _written[key] = new Copy(replaced, written, listsStarted);
        // The write's own watch event may have reached the cache before the copy was stored: then it is let go now.
        Ahead(key, _cache.Get(key));
    }

    private string? VersionOf(T? obj) => obj is null ? null : _cache.Identity.VersionOf(obj);

    /// <summary>
    /// The copy to serve while the cache shows <paramref name="cached"/>, or null (the copy, if any, is let go): the
    /// cache shows a version the copy did not replace, agrees with it that the object is gone, or was relisted since
    /// the write (a ghost of a create whose watch event a broken watch lost would otherwise be served for ever).
    /// </summary>
    private Copy? Ahead(ObjectKey key, T? cached)
    {
        if (!_written.TryGetValue(key, out var copy)) return null;
        var stillBehind = copy.Replaced.Contains(VersionOf(cached)) && !(copy.Written is null && cached is null)
                          && _cache.LastCompleteList <= copy.ListsStartedBefore;
        if (stillBehind) return copy;
        _written.TryRemove(new KeyValuePair<ObjectKey, Copy>(key, copy));
        return null;
    }

    // Get's rule, applied as the cache catches up, so a copy is not kept until the object's next read, which may be a
    // drift interval away.
    void IInformerHandler<T>.OnAdd(T obj) => Ahead(_cache.Identity.KeyOf(obj), obj);

    void IInformerHandler<T>.OnUpdate(T oldObj, T newObj) => Ahead(_cache.Identity.KeyOf(newObj), newObj);

    /// <summary>
    /// The deleted object's last version is what the cache showed: a copy stays only if it is of an object this
    /// process wrote over that version (deleted, then created again), which the cache has still to show.
    /// </summary>
    void IInformerHandler<T>.OnDelete(T obj)
    {
        var key = _cache.Identity.KeyOf(obj);
        if (!_written.TryGetValue(key, out var copy)) return;
        if (copy.Written is null || !copy.Replaced.Contains(_cache.Identity.VersionOf(obj)))
            _written.TryRemove(new KeyValuePair<ObjectKey, Copy>(key, copy));
    }
}

/// <inheritdoc />
public sealed class ReadYourWrites<T>(Informer<T> cache) : ReadYourWrites<T, T>(cache) where T : class, IKubernetesObject<V1ObjectMeta>;
