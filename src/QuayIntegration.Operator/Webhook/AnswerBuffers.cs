using System.Buffers;
using System.Text.Json;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// The buffers an answer is written into before it becomes the response text, one set per thread and reused: a new
/// writer over a new buffer costs several kilobytes of garbage per review (the writer asks for 4 KiB at a time), most
/// of the webhook's allocation at a thousand reviews a second. Safe per thread because an answer is written in one
/// synchronous call that nothing else on the thread can interleave with. Buffers an unusually large answer made grow
/// are let go rather than kept by the thread for good (<see cref="Release"/>).
/// </summary>
internal sealed class AnswerBuffers
{
    [ThreadStatic] private static AnswerBuffers? _current;

    /// <summary>The review being answered.</summary>
    public ArrayBufferWriter<byte> Answer { get; } = new(4096);

    private readonly ArrayBufferWriter<byte> _patch = new(4096);
    private Utf8JsonWriter? _answerWriter;
    private Utf8JsonWriter? _patchWriter;

    /// <summary>This thread's buffers, emptied.</summary>
    public static AnswerBuffers ForThisThread()
    {
        var buffers = _current ??= new AnswerBuffers();
        buffers.Answer.ResetWrittenCount();
        buffers._patch.ResetWrittenCount();
        return buffers;
    }

    /// <summary>More than any answer of today's webhook needs (a few KiB); buffers grown beyond are not kept.</summary>
    public const int MaxKeptBytes = 64 * 1024;

    /// <summary>The answer has been copied out: the buffers stay with the thread unless it made them grow past <see cref="MaxKeptBytes"/>.</summary>
    public void Release()
    {
        if (Answer.Capacity > MaxKeptBytes || _patch.Capacity > MaxKeptBytes) _current = null;
    }

    /// <summary>Whether this thread would be given <paramref name="buffers"/> again (for tests).</summary>
    internal static bool IsKept(AnswerBuffers buffers) => ReferenceEquals(_current, buffers);

    /// <summary>The JSON writer over <see cref="Answer"/>, reset.</summary>
    public Utf8JsonWriter AnswerWriter() => Reset(ref _answerWriter, Answer);

    /// <summary>The patch document written into its own buffer, for the answer to carry as base64.</summary>
    public ReadOnlySpan<byte> Write(IReadOnlyList<JsonPatchOperation> patch)
    {
        var writer = Reset(ref _patchWriter, _patch);
        JsonPatchOperation.WriteAll(writer, patch);
        writer.Flush();
        return _patch.WrittenSpan;
    }

    private static Utf8JsonWriter Reset(ref Utf8JsonWriter? writer, ArrayBufferWriter<byte> output)
    {
        if (writer is null) writer = new Utf8JsonWriter(output);
        else writer.Reset(output);
        return writer;
    }
}
