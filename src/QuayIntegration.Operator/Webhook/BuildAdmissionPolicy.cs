using k8s.Models;
using QuayIntegration.Operator.Api;
using QuayIntegration.Runtime;
using System.Text.Json;
using System.Text.RegularExpressions;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Webhook;

/// <summary>
/// Decides what happens to a Build at admission, from the caches (never Quay, so it answers in microseconds); only a
/// namespace the cache does not hold yet costs a bounded read of the API server (<see cref="UncachedNamespaces"/>):
/// <list type="bullet">
/// <item>Only CREATE is mutated (a Build's spec is immutable); UPDATE and anything else pass untouched.</item>
/// <item>Every Build CREATE that is allowed loses the operator's imported mark, whatever else is decided: a new Build
/// has imported nothing, and a Rebuild (<c>builds/NAME/clone</c>) copies the original's annotations, mark included,
/// along with its already rewritten DockerImage output. That output is rewritten again from the ImageStreamTag the
/// rewrite recorded, as for a new Build, since the configuration may have changed since; such a clone also gets the
/// managed-build label when it lacks it (the Go operator's Builds never had it), so its image is imported back.</item>
/// <item>Output not an ImageStreamTag (none, DockerImage), no QuayIntegration, namespace not allowed: untouched.</item>
/// <item>JenkinsPipeline builds are untouched: they push nothing themselves; the Builds their pipeline starts are
/// admitted on their own. Docker, Source and Custom builds are rewritten alike (a custom builder receives the output
/// through OUTPUT_REGISTRY/OUTPUT_IMAGE and the push secret, both derived from spec.output).</item>
/// <item>Operator caches not synced yet (just started): denied, for the same reason.</item>
/// <item>Allowed namespace being set up: rewritten as it will be, its robot Secret named as the push secret, which the
/// build controller waits for (a build OpenShift starts itself is not started again if denied). Allowed namespace
/// whose setup failed or cannot go on (or the QuayIntegration unusable): denied, so the build cannot silently go to the
/// internal registry; the denial says what is wrong.</item>
/// <item>Another target namespace that is not allowed: untouched, with a warning; one allowed and not set up yet: denied,
/// as the build's own.</item>
/// </list>
/// </summary>
public sealed partial class BuildAdmissionPolicy(ClusterCaches caches, ConfiguredIntegrations integrations, NamespaceSetupCheck setup, UncachedNamespaces uncached)
{
    public const string BuildGroup = "build.openshift.io";
    public const string BuildResource = "builds";
    private const string DefaultServiceAccount = "builder";

    /// <summary>Completes at once from the caches; only a namespace the cache does not hold yet costs a read of the API server.</summary>
    public async ValueTask<AdmissionDecision> DecideAsync(AdmissionRequest request)
    {
        var decision = await DecideOutputAsync(request);
        return decision.Allowed && request.Operation == "CREATE" && request.Group == BuildGroup && request.Resource == BuildResource
            && string.IsNullOrEmpty(request.SubResource) && request.Object is { } build
            ? BuildOutputPatch.LabelCopiedRewrite(build, BuildOutputPatch.DropImportMarks(build, decision))
            : decision;
    }

