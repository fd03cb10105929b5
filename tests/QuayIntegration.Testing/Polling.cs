namespace QuayIntegration.Testing;

/// <summary>Waiting for a condition with a deadline, never a fixed sleep.</summary>
public static class Polling
{
    public static async Task Eventually(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(100);
        }
    }
}
