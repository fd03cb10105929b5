using System.Net;
using System.Text;
using QuayIntegration.Emulators.Quay.Model;

namespace QuayIntegration.Emulators.Quay.Control;

/// <summary>A read-only HTML view of the emulated Quay, so a person running the sandbox can see what the operator did.</summary>
public static class StatePage
{
    public static string Render(QuayState state)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Emulated Quay</title>")
            .Append("<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1.5em}")
            .Append("td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}code{font-size:.9em}</style>")
            .Append("</head><body><h1>Emulated Quay</h1><p>JSON: <a href=\"/_emulator/state\">/_emulator/state</a> · calls: <a href=\"/_emulator/calls\">/_emulator/calls</a></p>");

        Table(html, "Organizations", ["Name", "Email", "Teams"], state.Organizations.Select(o => new[]
        {
            o.Name, o.Email, string.Join("; ", o.Teams.Select(t => $"{t.Name} ({t.Role}): {string.Join(", ", t.Members)}")),
        }));
        Table(html, "Robots", ["Name", "Description", "Created", "Last accessed"], state.Organizations.SelectMany(o => o.Robots).Select(r => new[]
        {
            r.Name, r.Description, r.Created.ToString("u"), r.LastAccessed?.ToString("u") ?? "",
        }));
        Table(html, "Default permissions", ["Organization", "Id", "Role", "Activating user", "Delegate"], state.Organizations.SelectMany(o => o.Prototypes.Select(p => new[]
        {
            o.Name, p.Id, p.Role, p.ActivatingUser ?? "(anyone)", $"{p.DelegateKind} {p.DelegateName}",
        })));
        Table(html, "OAuth applications", ["Organization", "Name", "Client ID", "Redirect URI"], state.Organizations.SelectMany(o => o.Applications.Select(a => new[]
        {
            o.Name, a.Name, a.ClientId, a.RedirectUri,
        })));
        Table(html, "Repositories", ["Repository", "Visibility", "Permissions"], state.Repositories.Select(r => new[]
        {
            $"{r.Namespace}/{r.Name}", r.IsPublic ? "public" : "private",
            string.Join(", ", r.UserPermissions.Select(p => $"{p.Key}={p.Value}").Concat(r.TeamPermissions.Select(p => $"team {p.Key}={p.Value}"))),
        }));
        Table(html, "Tags", ["Repository", "Tag", "Manifest digest", "Size", "Active"], state.Repositories.SelectMany(r => r.Tags.Select(t => new[]
        {
            $"{r.Namespace}/{r.Name}", t.Name, t.ManifestDigest, t.Size.ToString(), t.EndTs is null ? "yes" : "no",
        })));
        Table(html, "Deleted organizations awaiting GC", ["Name", "Purged at"], state.DeletedNamespaces.Select(d => new[] { d.Name, d.PurgeAt.ToString("u") }));
        return html.Append("</body></html>").ToString();
    }

    private static void Table(StringBuilder html, string title, string[] headers, IEnumerable<string[]> rows)
    {
        html.Append("<h2>").Append(WebUtility.HtmlEncode(title)).Append("</h2><table><tr>");
        foreach (var header in headers) html.Append("<th>").Append(WebUtility.HtmlEncode(header)).Append("</th>");
        html.Append("</tr>");
        var any = false;
        foreach (var row in rows)
        {
            any = true;
            html.Append("<tr>");
            foreach (var cell in row) html.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        if (!any) html.Append("<tr><td colspan=\"").Append(headers.Length).Append("\"><em>none</em></td></tr>");
        html.Append("</table>");
    }
}