    private async ValueTask<AdmissionDecision> DecideOutputAsync(AdmissionRequest request)
    {
        if (request.Operation != "CREATE") return AdmissionDecision.Untouched(AdmissionOutcome.NotCreate);
        if (request.Group != BuildGroup || request.Resource != BuildResource || !string.IsNullOrEmpty(request.SubResource))
        {
            var resource = string.IsNullOrEmpty(request.SubResource) ? request.Resource : $"{request.Resource}/{request.SubResource}";
            return AdmissionDecision.Untouched(AdmissionOutcome.NotABuild,
                $"the Quay integration webhook only handles {BuildResource}.{BuildGroup}; {UserText.Quote($"{resource}.{request.Group}")} was passed through untouched");
        }
        if (request.Object is not { } build) return AdmissionDecision.Denied(AdmissionOutcome.Malformed, "request.object is missing on a CREATE", 400);
        var buildNamespace = request.Namespace is { Length: > 0 } ns ? ns : build.Object("metadata")?.String("namespace");
        if (string.IsNullOrEmpty(buildNamespace)) return AdmissionDecision.Denied(AdmissionOutcome.Malformed, "the Build has no namespace", 400);
        // The API server only sends real namespaces; anything else would be echoed into denials, warnings and logs.
        if (!ImageReferenceGrammar.IsValidNamespace(buildNamespace))
            return AdmissionDecision.Denied(AdmissionOutcome.Malformed, $"the Build's namespace {UserText.Quote(buildNamespace)} is not a valid namespace name", 400);
        if (BuildOutputTarget.StrategyOf(build) == "JenkinsPipeline") return AdmissionDecision.Untouched(AdmissionOutcome.Pipeline);
        ImageStreamTagReference destination;
        var rebuild = false;
        switch (BuildOutputTarget.Find(build, buildNamespace))
        {
            case BuildOutput.ImageStreamTag output:
                destination = output.Destination;
                break;
            case BuildOutput.Invalid invalid:
                return AdmissionDecision.Untouched(AdmissionOutcome.InvalidOutput,
                    $"spec.output.to: {invalid.Problem}; the Quay integration left the output as it is, for the API server to validate");
            case BuildOutput.NotImageStreamTag when BuildOutputPatch.CopiedRewriteDestination(build) is { } copied:
                // A Rebuild copies the original's Quay output and push secret as they were: after the organization
                // prefix, cluster ID or Quay changed they name where the namespace no longer pushes. It is rewritten
                // again from the ImageStreamTag the rewrite recorded (the same output when nothing changed).
                destination = copied;
                rebuild = true;
                break;
            default:
                return AdmissionDecision.Untouched(AdmissionOutcome.NotImageStreamTag);
        }
        // Until the caches are filled "no QuayIntegration" cannot be told from "not read yet": a restart must not let builds through to the wrong registry.
        if (!caches.HasSynced)
            return AdmissionDecision.Denied(AdmissionOutcome.NotSynced, "the Quay integration operator is starting and has not read the cluster state yet; retry in a few seconds");

        if (integrations.All.Count == 0) return AdmissionDecision.Untouched(AdmissionOutcome.NoIntegration);
        var (namespaceIntegration, namespaceObject, unknown) = await IntegrationOfAsync(buildNamespace);
        if (unknown is not null)
            return AdmissionDecision.Denied(AdmissionOutcome.NamespaceNotReady, $"{unknown}; the build would push to the wrong registry, retry in a few seconds");
        switch (namespaceIntegration)
        {
            case NamespaceIntegration.Managed managed:
                return await RewriteAsync(build, namespaceObject!, destination, managed.Name, managed.Config, rebuild);
            case NamespaceIntegration.Conflict conflict:
                return AdmissionDecision.Denied(AdmissionOutcome.IntegrationConflict,
                    $"namespace {buildNamespace} is selected by QuayIntegrations {string.Join(" and ", conflict.Names)}, so neither sends its builds to Quay; " +
                    "change the namespace's labels or the integrations' namespaceSelector so that one selects it");
            case NamespaceIntegration.Unusable unusable:
                return AdmissionDecision.Denied(AdmissionOutcome.IntegrationUnusable, $"builds cannot be sent to Quay: {unusable.Reason}");
            default:
                return AdmissionDecision.Untouched(integrations.All.All(v => v is IntegrationView.Deleting)
                    ? AdmissionOutcome.IntegrationDeleting
                    : AdmissionOutcome.NamespaceNotAllowed);
        }
    }

