using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Caching;
using QuayIntegration.Operator.Controllers.Namespaces;
using QuayIntegration.Operator.Quay;
using QuayIntegration.Operator.Webhook;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;

namespace QuayIntegration.Operator.Controllers;

/// <summary>
/// The informers the operator and the admission webhook read from. Only what is needed is cached: Secrets and Builds
/// only through the operator's labels; every replica runs them, leader or not, so a webhook can answer from them and a
/// new leader starts from synced caches.
/// Each cache holds every object of its kind for the life of the process, so each trims what it stores
/// (<see cref="CacheTransforms"/>): no managedFields or last-applied annotation, and one shared copy of the strings
/// that repeat from object to object. Service accounts, the operator's Secrets and ImageStreams, the kinds a namespace
/// has several of, are kept as the operator's own small types (<see cref="CachedObject"/>) instead of KubernetesClient's models.
/// </summary>
public sealed class ClusterCaches
{
    public ClusterCaches(KubeApi api, IOptions<OperatorOptions> options, ILoggerFactory loggers)
    {
        var resync = options.Value.ResyncPeriod;
        var pageSize = options.Value.InformerPageSize;
        Namespaces = new(api, new(ResourceType.Namespaces), resync, loggers.CreateLogger("Informer.Namespaces"))
        {
            Transform = TrimNamespace,
            ListPageSize = pageSize,
        };
        ServiceAccounts = new(api, new(ResourceType.ServiceAccounts), resync, loggers.CreateLogger("Informer.ServiceAccounts"),
            ToCachedServiceAccount, ObjectIdentity.Cached<CachedServiceAccount>())
        {
            ListPageSize = pageSize,
        };
        Secrets = new(api, new(ResourceType.Secrets, LabelSelector: $"{WellKnown.ManagedByLabel}={WellKnown.ManagedByValue}"), resync,
            loggers.CreateLogger("Informer.Secrets"), ToCachedSecret, ObjectIdentity.Cached<CachedSecret>())
        {
            ListPageSize = pageSize,
        };
        ImageStreams = new(api, new(ApiResources.ImageStreams, Optional: true), resync, loggers.CreateLogger("Informer.ImageStreams"),
            ToCachedImageStream, ObjectIdentity.Cached<CachedImageStream>())
        {
            ListPageSize = pageSize,
        };
        QuayIntegrations = new(api, new(ApiResources.QuayIntegrations), resync, loggers.CreateLogger("Informer.QuayIntegrations"))
        {
            ListPageSize = pageSize,
        };
        QuayNamespaces = new(api, new(ApiResources.QuayNamespaces), resync, loggers.CreateLogger("Informer.QuayNamespaces"))
        {
            Transform = RecordCompaction.Compact,
            ListPageSize = pageSize,
        };
        Builds = new(api, new(ApiResources.Builds, LabelSelector: $"{BuildAnnotations.ManagedBuildLabel}=true", Optional: true), resync,
            loggers.CreateLogger("Informer.Builds"))
        {
            ListPageSize = pageSize,
        };
        All = [Namespaces, ServiceAccounts, Secrets, ImageStreams, QuayIntegrations, QuayNamespaces, Builds];
    }

    /// <summary>
    /// A namespace is read for its name, UID (Events), labels (selectors, the managed label), finalizers and deletion,
    /// the operator's own annotations (<c>quay.redhat.com/…</c>) and three of OpenShift's, whose presence says whether
    /// a project is ready (<see cref="NamespaceRules.IsReady"/>). Everything else goes: the other annotations
    /// (OpenShift's UID and supplemental-group ranges, the requester, whatever tools add, one per namespace each), the
    /// spec's <c>kubernetes</c> finalizer and the status. The metadata patches name the keys they set and the finalizer
    /// list they write, all of which are kept.
    /// </summary>
    internal static V1Namespace TrimNamespace(V1Namespace ns)
    {
        ns.Spec = null;
        ns.Status = null;
        // LIST items of built-in types come without kind and apiVersion: Events name the object by them, and
        // `kubectl describe namespace` finds a namespace's Events by its kind. (Constants: nothing is paid per namespace.)
        ns.ApiVersion ??= V1Namespace.KubeApiVersion;
        ns.Kind ??= V1Namespace.KubeKind;
        // The name every object in the namespace shares as its namespace (and the ownership record as its name).
        return CacheTransforms.Compact(CacheTransforms.KeepAnnotations(CacheTransforms.ShareName(ns), IsReadNamespaceAnnotation));
    }

