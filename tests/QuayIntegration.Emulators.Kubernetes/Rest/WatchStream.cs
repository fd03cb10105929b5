using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Storage;

namespace QuayIntegration.Emulators.Kubernetes.Rest;

/// <summary>
/// <c>?watch=true</c>: a chunked stream of newline-delimited <c>{"type","object"}</c> events. Objects entering or leaving
/// the selectors become ADDED/DELETED; an expired resourceVersion becomes a single ERROR event with a 410 Status.
/// </summary>
public static class WatchStream
{
    public static async Task RunAsync(RequestContext ctx)
    {
        var http = ctx.Http;
        var (labels, fields) = ListQuery.Selectors(ctx);
        var table = TableConvertor.Wanted(ctx);
        var bookmarks = ctx.Query("allowWatchBookmarks") is "true" or "1";
        var timeout = ParseTimeout(ctx.Query("timeoutSeconds"));
        var fromVersion = ParseVersion(ctx.Query("resourceVersion"));
        // A single-object watch pins metadata.name; real servers also accept the name in the URL (deprecated form).
        var singleName = ctx.Name;

        http.Response.StatusCode = 200;
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-cache, private";

        WatchSubscription subscription;
        List<JsonObject> initial;
        long initialRevision;
        try
        {
            if (ctx.Server.Faults.TakeWatchExpiry(ctx.Type)) throw Errors.Expired($"too old resource version: {fromVersion ?? 0} ({ctx.Server.Store.CurrentRevision})");
            subscription = ctx.Server.Store.Watch(ctx.Type.Strategy.BackingStorageKey ?? ctx.Type.StorageKey, ctx.Namespace, fromVersion, out initial, out initialRevision);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            await WriteEventAsync(http, "ERROR", e.ToStatus());
            return;
        }

        using var watched = subscription;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, ctx.Server.Stopping, watched.Dropped);
        cts.CancelAfter(timeout);
        await http.Response.StartAsync(cts.Token);
        try
        {
            foreach (var obj in initial)
                if (Wanted(obj)) await WriteEventAsync(http, "ADDED", Render(obj));
            await http.Response.Body.FlushAsync(cts.Token);

            var reader = subscription.Channel.Reader;
            var lastVersion = initialRevision;
            // One outstanding wait at a time (the channel has a single reader); a bookmark tick does not abandon it.
            Task<bool>? waitForEvent = null;
            while (!cts.IsCancellationRequested)
            {
                waitForEvent ??= reader.WaitToReadAsync(cts.Token).AsTask();
                var bookmarkDue = bookmarks ? Task.Delay(ctx.Server.Options.BookmarkInterval, cts.Token) : Task.Delay(Timeout.Infinite, cts.Token);
                var done = await Task.WhenAny(waitForEvent, bookmarkDue);
                if (done == bookmarkDue)
                {
                    if (bookmarkDue.IsCanceled) break;
                    // Every event up to the current revision is in the channel by the time it is read (the store
                    // publishes under its lock), so while the channel is empty the stream is up to date with it; with
                    // events still queued, only what was sent may be vouched for: a client resuming from a bookmark
                    // ahead of them would never get them.
                    var current = ctx.Server.Store.CurrentRevision;
                    var upTo = reader.TryPeek(out _) ? lastVersion : Math.Max(lastVersion, current);
                    await WriteEventAsync(http, "BOOKMARK", new JsonObject
                    {
                        ["kind"] = ctx.Type.Kind,
                        ["apiVersion"] = ctx.Type.GroupVersion,
                        ["metadata"] = new JsonObject { ["resourceVersion"] = upTo.ToString(CultureInfo.InvariantCulture) },
                    });
                    await http.Response.Body.FlushAsync(cts.Token);
                    continue;
                }
                if (waitForEvent.IsCanceled || !await waitForEvent) break; // closed: the watch was dropped
                waitForEvent = null;
                while (reader.TryRead(out var e))
                {
                    var due = e.At + ctx.Server.Faults.WatchLagFor(ctx.Type) - DateTimeOffset.UtcNow;
                    if (due > TimeSpan.Zero)
                    {
                        await http.Response.Body.FlushAsync(cts.Token);
                        await Task.Delay(due, cts.Token);
                    }
                    lastVersion = e.ResourceVersion;
                    var (type, obj) = Translate(e);
                    if (type is not null) await WriteEventAsync(http, type, Render(obj!));
                }
                await http.Response.Body.FlushAsync(cts.Token);
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }

        bool Wanted(JsonObject obj) =>
            (singleName is null || obj.At("metadata", "name").AsString() == singleName) && ListQuery.Matches(ctx, labels, fields, obj);

        (string? Type, JsonObject? Obj) Translate(StoredEvent e)
        {
            var now = Wanted(e.Object);
            var before = e.Previous is not null && Wanted(e.Previous);
            return e.Type switch
            {
                "ADDED" => now ? ("ADDED", e.Object) : (null, null),
                "DELETED" => before || now ? ("DELETED", e.Object) : (null, null),
                _ when now && before => ("MODIFIED", e.Object),
                _ when now => ("ADDED", e.Object),
                _ when before => ("DELETED", e.Object),
                _ => (null, null),
            };
        }

        JsonObject Render(JsonObject stored)
        {
            var obj = ctx.Type.Strategy.ViewOf(stored, ctx.Type);
            return table ? TableConvertor.ToTable(ctx, [obj], obj.At("metadata", "resourceVersion").AsString() ?? "", null) : obj;
        }
    }

    private static async Task WriteEventAsync(Microsoft.AspNetCore.Http.HttpContext http, string type, JsonObject obj)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToCompactJson() + "\n";
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line));
    }

    private static TimeSpan ParseTimeout(string? text)
    {
        if (string.IsNullOrEmpty(text)) return TimeSpan.FromMinutes(30);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            throw Errors.BadRequest($"invalid timeoutSeconds: \"{text}\"");
        return seconds == 0 ? TimeSpan.FromMinutes(30) : TimeSpan.FromSeconds(seconds);
    }

    private static long? ParseVersion(string? text)
    {
        if (string.IsNullOrEmpty(text) || text == "0") return null;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Errors.BadRequest($"resourceVersion: Invalid value: \"{text}\": strconv.ParseUint: parsing \"{text}\": invalid syntax");
    }
}
