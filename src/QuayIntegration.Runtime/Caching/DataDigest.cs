using System.Buffers.Binary;
using System.Security.Cryptography;

namespace QuayIntegration.Runtime;

/// <summary>
/// What a cache keeps of a Secret value it only ever compares: the first 128 bits of its SHA-256, instead of the value.
/// A Secret whose content the operator writes and then only checks (a robot's credentials) need not be held, in the
/// cache or anywhere else, between the reconciles that write it: its digest answers "is it still what it should be",
/// in 16 bytes, and a heap dump of the operator no longer holds every robot's token. SHA-256, not a faster
/// non-cryptographic hash, so that no one who can edit a Secret can make other content pass for the wanted one.
/// </summary>
public static class DataDigest
{
    /// <summary>The length of a digest kept in a cached Secret's data.</summary>
    public const int Length = 16;

    public static UInt128 Of(ReadOnlySpan<byte> value)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(value, hash);
        return BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }

    /// <summary>The digest as the bytes a cached Secret keeps in place of the value.</summary>
    public static byte[] ToBytes(UInt128 digest)
    {
        var bytes = new byte[Length];
        BinaryPrimitives.WriteUInt128LittleEndian(bytes, digest);
        return bytes;
    }

    /// <summary>The digest a cached Secret keeps (<see cref="CacheTransforms.DigestSecret"/>), or null if the bytes are not one.</summary>
    public static UInt128? Read(byte[]? bytes) => bytes is { Length: Length } ? BinaryPrimitives.ReadUInt128LittleEndian(bytes) : null;
}
