using System.Text.Json.Nodes;

namespace QuayIntegration.Testing.Core.Tests;

/// <summary>
/// The scalar rules of <see cref="YamlJson"/>: what sigs.k8s.io/yaml's YAMLToJSON (go-yaml v2 underneath) makes of
/// each, so a manifest read here is the JSON kubectl sends.
/// </summary>
public sealed class YamlJsonTests
{
    /// <summary>The JSON that <c>v: &lt;yaml&gt;</c> gives for v.</summary>
    private static string Value(string yaml) => YamlJson.LoadSingle("v: " + yaml)["v"]?.ToJsonString() ?? "null";

    [Theory]
    [InlineData("")]
    [InlineData("~")]
    [InlineData("null")]
    [InlineData("Null")]
    [InlineData("NULL")]
    public void Plain_null_forms_and_nothing_are_null(string yaml) => Assert.Equal("null", Value(yaml));

    [Theory]
    [InlineData("true", "true")]
    [InlineData("True", "true")]
    [InlineData("TRUE", "true")]
    [InlineData("false", "false")]
    [InlineData("False", "false")]
    [InlineData("FALSE", "false")]
    // YAML 1.1, as go-yaml v2 resolves them for an untyped value (sigs.k8s.io/yaml: "'yes' and 'no' ... true/false").
    [InlineData("y", "true")]
    [InlineData("Y", "true")]
    [InlineData("yes", "true")]
    [InlineData("Yes", "true")]
    [InlineData("YES", "true")]
    [InlineData("on", "true")]
    [InlineData("On", "true")]
    [InlineData("ON", "true")]
    [InlineData("n", "false")]
    [InlineData("N", "false")]
    [InlineData("no", "false")]
    [InlineData("No", "false")]
    [InlineData("NO", "false")]
    [InlineData("off", "false")]
    [InlineData("Off", "false")]
    [InlineData("OFF", "false")]
    public void Plain_booleans_include_yaml_1_1_words(string yaml, string json) => Assert.Equal(json, Value(yaml));

    [Theory]
    [InlineData("yEs")]
    [InlineData("oN")]
    [InlineData("nope")]
    [InlineData("Truthy")]
    [InlineData("nul")]
    public void Other_spellings_are_strings(string yaml) => Assert.Equal($"\"{yaml}\"", Value(yaml));

    [Theory]
    [InlineData("443", "443")]
    [InlineData("-5", "-5")]
    [InlineData("+7", "7")]
    [InlineData("0", "0")]
    [InlineData("1_000", "1000")]
    [InlineData("0x1F", "31")]
    [InlineData("0o17", "15")]
    [InlineData("0755", "493")] // a leading 0 is octal for strconv.ParseInt(s, 0, 64): file modes must be written so
    [InlineData("0b101", "5")]
    [InlineData("-0x10", "-16")]
    [InlineData("9223372036854775807", "9223372036854775807")]
    [InlineData("18446744073709551615", "18446744073709551615")] // beyond long: ParseUint
    public void Plain_integers_are_numbers_as_go_reads_them(string yaml, string json) => Assert.Equal(json, Value(yaml));

    [Theory]
    [InlineData("1.5", 1.5)]
    [InlineData("-0.25", -0.25)]
    [InlineData("1.0", 1.0)]
    [InlineData("1e3", 1000.0)]
    [InlineData("2.5E-3", 0.0025)]
    [InlineData(".5", 0.5)]
    [InlineData("-.5", -0.5)]
    [InlineData("08", 8.0)] // no octal, but yamlStyleFloat matches
    [InlineData("99999999999999999999", 1e20)] // beyond ulong: a float
    public void Plain_floats_are_numbers(string yaml, double expected)
    {
        var value = YamlJson.LoadSingle("v: " + yaml)["v"]!;
        Assert.Equal(System.Text.Json.JsonValueKind.Number, value.GetValueKind());
        Assert.Equal(expected, value.GetValue<double>());
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("1.2.3")]
    [InlineData("2001-12-14")] // a timestamp reaches an untyped Go value as its text
    [InlineData("2001-12-14T21:59:43.10Z")]
    [InlineData("12:30")] // no base-60
    [InlineData("0x")]
    [InlineData("1e999")] // out of float range: ParseFloat fails
    [InlineData("0x1_0000_0000_0000_0000")] // beyond 64 bits
    [InlineData("-x")]
    [InlineData("yes please")]
    [InlineData(".")]
    [InlineData("<<x")]
    public void Everything_else_plain_is_a_string(string yaml) =>
        Assert.Equal(System.Text.Json.JsonValueKind.String, YamlJson.LoadSingle("v: " + yaml)["v"]!.GetValueKind());

