using System.Net;
using QuayIntegration.Operator.Quay;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>Literal answers from the Quay contract (docs/quay-api.md, from Quay's endpoints/api) mapped to outcomes.</summary>
public class QuayResponseClassifierTests
{
    [Theory]
    [InlineData(400, "application/json", """{"message":"Could not find robot with specified username"}""", QuayOutcome.NotFound)]
    [InlineData(400, "application/json", """{"detail":"Existing robot with name: o+r","error_message":"Existing robot with name: o+r","error_type":"invalid_request","status":400}""", QuayOutcome.AlreadyExists)]
    [InlineData(400, "application/json", """{"detail":"A user or organization with this name already exists","error_type":"invalid_request"}""", QuayOutcome.AlreadyExists)]
    [InlineData(400, "application/json", """{"detail":"Repository already exists","error_type":"invalid_request"}""", QuayOutcome.AlreadyExists)]
    [InlineData(400, "application/json", """{"detail":"Username has already been taken by an organization and cannot be reused: o","error_type":"invalid_request"}""", QuayOutcome.AlreadyExists)]
    [InlineData(400, "application/json", """{"detail":"Username is not available","error_message":"Username is not available","error_type":"invalid_request"}""", QuayOutcome.NameNotAvailableYet)]
    [InlineData(400, "application/json", """{"detail":"Invalid namespace a--b: Namespace must match expression","error_type":"invalid_request"}""", QuayOutcome.InvalidName)]
    [InlineData(401, "application/json", """{"detail":"Requires authentication","error_type":"invalid_token","session_required":false}""", QuayOutcome.BadToken)]
    [InlineData(403, "text/html; charset=utf-8", """{"error": "CSRF token was invalid or missing."}""", QuayOutcome.BadToken)]
    [InlineData(403, "application/json", """{"detail":"Unauthorized","error_type":"insufficient_scope","status":403}""", QuayOutcome.Forbidden)]
    [InlineData(404, "application/json", """{"detail":"Not Found","error_type":"not_found"}""", QuayOutcome.NotFound)]
    [InlineData(404, "text/html", "<html>Not Found</html>", QuayOutcome.Unexpected)]
    [InlineData(429, "text/html", "<html>429 Too Many Requests</html>", QuayOutcome.Unavailable)]
    [InlineData(500, "text/html", "<html>Internal Server Error</html>", QuayOutcome.Unavailable)]
    [InlineData(503, "application/json", """{"message":"read only","is_readonly":true}""", QuayOutcome.Unavailable)]
    [InlineData(201, "application/json", "\"Created\"", QuayOutcome.Success)]
    [InlineData(204, null, "", QuayOutcome.Success)]
    public void Classifies_quay_answers(int status, string? contentType, string body, QuayOutcome expected)
    {
        Assert.Equal(expected, QuayResponseClassifier.Classify((HttpStatusCode)status, contentType, body, out var message));
        if (status >= 400 && contentType?.Contains("json") == true) Assert.NotEmpty(message);
    }

    [Fact]
    public void Html_error_pages_are_summarised_by_their_title()
    {
        QuayResponseClassifier.Classify(HttpStatusCode.ServiceUnavailable, "text/html",
            "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>", out var message);
        Assert.Equal("503 Service Temporarily Unavailable", message);
    }
}
