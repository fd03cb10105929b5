using Microsoft.AspNetCore.Http;
using QuayIntegration.Emulators.Kubernetes.Authorization;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Machinery;

namespace QuayIntegration.Emulators.Kubernetes.Authentication;

/// <summary>
/// The <c>Impersonate-*</c> headers (<c>kubectl --as</c>, <c>--as-group</c>, <c>--as-uid</c>), as kube-apiserver's
/// impersonation filter handles them (apiserver/pkg/endpoints/filters/impersonation.go): the authenticated user needs
/// the <c>impersonate</c> verb on each identity it asks for (<c>users</c>, or <c>serviceaccounts</c> in their
/// namespace; <c>groups</c>; <c>uids</c> and <c>userextras/KEY</c> in authentication.k8s.io), else 403; the request
/// is then authorized and served as the impersonated user, who gets <c>system:authenticated</c> unless a group says
/// otherwise, and, for a service account impersonated without groups, its two service-account groups.
/// </summary>
public static class Impersonation
{
    private const string UserHeader = "Impersonate-User";
    private const string GroupHeader = "Impersonate-Group";
    private const string UidHeader = "Impersonate-Uid";
    private const string ExtraPrefix = "Impersonate-Extra-";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>The user the request acts as: <paramref name="user"/> itself when no header asks for another.</summary>
    public static ApiUser Apply(IHeaderDictionary headers, ApiUser user, ApiServerCore server)
    {
        var username = headers[UserHeader].ToString();
        var groups = headers[GroupHeader].Select(v => v ?? "").ToList();
        var uid = headers[UidHeader].ToString();
        var extras = headers.Where(h => h.Key.StartsWith(ExtraPrefix, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => Uri.UnescapeDataString(h.Key[ExtraPrefix.Length..]).ToLowerInvariant(),
                h => (IReadOnlyList<string>)h.Value.Select(v => v ?? "").ToList());
        if (username.Length == 0)
        {
            if (groups.Count > 0 || uid.Length > 0 || extras.Count > 0)
                throw Errors.Internal($"requested {Requested(groups, uid, extras)} without impersonating a user"); // responsewriters.InternalError
            return user;
        }

        var impersonatedGroups = new List<string>();
        if (username.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) && username[ServiceAccountPrefix.Length..].Split(':') is [var ns, var name])
        {
            RequestRouter.Enforce(server, new(user, "impersonate", true, Resource: "serviceaccounts", Namespace: ns, Name: name));
            // A service account's own groups only when no group is asked for (impersonation.go).
            if (groups.Count == 0) impersonatedGroups.AddRange(["system:serviceaccounts", $"system:serviceaccounts:{ns}"]);
        }
        else RequestRouter.Enforce(server, new(user, "impersonate", true, Resource: "users", Name: username));
        foreach (var group in groups)
        {
            RequestRouter.Enforce(server, new(user, "impersonate", true, Resource: "groups", Name: group));
            impersonatedGroups.Add(group);
        }
        if (uid.Length > 0) RequestRouter.Enforce(server, new(user, "impersonate", true, ApiGroup: "authentication.k8s.io", Resource: "uids", Name: uid));
        foreach (var (key, values) in extras)
            foreach (var value in values)
                RequestRouter.Enforce(server, new(user, "impersonate", true, ApiGroup: "authentication.k8s.io", Resource: "userextras", Subresource: key, Name: value));

        if (username == "system:anonymous")
        {
            if (!impersonatedGroups.Contains("system:unauthenticated")) impersonatedGroups.Add("system:unauthenticated");
        }
        else if (!impersonatedGroups.Contains("system:authenticated") && !impersonatedGroups.Contains("system:unauthenticated"))
            impersonatedGroups.Add("system:authenticated");
        return new ApiUser(username, impersonatedGroups.Distinct().ToList()) { Uid = uid, Extra = extras };
    }

    private static string Requested(List<string> groups, string uid, Dictionary<string, IReadOnlyList<string>> extras) =>
        "[" + string.Join(" ", groups.Select(g => $"{GroupHeader}={g}")
            .Concat(uid.Length > 0 ? [$"{UidHeader}={uid}"] : [])
            .Concat(extras.Select(e => $"{ExtraPrefix}{e.Key}={string.Join(",", e.Value)}"))) + "]";
}
