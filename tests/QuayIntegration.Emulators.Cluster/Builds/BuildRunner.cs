using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Controllers;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using static QuayIntegration.Emulators.Cluster.Builds.BuildStatusChanges;

namespace QuayIntegration.Emulators.Cluster.Builds;

/// <summary>How long a build lingers in each phase, and how often a waiting build looks again.</summary>
public sealed class BuildTimings
{
    /// <summary>From when the runner sees a New build to the Pending write (the build controller creating the pod).</summary>
    public TimeSpan New { get; set; } = TimeSpan.FromMilliseconds(20);
    /// <summary>From Pending to Running (the pod being scheduled and started).</summary>
    public TimeSpan Pending { get; set; } = TimeSpan.FromMilliseconds(20);
    /// <summary>From Running to the push (the build itself).</summary>
    public TimeSpan Running { get; set; } = TimeSpan.FromMilliseconds(50);
    /// <summary>How often a build waiting for its output stream or push secret checks again.</summary>
    public TimeSpan WaitingRecheck { get; set; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// The build controller and the build pod in one: follows Builds and drives each non-terminal one
/// New → Pending → Running → Complete (or Failed with a reason), writing status through the main resource (Builds have
/// no status subresource, so every write is an UPDATE that passes admission), with conditions, timestamps and the
/// duration. At Pending it resolves <c>status.outputDockerImageReference</c> and, when the build names no push secret,
/// picks one from the build service account as openshift-controller-manager does. At the end of Running it pushes:
/// a DockerImage output over the registry v2 protocol with that secret's credentials; an ImageStreamTag output to the
/// integrated registry, which records the image in the stream's status tags.
/// </summary>
public sealed class BuildRunner(k8s.Kubernetes client, BuildTimings timings, RegistryTrust registryTrust, ILogger logger) : IClusterController
{
    public const string InvalidOutputReferenceReason = "InvalidOutputReference";
    public const string MissingPushSecretReason = "MissingPushSecret";
    public const string PushImageToRegistryFailedReason = "PushImageToRegistryFailed";
    public const string CancelledBuildReason = "CancelledBuild";

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, BuildDriver> _running = new();
    private readonly PushSecretResolver _pushSecrets = new(client);

    public string Name => "build-runner";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var registry = new RegistryPushClient(registryTrust);
        await ListWatches.Untyped(client, ApiResource.Builds).RunAsync((type, build) =>
        {
            var uid = build.Uid();
            if (uid is null)
            {
                return;
            }
            if (type == WatchEventType.Deleted)
            {
                if (_running.TryRemove(uid, out var deleted))
                {
                    try
                    {
                        deleted.Stop.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // its driver had just finished on its own
                    }
                }
                return;
            }
            if (_running.TryGetValue(uid, out var existing))
            {
                // Something changed the build (a cancellation, an edit): let its driver look now rather than after its current wait.
                existing.Wake();
                return;
            }
            if (IsTerminal(build))
            {
                return;
            }
            var driver = new BuildDriver(CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
            if (_running.TryAdd(uid, driver))
            {
                _ = DriveAsync(build.Namespace(), build.Name(), uid, registry, driver)
                    .ContinueWith(_ =>
                    {
                        _running.TryRemove(new KeyValuePair<string, BuildDriver>(uid, driver));
                        driver.Stop.Dispose();
                    }, TaskScheduler.Default);
            }
            else
            {
                driver.Stop.Dispose();
            }
        }, logger, cancellationToken);
    }

    /// <summary>One build's life, step by step, re-reading the build before every step (it may be cancelled or deleted meanwhile).</summary>
    private async Task DriveAsync(string ns, string name, string uid, RegistryPushClient registry, BuildDriver driver)
    {
        var cancellationToken = driver.Stop.Token;
        string? observedPhase = null;
        var phaseEnteredAt = DateTimeOffset.UtcNow;
        DateTimeOffset? startedAt = null;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var build = await ReadAsync(ns, name, uid, cancellationToken);
                if (build is null || IsTerminal(build))
                {
                    return;
                }
                var phase = PhaseOf(build);
                if (phase != observedPhase)
                {
                    observedPhase = phase;
                    phaseEnteredAt = DateTimeOffset.UtcNow;
                }
                if (build.Bool("status", "cancelled"))
                {
                    await UpdateAsync(ns, name, uid, b =>
                    {
                        if (IsTerminal(b))
                        {
                            return false;
                        }
                        Transition(b, Cancelled, CancelledBuildReason, "The build was cancelled by the user.", DateTimeOffset.UtcNow, startedAt);
                        return true;
                    }, cancellationToken);
                    continue;
                }

                switch (phase)
                {
                    case New:
                        if (await driver.WaitUntilAsync(phaseEnteredAt + timings.New))
                        {
                            await StartAsync(build, cancellationToken);
                        }
                        break;
                    case Pending:
                        if (await driver.WaitUntilAsync(phaseEnteredAt + timings.Pending))
                        {
                            await RunPodAsync(build, cancellationToken);
                            startedAt = DateTimeOffset.UtcNow;
                        }
                        break;
                    case Running:
                        if (await driver.WaitUntilAsync(phaseEnteredAt + timings.Running))
                        {
                            await FinishAsync(build, registry, startedAt, cancellationToken);
                        }
                        break;
                    default:
                        logger.LogWarning("build {Namespace}/{Name} is in unknown phase {Phase}; leaving it alone", ns, name, phase);
                        return;
                }
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Typically an admission webhook refusing the UPDATE (the operator is down) or a dropped connection: retry, as the controller would.
                failures++;
                var delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, TimeSpan.FromMilliseconds(100).Ticks << Math.Min(failures - 1, 8)));
                logger.LogWarning("build {Namespace}/{Name}: {Message}; retrying in {Delay}", ns, name, exception.Message, delay);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }

