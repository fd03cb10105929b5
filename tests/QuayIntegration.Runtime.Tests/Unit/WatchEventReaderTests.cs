using System.Text;
using k8s.Models;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime.Tests.Support;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>Watch lines parsed from raw UTF-8 bytes, however the stream splits them.</summary>
public sealed class WatchEventReaderTests
{
    private static async Task<List<WatchEvent<V1Namespace>>> ReadAll(string body, int chunk)
    {
        var events = new List<WatchEvent<V1Namespace>>();
        await foreach (var e in WatchEventReader.ReadAsync<V1Namespace>(new TrickleStream(Encoding.UTF8.GetBytes(body), chunk), CancellationToken.None))
            events.Add(e);
        return events;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task Reads_every_event_with_its_resource_version_whatever_the_chunks(int chunk)
    {
        var body = """
            {"type":"ADDED","object":{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"5","annotations":{"x":"é"}}}}

            {"object":{"metadata":{"name":"a","resourceVersion":"6"}},"type":"MODIFIED"}
            {"type":"BOOKMARK","object":{"kind":"Namespace","apiVersion":"v1","metadata":{"resourceVersion":"9"}}}
            {"type":"DELETED","object":{"metadata":{"name":"a","resourceVersion":"10"}}}
            """.Replace("\n", "\r\n"); // the last line has no newline at all

        var events = await ReadAll(body, chunk);

        Assert.Equal([WatchEventKind.Added, WatchEventKind.Modified, WatchEventKind.Bookmark, WatchEventKind.Deleted], events.Select(e => e.Kind));
        Assert.Equal(["5", "6", "9", "10"], events.Select(e => e.ResourceVersion));
        Assert.Equal("é", events[0].Object!.Metadata.Annotations["x"]);
        Assert.Null(events[2].Object);
    }

    [Fact]
    public async Task An_error_event_is_the_status_it_carries()
    {
        var body = """
            {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}

            """;

        var e = await Assert.ThrowsAsync<KubeApiException>(() => ReadAll(body, 3));

        Assert.True(e.IsGone);
        Assert.Equal("too old resource version: 1 (5)", e.ApiMessage);
    }
}
