using System.Net.Sockets;
using System.Text;

namespace QuayIntegration.Emulators.Quay.Tests;

/// <summary>Malformed, oversized and odd requests get Quay's (or nginx's) answers and never an unhandled exception.</summary>
public sealed class BadInputTests : EmulatorTest
{
    [Fact]
    public async Task Huge_api_body_is_nginx_413()
    {
        var huge = "{\"name\":\"" + new string('x', 2 * 1024 * 1024) + "\"}";
        var reply = (await Send(HttpMethod.Post, "/api/v1/organization/", AliceToken, rawBody: huge, contentType: "application/json")).AssertStatus(413);
        Assert.Equal("text/html", reply.MediaType);
        Assert.Contains("413 Request Entity Too Large", reply.Body);
    }

    [Fact]
    public async Task Huge_chunked_body_without_length_is_413_too()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/organization/")
        {
            Content = new StreamContent(new MemoryStream(new byte[2 * 1024 * 1024])),
        };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Authorization = new("Bearer", AliceToken);
        request.Content.Headers.ContentType = new("application/json");
        using var response = await Client().SendAsync(request);
        Assert.Equal(413, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("{\"role\":")]
    [InlineData("[1,2")]
    [InlineData("\u00ff\u00fe")]
    [InlineData("{\"role\":\"read\",}")]
    public async Task Malformed_json_is_400_message(string body)
    {
        await CreateOrg("acme");
        (await Send(HttpMethod.Post, "/api/v1/organization/acme/prototypes", AliceToken, rawBody: body, contentType: "application/json")).AssertMessage(400);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task Wrong_content_type_is_415_message(string contentType)
    {
        await CreateOrg("acme");
        (await Send(HttpMethod.Post, "/api/v1/organization/acme/prototypes", AliceToken, rawBody: "{}", contentType: contentType))
            .AssertMessage(415, "Did not attempt to load JSON data because the request Content-Type was not 'application/json'.");
    }

    [Fact]
    public async Task Json_suffix_media_types_and_charset_are_json()
    {
        (await Send(HttpMethod.Post, "/api/v1/organization/", AliceToken, rawBody: "{\"name\":\"acme\"}", contentType: "application/merge-patch+json")).AssertStatus(201);
        (await Send(HttpMethod.Post, "/api/v1/organization/", AliceToken, rawBody: "{\"name\":\"acme2\"}", contentType: "application/json; charset=utf-8")).AssertStatus(201);
    }

    [Fact]
    public async Task Wrong_json_types_everywhere_are_schema_failures()
    {
        await CreateOrg("acme");
        (await Post("/api/v1/organization/acme/prototypes", AliceToken, new { role = 1, @delegate = new { kind = "user", name = "bob" } }))
            .AssertProblemStartsWith(400, "invalid_request", "1 is not of type 'string'");
        (await Post("/api/v1/organization/acme/prototypes", AliceToken, new { role = "read", @delegate = "bob" }))
            .AssertProblemStartsWith(400, "invalid_request", "'bob' is not of type 'object'");
        (await Post("/api/v1/repository", AliceToken, new { @namespace = "acme", repository = true, visibility = "private", description = "" }))
            .AssertProblemStartsWith(400, "invalid_request", "True is not of type 'string'");
        (await Post("/api/v1/repository", AliceToken, new { @namespace = "acme", repository = "x", visibility = "private", description = (string?)null }))
            .AssertProblemStartsWith(400, "invalid_request", "None is not of type 'string'");
    }

    [Fact]
    public async Task Bad_int_query_values_are_reqparse_400_keyed_by_parameter()
    {
        await CreateOrg("acme");
        await CreateRepo("acme", "app");
        var limit = (await Get("/api/v1/organization/acme/robots?limit=lots", AliceToken)).AssertStatus(400);
        Assert.Equal("invalid literal for int() with base 10: 'lots'", (string?)limit.Object["message"]!["limit"]);
        Assert.NotNull((await Get("/api/v1/repository/acme/app/tag/?page=x", AliceToken)).AssertStatus(400).Object["message"]!["page"]);
    }

    [Fact]
    public async Task Boolean_query_values_are_truthy_so_they_never_fail()
    {
        await CreateOrg("acme");
        await CreateRobot("acme", "builder");
        var robot = (await Get("/api/v1/organization/acme/robots?token=maybe", AliceToken)).AssertStatus(200).Object["robots"]![0]!.AsObject();
        Assert.True(robot.ContainsKey("token"));
        robot = (await Get("/api/v1/organization/acme/robots?token=0", AliceToken)).AssertStatus(200).Object["robots"]![0]!.AsObject();
        Assert.False(robot.ContainsKey("token"));
    }

    [Fact]
    public async Task Odd_paths_and_encodings_never_crash()
    {
        await CreateOrg("acme");
        foreach (var path in new[] { "/api/v1/organization/%00", "/api/v1/organization/a%2Fb", "/api/v1/repository/%20/%20", "/api/v1/organization/" + new string('x', 4000), "/api/v1/repository/acme/app/permissions/user/%2B" })
        {
            var reply = await Get(path, AliceToken);
            Assert.InRange(reply.Code, 400, 404);
        }
    }

    [Fact]
    public async Task Garbage_on_the_socket_gets_a_400_and_the_server_lives_on()
    {
        var port = new Uri(Quay.HttpBaseUrl).Port;
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync("127.0.0.1", port);
            var stream = socket.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("NOT HTTP AT ALL\r\n\r\n"));
            var buffer = new byte[256];
            var read = await stream.ReadAsync(buffer);
            Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(buffer, 0, read));
        }
        (await Get("/api/v1/user/", AliceToken)).AssertStatus(200);
    }
}