    [Theory]
    [InlineData("\"yes\"", "yes")]
    [InlineData("'on'", "on")]
    [InlineData("\"true\"", "true")]
    [InlineData("'443'", "443")]
    [InlineData("\"null\"", "null")]
    [InlineData("''", "")]
    [InlineData("\"0x1F\"", "0x1F")]
    public void Quoted_scalars_are_always_strings(string yaml, string text)
    {
        var value = YamlJson.LoadSingle("v: " + yaml)["v"];
        Assert.NotNull(value);
        Assert.Equal(text, value.GetValue<string>());
    }

    [Fact]
    public void Block_scalars_are_always_strings()
    {
        var o = YamlJson.LoadSingle("literal: |\n  yes\nfolded: >\n  443\n");
        Assert.Equal("yes\n", (string?)o["literal"]);
        Assert.Equal("443\n", (string?)o["folded"]);
    }

    [Theory]
    [InlineData(".inf")]
    [InlineData("-.Inf")]
    [InlineData("+.INF")]
    [InlineData(".nan")]
    public void Infinities_and_nan_are_errors_as_json_cannot_hold_them(string yaml) =>
        Assert.Contains("unsupported value", Assert.Throws<FormatException>(() => Value(yaml)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("!!str 443", "\"443\"")]
    [InlineData("!!str yes", "\"yes\"")]
    [InlineData("!!int \"5\"", "5")]
    [InlineData("!!float 1", "1")]
    [InlineData("!!bool yes", "true")]
    [InlineData("!!null ~", "null")]
    [InlineData("!custom 5", "\"5\"")]
    [InlineData("! 5", "\"5\"")]
    public void Explicit_tags(string yaml, string json) => Assert.Equal(json, Value(yaml));

    [Theory]
    [InlineData("!!int abc")]
    [InlineData("!!bool 1")]
    [InlineData("!!float yes")]
    [InlineData("!!binary aGk=")]
    public void A_tag_the_text_does_not_match_is_an_error(string yaml) => Assert.Throws<FormatException>(() => Value(yaml));

    [Theory]
    [InlineData("on", "true")]
    [InlineData("yes", "true")]
    [InlineData("No", "false")]
    [InlineData("\"on\"", "on")]
    [InlineData("443", "443")]
    [InlineData("0x10", "16")]
    [InlineData("1.5", "1.5")]
    [InlineData("1.0", "1")]
    [InlineData("1e6", "1e+06")] // Go's FormatFloat(f, 'g', -1, 32)
    [InlineData("123456", "123456")]
    [InlineData("0.0001", "0.0001")]
    [InlineData("0.00001", "1e-05")]
    [InlineData("0.1", "0.1")]
    [InlineData(".inf", ".inf")]
    [InlineData("-.inf", "-.inf")]
    [InlineData("2001-12-14", "2001-12-14")]
    public void Keys_are_resolved_then_named_as_sigs_k8s_io_yaml_names_them(string yaml, string name) =>
        Assert.Equal(name, Assert.Single(YamlJson.LoadSingle(yaml + ": x")).Key);

    [Theory]
    [InlineData("~: x")]
    [InlineData("null: x")]
    [InlineData("18446744073709551615: x")] // uint64: convertToJSONableObject has no case for it
    [InlineData("[a, b]: x")]
    [InlineData("{a: b}: x")]
    public void Null_unsigned_and_collection_keys_are_errors(string yaml) =>
        Assert.Contains("unsupported map key", Assert.Throws<FormatException>(() => YamlJson.LoadSingle(yaml)).Message, StringComparison.Ordinal);

    [Fact]
    public void A_repeated_key_is_an_error_naming_it_and_its_line()
    {
        var e = Assert.Throws<FormatException>(() => YamlJson.LoadSingle("a: 1\nb: 2\na: 3\n"));
        Assert.Contains("\"a\" already defined", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", e.Message, StringComparison.Ordinal);
        // Different spellings that become the same JSON name collide too.
        Assert.Throws<FormatException>(() => YamlJson.LoadSingle("on: 1\n\"true\": 2\n"));
    }

    [Fact]
    public void A_stream_is_every_document_and_empty_documents_are_skipped_by_LoadAll()
    {
        const string yaml = "---\na: 1\n---\n# only a comment\n---\nb: yes\n...\n---\nc: [1, '2']\n";
        var documents = YamlJson.Documents(yaml);
        Assert.Equal(4, documents.Count);
        Assert.Null(documents[1]);
        var objects = YamlJson.LoadAll(yaml);
        Assert.Equal(["""{"a":1}""", """{"b":true}""", """{"c":[1,"2"]}"""], objects.Select(o => o.ToJsonString()));
        Assert.Empty(YamlJson.LoadAll(""));
        Assert.Empty(YamlJson.LoadAll("# nothing\n"));
    }

    [Fact]
    public void A_document_that_is_no_mapping_is_an_error_for_LoadAll_and_LoadSingle_wants_exactly_one()
    {
        Assert.Contains("document 1 is not a mapping", Assert.Throws<FormatException>(() => YamlJson.LoadAll("a: 1\n---\n- x\n")).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => YamlJson.LoadSingle("a: 1\n---\nb: 2\n"));
        Assert.Throws<FormatException>(() => YamlJson.LoadSingle(""));
        Assert.Equal(["\"x\""], YamlJson.Documents("x").Select(d => d!.ToJsonString()));
    }

    [Fact]
    public void Invalid_yaml_is_a_format_exception_with_its_position()
    {
        var e = Assert.Throws<FormatException>(() => YamlJson.LoadAll("a: 1\nb: [1, 2\n"));
        Assert.Matches(@"line \d+, column \d+", e.Message);
    }

    [Fact]
    public void Json_is_yaml_and_reads_back_as_itself()
    {
        const string json = """{"a":[1,"x",true,null,1.5,{"b":{}}],"c":"yes","d":-3}""";
        Assert.Equal(json, YamlJson.LoadSingle(json).ToJsonString());
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_expand_as_go_yaml_v2_decodes_them()
    {
        const string yaml = """
            base: &base {image: app, replicas: 1, pull: IfNotPresent}
            extra: &extra {replicas: 5, debug: on}
            copy: *base
            merged:
              <<: *base
              replicas: 3
            mergedLate:
              replicas: 3
              <<: *base
            several:
              <<: [*extra, *base]
            """;
        var o = YamlJson.LoadSingle(yaml);
        Assert.Equal(o["base"]!.ToJsonString(), o["copy"]!.ToJsonString());
        Assert.Equal("""{"image":"app","replicas":3,"pull":"IfNotPresent"}""", o["merged"]!.ToJsonString());
        // go-yaml v2 sets merged keys where the merge key stands: a later merge overrides an earlier explicit key.
        Assert.Equal(1, (int)o["mergedLate"]!["replicas"]!);
        // Of a list of merged mappings, the earlier ones win.
        Assert.Equal(5, (int)o["several"]!["replicas"]!);
        Assert.True((bool)o["several"]!["debug"]!);
        Assert.Equal("app", (string?)o["several"]!["image"]);
        Assert.Throws<FormatException>(() => YamlJson.LoadSingle("a: *nowhere\n"));
        Assert.Throws<FormatException>(() => YamlJson.LoadSingle("a:\n  <<: [1, 2]\n"));
    }

    [Fact]
    public void A_manifest_reads_as_kubectl_sends_it()
    {
        const string yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: app
              labels: {tier: backend, "enabled": "true"}
              annotations:
                note: >-
                  folded
                  text
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                  - name: app
                    image: quay.io/org/app:1.0
                    args: [--verbose=on, --level, "3"]
                    ports:
                    - containerPort: 8443
                    env:
                    - name: DEBUG
                      value: "yes"
                    - name: EMPTY
                      value:
                    resources:
                      limits: {cpu: 0.5, memory: 64Mi}
            """;
        var expected = """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"app","labels":{"tier":"backend","enabled":"true"},
            "annotations":{"note":"folded text"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"app",
            "image":"quay.io/org/app:1.0","args":["--verbose=on","--level","3"],"ports":[{"containerPort":8443}],
            "env":[{"name":"DEBUG","value":"yes"},{"name":"EMPTY","value":null}],"resources":{"limits":{"cpu":0.5,"memory":"64Mi"}}}]}}}}
            """.ReplaceLineEndings("");
        Assert.Equal(expected, YamlJson.LoadSingle(yaml).ToJsonString());
    }

    [Fact]
    public void Values_are_independent_of_the_anchor_they_came_from()
    {
        var o = YamlJson.LoadSingle("a: &x {k: 1}\nb: *x\n");
        o["b"]!["k"] = 2;
        Assert.Equal(1, (int)o["a"]!["k"]!);
        Assert.IsType<JsonObject>(o["b"]);
    }
}
