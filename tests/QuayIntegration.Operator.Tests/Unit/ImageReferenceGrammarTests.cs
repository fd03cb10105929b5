using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

public class ImageReferenceGrammarTests
{
    [Theory]
    [InlineData("v1", true)]
    [InlineData("latest", true)]
    [InlineData("_x", true)]
    [InlineData("V1.0-rc_2", true)]
    [InlineData("-bad", false)]
    [InlineData(".bad", false)]
    [InlineData("", false)]
    [InlineData("a:b", false)]
    [InlineData("a/b", false)]
    [InlineData("über", false)]
    public void Tags_follow_the_docker_grammar(string tag, bool valid) => Assert.Equal(valid, ImageReferenceGrammar.IsValidTag(tag));

    [Fact]
    public void Tags_are_at_most_128_characters()
    {
        Assert.True(ImageReferenceGrammar.IsValidTag(new string('t', 128)));
        Assert.False(ImageReferenceGrammar.IsValidTag(new string('t', 129)));
        Assert.False(ImageReferenceGrammar.IsValidTag(new string('t', 10_000)));
    }

    [Theory]
    [InlineData("app", true)]
    [InlineData("my-app.v2_x", true)]
    [InlineData("App", false)]
    [InlineData("a..b", false)]
    [InlineData("a__b", false)]
    [InlineData("-a", false)]
    [InlineData("a-", false)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    public void ImageStream_names_are_single_lower_case_path_components(string name, bool valid) =>
        Assert.Equal(valid, ImageReferenceGrammar.IsValidImageStreamName(name));

    [Theory]
    [InlineData("quay.example.com/openshift_app/app", "v1", true)]
    [InlineData("quay.example.com:8443/openshift_a.2.b/my-app", "latest", true)]
    [InlineData("127.0.0.1:5000/org/app", "v1", true)]
    [InlineData("[::1]:5000/org/app", "v1", true)]
    [InlineData("quay.example.com/Org/app", "v1", false)]
    [InlineData("quay.example.com/org/app", "-bad", false)]
    [InlineData("-quay/org/app", "v1", false)]
    [InlineData("quay.example.com", "v1", false)]
    public void Produced_references_follow_the_docker_grammar(string repository, string tag, bool valid) =>
        Assert.Equal(valid, ImageReferenceGrammar.IsValidTaggedReference(repository, tag));

    [Fact]
    public void Produced_references_are_at_most_255_characters_before_the_tag()
    {
        var host = "quay.example.com/org/";
        Assert.True(ImageReferenceGrammar.IsValidTaggedReference(host + new string('a', 255 - host.Length), "v1"));
        Assert.False(ImageReferenceGrammar.IsValidTaggedReference(host + new string('a', 256 - host.Length), "v1"));
    }

    [Fact]
    public void Quoted_user_text_is_short_and_on_one_line()
    {
        Assert.Equal("'a?b'", UserText.Quote("a\nb"));
        Assert.Equal("'" + new string('x', UserText.MaxQuoted) + "…'", UserText.Quote(new string('x', 10_000)));
        Assert.Equal("null", UserText.Quote(null));
    }
}
