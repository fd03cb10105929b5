using System.Net.Http.Headers;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// A bearer token read from a file that someone else keeps current: a pod's projected service account token (the
/// kubelet rotates it well before it expires) or kubeconfig's <c>tokenFile</c>. Read again once a minute, as client-go
/// does, and at once after a 401; a file that cannot be read keeps the last token it gave.
/// </summary>
public sealed class TokenFileCredentials(string path, TimeProvider time) : KubeCredentials
{
    /// <summary>client-go's period for re-reading a token file.</summary>
    public static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private AuthenticationHeaderValue? _header;
    private DateTimeOffset _readAt;

    public TokenFileCredentials(string path) : this(path, TimeProvider.System)
    {
    }

    public string Path { get; } = path;

    public override ValueTask<AuthenticationHeaderValue> AuthorizationAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_header is null || now - _readAt >= RereadAfter)
            {
                try
                {
                    var token = File.ReadAllText(Path).Trim();
                    if (token.Length == 0) throw new KubeconfigException($"the token file {Path} is empty");
                    _header = new AuthenticationHeaderValue("Bearer", token);
                    _readAt = now;
                }
                catch (Exception e) when (_header is not null && e is IOException or UnauthorizedAccessException or KubeconfigException)
                {
                    // The file is being replaced (the kubelet swaps a symlink) or was emptied: the last token is still the best one.
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new KubeconfigException($"cannot read the token file {Path}: {e.Message}", e);
                }
            }
            return ValueTask.FromResult(_header);
        }
    }

    public override void Rejected(AuthenticationHeaderValue sent)
    {
        lock (_gate)
            if (ReferenceEquals(sent, _header)) _readAt = DateTimeOffset.MinValue;
    }

    public override string ToString() => $"token file {Path}";
}