    /// <summary>
    /// The integration of namespace <paramref name="ns"/>, or (<c>Unknown</c>) why it cannot be told now. From the cache;
    /// one the cache does not hold (its watch behind, relisting, or the namespace just made) is read from the API
    /// server. Under <c>deploy/</c> the API server only calls the webhook for namespaces the operator labelled, but an
    /// OLM install calls it for every namespace (a CSV's webhook has no namespaceSelector), so a brand-new project no
    /// integration selects is judged as any such namespace, not denied because the cache has not caught up. One that an
    /// integration selects is judged from what was read (being set up, most likely: it was just made); one that the
    /// operator labelled and no integration selects is not known well enough yet: unknown. The namespace as read comes
    /// along (the setup check reads it next).
    /// </summary>
    private async ValueTask<(NamespaceIntegration Integration, V1Namespace? Namespace, string? Unknown)> IntegrationOfAsync(string ns)
    {
        if (caches.Namespaces.Get(ObjectKey.Cluster(ns)) is { } cached) return (integrations.For(cached), cached, null);
        var read = await uncached.ReadAsync(ns);
        if (!read.Answered) return (NamespaceIntegration.None, null, $"namespace {ns} is not known to the operator yet and could not be read from the API server now");
        // None of that name: the API server refuses its Builds itself (admission of a namespace that does not exist).
        if (read.Namespace is not { } current) return (NamespaceIntegration.None, null, null);
        var integration = integrations.For(current);
        var labelled = current.Metadata.Labels?.ContainsKey(WellKnown.ManagedNamespaceLabel) == true;
        return integration is NamespaceIntegration.Unmanaged && labelled
            ? (integration, current, $"namespace {ns} is not known to the operator yet")
            : (integration, current, null);
    }

    private async ValueTask<AdmissionDecision> RewriteAsync(JsonElement build, V1Namespace buildNamespaceObject, ImageStreamTagReference destination, string integration,
        IntegrationConfig config, bool rebuild)
    {
        var buildNamespace = buildNamespaceObject.Metadata.Name;
        var warnings = new List<string>();
        var pusher = PushingServiceAccount(build, integration, config, warnings);
        var organization = setup.OrganizationIfReady(buildNamespaceObject, integration, config, pusher, out var missing, out var settingUpTo);
        // Being set up: rewritten as it will be, the robot Secret named. The build controller holds the build (Pending,
        // MissingPushSecret) until the operator has written that Secret, then it runs. Denied, a build that OpenShift
        // started itself (a new BuildConfig's ConfigChange trigger, `oc new-project` and `oc new-app` in one go, an
        // image change, a Git webhook) would be lost: the trigger does not try again.
        var waitsForSetup = organization is null && settingUpTo is not null && pusher is not null && PushSecretOf(build) is null;
        if (waitsForSetup) organization = settingUpTo;
        if (organization is null)
            return AdmissionDecision.Denied(AdmissionOutcome.NamespaceNotReady,
                $"namespace {buildNamespace} is not set up for Quay yet ({missing}); the build would push to the wrong registry, {WhenToRetry(missing)}");

        if (destination.Namespace != buildNamespace)
        {
            var (targetIntegration, target, unknown) = await IntegrationOfAsync(destination.Namespace);
            if (unknown is not null)
                return AdmissionDecision.Denied(AdmissionOutcome.TargetNotReady,
                    $"output {destination} is in namespace {destination.Namespace}: {unknown}; the build would push to the wrong registry, retry in a few seconds");
            if (TargetRefusal(destination, targetIntegration, integration, rebuild) is { } refusal) return refusal;
            // The push uses the build's namespace's credentials: the target only needs its organization in place.
            organization = setup.OrganizationIfReady(target!, integration, config, serviceAccount: null, out var targetMissing, out _);
            // As for the build's own namespace: the target is meant to be in Quay, so a push to the internal registry
            // would put the image where nobody looks for it.
            if (organization is null)
                return AdmissionDecision.Denied(AdmissionOutcome.TargetNotReady,
                    $"output {destination} is in namespace {destination.Namespace}, which is not set up for Quay yet ({targetMissing}); the build would push to the wrong registry, {WhenToRetry(targetMissing)}");
            warnings.Add($"the build pushes to the Quay organization {organization} of namespace {destination.Namespace} with " +
                (pusher is null ? "credentials of its own" : $"the credentials of {buildNamespace}/{pusher}") + ", which need write permission there");
        }

        if (waitsForSetup)
            warnings.Add($"namespace {buildNamespace} is not set up for Quay yet ({missing}); the build is sent to Quay organization {organization} " +
                $"all the same, with push secret {QuayNames.SecretNameFor(pusher!, config.ClusterId)}, which the build controller waits for (MissingPushSecret) while it does not exist");
        var image = new QuayImageReference(config.RegistryHost, organization, destination.Stream, destination.Tag);
        // The parts are valid on their own; together they may still be too long for a Docker reference or for Quay.
        if (!QuayNames.IsValidRepository(destination.Stream) || !ImageReferenceGrammar.IsValidTaggedReference(image.RepositoryPath, image.Tag))
            return AdmissionDecision.Untouched(AdmissionOutcome.InvalidRepository,
                $"the Quay image for ImageStream {UserText.Quote(destination.Stream)} would not be a valid image reference " +
                $"(at most {ImageReferenceGrammar.MaxRepositoryLength} characters before the tag); the build pushes to the internal registry");

        var patch = BuildOutputPatch.For(build, image, destination);
        if (PushSecretOf(build) is null && pusher is not null)
        {
            // Named, not left to the build controller: it takes the first of the service account's docker Secrets that
            // matches the Quay host, which may be one of the team's own (linked before the namespace was onboarded) or
            // one of another integration's, kept after a move, rather than the robot Secret the setup check just found.
            patch = [.. patch, BuildOutputPatch.SetPushSecret(QuayNames.SecretNameFor(pusher, config.ClusterId))];
        }
        else if (PushSecretToReplace(build, buildNamespace, integration, config, pusher, image, rebuild, warnings) is { } replacement)
            patch = [.. patch, BuildOutputPatch.ReplacePushSecret(replacement)];
        return AdmissionDecision.Patched(patch, [.. warnings]);
    }