    /// <summary>New → Pending: resolve where the image goes and with which secret, as the controller does when it creates the pod.</summary>
    private async Task StartAsync(JsonObject build, CancellationToken cancellationToken)
    {
        var (ns, name, uid) = (build.Namespace(), build.Name(), build.Uid()!);
        var output = await ResolveOutputAsync(build, cancellationToken);
        if (output is { Resolved: false })
        {
            await UpdateAsync(ns, name, uid, b => PhaseOf(b) == New
                && SetWaitingReason(b, InvalidOutputReferenceReason, "Output image could not be resolved.", DateTimeOffset.UtcNow), cancellationToken);
            await Task.Delay(timings.WaitingRecheck, cancellationToken);
            return;
        }

        string? pushSecret = null;
        if (output is { Reference: { } reference } && string.IsNullOrEmpty(build.Str("spec", "output", "pushSecret", "name")))
        {
            pushSecret = await _pushSecrets.ResolveAsync(ns, build.Str("spec", "serviceAccount"), ImageReference.Parse(reference), cancellationToken);
        }

        await UpdateAsync(ns, name, uid, b =>
        {
            if (PhaseOf(b) != New)
            {
                return false;
            }
            b.Ensure("metadata", "annotations")[PodNameAnnotation] = $"{name}-build";
            if (output?.Reference is { } target)
            {
                b.Ensure("status")["outputDockerImageReference"] = target;
            }
            if (pushSecret is not null && string.IsNullOrEmpty(b.Str("spec", "output", "pushSecret", "name")))
            {
                b.Ensure("spec", "output")["pushSecret"] = new JsonObject { ["name"] = pushSecret };
            }
            Transition(b, Pending, null, null, DateTimeOffset.UtcNow);
            return true;
        }, cancellationToken);
    }

    /// <summary>Pending → Running, once the push secret the pod mounts exists.</summary>
    private async Task RunPodAsync(JsonObject build, CancellationToken cancellationToken)
    {
        var (ns, name, uid) = (build.Namespace(), build.Name(), build.Uid()!);
        if (build.Str("spec", "output", "pushSecret", "name") is { Length: > 0 } secretName && await ReadSecretAsync(ns, secretName, cancellationToken) is null)
        {
            await UpdateAsync(ns, name, uid, b => PhaseOf(b) == Pending
                && SetWaitingReason(b, MissingPushSecretReason, $"Missing push secret \"{secretName}\".", DateTimeOffset.UtcNow), cancellationToken);
            await Task.Delay(timings.WaitingRecheck, cancellationToken);
            return; // the pod cannot start without the secret it mounts; look again on the next pass
        }
        await UpdateAsync(ns, name, uid, b =>
        {
            if (PhaseOf(b) != Pending)
            {
                return false;
            }
            Transition(b, Running, null, null, DateTimeOffset.UtcNow);
            return true;
        }, cancellationToken);
    }

