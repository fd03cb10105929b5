using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Resources.ApiExtensions;
using QuayIntegration.Emulators.Kubernetes.Resources.Core;
using QuayIntegration.Emulators.Kubernetes.Rest;

namespace QuayIntegration.Emulators.Kubernetes.Resources;

/// <summary>The compiled-in resources and the objects a fresh cluster starts with.</summary>
public static class BuiltInTypes
{
    private static readonly string[] ReadOnly = ["get", "list", "watch"];

    public static void Register(ApiServerCore core)
    {
        var r = core.Registry;
        r.Add(new ResourceType
        {
            Group = "", Version = "v1", Plural = "namespaces", Singular = "namespace", Kind = "Namespace", Namespaced = false,
            ShortNames = ["ns"], Strategy = new NamespaceStrategy(),
            Verbs = ["create", "delete", "get", "list", "patch", "update", "watch"],
            Subresources = [new("finalize", "Namespace", ["update"]), new("status", "Namespace", ["get", "patch", "update"])],
        });
        r.Add(new ResourceType { Group = "", Version = "v1", Plural = "secrets", Singular = "secret", Kind = "Secret", Namespaced = true, Strategy = new SecretStrategy() });
        r.Add(new ResourceType
        {
            Group = "", Version = "v1", Plural = "serviceaccounts", Singular = "serviceaccount", Kind = "ServiceAccount", Namespaced = true, ShortNames = ["sa"],
            Strategy = new ServiceAccountStrategy(), Subresources = [new("token", "TokenRequest", ["create"], "authentication.k8s.io", "v1")],
        });
        r.Add(new ResourceType { Group = "", Version = "v1", Plural = "configmaps", Singular = "configmap", Kind = "ConfigMap", Namespaced = true, ShortNames = ["cm"], Strategy = new ConfigMapStrategy() });
        r.Add(new ResourceType { Group = "", Version = "v1", Plural = "events", Singular = "event", Kind = "Event", Namespaced = true, ShortNames = ["ev"], Strategy = new CoreEventStrategy() });
        r.Add(new ResourceType
        {
            Group = "events.k8s.io", Version = "v1", Plural = "events", Singular = "event", Kind = "Event", Namespaced = true, ShortNames = ["ev"],
            Strategy = new EventsV1Strategy(), StorageKeyOverride = "/events",
        });
        r.Add(new ResourceType { Group = "coordination.k8s.io", Version = "v1", Plural = "leases", Singular = "lease", Kind = "Lease", Namespaced = true, Strategy = new LeaseStrategy() });
        r.Add(new ResourceType
        {
            Group = "apiextensions.k8s.io", Version = "v1", Plural = "customresourcedefinitions", Singular = "customresourcedefinition",
            Kind = "CustomResourceDefinition", Namespaced = false, ShortNames = ["crd", "crds"], Categories = ["api-extensions"],
            Strategy = new CustomResourceDefinitionStrategy(),
            Subresources = [new("status", "CustomResourceDefinition", ["get", "patch", "update"])],
        });
        r.Add(new ResourceType
        {
            Group = "admissionregistration.k8s.io", Version = "v1", Plural = "mutatingwebhookconfigurations", Singular = "mutatingwebhookconfiguration",
            Kind = "MutatingWebhookConfiguration", Namespaced = false, Categories = ["api-extensions"], Strategy = new MutatingWebhookConfigurationStrategy(),
        });
        r.Add(new ResourceType
        {
            Group = "certificates.k8s.io", Version = "v1", Plural = "certificatesigningrequests", Singular = "certificatesigningrequest",
            Kind = "CertificateSigningRequest", Namespaced = false, ShortNames = ["csr"], Strategy = new Certificates.CertificateSigningRequestStrategy(),
            Subresources =
            [
                new("approval", "CertificateSigningRequest", ["get", "patch", "update"]),
                new("status", "CertificateSigningRequest", ["get", "patch", "update"]),
            ],
        });
        StoredOnlyTypes.Register(r);
        Authorization.AuthorizationTypes.Register(r);
        if (core.Options.ServeOpenShiftApis) OpenShift.OpenShiftTypes.Register(core);
    }

    /// <summary>The namespaces every cluster has, created through the normal flow so they carry the server defaults.</summary>
    public static async Task BootstrapAsync(ApiServerCore core)
    {
        var namespaces = core.Registry.Find("", "v1", "namespaces")!;
        var names = new List<string> { "default", "kube-system", "kube-public", "kube-node-lease" };
        if (core.Options.ServeOpenShiftApis) names.AddRange(["openshift", "openshift-infra", "openshift-image-registry"]);
        foreach (var name in names)
        {
            var ctx = new RequestContext { Server = core, Http = new DefaultHttpContext(), Type = namespaces, Verb = "create" };
            await ResourceOperations.CreateAsync(ctx, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } });
        }
        await Authorization.BootstrapPolicy.CreateAsync(core);
    }
}