    /// <summary>
    /// Why a build of <paramref name="integration"/> cannot push to another namespace's ImageStreamTag in Quay, or null when
    /// that namespace is the same integration's. One no integration selects is not meant to be in Quay: untouched, with a
    /// warning. One that is meant to be in Quay, but not this integration's (another's, with its own organization and
    /// credentials; two selecting it; its integration unusable), is denied: pushed to the internal registry, the image
    /// would be where nobody looks for it.
    /// </summary>
    private static AdmissionDecision? TargetRefusal(ImageStreamTagReference destination, NamespaceIntegration targetIntegration, string integration, bool rebuild)
    {
        var output = $"output {destination} is in namespace {destination.Namespace}";
        return targetIntegration switch
        {
            NamespaceIntegration.Managed target when target.Name == integration => null,
            NamespaceIntegration.Managed other => AdmissionDecision.Denied(AdmissionOutcome.TargetOfAnotherIntegration,
                $"{output}, which QuayIntegration {other.Name} manages, not QuayIntegration {integration} that manages this build's namespace: its " +
                "credentials cannot push there; build in a namespace of that integration instead"),
            NamespaceIntegration.Conflict conflict => AdmissionDecision.Denied(AdmissionOutcome.TargetNotReady,
                $"{output}, which QuayIntegrations {string.Join(" and ", conflict.Names)} both select, so neither sends builds there to Quay; retry once only one selects it"),
            NamespaceIntegration.Unusable unusable => AdmissionDecision.Denied(AdmissionOutcome.TargetNotReady,
                $"{output}, whose builds cannot be sent to Quay: {unusable.Reason}; retry once that is fixed"),
            _ => AdmissionDecision.Untouched(AdmissionOutcome.TargetNotAllowed,
                $"{output}, which QuayIntegration {integration} does not manage; the build pushes " +
                (rebuild ? "to the output it copied from the original build" : "to the internal registry")),
        };
    }

