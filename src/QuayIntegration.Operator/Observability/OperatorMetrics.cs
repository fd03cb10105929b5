using Prometheus;

namespace QuayIntegration.Operator.Observability;

/// <summary>
/// The operator's own Prometheus metrics, served at /metrics (those of the controllers, work queues and leader
/// election are the runtime's: <c>QuayIntegration.Runtime.ControllerMetrics</c>).
/// </summary>
public static class OperatorMetrics
{
    /// <summary>
    /// Exports the runtime's own meter (GC, thread pool, JIT) but not the per-request instruments of ASP.NET Core,
    /// Kestrel and HttpClient: the operator counts admission reviews and Quay calls itself, and adapting every .NET
    /// meter measurement to Prometheus costs CPU on each admission review and each outbound call. Call before the first
    /// metric is used.
    /// </summary>
    public static void ConfigureExport() =>
        Metrics.ConfigureMeterAdapter(options => options.InstrumentFilterPredicate = instrument => instrument.Meter.Name == "System.Runtime");

    public static readonly Counter EventsDropped = Metrics.CreateCounter(
        "quayintegration_events_dropped_total", "Kubernetes Events not written because the backlog of Events waiting for the API server was full.");

    public static readonly Counter QuayCalls = Metrics.CreateCounter(
        "quayintegration_quay_requests_total", "Quay API calls (each attempt) by method, route template and status.",
        new CounterConfiguration { LabelNames = ["method", "route", "status"] });

    public static readonly Histogram QuayLatency = Metrics.CreateHistogram(
        "quayintegration_quay_request_duration_seconds", "Quay API call latency by method and route template.",
        new HistogramConfiguration { LabelNames = ["method", "route"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });

    /// <summary>
    /// When the webhook's serving certificate chain expires (<c>Hosting.ServingCertificate.Expires</c>): set before each
    /// scrape from what <c>Hosting.WebhookCertificateProvider</c> serves (so a rotated file shows without a handshake first).
    /// </summary>
    public static readonly Gauge WebhookCertificateExpiry = Metrics.CreateGauge(
        "quayintegration_webhook_certificate_expiry_timestamp_seconds",
        "Earliest expiry (NotAfter, Unix seconds) of the certificate the admission webhook serves and the intermediates it sends with it.");

    /// <summary>The QuayIntegration's Ready condition as the operator last wrote it (read from the informer cache before each scrape).</summary>
    public static readonly Gauge IntegrationReady = Metrics.CreateGauge(
        "quayintegration_integration_ready", "1 when the QuayIntegration's Ready condition is True, else 0.",
        new GaugeConfiguration { LabelNames = ["name"] });

    /// <summary>
    /// How long each informer's lists and watches have failed with no success in between (0 while they work), read before
    /// each scrape: a cache that stopped following the cluster leaves the replica ready (its caches synced once) while
    /// what it decides, the webhook's answers included, is made from old objects.
    /// </summary>
    public static readonly Gauge InformerFailing = Metrics.CreateGauge(
        "quayintegration_informer_failing_seconds",
        "Seconds the informer's lists and watches have failed without a success in between, by resource (0 while they work).",
        new GaugeConfiguration { LabelNames = ["resource"] });

    /// <summary>The namespace counts of the QuayIntegration's status (the SYNCED, PENDING and FAILING columns of kubectl get qi).</summary>
    public static readonly Gauge IntegrationNamespaces = Metrics.CreateGauge(
        "quayintegration_integration_namespaces", "Namespaces in the QuayIntegration's scope by state (synced, pending, failing), from its status.",
        new GaugeConfiguration { LabelNames = ["name", "state"] });
}
