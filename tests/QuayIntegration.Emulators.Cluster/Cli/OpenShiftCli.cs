using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayIntegration.Emulators.Cluster.Builds;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Cli;

/// <summary>What <see cref="OpenShiftCli.NewAppAsync"/> created: the application's ImageStream, its BuildConfig and the first Build.</summary>
public sealed record NewAppResult(JsonObject ImageStream, JsonObject BuildConfig, JsonObject Build);

/// <summary>
/// The parts of <c>oc</c> the tests and the sandbox need, making the same API calls <c>oc</c> makes: projects through
/// <c>projectrequests</c>, applications from a template, builds through <c>buildconfigs/{name}/instantiate</c>, plus
/// waits on conditions (with timeouts, never fixed sleeps).
/// </summary>
public sealed class OpenShiftCli : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    private readonly KubernetesConnection _connection;
    private readonly bool _ownsConnection;

    public OpenShiftCli(KubernetesConnection connection) : this(connection, ownsConnection: false)
    {
    }

    private OpenShiftCli(KubernetesConnection connection, bool ownsConnection)
    {
        _connection = connection;
        _ownsConnection = ownsConnection;
    }

    /// <summary>An <c>oc</c> logged in with the kubeconfig at <paramref name="kubeconfigPath"/>.</summary>
    public static OpenShiftCli FromKubeconfig(string kubeconfigPath) => new(KubernetesConnection.FromKubeconfig(kubeconfigPath), ownsConnection: true);

    public k8s.Kubernetes Client => _connection.Client;

    /// <summary><c>oc new-project NAME --display-name=… --description=…</c>: a ProjectRequest, answered with the Project.</summary>
    public async Task<JsonObject> NewProjectAsync(string name, string? displayName = null, string? description = null, CancellationToken cancellationToken = default)
    {
        var request = new JsonObject
        {
            ["apiVersion"] = ApiResource.ProjectRequests.ApiVersion,
            ["kind"] = ApiResource.ProjectRequests.Kind,
            ["metadata"] = new JsonObject { ["name"] = name },
        };
        if (displayName is not null)
        {
            request["displayName"] = displayName;
        }
        if (description is not null)
        {
            request["description"] = description;
        }
        return await Client.CustomObjects.CreateClusterCustomObjectAsync<JsonObject>(request,
            ApiResource.ProjectRequests.Group, ApiResource.ProjectRequests.Version, ApiResource.ProjectRequests.Plural, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// <c>oc new-app --template=…</c>, build part: the application's ImageStream and a Source-strategy BuildConfig whose
    /// output is <c>&lt;name&gt;:latest</c>, then the first build through <c>instantiate</c>, so that it reaches admission
    /// as a CREATE made by the API server (the job the BuildConfig's ConfigChange trigger does in a cluster). The
    /// template's builder image stream (in the shared <c>openshift</c> namespace, installed by the samples operator in a
    /// real cluster) is created first if it is missing. Services, routes and deployments are not part of the emulation.
    /// </summary>
    public async Task<NewAppResult> NewAppAsync(string ns, AppTemplate template, CancellationToken cancellationToken = default)
    {
        await EnsureBuilderImageAsync(template.Builder, cancellationToken);
        var labels = new JsonObject { ["app"] = template.Name, ["template"] = template.Name };

        var imageStream = await CreateAsync(ApiResource.ImageStreams, ns, new JsonObject
        {
            ["apiVersion"] = ApiResource.ImageStreams.ApiVersion,
            ["kind"] = ApiResource.ImageStreams.Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = template.Name,
                ["labels"] = labels.DeepClone(),
                ["annotations"] = new JsonObject { ["description"] = "Keeps track of changes in the application image" },
            },
        }, cancellationToken);

        var buildConfig = await CreateAsync(ApiResource.BuildConfigs, ns, new JsonObject
        {
            ["apiVersion"] = ApiResource.BuildConfigs.ApiVersion,
            ["kind"] = ApiResource.BuildConfigs.Kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = template.Name,
                ["labels"] = labels.DeepClone(),
                ["annotations"] = new JsonObject
                {
                    ["description"] = "Defines how to build the application",
                    ["template.alpha.openshift.io/wait-for-ready"] = "true",
                },
            },
            ["spec"] = new JsonObject
            {
                ["source"] = new JsonObject
                {
                    ["type"] = "Git",
                    ["git"] = new JsonObject { ["uri"] = template.GitUri },
                },
                ["strategy"] = new JsonObject
                {
                    ["type"] = "Source",
                    ["sourceStrategy"] = new JsonObject
                    {
                        ["from"] = new JsonObject
                        {
                            ["kind"] = "ImageStreamTag",
                            ["namespace"] = template.Builder.Namespace,
                            ["name"] = $"{template.Builder.ImageStream}:{template.Builder.Tag}",
                        },
                    },
                },
                ["output"] = new JsonObject
                {
                    ["to"] = new JsonObject { ["kind"] = "ImageStreamTag", ["name"] = $"{template.Name}:latest" },
                },
                ["triggers"] = new JsonArray(
                    new JsonObject { ["type"] = "Generic", ["generic"] = new JsonObject { ["secret"] = RandomSecret() } }),
            },
        }, cancellationToken);

        var build = await StartBuildAsync(ns, template.Name, cancellationToken);
        return new NewAppResult(imageStream, buildConfig, build);
    }

    /// <summary><c>oc start-build NAME</c>: a BuildRequest POSTed to <c>buildconfigs/NAME/instantiate</c>; answers the new Build.</summary>
    public Task<JsonObject> StartBuildAsync(string ns, string buildConfig, CancellationToken cancellationToken = default)
    {
        var request = new JsonObject
        {
            ["apiVersion"] = ApiResource.BuildConfigs.ApiVersion,
            ["kind"] = "BuildRequest",
            ["metadata"] = new JsonObject { ["name"] = buildConfig },
        };
        return _connection.Dynamic.PostAsync(
            $"/apis/{ApiResource.BuildConfigs.Group}/{ApiResource.BuildConfigs.Version}/namespaces/{ns}/{ApiResource.BuildConfigs.Plural}/{Uri.EscapeDataString(buildConfig)}/instantiate",
            request, cancellationToken);
    }

    /// <summary>
    /// <c>oc start-build --from-build NAME</c> (the console's Rebuild): a BuildRequest POSTed to <c>builds/NAME/clone</c>;
    /// answers the new Build, which went through admission as a CREATE.
    /// </summary>
    public Task<JsonObject> CloneBuildAsync(string ns, string build, CancellationToken cancellationToken = default)
    {
        var request = new JsonObject
        {
            ["apiVersion"] = ApiResource.Builds.ApiVersion,
            ["kind"] = "BuildRequest",
            ["metadata"] = new JsonObject { ["name"] = build },
        };
        return _connection.Dynamic.PostAsync(
            $"/apis/{ApiResource.Builds.Group}/{ApiResource.Builds.Version}/namespaces/{ns}/{ApiResource.Builds.Plural}/{Uri.EscapeDataString(build)}/clone",
            request, cancellationToken);
    }

    public Task<JsonObject?> GetBuildAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync(ApiResource.Builds, ns, name, cancellationToken);

    public Task<JsonObject?> GetImageStreamAsync(string ns, string name, CancellationToken cancellationToken = default) =>
        GetAsync(ApiResource.ImageStreams, ns, name, cancellationToken);

    /// <summary>
    /// Waits until the build is in <paramref name="phase"/> and returns it. A build that ends in another terminal phase
    /// fails the wait at once, with its reason and message.
    /// </summary>
    public async Task<JsonObject> WaitForBuildPhaseAsync(string ns, string name, string phase, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        string? lastSeen = null;
        return await WaitForAsync(async ct =>
        {
            var build = await GetBuildAsync(ns, name, ct);
            if (build is null)
            {
                return null;
            }
            lastSeen = $"{BuildStatusChanges.PhaseOf(build)} {build.Str("status", "reason")} {build.Str("status", "message")}".Trim();
            if (BuildStatusChanges.PhaseOf(build) == phase)
            {
                return build;
            }
            if (BuildStatusChanges.IsTerminal(build))
            {
                throw new InvalidOperationException($"build {ns}/{name} ended {lastSeen} instead of reaching {phase}");
            }
            return null;
        }, timeout ?? DefaultTimeout, () => $"build {ns}/{name} to reach phase {phase} (last seen: {lastSeen ?? "not found"})", cancellationToken);
    }

    /// <summary>Waits until the namespace no longer exists (404).</summary>
    public Task WaitForNamespaceGoneAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(async ct =>
        {
            try
            {
                await Client.CoreV1.ReadNamespaceAsync(name, cancellationToken: ct);
                return null;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return (object)true;
            }
        }, timeout ?? DefaultTimeout, () => $"namespace {name} to be deleted", cancellationToken);

    public Task<V1ServiceAccount> WaitForServiceAccountAsync(string ns, string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForAsync(async ct =>
        {
            try
            {
                return await Client.CoreV1.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, timeout ?? DefaultTimeout, () => $"service account {ns}/{name}", cancellationToken);

    /// <summary>Polls <paramref name="probe"/> until it returns a value; throws <see cref="TimeoutException"/> naming what was awaited.</summary>
    public static async Task<T> WaitForAsync<T>(Func<CancellationToken, Task<T?>> probe, TimeSpan timeout, Func<string> what, CancellationToken cancellationToken = default)
        where T : class
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                if (await probe(deadline.Token) is { } value)
                {
                    return value;
                }
                await Task.Delay(PollInterval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"timed out after {timeout.TotalSeconds:0.#}s waiting for {what()}");
        }
    }

    /// <summary>The samples operator's job in a real cluster: the builder image stream, with its tag already imported.</summary>
    private async Task EnsureBuilderImageAsync(BuilderImage builder, CancellationToken cancellationToken)
    {
        try
        {
            await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = builder.Namespace } }, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
        // Several `new-app`s may race here: whoever loses a write re-reads and finds the work done.
        while (true)
        {
            var stream = await GetImageStreamAsync(builder.Namespace, builder.ImageStream, cancellationToken)
                ?? await CreateBuilderImageStreamAsync(builder, cancellationToken);
            if (stream is null)
            {
                continue; // created by someone else meanwhile
            }
            if (stream["status"]?["tags"]?.AsArray().OfType<JsonObject>().Any(t => t.Str("tag") == builder.Tag) == true)
            {
                return;
            }
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.DockerImage)));
            var source = ImageReference.Parse(builder.DockerImage);
            stream.Ensure("status")["tags"] = new JsonArray(new JsonObject
            {
                ["tag"] = builder.Tag,
                ["items"] = new JsonArray(new JsonObject
                {
                    ["created"] = JsonNodes.KubernetesTime(DateTimeOffset.UtcNow),
                    ["dockerImageReference"] = $"{source.RepositoryWithRegistry}@{digest}",
                    ["image"] = digest,
                    ["generation"] = stream.At("metadata", "generation")?.GetValue<long>() ?? 1,
                }),
            });
            try
            {
                await Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<JsonObject>(stream, ApiResource.ImageStreams.Group,
                    ApiResource.ImageStreams.Version, builder.Namespace, ApiResource.ImageStreams.Plural, builder.ImageStream, cancellationToken: cancellationToken);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
            }
        }
    }

    private async Task<JsonObject?> CreateBuilderImageStreamAsync(BuilderImage builder, CancellationToken cancellationToken)
    {
        try
        {
            return await CreateAsync(ApiResource.ImageStreams, builder.Namespace, new JsonObject
            {
                ["apiVersion"] = ApiResource.ImageStreams.ApiVersion,
                ["kind"] = ApiResource.ImageStreams.Kind,
                ["metadata"] = new JsonObject { ["name"] = builder.ImageStream },
                ["spec"] = new JsonObject
                {
                    ["tags"] = new JsonArray(new JsonObject
                    {
                        ["name"] = builder.Tag,
                        ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = builder.DockerImage },
                        ["referencePolicy"] = new JsonObject { ["type"] = "Local" },
                    }),
                },
            }, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    private Task<JsonObject> CreateAsync(ApiResource resource, string ns, JsonObject body, CancellationToken cancellationToken) =>
        Client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonObject>(body, resource.Group, resource.Version, ns, resource.Plural, cancellationToken: cancellationToken);

    private async Task<JsonObject?> GetAsync(ApiResource resource, string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await Client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(resource.Group, resource.Version, ns, resource.Plural, name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string RandomSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public void Dispose()
    {
        if (_ownsConnection)
        {
            _connection.Dispose();
        }
    }
}