    /// <summary>A setup that failed, or is in conflict, does not mend itself in a few seconds: "retry" would mislead.</summary>
    private static string WhenToRetry(string? missing) =>
        missing?.StartsWith(NamespaceSetupCheck.IntegrationCannotAct, StringComparison.Ordinal) == true
            ? "retry once that is fixed (kubectl get quayintegrations says how it goes; an administrator's matter)"
            : NamespaceSetupCheck.LastsUntilFixed(missing)
                ? "retry once that is fixed (the namespace's QuayNamespace status says how it goes)"
                : "retry in a few seconds";

    /// <summary>
    /// The push secret the rewritten Build must use instead of the one it names, or null to leave it. The build
    /// controller only picks a push secret when none is set, so one named in the Build is used for the push to Quay as
    /// it is. A Rebuild of a Build made before the namespace was onboarded carries the secret the controller picked for
    /// the internal registry then (<c>&lt;sa&gt;-dockercfg-&lt;5&gt;</c>, made by OpenShift for every service account),
    /// which Quay refuses: it is replaced by the pushing service account's robot Secret (the one the setup check has
    /// just found in place). One of the operator's own robot Secrets with write access stays as it is; one of them
    /// without it (the matrix changed since it was named: a Rebuild copies the secret the webhook named for the
    /// original) is replaced alike, as Quay would refuse the push. Any other secret is the user's explicit choice and
    /// may well hold Quay credentials: kept, with a warning saying what it must hold.
    /// </summary>
    /// <param name="rebuild">A Rebuild of a rewritten Build: a robot Secret of its pushing service account under another
    /// cluster ID is one the operator wrote for an earlier configuration, picked by the build controller then, and is
    /// replaced like the internal registry's.</param>
    private string? PushSecretToReplace(JsonElement build, string buildNamespace, string integration, IntegrationConfig config, string? pusher,
        QuayImageReference image, bool rebuild, List<string> warnings)
    {
        if (PushSecretOf(build) is not { } named || IsWriteRobotSecret(config, named)) return null;
        // One of the operator's robot Secrets, whose robot may not write here: the cache holds only the operator's
        // Secrets (selected by its label). A Rebuild's copy may name one deleted since (its service account taken out of
        // the matrix), known by the name the operator gives robot Secrets under the current cluster ID.
        var operatorsRobotSecret = caches.Secrets.Get(buildNamespace, named) is not null
                                   || rebuild && named.EndsWith(QuayNames.SecretNameFor("", config.ClusterId), StringComparison.Ordinal);
        var mayNotWrite = $"spec.output.pushSecret {UserText.Quote(named)} is a Quay robot Secret of the operator's whose robot QuayIntegration {integration} " +
                          $"does not let write to {image.RepositoryPath}";
        if (pusher is null)
        {
            if (InternalRegistrySecretName().IsMatch(named))
                warnings.Add($"spec.output.pushSecret {UserText.Quote(named)} holds the internal registry's credentials, which {image.RegistryHost} refuses, " +
                    "and no Quay robot of the integration may push for this build: set a push secret with credentials for Quay");
            else if (operatorsRobotSecret)
                warnings.Add($"{mayNotWrite}, and no Quay robot of the integration may push for this build: set a push secret with credentials for Quay");
            return null;
        }
        var robotSecret = QuayNames.SecretNameFor(pusher, config.ClusterId);
        if (rebuild && named.StartsWith(QuayNames.SecretNameFor(pusher, ""), StringComparison.Ordinal))
        {
            warnings.Add($"spec.output.pushSecret {UserText.Quote(named)}, copied from the original build, is named as the operator names the robot Secret of " +
                $"service account {pusher} under another cluster ID; replaced by {robotSecret}, its Secret now (to push with a Secret of your own, set it on the BuildConfig)");
            return robotSecret;
        }
        if (InternalRegistrySecretName().IsMatch(named))
        {
            warnings.Add($"spec.output.pushSecret {UserText.Quote(named)} holds the internal registry's credentials, which {image.RegistryHost} refuses; " +
                $"replaced by {robotSecret}, the Quay robot Secret of service account {pusher}");
            return robotSecret;
        }
        if (operatorsRobotSecret)
        {
            warnings.Add($"{mayNotWrite}; replaced by {robotSecret}, the Quay robot Secret of service account {pusher}");
            return robotSecret;
        }
        warnings.Add($"spec.output.pushSecret {UserText.Quote(named)} is kept: the build pushes to {image.RepositoryPath} with it, so it must hold " +
            $"credentials for {image.RegistryHost} that may write there; remove it to push with {robotSecret}");
        return null;
    }

