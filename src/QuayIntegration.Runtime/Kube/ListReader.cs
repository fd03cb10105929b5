using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using k8s.Models;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// Reads a LIST response (<c>{"metadata": {...}, "items": [...]}</c>) from the UTF-8 stream and hands over each item as
/// soon as its bytes have arrived. Deserializing the whole list first held every item, untrimmed (managedFields
/// included), until the last one arrived: for a cache of tens of thousands of objects, a transient copy of the
/// collection that the GC then promoted to its oldest generation. Only one item's bytes, and whatever the network
/// delivered with them, are buffered at a time.
/// </summary>
internal static class ListReader
{
    /// <returns>The list's metadata (its resourceVersion and continue token); null when the body has none.</returns>
    public static async Task<V1ListMeta?> ReadAsync<T>(Stream stream, Action<T> onItem, CancellationToken ct)
    {
        // Reads of 64 KiB: an item that spans reads is scanned again from its start on each, so larger reads keep that cheap.
        var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var parser = new Parser<T>(onItem);
        try
        {
            while (true)
            {
                var read = await pipe.ReadAsync(ct);
                var consumed = parser.Feed(read.Buffer, read.IsCompleted);
                if (parser.Done) return parser.Metadata;
                if (read.IsCompleted) throw new JsonException("the list response ended before its end");
                pipe.AdvanceTo(consumed, read.Buffer.End);
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
    }

    /// <summary>The parse state between two reads: where in the body the reader stopped, at a token boundary.</summary>
    private sealed class Parser<T>(Action<T> onItem)
    {
        private enum Place { BeforeBody, InBody, InItems, AfterBody }

        private JsonReaderState _state;
        private Place _place;

        public V1ListMeta? Metadata { get; private set; }

        public bool Done => _place == Place.AfterBody;

        /// <summary>Parses what <paramref name="buffer"/> completes; returns how far it got (the rest is read again with more bytes).</summary>
        public SequencePosition Feed(ReadOnlySequence<byte> buffer, bool final)
        {
            var reader = new Utf8JsonReader(buffer, final, _state);
            while (!Done && Step(ref reader, buffer))
            {
            }
            _state = reader.CurrentState;
            return reader.Position;
        }

        /// <summary>One token, or one whole value; false (with the reader left where it was) when the buffer ends first.</summary>
        private bool Step(ref Utf8JsonReader reader, ReadOnlySequence<byte> buffer)
        {
            var before = reader;
            switch (_place)
            {
                case Place.BeforeBody:
                    if (!reader.Read()) return false;
                    if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a list response is not a JSON object");
                    _place = Place.InBody;
                    return true;

                case Place.InBody:
                    if (!reader.Read()) return false;
                    if (reader.TokenType == JsonTokenType.EndObject)
                    {
                        _place = Place.AfterBody;
                        return true;
                    }
                    var property = reader.ValueTextEquals("items"u8) ? "items" : reader.ValueTextEquals("metadata"u8) ? "metadata" : null;
                    if (!reader.Read()) return Restore(ref reader, before);
                    if (property == "items" && reader.TokenType == JsonTokenType.StartArray)
                    {
                        _place = Place.InItems;
                        return true;
                    }
                    var start = reader.TokenStartIndex;
                    if (!reader.TrySkip()) return Restore(ref reader, before);
                    if (property == "metadata") Metadata = KubernetesSerializerOptions.Deserialize<V1ListMeta>(buffer.Slice(start, reader.BytesConsumed - start));
                    return true;

                case Place.InItems:
                    if (!reader.Read()) return false;
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        _place = Place.InBody;
                        return true;
                    }
                    var itemStart = reader.TokenStartIndex;
                    if (!reader.TrySkip()) return Restore(ref reader, before);
                    var item = KubernetesSerializerOptions.Deserialize<T>(buffer.Slice(itemStart, reader.BytesConsumed - itemStart))
                               ?? throw new JsonException("a list item is null");
                    onItem(item);
                    return true;

                default:
                    return false;
            }
        }

        private static bool Restore(ref Utf8JsonReader reader, Utf8JsonReader before)
        {
            reader = before;
            return false;
        }
    }
}
