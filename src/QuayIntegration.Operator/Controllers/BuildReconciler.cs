using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Runtime;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// After a rewritten Build completes, imports the image it pushed to Quay into the ImageStreamTag it originally
/// targeted (by digest when the build reports one, reference policy Source), then marks the Build imported. The mark
/// is written after the import, so a crash in between repeats an import of the same digest, which changes nothing;
/// the mark makes every later look (resyncs, restarts) a no-op. A Build that completed before the tag's newest image
/// was recorded is not imported (it would roll the tag back) and gets the skipped mark instead, just as final. Keys are
/// <c>namespace/name</c>.
/// </summary>
public sealed class BuildReconciler(
    Informer<Build> builds,
    ClusterCaches caches,
    ConfiguredIntegrations configured,
    KubeApi api,
    EventRecorder events,
    ILogger<BuildReconciler> log) : IReconciler, IDisposable
{
    private static readonly TimeSpan IntegrationRecheck = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How long a Build whose service account may not push into the destination waits before it is asked again. Only an
    /// RBAC change can alter the answer, so a retry with backoff would only repeat the same review; a slow recheck
    /// still imports the Build if someone grants the permission later.
    /// </summary>
    public static readonly TimeSpan PermissionRecheck = TimeSpan.FromMinutes(10);
    private const string DefaultServiceAccount = "builder";
    /// <summary>
    /// Builds whose failure was already reported, so resyncs do not repeat the Event: the UID reported, by Build (a Build
    /// created again under the same name is told anew). An entry goes with its Build, so the memory follows the Builds
    /// there are, not every Build the process ever saw fail.
    /// </summary>
    private readonly ConcurrentDictionary<ObjectKey, string> _reportedFailures = new();
    /// <summary>Builds whose cross-namespace import was already refused, so rechecks do not repeat the Event (as above).</summary>
    private readonly ConcurrentDictionary<ObjectKey, string> _reportedRefusals = new();

    /// <summary>Builds told that their import waits for a usable QuayIntegration (as above), until it is done.</summary>
    private readonly ConcurrentDictionary<ObjectKey, string> _reportedWaits = new();

    /// <summary>The Builds whose import waits for a usable QuayIntegration: looked at again when the integrations change.</summary>
    public IEnumerable<ObjectKey> WaitingForIntegration => _reportedWaits.Keys;

    /// <summary>Builds remembered as reported (for tests and diagnostics).</summary>
    internal int ReportedCount => _reportedFailures.Count + _reportedRefusals.Count + _reportedWaits.Count;
    /// <summary>
    /// One import at a time per ImageStream, from reading its tags to the Build's mark: two Builds of one tag imported
    /// side by side would both read the tag before either import, and the older could land last; two of one stream's
    /// tags would each find the stream changed by the other (the import names the version read). Striped by the
    /// stream's name, so a slow import (a Quay that does not answer) holds back only the streams that share its stripe.
    /// </summary>
    private readonly SemaphoreSlim[] _importGates = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public string Name => "build";

    /// <summary>Whether this Build (this UID under this name) is reported for the first time; remembers that it was.</summary>
    private static bool FirstReport(ConcurrentDictionary<ObjectKey, string> reported, ObjectKey key, Build build)
    {
        var uid = build.Metadata.Uid ?? "";
        if (reported.TryGetValue(key, out var seen) && seen == uid) return false;
        reported[key] = uid;
        return true;
    }

    public void Dispose()
    {
        foreach (var gate in _importGates) gate.Dispose();
    }

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken ct)
    {
        var build = builds.Get(key);
        if (build is null)
        {
            foreach (var reported in new[] { _reportedFailures, _reportedRefusals, _reportedWaits }) reported.TryRemove(key, out _);
            return ReconcileResult.Done;
        }
        if (!IsManaged(build) || IsImported(build) || IsSkipped(build))
        {
            _reportedWaits.TryRemove(key, out _);
            return ReconcileResult.Done;
        }
        var phase = build.Status?.Phase;
        if (EndedWithoutImage(build))
        {
            if (FirstReport(_reportedFailures, key, build))
                events.Warning(build, "ImageNotImported", $"Build ended {phase}; nothing was imported into {Destination(build)}");
            // Marked as done with, so that a restarted operator or a new leader does not report it again as new.
            await MarkAsync(build, BuildAnnotations.ImportSkipped, BuildAnnotations.BuildEnded, ct);
            return ReconcileResult.Done;
        }
        if (phase != "Complete") return ReconcileResult.Done;

        // The image is imported from the Quay it was pushed to, with the settings of the integration of that Quay.
        var registryHost = RegistryHostOf(build.Spec?.Output?.To?.Name);
        var destinationNamespace = DestinationNamespace(build) ?? build.Metadata.NamespaceProperty;
        var integration = configured.ForImport(destinationNamespace, registryHost);
        if (integration is null)
        {
            // Imported once an integration whose settings apply can be used; said once, so the Build does not look
            // forgotten, and looked at again whenever the integrations change. No integration serving the registry at all
            // (its Quay URL changed since the push) is a warning: only a QuayIntegration for that Quay imports it.
            if (FirstReport(_reportedWaits, key, build))
            {
                if (WhyImportWaits(destinationNamespace) is { } until)
                    events.Normal(build, "ImageImportWaiting", $"Build completed; its image is imported into {Destination(build)} once {until}");
                else
                    events.Warning(build, "ImageImportRejected", $"Not importing the pushed image: no usable QuayIntegration serves the registry {UserText.Quote(registryHost)} it was pushed to; it is imported if one does");
            }
            return ReconcileResult.After(IntegrationRecheck);
        }
        _reportedWaits.TryRemove(key, out _); // waits no more: its own backoff from here on

        // The label and annotations are written by whoever creates the Build, and OpenShift keeps a client's status on
        // create: anyone who may create Builds in one namespace can claim a "pushed" digest for another namespace's
        // tag. The operator imports with its own rights, so it must not import there for someone who could not have
        // pushed there: the check OpenShift's registry makes of a push into another namespace. Checked before anything
        // else about the destination, so the Events of a refused Build tell nothing about the other namespace.
        var buildNamespace = build.Metadata.NamespaceProperty;
        if (destinationNamespace != buildNamespace)
        {
            var refusal = await CrossNamespacePushRefusalAsync(build, buildNamespace, destinationNamespace, build, ct);
            if (refusal is not null)
            {
                if (FirstReport(_reportedRefusals, key, build))
                    events.Warning(build, "ImageImportRejected", $"Not importing into ImageStreamTag {UserText.Quote(Destination(build))}: {refusal}");
                return ReconcileResult.After(PermissionRecheck);
            }
        }
        var (organizations, current) = OrganizationsOf(destinationNamespace, integration.RegistryHost);
        var plan = BuildImportPlan.For(build, integration.RegistryHost, organizations, current, out var problem);
        if (plan is null && OrganizationLeftFor(build, destinationNamespace, integration.RegistryHost, organizations) is { } left)
        {
            // Pushed before the namespace moved to another organization, or left every integration, and what the
            // operator made there was removed (cleanupPolicy Delete): nothing to import from, now or later.
            return await SkipMovedAsync(build, $"into ImageStreamTag {UserText.Quote(Destination(build))}", left, destinationNamespace, "", ct);
        }
        if (plan is null) Fail(build, "ImageImportRejected", $"Not importing the pushed image: {problem}");

        using var scope = log.BeginScope(new Dictionary<string, object> { ["build"] = key.ToString(), ["destination"] = plan!.Destination.ToString() });
        if (caches.ImageStreams.Get(plan.Destination.Namespace, plan.Destination.Stream) is null) FailMissingStream(build, plan);

        var streamKey = $"{plan.Destination.Namespace}/{plan.Destination.Stream}";
        var importGate = _importGates[(StringComparer.Ordinal.GetHashCode(streamKey) & int.MaxValue) % _importGates.Length];
        await importGate.WaitAsync(ct);
        try
        {
            // Read fresh: the informer's copy may lag behind an import, or a deletion. An import into a stream that is
            // gone would create it again, under the operator's rights, for a user who has just deleted it.
            var stream = await api.GetAsync<ImageStreamWithHistory>(ApiResources.ImageStreams.ObjectPath(plan.Destination.Namespace, plan.Destination.Stream), ct);
            if (stream?.Metadata?.Uid is not { Length: > 0 }) FailMissingStream(build, plan);
            // An import can come late: a retry after failures, or a Go operator Build adopted at start, of any age. If a
            // later build's image is already the tag's newest, importing this one would roll the tag back.
            var (newest, newer) = await NewestInTagAsync(build, plan, stream!, ct);
            var digest = build.Status?.Output?.To?.ImageDigest;
            if (newest is not null && !string.IsNullOrEmpty(digest)
                && (newest.Image == digest
                    || newer is not null && TagHistory(stream!, plan).Any(item => item.Image == digest) && await ProducerAsync(build, plan, digest, ct) is null))
            {
                // Imported already (the mark, or its answer, was lost): marked, not imported again. Also when a newer
                // image followed since, as long as no other Build explains the image's place in the tag's history: not
                // called superseded.
                await MarkAsync(build, BuildAnnotations.Imported, "true", ct);
                return ReconcileResult.Done;
            }
            if (newer is not null)
            {
                await MarkAsync(build, BuildAnnotations.ImportSkipped, BuildAnnotations.Superseded, ct);
                events.Normal(build, "ImageImportSkipped", $"Not importing {plan.From} into ImageStreamTag {plan.Destination}: {newer}; importing this one would roll the tag back");
                return ReconcileResult.Done;
            }

            var result = await ImportAsync(plan, stream!.Metadata!, integration, ct);
            // Someone else changed the stream since it was read (a tag by hand, a scheduled import): judged again on
            // what it holds now, without an Event, as the write a controller retries after a conflict.
            if (result is { Conflict: true }) throw new ReconcileException($"ImageStream {streamKey} changed while {plan.From} was imported; judged again");
            if (result is { Refused: true } && plan.Former)
            {
                // Pushed before the namespace moved to another organization: the namespace's credentials are the new
                // organization's robots now, and the former one's registry refuses them (or its repository is gone,
                // cleanupPolicy Delete). Trying again cannot help: said once, and marked done with.
                return await SkipMovedAsync(build, $"{plan.From} into ImageStreamTag {plan.Destination}", plan.Organization, plan.Destination.Namespace,
                    $", and its registry refused the import ({result.Message})", ct);
            }
            if (result is not null) Fail(build, "ImageImportFailed", $"Importing {plan.SourceFor(integration.ScheduledImageStreamImport)} into {plan.Destination} failed: {result.Message}");

            await MarkAsync(build, BuildAnnotations.Imported, "true", ct);
        }
        finally
        {
            importGate.Release();
        }
        events.Normal(build, "ImageImported", $"Imported {plan.SourceFor(integration.ScheduledImageStreamImport)} into ImageStreamTag {plan.Destination}");
        return ReconcileResult.Done;
    }

    /// <summary>
    /// Marks this Build, and only this one: the patch carries its uid, so a Build deleted since, or deleted and created
    /// again under the same name (a new run, not yet imported), is not marked; a new one is looked at on its own.
    /// </summary>
    private async Task MarkAsync(Build build, string annotation, string value, CancellationToken ct)
    {
        try
        {
            await api.PatchAsync<Build>(ApiResources.Builds.ObjectPath(build.Metadata.NamespaceProperty, build.Metadata.Name),
                new MetadataPatch(build.Metadata).Annotation(annotation, value).OnlyOnThisObject().ToPatch(), ct);
        }
        catch (KubeApiException e) when (e.IsNotFound)
        {
        }
        catch (KubeApiException e) when (e.IsInvalidAt("metadata.uid")) // the uid is refused only when it is not the Build's
        {
            log.BuildReplacedBeforeMark(ObjectKey.Of(build).ToString(), annotation);
        }
    }

    /// <summary>
    /// The destination tag's newest image, and why it is newer than this Build's (null when the import may go ahead).
    /// Newer is judged by what made it: when a managed Build of this tag pushed that image, by the two Builds' completion
    /// times (imports can land out of order: the tag's own times say when an image was imported, not when it was
    /// built); otherwise (tagged by hand, or its Build gone) by when the tag recorded it against this Build's completion.
    /// Both to the second, as the API server writes them, and strictly later. A Build with no completion time is not
    /// compared. <paramref name="stream"/> is read fresh, never from the cache: the informer's copy may lag behind an import.
    /// </summary>
    private async Task<(TagEvent? Newest, string? Newer)> NewestInTagAsync(Build build, BuildImportPlan plan, ImageStreamWithHistory stream, CancellationToken ct)
    {
        var history = TagHistory(stream, plan);
        var newest = history.Count > 0 ? history[0] : null;
        if (newest is null || build.Status?.CompletionTimestamp is not { } completed) return (newest, null);
        var producer = string.IsNullOrEmpty(newest.Image) ? null : await ProducerAsync(build, plan, newest.Image, ct);
        // An image already further down the history was tagged again: by hand (a rollback, `oc tag`), so newer by when
        // the tag recorded it, unless a Build that pushed it completed after it was first there (a rebuild that gave
        // the same digest, imported again).
        if (producer is not null && history.Skip(1).FirstOrDefault(item => item.Image == newest.Image) is { } earlier
            && !(earlier.Created is { } first && KubeTime.ToSecond(producer.Status!.CompletionTimestamp!.Value) > KubeTime.ToSecond(first)))
            producer = null;
        if (producer?.Status?.CompletionTimestamp is { } producerCompleted)
            return (newest, CompletedAfter(producer, build)
                ? $"the tag holds a newer image ({newest.Image}) from Build {producer.Metadata.NamespaceProperty}/{producer.Metadata.Name}, which completed at {producerCompleted:yyyy-MM-dd'T'HH:mm:ss'Z'}, after this Build at {completed:yyyy-MM-dd'T'HH:mm:ss'Z'}"
                : null);
        return (newest, newest.Created is { } created && KubeTime.ToSecond(created) > KubeTime.ToSecond(completed)
            ? $"a newer image ({newest.Image}) was recorded in the tag at {created:yyyy-MM-dd'T'HH:mm:ss'Z'}, after this Build completed at {completed:yyyy-MM-dd'T'HH:mm:ss'Z'}"
            : null);
    }

    /// <summary>
    /// Whether Build <paramref name="a"/> completed after <paramref name="b"/>, both having completed: by their completion
    /// times, which have whole seconds; within one second, the later run of one BuildConfig by its build number, else
    /// the Build created later (two builds of a tag completing in the same second, the older imported last, would
    /// otherwise roll the tag back).
    /// </summary>
    private static bool CompletedAfter(Build a, Build b)
    {
        var (first, second) = (KubeTime.ToSecond(a.Status!.CompletionTimestamp!.Value), KubeTime.ToSecond(b.Status!.CompletionTimestamp!.Value));
        if (first != second) return first > second;
        if (Annotation(a, BuildConfigAnnotation) is { Length: > 0 } config && config == Annotation(b, BuildConfigAnnotation)
            && long.TryParse(Annotation(a, BuildNumberAnnotation), out var numberA) && long.TryParse(Annotation(b, BuildNumberAnnotation), out var numberB))
            return numberA > numberB;
        return a.Metadata.CreationTimestamp is { } createdA && b.Metadata.CreationTimestamp is { } createdB && KubeTime.ToSecond(createdA) > KubeTime.ToSecond(createdB);
    }

    /// <summary>What OpenShift's build generator sets on a Build of a BuildConfig: its name, and the run's number (never empty).</summary>
    private const string BuildConfigAnnotation = "openshift.io/build-config.name";
    private const string BuildNumberAnnotation = "openshift.io/build.number";

    private static string? Annotation(Build build, string key) => build.Metadata.Annotations?.TryGetValue(key, out var value) == true ? value : null;

    /// <summary>The plan's tag's history in <paramref name="stream"/>, newest first.</summary>
    private static List<TagEvent> TagHistory(ImageStreamWithHistory stream, BuildImportPlan plan) =>
        stream.Status?.Tags?.FirstOrDefault(t => t.Tag == plan.Destination.Tag)?.Items ?? [];

    /// <summary>
    /// The Build that pushed <paramref name="image"/> for the plan's tag, the latest of several. A Build's annotations
    /// and status are whoever made it's word: one of the tag's own namespace is believed; one of another namespace only
    /// when its service account may push into the tag's namespace (the check its own import passed), since whoever may
    /// push there gains nothing by writing one, while a refused one must not decide what counts as newer there. Those
    /// are looked for only when the tag's namespace has none (an image pushed from another namespace), one review each.
    /// </summary>
    private async Task<Build?> ProducerAsync(Build build, BuildImportPlan plan, string image, CancellationToken ct)
    {
        var destination = plan.Destination.ToString();
        bool Pushed(Build b) => b.Metadata.Uid != build.Metadata.Uid && b.Status?.Output?.To?.ImageDigest == image
                                && b.Status.CompletionTimestamp is not null && ImageStreamTagReference.Parse(Destination(b))?.ToString() == destination;
        var own = builds.ListInNamespace(plan.Destination.Namespace).Where(Pushed).MaxBy(b => b.Status!.CompletionTimestamp);
        if (own is not null) return own;
        foreach (var other in builds.List().Where(b => b.Metadata.NamespaceProperty != plan.Destination.Namespace && Pushed(b))
                     .OrderByDescending(b => b.Status!.CompletionTimestamp))
        {
            if (await CrossNamespacePushRefusalAsync(other, other.Metadata.NamespaceProperty, plan.Destination.Namespace, build, ct) is null) return other;
        }
        return null;
    }

    /// <summary>
    /// Null when the Build's service account may push into <paramref name="destinationNamespace"/> (SubjectAccessReview
    /// for <c>update imagestreams/layers</c> in image.openshift.io, as the service account authenticates: its user and
    /// groups); otherwise why not. A review the API server fails to answer throws, so the Build is retried with backoff.
    /// </summary>
    /// <param name="importing">The Build being imported, on which a review the API server fails to answer is reported
    /// (<paramref name="build"/> may be another one, whose word is being weighed).</param>
    private async Task<string?> CrossNamespacePushRefusalAsync(Build build, string buildNamespace, string destinationNamespace, Build importing, CancellationToken ct)
    {
        var serviceAccount = build.Spec?.ServiceAccount is { Length: > 0 } sa ? sa : DefaultServiceAccount;
        // Not a name a service account can have: no user of that name exists, and the value is only echoed quoted.
        if (!IsServiceAccountName(serviceAccount))
            return $"the Build's spec.serviceAccount {UserText.Quote(serviceAccount)} is not a valid service account name";
        var user = $"system:serviceaccount:{buildNamespace}:{serviceAccount}";
        V1SubjectAccessReview answer;
        try
        {
            answer = await api.CreateAsync("/apis/authorization.k8s.io/v1/subjectaccessreviews", new V1SubjectAccessReview
            {
                ApiVersion = "authorization.k8s.io/v1",
                Kind = "SubjectAccessReview",
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = user,
                    Groups = ["system:serviceaccounts", $"system:serviceaccounts:{buildNamespace}", "system:authenticated"],
                    ResourceAttributes = new V1ResourceAttributes
                    {
                        Group = ImageStream.Group, Resource = "imagestreams", Subresource = "layers", Verb = "update", NamespaceProperty = destinationNamespace,
                    },
                },
            }, ct);
        }
        catch (KubeApiException e)
        {
            Fail(importing, "ImageImportFailed", $"Could not check whether {user} may push to namespace {destinationNamespace}: {e.Message}");
            throw; // not reached: Fail throws
        }
        if (answer.Status?.Allowed == true) return null;
        var reason = answer.Status?.Reason is { Length: > 0 } r ? $" ({UserText.Quote(r)})" : "";
        return $"the Build is in namespace {buildNamespace} and its service account {user} may not push to namespace {destinationNamespace} " +
            $"(update imagestreams/layers in {ImageStream.Group}){reason}; checked again in {PermissionRecheck.TotalMinutes:0} minutes";
    }

    /// <summary>A DNS subdomain, what a ServiceAccount's name must be.</summary>
    private static bool IsServiceAccountName(string name) =>
        name.Length <= 253 && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]);

    /// <summary>
    /// Creates the ImageStreamImport into the stream <paramref name="read"/>, only as it was read: without a uid the API
    /// server creates a stream that is missing, and one deleted (or made again) since it was read is refused instead;
    /// with the resourceVersion, one changed since (its tag moved by someone else) is refused with a conflict. Null on
    /// success, else the failure the API server reported.
    /// </summary>
    private async Task<ImportFailure?> ImportAsync(BuildImportPlan plan, ImageStreamIdentity read, IntegrationConfig config, CancellationToken ct)
    {
        var request = new ImageStreamImport
        {
            Metadata = new V1ObjectMeta
            {
                Name = plan.Destination.Stream, NamespaceProperty = plan.Destination.Namespace, Uid = read.Uid, ResourceVersion = read.ResourceVersion,
            },
            Spec = new ImageStreamImportSpec
            {
                Import = true,
                Images =
                [
                    new ImageImportSpec
                    {
                        // A scheduled import is re-read every few minutes: by tag, which holds the Build's image unless pushed
                        // again since, so it follows the tag as the user asked (a digest would follow nothing).
                        From = new V1ObjectReference { Kind = "DockerImage", Name = plan.SourceFor(config.ScheduledImageStreamImport) },
                        To = new V1LocalObjectReference { Name = plan.Destination.Tag },
                        ImportPolicy = new TagImportPolicy { Insecure = config.ImportsInsecure, Scheduled = plan.FollowsTag(config.ScheduledImageStreamImport) },
                        ReferencePolicy = new TagReferencePolicy { Type = "Source" },
                    },
                ],
            },
        };
        JsonObject answer;
        try
        {
            answer = await api.CreateAsync(
                $"apis/{ImageStream.Group}/{ImageStream.Version}/namespaces/{plan.Destination.Namespace}/{ImageStreamImport.Plural}",
                KubernetesSerializerOptions.ToNode(request)!.AsObject(), ct);
        }
        catch (KubeApiException e)
        {
            return new ImportFailure(e.Message, Refused: false, Conflict: e.IsConflict);
        }
        var status = answer["status"]?["images"]?[0]?["status"];
        var outcome = status?["status"]?.GetValue<string>();
        if (outcome == "Success") return null;
        var code = status?["code"]?.GetValueKind() == System.Text.Json.JsonValueKind.Number ? status["code"]!.GetValue<int>() : 0;
        return new ImportFailure($"{status?["reason"]} {status?["message"]}".Trim() is { Length: > 0 } m ? m : "no image status in the answer",
            Refused: code is 401 or 403 or 404);
    }

    /// <summary>
    /// A Build pushed to an organization its namespace has left: marked done with (<see cref="BuildAnnotations.OrganizationMoved"/>)
    /// and told once, with what to do; <paramref name="what"/> names the import, <paramref name="why"/> adds to the reason.
    /// </summary>
    private async Task<ReconcileResult> SkipMovedAsync(Build build, string what, string organization, string ns, string why, CancellationToken ct)
    {
        await MarkAsync(build, BuildAnnotations.ImportSkipped, BuildAnnotations.OrganizationMoved, ct);
        var advice = configured.For(ns) is NamespaceIntegration.Unmanaged
            ? "no QuayIntegration manages the namespace now"
            : "run the build again to push to the namespace's organization";
        events.Warning(build, "ImageNotImported", $"Not importing {what}: it was pushed to organization {organization}, which namespace {ns} no longer uses{why}; {advice}");
        return ReconcileResult.Done;
    }

    /// <summary>
    /// The organization a Build pushed to that its destination namespace has left for good, or null: one no longer on
    /// the namespace's record (<see cref="BuildImportPlan.OrganizationLeft"/>; on that Quay it may have none left), or,
    /// for a namespace no integration manages any more whose record went with what it held (cleanupPolicy Delete), the
    /// organization of a rewrite's output. A namespace with no record that an integration manages, or that still
    /// carries the finalizer (a Go operator Build adopted before its namespace was first looked at), names nothing yet:
    /// it waits.
    /// </summary>
    private string? OrganizationLeftFor(Build build, string ns, string registryHost, List<string> organizations)
    {
        if (caches.QuayNamespaces.Get(ObjectKey.Cluster(ns)) is not null) return BuildImportPlan.OrganizationLeft(build, registryHost, organizations);
        if (organizations.Count > 0 || configured.For(ns) is not NamespaceIntegration.Unmanaged
            || caches.Namespaces.Get(ObjectKey.Cluster(ns))?.Metadata.Finalizers?.Contains(WellKnown.NamespaceFinalizer) == true)
            return null;
        return ImageStreamTagReference.Parse(Destination(build)) is { } destination && build.Spec?.Output?.To is { Kind: "DockerImage", Name: { } output }
            ? QuayImageReference.RewriteOrganization(output, destination, registryHost)
            : null;
    }

    /// <summary>
    /// Why an import failed; <paramref name="Refused"/> when the registry refused the credentials or has no such image,
    /// <paramref name="Conflict"/> when the stream changed since it was read.
    /// </summary>
    private sealed record ImportFailure(string Message, bool Refused, bool Conflict = false);

    /// <summary>
    /// What an import waits for when no integration's settings apply: the integration managing the destination
    /// namespace to be usable again, or any to be; null when it waits for nothing (no integration serves the registry).
    /// </summary>
    private string? WhyImportWaits(string destinationNamespace)
    {
        if (configured.For(destinationNamespace) is NamespaceIntegration.Unusable unusable)
            return $"QuayIntegration {unusable.Name} can be used ({StatusConditions.Bounded(unusable.Reason)!})";
        return configured.All.Any(v => v is IntegrationView.Usable) ? null : $"a QuayIntegration can be used ({WhyNoneUsable()})";
    }

    /// <summary>Why no QuayIntegration can be used, in a few words per integration (the first three).</summary>
    private string WhyNoneUsable()
    {
        var views = configured.All;
        if (views.Count == 0) return "none exists";
        var why = views.Take(3).Select(v => v switch
        {
            IntegrationView.Unusable u => $"QuayIntegration {v.Name}: {u.Reason}",
            IntegrationView.Deleting => $"QuayIntegration {v.Name} is being deleted",
            _ => $"QuayIntegration {v.Name}",
        });
        return StatusConditions.Bounded(string.Join("; ", why) + (views.Count > 3 ? $"; and {views.Count - 3} more" : ""))!;
    }

    /// <summary>An Event, then an exception so the controller retries with backoff.</summary>
    private void Fail(Build build, string reason, string message)
    {
        events.Warning(build, reason, message);
        throw new ReconcileException(message);
    }

    private void FailMissingStream(Build build, BuildImportPlan plan) =>
        Fail(build, "ImageStreamMissing", $"ImageStream {plan.Destination.Namespace}/{plan.Destination.Stream} does not exist; {plan.From} is imported once it does");

    /// <summary>
    /// The organizations a Build's image may be imported from for namespace <paramref name="ns"/> on Quay
    /// <paramref name="host"/>, and which of them the namespace pushes to now: the one annotated on the namespace (unless
    /// the integration managing it is on another Quay: the annotation names its organization there), then those its
    /// record holds on <paramref name="host"/>, made or found (after a change of organization prefix, cluster ID or
    /// Quay, a Build rewritten before the move pushed to a former one, which stays on record while it holds anything of
    /// the operator's).
    /// </summary>
    private (List<string> Organizations, string? Current) OrganizationsOf(string ns, string host)
    {
        var organizations = new List<string>();
        string? current = null;
        var elsewhere = configured.For(ns) is NamespaceIntegration.Managed managed && !string.Equals(managed.Config.RegistryHost, host, StringComparison.OrdinalIgnoreCase);
        if (!elsewhere && caches.Namespaces.Get(ObjectKey.Cluster(ns))?.Metadata.Annotations is { } a && a.TryGetValue(WellKnown.OrganizationAnnotation, out var annotated))
            organizations.Add(current = annotated);
        foreach (var entry in caches.QuayNamespaces.Get(ObjectKey.Cluster(ns))?.Spec.Organizations ?? [])
            if (entry.Host == host && entry.Origin is Origin.Created or Origin.Found && !organizations.Contains(entry.Name))
                organizations.Add(entry.Name);
        return (organizations, current);
    }

    /// <summary>The registry host of a Docker image reference (what precedes the first '/'); empty when there is none.</summary>
    private static string RegistryHostOf(string? reference) =>
        reference is { } r && r.IndexOf('/') is > 0 and var slash ? r[..slash] : "";

    private static string? DestinationNamespace(Build build) => ImageStreamTagReference.Parse(Destination(build))?.Namespace;

    private static string? Destination(Build build) =>
        build.Metadata.Annotations?.TryGetValue(BuildAnnotations.DestinationImageStream, out var d) == true ? d : null;

    public static bool IsManaged(Build build) =>
        build.Metadata.Annotations?.TryGetValue(BuildAnnotations.Managed, out var v) == true && v == "true";

    public static bool IsImported(Build build) =>
        build.Metadata.Annotations?.TryGetValue(BuildAnnotations.Imported, out var v) == true && v == "true";

    /// <summary>Not imported on purpose, because a newer image was already in the tag: as final as imported.</summary>
    public static bool IsSkipped(Build build) => build.Metadata.Annotations?.ContainsKey(BuildAnnotations.ImportSkipped) == true;

    /// <summary>Failed, errored or cancelled: there is no image to import.</summary>
    public static bool EndedWithoutImage(Build build) => build.Status?.Phase is "Failed" or "Error" or "Cancelled";
}