    /// <summary>The dockercfg Secret OpenShift generates for each service account: its name, a dash and 5 random characters.</summary>
    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?-dockercfg-[a-z0-9]{5}\\z")]
    private static partial Regex InternalRegistrySecretName();

    /// <summary>
    /// The service account whose robot Secret the push is checked against: the Build's own when the integration gives it
    /// write access, else <c>builder</c> when it has it (with a warning). Null when neither has: no robot of the
    /// integration may push for this Build, so it must bring credentials of its own in <c>spec.output.pushSecret</c>
    /// (with a warning, unless it names a write robot's Secret there already), and waiting for a robot Secret that is
    /// never made would deny it for good while saying "retry".
    /// </summary>
    private static string? PushingServiceAccount(JsonElement build, string integration, IntegrationConfig config, List<string> warnings)
    {
        var requested = build.Object("spec")?.String("serviceAccount") is { Length: > 0 } sa ? sa : DefaultServiceAccount;
        if (Writes(config, requested)) return requested;
        if (Writes(config, DefaultServiceAccount))
        {
            warnings.Add($"service account {UserText.Quote(requested)} gets no Quay write credentials from QuayIntegration {integration}; the build pushes with " +
                $"those of service account {DefaultServiceAccount} ({QuayNames.SecretNameFor(DefaultServiceAccount, config.ClusterId)}) unless it names a push secret of its own");
            return DefaultServiceAccount;
        }
        // A build that names one of the operator's write robot Secrets pushes with it, whoever runs it.
        if (PushSecretOf(build) is { } named && IsWriteRobotSecret(config, named)) return null;
        var given = requested == DefaultServiceAccount
            ? $"service account {DefaultServiceAccount} no"
            : $"neither service account {UserText.Quote(requested)} nor {DefaultServiceAccount}";
        // Only a push secret in the build is sure to be used: the build controller takes the first of the service
        // account's Secrets that matches the registry, which may be a read-only robot's the operator linked first.
        warnings.Add($"QuayIntegration {integration} gives {given} Quay write credentials (spec.serviceAccounts); the push needs credentials for Quay " +
            "of its own: set spec.output.pushSecret to a Secret that may write there");
        return null;
    }

    private static bool Writes(IntegrationConfig config, string serviceAccount) =>
        config.ServiceAccounts.Any(a => a.Name == serviceAccount && IsWriteRole(a.Role));

    private static string? PushSecretOf(JsonElement build) =>
        build.Object("spec")?.Object("output")?.Object("pushSecret")?.String("name") is { Length: > 0 } named ? named : null;

    private static bool IsWriteRobotSecret(IntegrationConfig config, string secret) =>
        config.ServiceAccounts.Any(a => IsWriteRole(a.Role) && QuayNames.SecretNameFor(a.Name, config.ClusterId) == secret);

    private static bool IsWriteRole(string role) => role is "write" or "admin";
}
