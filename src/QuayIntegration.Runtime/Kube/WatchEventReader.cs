using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// Reads a watch response (one JSON event per line) straight from the UTF-8 bytes: each event's object is
/// deserialized from its slice of the line, without decoding the line to a string or building a JSON document first,
/// so a busy watch allocates little more than the objects it delivers.
/// </summary>
internal static class WatchEventReader
{
    public static async IAsyncEnumerable<WatchEvent<T>> ReadAsync<T>(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            while (true)
            {
                var read = await pipe.ReadAsync(ct);
                var buffer = read.Buffer;
                var events = new List<WatchEvent<T>>();
                while (TryReadLine(ref buffer, out var line))
                    if (!IsBlank(line)) events.Add(Parse<T>(line));
                // A stream that ends without a final newline still ends its last event.
                if (read.IsCompleted && !IsBlank(buffer))
                {
                    events.Add(Parse<T>(buffer));
                    buffer = buffer.Slice(buffer.End);
                }
                pipe.AdvanceTo(buffer.Start, buffer.End);
                foreach (var e in events) yield return e;
                if (read.IsCompleted) yield break;
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
    }

    /// <summary>
    /// One event: <c>{"type": ..., "object": {...}}</c>. The object is located first and deserialized once the type
    /// is known, because an ERROR event carries a Status instead of a <typeparamref name="T"/>.
    /// </summary>
    internal static WatchEvent<T> Parse<T>(ReadOnlySequence<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        string? type = null;
        ReadOnlySequence<byte>? obj = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a watch event is not a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetString();
            }
            else if (reader.ValueTextEquals("object"u8))
            {
                reader.Read();
                var start = reader.TokenStartIndex;
                reader.Skip();
                obj = line.Slice(start, reader.BytesConsumed - start);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (obj is not { } body) throw new JsonException($"watch event '{type}' has no object");
        if (type == "ERROR") throw KubeApi.StatusException(KubernetesSerializerOptions.Deserialize<V1Status>(body), HttpStatusCode.InternalServerError, Encoding.UTF8.GetString(body));
        var kind = type switch
        {
            "ADDED" => WatchEventKind.Added,
            "MODIFIED" => WatchEventKind.Modified,
            "DELETED" => WatchEventKind.Deleted,
            "BOOKMARK" => WatchEventKind.Bookmark,
            _ => throw new InvalidOperationException($"unknown watch event type '{type}'"),
        };
        // A bookmark's object only carries the resourceVersion to resume from.
        if (kind == WatchEventKind.Bookmark) return new(kind, default, KubernetesSerializerOptions.Deserialize<ObjectWithMetadata>(body)?.Metadata?.ResourceVersion);
        var value = KubernetesSerializerOptions.Deserialize<T>(body) ?? throw new JsonException($"watch event '{type}' has a null object");
        return new(kind, value, (value as IKubernetesObject<V1ObjectMeta>)?.Metadata?.ResourceVersion);
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } end)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, end);
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return true;
    }

    private static bool IsBlank(ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
            if (segment.Span.IndexOfAnyExcept(" \t\r\n"u8) >= 0) return false;
        return true;
    }

    internal sealed class ObjectWithMetadata
    {
        [System.Text.Json.Serialization.JsonPropertyName("metadata")] public V1ObjectMeta? Metadata { get; set; }
    }
}
