using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace QuayIntegration.Emulators.Quay.Api;

/// <summary>
/// Quay's coexisting error shapes (docs/quay-api.md, "Error shapes"). Handlers throw <see cref="QuayErrorException"/> with one of these;
/// the pipeline turns it into the response.
/// </summary>
public static class QuayErrors
{
    /// <summary>Shape A, the <c>ApiException</c> "problem" body.</summary>
    public static QuayErrorException Problem(int status, string errorType, string? detail, JsonObject? extra = null) =>
        new(request =>
        {
            var body = extra?.DeepClone().AsObject() ?? new JsonObject();
            if (detail is not null)
            {
                body["detail"] = detail;
                body["error_message"] = detail;
            }
            body["error_type"] = errorType;
            body["title"] = errorType;
            body["type"] = $"{request.Scheme}://{request.Host}/api/v1/error/{errorType}";
            body["status"] = status;
            return ApiResponse.Json(status, body);
        });

    public static QuayErrorException InvalidRequest(string detail) => Problem(400, "invalid_request", detail);

    public static QuayErrorException NotFound() => Problem(404, "not_found", "Not Found");

    /// <summary>Quay's <c>Unauthorized</c>: 401 invalid_token without a user, 403 insufficient_scope with one.</summary>
    public static QuayErrorException Unauthorized(bool authenticated) =>
        authenticated ? Problem(403, "insufficient_scope", "Unauthorized") : Problem(401, "invalid_token", "Requires authentication");

    /// <summary>Shape B, the flask-restful / DataModelException <c>{"message": ...}</c> body.</summary>
    public static QuayErrorException Message(int status, string message) =>
        new(_ => ApiResponse.Json(status, new JsonObject { ["message"] = message }));

    /// <summary>Shape C, <c>util/http.py abort()</c>: JSON text served as text/html.</summary>
    public static QuayErrorException HtmlError(int status, string error) =>
        new(_ => ApiResponse.Text(status, "text/html; charset=utf-8", new JsonObject { ["error"] = error }.ToJsonString(ApiResponse.Compact) + "\n"));

    public static QuayErrorException Csrf() => HtmlError(403, "CSRF token was invalid or missing.");

    /// <summary>REGISTRY_STATE=readonly: <c>ReadOnlyModeException</c> becomes a 503 message body flagged is_readonly.</summary>
    public static QuayErrorException ReadOnly() =>
        new(_ => ApiResponse.Json(503, new JsonObject
        {
            ["message"] = "System is currently read-only. Pulls will succeed but all write operations are currently suspended.",
            ["is_readonly"] = true,
        }));

    /// <summary>Shape E: an uncaught exception in Quay (PROPAGATE_EXCEPTIONS) gives a non-JSON server error page.</summary>
    public static QuayErrorException ServerError() =>
        new(_ => ApiResponse.Text(500, "text/html; charset=utf-8", HtmlPages.InternalServerError));

    /// <summary>The HTML 404 of Quay's web catch-all routes, for paths that miss the API.</summary>
    public static ApiResponse UnknownRoute() => ApiResponse.Text(404, "text/html; charset=utf-8", HtmlPages.NotFound);

    public static ApiResponse MethodNotAllowed(IEnumerable<string> allowed) =>
        ApiResponse.Json(405, new JsonObject { ["message"] = "The method is not allowed for the requested URL." })
            .WithHeader("Allow", string.Join(", ", allowed));
}

/// <summary>An error answer, thrown from anywhere in a handler (with or without the store lock held).</summary>
public sealed class QuayErrorException(Func<HttpRequest, ApiResponse> render) : Exception("Quay error response")
{
    public ApiResponse Render(HttpRequest request) => render(request);
}

/// <summary>Canned HTML bodies of Quay's web tier and of its nginx front.</summary>
public static class HtmlPages
{
    public const string NotFound =
        "<!DOCTYPE html>\n<html><head><title>Quay</title></head><body><h1>404</h1><p>The page you requested could not be found.</p></body></html>\n";

    public const string InternalServerError =
        "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n";

    public static string Nginx(int status, string reason) =>
        $"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

    public static byte[] NginxBytes(int status, string reason) => Encoding.UTF8.GetBytes(Nginx(status, reason));
}