    /// <summary>Running → Complete or Failed: push the image where the output says, and record its digest.</summary>
    private async Task FinishAsync(JsonObject build, RegistryPushClient registry, DateTimeOffset? startedAt, CancellationToken cancellationToken)
    {
        var (ns, name, uid) = (build.Namespace(), build.Name(), build.Uid()!);
        string? digest = null;
        string? failure = null;
        var to = build.At("spec", "output", "to") as JsonObject;
        if (to is not null)
        {
            var image = SyntheticImage.ForBuild(ns, name, uid, DateTimeOffset.UtcNow);
            try
            {
                digest = to.Str("kind") == "ImageStreamTag"
                    ? await RecordInImageStreamAsync(build, to, image, cancellationToken)
                    : await PushToRegistryAsync(build, registry, image, cancellationToken);
            }
            catch (RegistryPushException exception)
            {
                failure = exception.Message;
            }
        }

        await UpdateAsync(ns, name, uid, b =>
        {
            if (PhaseOf(b) != Running)
            {
                return false;
            }
            var now = DateTimeOffset.UtcNow;
            if (failure is not null)
            {
                Transition(b, Failed, PushImageToRegistryFailedReason, $"Failed to push the image to the registry: {failure}", now, startedAt);
                return true;
            }
            if (digest is not null)
            {
                b.Ensure("status", "output", "to")["imageDigest"] = digest;
            }
            Transition(b, Complete, null, null, now, startedAt);
            return true;
        }, cancellationToken);
        logger.LogInformation("build {Namespace}/{Name}: {Outcome}", ns, name, failure ?? $"complete{(digest is null ? "" : ", pushed " + digest)}");
    }

    private async Task<string> PushToRegistryAsync(JsonObject build, RegistryPushClient registry, SyntheticImage image, CancellationToken cancellationToken)
    {
        var ns = build.Namespace();
        var target = build.Str("status", "outputDockerImageReference") ?? build.Str("spec", "output", "to", "name")
            ?? throw new RegistryPushException("the build has no output image name");
        ImageReference reference;
        try
        {
            reference = ImageReference.Parse(target);
        }
        catch (FormatException exception)
        {
            throw new RegistryPushException(exception.Message);
        }
        RegistryCredential? credential = null;
        if (build.Str("spec", "output", "pushSecret", "name") is { Length: > 0 } secretName && await ReadSecretAsync(ns, secretName, cancellationToken) is { } secret)
        {
            credential = DockerCredentials.Find(secret, reference);
        }
        return await registry.PushAsync(reference, credential, image, cancellationToken);
    }

    /// <summary>
    /// What the integrated registry does when a build pushes to <c>stream:tag</c>: the image becomes the newest item of the
    /// tag's history in the stream's status (written through the <c>status</c> subresource).
    /// </summary>
    private async Task<string> RecordInImageStreamAsync(JsonObject build, JsonObject to, SyntheticImage image, CancellationToken cancellationToken)
    {
        var (streamNamespace, stream, tag) = ParseImageStreamTag(build, to);
        while (true)
        {
            var imageStream = await ReadImageStreamAsync(streamNamespace, stream, cancellationToken)
                ?? throw new RegistryPushException($"image stream {streamNamespace}/{stream} does not exist");
            var repository = imageStream.Str("status", "dockerImageRepository");
            if (string.IsNullOrEmpty(repository))
            {
                throw new RegistryPushException($"image stream {streamNamespace}/{stream} has no integrated registry repository");
            }
            var tags = imageStream.Ensure("status")["tags"] as JsonArray ?? new JsonArray();
            imageStream["status"]!["tags"] = tags;
            var tagEvents = tags.OfType<JsonObject>().FirstOrDefault(t => t.Str("tag") == tag);
            if (tagEvents is null)
            {
                tagEvents = new JsonObject { ["tag"] = tag, ["items"] = new JsonArray() };
                tags.Add(tagEvents);
            }
            var items = tagEvents["items"] as JsonArray ?? new JsonArray();
            tagEvents["items"] = items;
            items.Insert(0, new JsonObject
            {
                ["created"] = JsonNodes.KubernetesTime(DateTimeOffset.UtcNow),
                ["dockerImageReference"] = $"{repository}@{image.Digest}",
                ["image"] = image.Digest,
                ["generation"] = imageStream.At("metadata", "generation")?.GetValue<long>() ?? 1,
            });
            try
            {
                await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<JsonObject>(imageStream,
                    ApiResource.ImageStreams.Group, ApiResource.ImageStreams.Version, streamNamespace, ApiResource.ImageStreams.Plural, stream,
                    cancellationToken: cancellationToken);
                return image.Digest;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // The stream changed since we read it (e.g. an import); record against the new version.
            }
        }
    }

