namespace QuayIntegration.Emulators.Kubernetes.Tests.Support;

public static class Eventually
{
    /// <summary>Polls a condition (no fixed sleeps in tests) until it holds or the timeout passes.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string because = "condition")
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(25);
        }
        Assert.Fail($"timed out waiting for {because}");
    }
}
