using System.Text;
using k8s.Models;
using QuayIntegration.Runtime.Kube;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>Watch lines parsed from raw UTF-8 bytes, however the stream splits them.</summary>
public sealed class WatchEventReaderTests
{
    /// <summary>Hands out the bytes a few at a time, as a chunked response can.</summary>
    private sealed class TrickleStream(byte[] bytes, int chunk) : Stream
    {
        private int _position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), bytes.Length - _position);
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => bytes.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

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
