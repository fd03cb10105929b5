using QuayIntegration.Runtime;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>
/// The string pool the caches share is bounded in what it holds, whatever the objects it is given: a string longer
/// than any Kubernetes name or key is never pooled, and a pool that fills up starts over, so strings someone invents
/// and drops again do not stay in memory, and what repeats is pooled again.
/// </summary>
public sealed class StringPoolTests
{
    private static string Fresh(string text) => new(text.AsSpan()); // a new instance of the same characters

    [Fact]
    public void A_repeating_string_is_shared_as_one_instance()
    {
        var pool = new StringPool(100, 10_000);
        var first = pool.Share(Fresh("builder-quay-openshift"));
        Assert.Same(first, pool.Share(Fresh("builder-quay-openshift")));
        Assert.Same(first, pool.ShareIfPooled(Fresh("builder-quay-openshift")));
        Assert.True(pool.IsPooled(first));
        Assert.Equal((1, 22L), (pool.Count, pool.Characters));
    }

    [Fact]
    public void A_string_longer_than_any_name_or_key_is_never_pooled()
    {
        var pool = new StringPool(100, 1_000_000);
        var longest = new string('k', StringPool.MaxPooledLength);
        var longer = new string('v', StringPool.MaxPooledLength + 1);
        Assert.True(pool.IsPooled(pool.Share(longest)));
        var shared = pool.Share(longer);
        Assert.Same(longer, shared);
        Assert.False(pool.IsPooled(shared));
        Assert.Same(longer, pool.ShareIfPooled(longer));
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public void Unique_strings_without_end_never_take_the_pool_past_its_bounds_and_what_repeats_is_shared_again()
    {
        const int capacity = 50;
        const long characters = 2_000;
        var pool = new StringPool(capacity, characters);
        var random = new Random(77);
        for (var i = 0; i < 20_000; i++)
        {
            pool.Share(new string((char)('a' + random.Next(26)), random.Next(1, 300)) + i);
            Assert.InRange(pool.Count, 0, capacity);
            Assert.InRange(pool.Characters, 0, characters);
        }
        var name = pool.Share(Fresh("default"));
        Assert.Same(name, pool.Share(Fresh("default")));
    }

    [Fact]
    public void A_full_pool_lets_go_of_the_strings_only_it_held()
    {
        var pool = new StringPool(4, 1_000);
        var invented = Invent(pool);
        for (var i = 0; i < 4; i++) pool.Share("next-" + i);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(invented.TryGetTarget(out _));
    }

    // Not inlined, so no local of the caller keeps the string alive.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<string> Invent(StringPool pool) => new(pool.Share(Fresh("invented-" + Guid.NewGuid()))!);
}
