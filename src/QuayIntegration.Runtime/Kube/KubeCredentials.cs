using System.Net.Http.Headers;
using System.Text;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// The Authorization header of each request to the API server. A source that can renew what it holds (a token file,
/// an exec plugin) renews it when it has expired and when the server answered 401 to it.
/// </summary>
public abstract class KubeCredentials
{
    public abstract ValueTask<AuthenticationHeaderValue> AuthorizationAsync(CancellationToken ct);

    /// <summary>The server refused <paramref name="sent"/> (401): the next request must not send it again unrenewed.</summary>
    public virtual void Rejected(AuthenticationHeaderValue sent)
    {
    }

    /// <summary>A token that never changes: kubeconfig's <c>token</c>.</summary>
    public static KubeCredentials Bearer(string token) => new Fixed(new AuthenticationHeaderValue("Bearer", token));

    /// <summary>kubeconfig's <c>username</c> and <c>password</c>.</summary>
    public static KubeCredentials Basic(string user, string password) =>
        new Fixed(new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))));

    private sealed class Fixed(AuthenticationHeaderValue header) : KubeCredentials
    {
        public override ValueTask<AuthenticationHeaderValue> AuthorizationAsync(CancellationToken ct) => ValueTask.FromResult(header);

        // Never said: the header's value is a credential.
        public override string ToString() => $"{header.Scheme} (fixed)";
    }
}
