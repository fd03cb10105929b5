using System.Text;
using System.Text.RegularExpressions;

namespace QuayIntegration.Emulators.Quay.Api;

/// <summary>Which part of the emulator a route belongs to: it decides auth, CSRF, body limits, accounting and faults.</summary>
public enum RouteArea
{
    /// <summary>Quay's v1 REST API: OAuth bearer auth, CSRF on writes, counted, faultable.</summary>
    QuayApi,
    /// <summary>Docker Registry v2: its own token auth, counted, faultable.</summary>
    Registry,
    /// <summary>The emulator's own control endpoints: never counted, never faulted.</summary>
    Control,
}

public delegate ApiResponse ApiHandler(ApiRequest request);

/// <summary>
/// One URL rule, written like Quay's (<c>/api/v1/organization/{orgname}/robots/{robot_shortname}</c>). The template is
/// also the key for accounting and per-route faults. <c>{repository}</c> is Quay's <c>apirepopath</c> converter
/// (<c>namespace/name</c>, the name may itself contain '/'); every other parameter is one path segment.
/// </summary>
public sealed class RouteDefinition
{
    public RouteDefinition(RouteArea area, string template)
    {
        Area = area;
        Template = template;
        Pattern = new Regex(ToRegex(template), RegexOptions.Compiled | RegexOptions.CultureInvariant);
    }

    public RouteArea Area { get; }
    public string Template { get; }
    public Regex Pattern { get; }
    public Dictionary<string, ApiHandler> Handlers { get; } = new(StringComparer.Ordinal);
    public bool EndsWithSlash => Template.EndsWith('/');
    /// <summary>Characters outside parameters: Werkzeug prefers the rule with more static parts.</summary>
    public int StaticWeight => Regex.Replace(Template, "\\{[^}]*\\}", "").Length;

    public RouteDefinition Map(string method, ApiHandler handler)
    {
        Handlers[method] = handler;
        return this;
    }

    /// <summary>Werkzeug adds HEAD to every GET rule and answers OPTIONS itself.</summary>
    public bool Supports(string method) =>
        Handlers.ContainsKey(method) || (method == "HEAD" && Handlers.ContainsKey("GET")) || method == "OPTIONS";

    public IEnumerable<string> AllowedMethods()
    {
        var methods = new SortedSet<string>(Handlers.Keys, StringComparer.Ordinal) { "OPTIONS" };
        if (Handlers.ContainsKey("GET")) methods.Add("HEAD");
        return methods;
    }

    private static string ToRegex(string template)
    {
        var pattern = new StringBuilder("^");
        var i = 0;
        while (i < template.Length)
        {
            if (template[i] == '{')
            {
                var end = template.IndexOf('}', i);
                var name = template[(i + 1)..end];
                pattern.Append(name == "repository"
                    ? "(?<repository>[^/]+/[^/]+(?:/[^/]+)*)"
                    : $"(?<{name}>[^/]+)");
                i = end + 1;
            }
            else
            {
                pattern.Append(Regex.Escape(template[i].ToString()));
                i++;
            }
        }
        return pattern.Append('$').ToString();
    }
}

public sealed record RouteMatch(RouteDefinition Route, IReadOnlyDictionary<string, string> Values);

/// <summary>What routing decided for a path and method, mirroring Werkzeug's strict-slash rules.</summary>
public abstract record RoutingOutcome
{
    public sealed record Matched(RouteMatch Match) : RoutingOutcome;
    public sealed record WrongMethod(RouteDefinition Route, IEnumerable<string> Allowed) : RoutingOutcome;
    public sealed record RedirectToSlash(RouteDefinition Route) : RoutingOutcome;
    public sealed record NoRoute : RoutingOutcome;
}

public sealed class RouteTable
{
    private readonly List<RouteDefinition> _routes = [];

    public IReadOnlyList<RouteDefinition> Routes => _routes;

    /// <summary>Adds a rule. More specific rules must be added before rules whose pattern also matches their paths.</summary>
    public RouteDefinition Add(RouteArea area, string template)
    {
        var route = new RouteDefinition(area, template);
        _routes.Add(route);
        return route;
    }

    public RoutingOutcome Resolve(string method, string path)
    {
        // Werkzeug weighs rules by their static parts before matching, so /repository/ns/repo/tag redirects to the
        // tag rule's slash form rather than matching /repository/{repository} with "ns/repo/tag" as the repository.
        if (!path.EndsWith('/') && RedirectCandidate(method, path) is { } redirect)
        {
            var exact = _routes.FirstOrDefault(r => r.Pattern.IsMatch(path) && r.Supports(method));
            if (exact is null || redirect.StaticWeight > exact.StaticWeight) return new RoutingOutcome.RedirectToSlash(redirect);
        }
        RouteDefinition? pathMatch = null;
        var allowed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var route in _routes)
        {
            var match = route.Pattern.Match(path);
            if (!match.Success) continue;
            if (route.Supports(method)) return new RoutingOutcome.Matched(new RouteMatch(route, Values(route, match)));
            pathMatch ??= route;
            allowed.UnionWith(route.AllowedMethods());
        }
        if (pathMatch is not null) return new RoutingOutcome.WrongMethod(pathMatch, allowed);

        // Strict slashes: a rule that ends in '/' requested without it redirects (308), for a method it supports.
        if (!path.EndsWith('/'))
        {
            var withSlash = path + "/";
            foreach (var route in _routes)
            {
                if (!route.EndsWithSlash || !route.Pattern.IsMatch(withSlash)) continue;
                if (route.Supports(method)) return new RoutingOutcome.RedirectToSlash(route);
                pathMatch ??= route;
                allowed.UnionWith(route.AllowedMethods());
            }
            if (pathMatch is not null) return new RoutingOutcome.WrongMethod(pathMatch, allowed);
        }
        return new RoutingOutcome.NoRoute();
    }

    private RouteDefinition? RedirectCandidate(string method, string path) =>
        _routes.FirstOrDefault(r => r.EndsWithSlash && r.Supports(method) && r.Pattern.IsMatch(path + "/"));

    private static Dictionary<string, string> Values(RouteDefinition route, Match match)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in route.Pattern.GetGroupNames())
            if (!int.TryParse(name, out _)) values[name] = match.Groups[name].Value;
        return values;
    }
}
