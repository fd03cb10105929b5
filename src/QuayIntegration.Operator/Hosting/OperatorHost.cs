using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Prometheus;
using QuayIntegration.Operator.Observability;
using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Hosting;

/// <summary>
/// Builds the operator's host: one ASP.NET Core application serving /healthz and /readyz over HTTP, /metrics over HTTP
/// or (secure) over HTTPS to authorized scrapers only, and the admission webhook over HTTPS (each on its own listener,
/// see <see cref="OperatorListeners"/>), with the services of
/// <see cref="OperatorServices"/> and the <see cref="OperatorManager"/> running the informers and controllers.
/// </summary>
public static class OperatorHost
{
    public static WebApplication Build(string[] args)
    {
        OperatorMetrics.ConfigureExport();
        args = CommandLine.Normalize(args);
        // The host's defaults would read appsettings.json from the working directory and watch it for changes, which
        // is a FileSystemWatcher over the whole working directory tree: a thread, an inotify watch per directory, and
        // work on every file written anywhere below (run from a checkout, as the benchmarks and local runs do: the
        // operator's own log). The operator is configured by flags and environment and reads its options once, so a
        // file that may still be there is read at start and never watched.
        var builder = WebApplication.CreateSlimBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        builder.Configuration.AddOperatorSources(args);
        // Read once, unvalidated, as the listeners need it (invalid options must stop the host at start with every
        // error named, ValidateOnStart, not throw here with the first one). A mistyped key
        // (--Operator:IntegrationRecheckIntervall=1m, Operator__Workrs=4) is refused here, with its name, instead of
        // leaving the default in force.
        var unvalidated = builder.Configuration.GetSection(OperatorOptions.Section).Get<OperatorOptions>(binder => binder.ErrorOnUnknownConfiguration = true)
                          ?? new OperatorOptions();
        builder.Services.AddOperatorLogging(builder.Configuration);
        builder.Services.AddOperator(builder.Configuration);
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureListeners(unvalidated, kestrel));
        builder.WebHost.UseSockets(IoScheduling.RunConnectionsInline);

        var app = builder.Build();
        var listeners = app.Services.GetRequiredService<OperatorListeners>();
        // The webhook listener, exposed to the whole cluster, serves the webhook and nothing else, ahead of routing; the
        // router and its endpoints are for the other listeners, each endpoint on its own listener only (404 elsewhere).
        app.UseAdmissionWebhook(listeners);
        app.UseRouting();
        app.UseListenerSeparation(listeners);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).ServedOn(OperatorListener.Metrics);
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).ServedOn(OperatorListener.Metrics);
        app.UseMetricsAccess();
        if (unvalidated.Metrics.Secure) app.MapMetrics(MetricsAccessReviewer.Path).ServedOn(OperatorListener.SecureMetrics).RequireMetricsAccess();
        else app.MapMetrics(MetricsAccessReviewer.Path).ServedOn(OperatorListener.Metrics);
        return app;
    }

    /// <summary>The metrics listener (HTTP), and the webhook listener (HTTPS, TLS 1.2+) when a certificate is there or on its way.</summary>
    private static void ConfigureListeners(OperatorOptions o, KestrelServerOptions kestrel)
    {
        if (!IPAddress.TryParse(o.BindAddress, out var address))
            throw new InvalidOperationException($"Operator:BindAddress (--bind-address) '{o.BindAddress}' must be an IP address, such as 0.0.0.0 or 127.0.0.1");
        var listeners = kestrel.ApplicationServices.GetRequiredService<OperatorListeners>();
        // No endpoint takes a larger body than an AdmissionReview; Kestrel also stops draining an unread body here.
        kestrel.Limits.MaxRequestBodySize = AdmissionBody.MaxBytes;
        // No "Server: Kestrel" on every answer: it tells whoever reaches the webhook's Service what to probe for.
        kestrel.AddServerHeader = false;
        kestrel.Listen(address, o.MetricsPort, listen => listeners.Add(OperatorListener.Metrics, listen));
        if (o.Metrics.Secure)
        {
            var metricsCertificate = kestrel.ApplicationServices.GetRequiredService<MetricsCertificateProvider>();
            _ = metricsCertificate.Serving; // a broken certificate pair stops the start with the reason, not every scrape
            kestrel.Listen(address, o.Metrics.SecurePort, listen =>
            {
                listeners.Add(OperatorListener.SecureMetrics, listen);
                listen.UseHttps(() => metricsCertificate.Serving, "metrics");
            });
        }
        if (o.Webhook.Disabled) return;
        var certificates = kestrel.ApplicationServices.GetRequiredService<WebhookCertificateProvider>();
        // The certificate may come after the start (self-managed mode writes it; a service-ca or cert-manager Secret, an
        // optional volume, is filled in asynchronously): until then handshakes fail and the API server retries.
        if (!certificates.Available && o.Webhook.CertMode != CertModes.SelfManaged)
            kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OperatorHost)).WebhookCertificateNotYet(certificates.CertificatePath);
        kestrel.Listen(address, o.Webhook.Port, listen =>
        {
            listeners.Add(OperatorListener.Webhook, listen);
            // The API server calls admission webhooks over HTTP/1.1 only (kubernetes/kubernetes#82090): HTTP/2 here would
            // serve no caller and only add its stream handling to what any pod reaching the Service can attack
            // (CVE-2023-44487). Kestrel offers by ALPN what the listener speaks.
            listen.Protocols = HttpProtocols.Http1;
            listen.UseHttps(() => certificates.Serving, "webhook");
            listen.UseInlineCompletions();
        });
    }
}