    /// <summary>
    /// The push target: a DockerImage name as is; an ImageStreamTag through its stream's <c>status.dockerImageRepository</c>
    /// (unresolvable while the stream is missing or there is no integrated registry); no output, nothing to push.
    /// </summary>
    private async Task<OutputResolution?> ResolveOutputAsync(JsonObject build, CancellationToken cancellationToken)
    {
        if (build.At("spec", "output", "to") is not JsonObject to)
        {
            return null;
        }
        switch (to.Str("kind"))
        {
            case "DockerImage":
                var pullSpec = to.Str("name") ?? "";
                try
                {
                    ImageReference.Parse(pullSpec); // a name no registry could be reached by is an invalid reference, as for OCM
                    return new OutputResolution(true, pullSpec);
                }
                catch (FormatException)
                {
                    return new OutputResolution(false, null);
                }
            case "ImageStreamTag":
                var (ns, stream, tag) = ParseImageStreamTag(build, to);
                if (stream.Length == 0 || tag.Length == 0)
                {
                    return new OutputResolution(false, null);
                }
                var imageStream = await ReadImageStreamAsync(ns, stream, cancellationToken);
                var repository = imageStream?.Str("status", "dockerImageRepository");
                return string.IsNullOrEmpty(repository) ? new OutputResolution(false, null) : new OutputResolution(true, $"{repository}:{tag}");
            default:
                return new OutputResolution(false, null);
        }
    }

    /// <summary>
    /// As the build controller reads an ImageStreamTag output (library-go SplitImageStreamTag): split at the first
    /// <c>:</c>, an empty tag is <c>latest</c>; without a <c>:</c> the reference is invalid (empty tag returned, so the
    /// output does not resolve).
    /// </summary>
    private static (string Namespace, string Stream, string Tag) ParseImageStreamTag(JsonObject build, JsonObject to)
    {
        var ns = to.Str("namespace") is { Length: > 0 } explicitNamespace ? explicitNamespace : build.Namespace();
        var streamAndTag = to.Str("name") ?? "";
        var colon = streamAndTag.IndexOf(':');
        if (colon < 0) return (ns, streamAndTag, "");
        var tag = streamAndTag[(colon + 1)..];
        return (ns, streamAndTag[..colon], tag.Length == 0 ? "latest" : tag);
    }

    /// <summary>
    /// Read–modify–PUT with the read resourceVersion, re-reading on 409. <paramref name="change"/> returns false when there
    /// is nothing to write (e.g. someone else moved the build on), so no empty UPDATE reaches admission.
    /// </summary>
    private async Task UpdateAsync(string ns, string name, string uid, Func<JsonObject, bool> change, CancellationToken cancellationToken)
    {
        while (true)
        {
            var build = await ReadAsync(ns, name, uid, cancellationToken);
            if (build is null || !change(build))
            {
                return;
            }
            try
            {
                await client.CustomObjects.ReplaceNamespacedCustomObjectAsync<JsonObject>(build,
                    ApiResource.Builds.Group, ApiResource.Builds.Version, ns, ApiResource.Builds.Plural, name, cancellationToken: cancellationToken);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
            }
            catch (HttpOperationException e)
            {
                throw new InvalidOperationException($"updating the build was refused: {(int)e.Response.StatusCode} {StatusMessage(e)}", e);
            }
        }
    }

    private async Task<JsonObject?> ReadAsync(string ns, string name, string uid, CancellationToken cancellationToken)
    {
        try
        {
            var build = await client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(
                ApiResource.Builds.Group, ApiResource.Builds.Version, ns, ApiResource.Builds.Plural, name, cancellationToken);
            return build.Uid() == uid ? build : null; // a new build with the same name is another build
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<JsonObject?> ReadImageStreamAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CustomObjects.GetNamespacedCustomObjectAsync<JsonObject>(
                ApiResource.ImageStreams.Group, ApiResource.ImageStreams.Version, ns, ApiResource.ImageStreams.Plural, name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<V1Secret?> ReadSecretAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static string StatusMessage(HttpOperationException exception)
    {
        try
        {
            return JsonNode.Parse(exception.Response.Content).Str("message") ?? exception.Response.Content;
        }
        catch (System.Text.Json.JsonException)
        {
            return exception.Response.Content;
        }
    }

    /// <summary>The task driving one build: stopped when the build is deleted, woken when the build changes.</summary>
    private sealed class BuildDriver(CancellationTokenSource stop)
    {
        private readonly SemaphoreSlim _changed = new(0, 1);

        public CancellationTokenSource Stop { get; } = stop;

        public void Wake()
        {
            try
            {
                _changed.Release();
            }
            catch (SemaphoreFullException)
            {
                // already signalled
            }
        }

        /// <summary>Waits until <paramref name="time"/>; false when woken earlier by a change to the build (re-read it first).</summary>
        public async Task<bool> WaitUntilAsync(DateTimeOffset time)
        {
            var delay = time - DateTimeOffset.UtcNow;
            if (delay <= TimeSpan.Zero)
            {
                return true;
            }
            return !await _changed.WaitAsync(delay, Stop.Token);
        }
    }

    private sealed record OutputResolution(bool Resolved, string? Reference);
}
