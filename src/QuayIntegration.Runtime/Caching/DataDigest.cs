using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace QuayIntegration.Runtime;

/// <summary>
/// What a cache keeps of Secret data it only ever compares: the first 128 bits of a SHA-256, instead of the data.
/// A Secret whose content the operator writes and then only checks (a robot's credentials) need not be held, in the
/// cache or anywhere else, between the reconciles that write it: its digest answers "is it still what it should be",
/// in 16 bytes, and a heap dump of the operator no longer holds every robot's token. SHA-256, not a faster
/// non-cryptographic hash, so that no one who can edit a Secret can make other content pass for the wanted one.
/// </summary>
public static class DataDigest
{
    /// <summary>
    /// The digest of a Secret's whole <c>data</c>: every key with its value, in ordinal order of the keys, each key and
    /// value preceded by its length, so that no two different maps (an extra key, a byte moved from a value into the
    /// next key) hash the same input. No data and empty data are the same content, as they are to the API server.
    /// </summary>
    public static UInt128 OfData(IDictionary<string, byte[]>? data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[sizeof(int)];
        foreach (var key in (data?.Keys ?? []).Order(StringComparer.Ordinal))
        {
            var keyBytes = Encoding.UTF8.GetBytes(key);
            var value = data![key] ?? [];
            BinaryPrimitives.WriteInt32LittleEndian(length, keyBytes.Length);
            hash.AppendData(length);
            hash.AppendData(keyBytes);
            BinaryPrimitives.WriteInt32LittleEndian(length, value.Length);
            hash.AppendData(length);
            hash.AppendData(value);
        }
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        hash.GetHashAndReset(digest);
        return BinaryPrimitives.ReadUInt128LittleEndian(digest);
    }
}
