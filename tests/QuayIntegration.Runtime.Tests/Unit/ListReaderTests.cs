using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using k8s.Models;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime.Tests.Support;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>LIST bodies read item by item, however the stream splits them, and each item handed over as soon as it is complete.</summary>
public sealed class ListReaderTests
{
    private const string Body = """
        {"kind":"ServiceAccountList","apiVersion":"v1","extra":{"nested":[1,2,{"items":[]}]},
         "items":[
          {"metadata":{"name":"a","namespace":"ns","annotations":{"note":"brace } and quote \" and [ bracket"}},"secrets":[{"name":"a-dockercfg-x"}]},
          {"metadata":{"name":"b\u00e9","namespace":"ns"}},
          {"metadata":{"name":"c","namespace":"ns"},"imagePullSecrets":[]}
         ],
         "metadata":{"resourceVersion":"4711","continue":"next-page"}}
        """;

    private static async Task<(List<V1ServiceAccount> Items, V1ListMeta? Metadata)> Read(string body, int chunk)
    {
        var items = new List<V1ServiceAccount>();
        var metadata = await ListReader.ReadAsync<V1ServiceAccount>(new TrickleStream(Encoding.UTF8.GetBytes(body), chunk), items.Add, CancellationToken.None);
        return (items, metadata);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1 << 20)]
    public async Task Items_and_metadata_are_read_whatever_the_chunks(int chunk)
    {
        var (items, metadata) = await Read(Body, chunk);

        Assert.Equal(["a", "bé", "c"], items.Select(i => i.Metadata.Name));
        Assert.Equal("brace } and quote \" and [ bracket", items[0].Metadata.Annotations["note"]);
        Assert.Equal("a-dockercfg-x", Assert.Single(items[0].Secrets).Name);
        Assert.Equal("4711", metadata?.ResourceVersion);
        Assert.Equal("next-page", metadata?.ContinueProperty);
    }

    [Fact]
    public async Task An_item_is_handed_over_before_the_rest_of_the_list_has_arrived()
    {
        var bytes = Encoding.UTF8.GetBytes(Body);
        var firstItemEnd = Body.IndexOf("\"a-dockercfg-x\"}]}", StringComparison.Ordinal) + "\"a-dockercfg-x\"}]}".Length;
        var pipe = new Pipe();
        var handed = new List<string>();
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = ListReader.ReadAsync<V1ServiceAccount>(pipe.Reader.AsStream(), sa =>
        {
            handed.Add(sa.Metadata.Name);
            firstSeen.TrySetResult();
        }, CancellationToken.None);

        await pipe.Writer.WriteAsync(bytes.AsMemory(0, firstItemEnd + 1));
        await firstSeen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["a"], handed);
        Assert.False(reading.IsCompleted);

        await pipe.Writer.WriteAsync(bytes.AsMemory(firstItemEnd + 1));
        await pipe.Writer.CompleteAsync();
        Assert.Equal("4711", (await reading)?.ResourceVersion);
        Assert.Equal(["a", "bé", "c"], handed);
    }

    [Theory]
    [InlineData("""{"items":null,"metadata":{"resourceVersion":"1"}}""", 0, "1")]
    [InlineData("""{"items":[]}""", 0, null)]
    [InlineData("""{"metadata":{"resourceVersion":"2"}}""", 0, "2")]
    public async Task Empty_lists_and_absent_parts(string body, int count, string? resourceVersion)
    {
        var (items, metadata) = await Read(body, 3);
        Assert.Equal(count, items.Count);
        Assert.Equal(resourceVersion, metadata?.ResourceVersion);
    }

    [Theory]
    [InlineData("""{"items":[{"metadata":{"name":"a"}},""")]
    [InlineData("""{"items":[{"metadata":{"name":"a"}}]""")]
    [InlineData("""[{"metadata":{"name":"a"}}]""")]
    [InlineData("""{"items":[null]}""")]
    [InlineData("""{"items":[{"metadata":{"name":"a"}}}""")]
    public async Task A_truncated_or_malformed_body_is_an_error(string body)
    {
        await Assert.ThrowsAnyAsync<JsonException>(() => Read(body, 5));
    }
}
