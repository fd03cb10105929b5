using System.Collections.Immutable;

namespace QuayIntegration.Runtime;

/// <summary>
/// A change inside the operator that controllers react to (the integration's published state, a namespace's
/// outcome, Quay found down), declared as a source the way an informer is: a controller <c>Watches</c> it with a
/// function naming the keys to look at again, so every "this change enqueues that key" is written where the
/// controllers are composed. Raising a signal nobody watches does nothing.
/// </summary>
public sealed class Signal(string name)
{
    private ImmutableList<Action> _watchers = [];

    public string Name { get; } = name;

    public void Raise()
    {
        foreach (var watcher in _watchers) watcher();
    }

    internal void Subscribe(Action watcher) => ImmutableInterlocked.Update(ref _watchers, list => list.Add(watcher));

    public override string ToString() => Name;
}
