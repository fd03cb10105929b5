namespace QuayIntegration.Runtime;

/// <summary>
/// An identifier as text, held as a <see cref="Guid"/> when it is a UUID in the canonical lower-case form Quay and
/// Kubernetes write (a default permission's id, a namespace's UID): 24 bytes inside the object that holds it instead
/// of a reference to a 94-byte string, for identifiers kept by the tens of thousands for the life of the process. Any
/// other text is kept as it came, so the value always reads back exactly as it was given. Reading it formats a new
/// string; fine for values read once per reconcile, not for hot loops.
/// </summary>
public readonly struct CompactUuid
{
    private readonly Guid _uuid;
    // The value itself when it is not a canonical, non-empty UUID; null with an empty _uuid: no value.
    private readonly string? _text;

    private CompactUuid(Guid uuid, string? text) => (_uuid, _text) = (uuid, text);

    public static CompactUuid Of(string? value) =>
        value is { Length: 36 } && Guid.TryParseExact(value, "D", out var uuid) && uuid != Guid.Empty
        && string.Equals(uuid.ToString("D"), value, StringComparison.Ordinal)
            ? new CompactUuid(uuid, null)
            : new CompactUuid(Guid.Empty, value);

    public string? Value => _text ?? (_uuid == Guid.Empty ? null : _uuid.ToString("D"));

    /// <summary>Whether the value is held as a Guid (for tests).</summary>
    internal bool IsCompact => _uuid != Guid.Empty;
}