    /// <summary>
    /// An ImageStream is read for its name and deletion, and for its UID only by the Warning Event on a name Quay would
    /// reject as a repository name: so only such a stream keeps its UID (36 characters, about 100 bytes, on every other
    /// one of tens of thousands). OpenShift annotates streams (the registry's checks); nobody here reads that, nor labels.
    /// </summary>
    internal static CachedImageStream ToCachedImageStream(ImageStream stream)
    {
        var meta = stream.Metadata;
        return new(StringPool.Shared.Share(meta.NamespaceProperty), meta.Name, meta.ResourceVersion, meta.DeletionTimestamp is not null,
            QuayNames.IsValidRepository(meta.Name) ? null : meta.Uid);
    }

    private static bool IsReadNamespaceAnnotation(string key) =>
        key.StartsWith(OperatorAnnotationPrefix, StringComparison.Ordinal)
        || key is WellKnown.OpenShiftDisplayName or WellKnown.OpenShiftDescription or WellKnown.OpenShiftSccMcs;

    private const string OperatorAnnotationPrefix = QuayIntegrationResource.Group + "/";

    private static readonly string[] RepeatingSecretAnnotations = [WellKnown.QuayHostAnnotation, WellKnown.ServiceAccountAnnotation];

    /// <summary>
    /// A service account is read for its name and the Secrets it lists, nothing else: the link patches carry the two
    /// lists and the resourceVersion, and the Namespace controller's predicate compares the lists. Its UID, labels and
    /// annotations (OpenShift's pull-secret reference among them) are not kept.
    /// </summary>
    internal static CachedServiceAccount ToCachedServiceAccount(V1ServiceAccount account) =>
        new(CacheTransforms.CompactServiceAccount(account));

    /// <summary>
    /// The operator's Secrets are compared (type, data, label, annotations) with the desired Secret and listed by
    /// their robot annotation; nothing reads their UID. Their data is only compared, so the cache keeps its digest
    /// (<see cref="DataDigest.OfData"/>): 16 bytes instead of a Docker config, and no robot token held. Their name
    /// (<c>&lt;sa&gt;-quay-&lt;cluster&gt;</c>), type, the host and the service account repeat in every namespace, so
    /// one instance of each is shared, and so is their label map (the same one label on every Secret); service
    /// accounts listing the Secret then take the name's instance too.
    /// </summary>
    internal static CachedSecret ToCachedSecret(V1Secret secret)
    {
        CacheTransforms.ShareLabels(CacheTransforms.Compact(CacheTransforms.ShareName(secret)));
        CacheTransforms.ShareAnnotationValues(secret, RepeatingSecretAnnotations);
        var meta = secret.Metadata;
        return new(meta.NamespaceProperty, meta.Name, meta.ResourceVersion, StringPool.Shared.Share(secret.Type), secret.Immutable == true, secret.Data, meta.Labels,
            meta.Annotations);
    }

    public Informer<V1Namespace> Namespaces { get; }
    public Informer<V1ServiceAccount, CachedServiceAccount> ServiceAccounts { get; }
    public Informer<V1Secret, CachedSecret> Secrets { get; }
    public Informer<ImageStream, CachedImageStream> ImageStreams { get; }
    public Informer<QuayIntegrationResource> QuayIntegrations { get; }
    /// <summary>The ownership records, one per namespace the operator manages or managed.</summary>
    public Informer<QuayNamespaceResource> QuayNamespaces { get; }

    /// <summary>The Builds the webhook rewrote (their label), for the import after they complete; none on plain Kubernetes.</summary>
    public Informer<Build> Builds { get; }

    /// <summary>Every informer the operator runs: started, waited for, and measured as one list.</summary>
    public IReadOnlyList<IInformer> All { get; }

    public bool HasSynced => All.All(i => i.HasSynced);
}
