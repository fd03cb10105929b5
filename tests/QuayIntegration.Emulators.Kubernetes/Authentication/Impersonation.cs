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
/// otherwise, and, for a service account, its two service-account groups.
/// </summary>
public static class Impersonation
{
    private const string UserHeader = "Impersonate-User";
    private const string GroupHeader = "Impersonate-Group";
    private const string UidHeader = "Impersonate-Uid";
    private const string ExtraPrefix = "Impersonate-Extra-";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>The user the request acts as: <paramref name="user"/> itself when no header asks for another.</summary>
    public static ApiUser Apply(IHeaderDictionary headers, ApiUser user, RbacAuthorizer authorizer)
    {
        var username = headers[UserHeader].ToString();
        var groups = headers[GroupHeader].SelectMany(v => (v ?? "").Split(',')).Select(g => g.Trim()).Where(g => g.Length > 0).ToList();
        var uid = headers[UidHeader].ToString();
        var extras = headers.Where(h => h.Key.StartsWith(ExtraPrefix, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => Uri.UnescapeDataString(h.Key[ExtraPrefix.Length..]).ToLowerInvariant(),
                h => (IReadOnlyList<string>)h.Value.Select(v => v ?? "").ToList());
        if (username.Length == 0)
        {
            if (groups.Count > 0 || uid.Length > 0 || extras.Count > 0)
                throw Errors.BadRequest($"requested {Requested(groups, uid, extras)} without impersonating a user");
            return user;
        }

        var impersonatedGroups = new List<string>();
        if (username.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal) && username[ServiceAccountPrefix.Length..].Split(':') is [var ns, var name])
        {
            Check(authorizer, new(user, "impersonate", true, Resource: "serviceaccounts", Namespace: ns, Name: name));
            impersonatedGroups.AddRange(["system:serviceaccounts", $"system:serviceaccounts:{ns}"]);
        }
        else Check(authorizer, new(user, "impersonate", true, Resource: "users", Name: username));
        foreach (var group in groups)
        {
            Check(authorizer, new(user, "impersonate", true, Resource: "groups", Name: group));
            impersonatedGroups.Add(group);
        }
        if (uid.Length > 0) Check(authorizer, new(user, "impersonate", true, ApiGroup: "authentication.k8s.io", Resource: "uids", Name: uid));
        foreach (var (key, values) in extras)
            foreach (var value in values)
                Check(authorizer, new(user, "impersonate", true, ApiGroup: "authentication.k8s.io", Resource: "userextras", Subresource: key, Name: value));

        if (username == "system:anonymous")
        {
            if (!impersonatedGroups.Contains("system:unauthenticated")) impersonatedGroups.Add("system:unauthenticated");
        }
        else if (!impersonatedGroups.Contains("system:authenticated") && !impersonatedGroups.Contains("system:unauthenticated"))
            impersonatedGroups.Add("system:authenticated");
        return new ApiUser(username, impersonatedGroups.Distinct().ToList()) { Uid = uid, Extra = extras };
    }

    private static void Check(RbacAuthorizer authorizer, AuthorizationAttributes attributes)
    {
        var decision = authorizer.Authorize(attributes);
        if (!decision.Allowed) throw ForbiddenError.For(attributes, decision.Reason);
    }

    private static string Requested(List<string> groups, string uid, Dictionary<string, IReadOnlyList<string>> extras) =>
        "[" + string.Join(" ", groups.Select(g => $"{GroupHeader}={g}")
            .Concat(uid.Length > 0 ? [$"{UidHeader}={uid}"] : [])
            .Concat(extras.Select(e => $"{ExtraPrefix}{e.Key}={string.Join(",", e.Value)}"))) + "]";
}
