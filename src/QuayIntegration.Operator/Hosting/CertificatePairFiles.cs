using Microsoft.Extensions.Logging;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// A serving certificate kept as two PEM files (the certificate, followed by its intermediates if any, and the key),
/// loaded once and again whenever either file changes, so a rotated certificate is served without a restart.
/// A change is seen through the file the path finally leads to: in a mounted Secret, <c>tls.crt</c> is a symlink to
/// <c>..data/tls.crt</c> and the kubelet updates the Secret by pointing <c>..data</c> at a new directory, so the
/// symlink's own times never change; the file at the end of the path is a new one with its own write time.
/// Each version loaded with certificates its leaf does not chain to is said once, at Warning, on <paramref name="log"/>.
/// </summary>
public sealed class CertificatePairFiles(string certificatePath, string keyPath, ILogger log)
{
    private readonly Lock _gate = new();
    private (FileStamp Crt, FileStamp Key, ServingCertificate Serving)? _loaded;

    public string CertificatePath { get; } = certificatePath;
    public string KeyPath { get; } = keyPath;

    public bool Exist => File.Exists(CertificatePath) && File.Exists(KeyPath);

    /// <summary>The last pair loaded, without looking at the files.</summary>
    public ServingCertificate? Loaded => _loaded?.Serving;

    /// <summary>
    /// The current pair: the one loaded before while neither file changed, else loaded now. A pair that does not load
    /// (half written during a rotation) leaves the previous one in use; with none before, the
    /// <see cref="System.Security.Cryptography.CryptographicException"/> or <see cref="IOException"/> goes to the caller.
    /// </summary>
    public ServingCertificate Load()
    {
        lock (_gate)
        {
            var crt = FileStamp.Of(CertificatePath);
            var key = FileStamp.Of(KeyPath);
            if (_loaded is { } loaded && loaded.Crt == crt && loaded.Key == key) return loaded.Serving;
            try
            {
                ServingCertificate serving;
                try
                {
                    serving = ServingCertificate.FromPem(File.ReadAllText(CertificatePath), File.ReadAllText(KeyPath));
                }
                catch (UnauthorizedAccessException e)
                {
                    throw new IOException(e.Message, e); // unreadable files are files not there yet, to every caller
                }
                _loaded = (crt, key, serving);
                if (serving.Unchained.Count > 0)
                    log.CertificatesNotChained(CertificatePath, serving.Certificate.Subject, string.Join("; ", serving.Unchained.Select(c => c.Subject)));
                return serving;
            }
            catch (Exception) when (_loaded is not null)
            {
                return _loaded.Value.Serving;
            }
        }
    }

    /// <summary>What identifies one version of a file: where its path finally leads, when that was written, its size.</summary>
    private readonly record struct FileStamp(string Target, DateTime Written, long Length)
    {
        public static FileStamp Of(string path)
        {
            var file = new FileInfo(path);
            // Opening follows symlinks; FileInfo's times and length are the link's own unless the target is asked for.
            var target = file.LinkTarget is null ? file : file.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? file;
            return target.Exists ? new FileStamp(target.FullName, target.LastWriteTimeUtc, target.Length) : default;
        }
    }
}

internal static partial class CertificateLog
{
    [LoggerMessage(5005, LogLevel.Warning,
        "{Path} holds certificates its leaf {Leaf} does not chain to, so they are not sent: {Unchained}; clients that need them to reach their trusted root will refuse the certificate")]
    public static partial void CertificatesNotChained(this ILogger log, string path, string leaf, string unchained);
}
