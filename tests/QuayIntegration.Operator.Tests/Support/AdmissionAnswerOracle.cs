using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayIntegration.Emulators.Kubernetes.Patch;

namespace QuayIntegration.Operator.Tests.Support;

/// <summary>
/// What every answer of the webhook must be, checked independently of the operator's code: the Docker reference
/// grammar is written out again here (from distribution/reference), and patches are applied with the emulated API
/// server's RFC 6902 implementation. Returns the first violation, or null.
/// </summary>
public static partial class AdmissionAnswerOracle
{
    [GeneratedRegex(
        @"^(?<repo>(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?" +
        @"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+):(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$", RegexOptions.CultureInvariant)]
    private static partial Regex TaggedDockerReference();

    /// <summary>The denial the reviewer gives when the policy throws: a bug, which the fuzz test must report.</summary>
    private const string InternalErrorDenial = "the Quay integration webhook failed on this request";

    public static bool IsValidTaggedDockerReference(string reference) =>
        TaggedDockerReference().Match(reference) is { Success: true } m && m.Groups["repo"].Length <= 255;

    /// <param name="request">the request as sent; <paramref name="status"/> and <paramref name="body"/> the answer.</param>
    public static string? Violation(byte[] request, int status, string body)
    {
        if (status >= 500) return $"HTTP {status}";
        if (status != 200)
        {
            if (status is < 400 or > 499) return $"HTTP {status}";
            if (!body.StartsWith("invalid AdmissionReview: ", StringComparison.Ordinal)) return "4xx without the one-line prefix: " + body;
            if (body.Contains('\n') || body.Length > 400) return "4xx answer is not one short line";
            if (body.Contains("Exception") || body.Contains("   at ")) return "4xx answer shows exception text: " + body;
            return null;
        }

        JsonObject review, sent;
        try
        {
            review = JsonNode.Parse(body)!.AsObject();
            sent = JsonNode.Parse(request)!.AsObject();
        }
        catch (Exception e)
        {
            return "200 whose answer or request is not a JSON object: " + e.GetType().Name;
        }
        if (review["apiVersion"]?.GetValue<string>() != "admission.k8s.io/v1" || review["kind"]?.GetValue<string>() != "AdmissionReview")
            return "200 that is not an admission.k8s.io/v1 AdmissionReview";
        if (review["response"] is not JsonObject response) return "200 without response";
        if (response["uid"]?.GetValue<string>() != sent["request"]!["uid"]!.GetValue<string>()) return "uid not echoed";
        if (response["allowed"] is not JsonValue allowed || allowed.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
            return "allowed is not a boolean";
        if (response["warnings"] is JsonArray warnings && warnings.Any(w => w!.GetValue<string>() is var text && (text.Contains('\n') || text.Length > 512)))
            return "a warning is not one short line";
        if (!allowed.GetValue<bool>() && response["status"]?["message"]?.GetValue<string>() is { } denial && denial.StartsWith(InternalErrorDenial, StringComparison.Ordinal))
            return "an exception inside the policy (turned into the generic denial)";
        if (!allowed.GetValue<bool>())
            return response["status"]?["code"]?.GetValue<int>() >= 400 && response["status"]?["message"]?.GetValue<string>() is { Length: > 0 } message && !message.Contains("Exception")
                ? null : "denial without a code ≥ 400 and a plain message";
        if (response["patch"] is null) return response["patchType"] is null ? null : "patchType without patch";
        return PatchViolation(response, sent["request"]!["object"] as JsonObject);
    }

    private const string ImportedAnnotation = "quay-registry-operator.quay.redhat.com/destination-imagestreamtag-imported";

    private static string? PatchViolation(JsonObject response, JsonObject? original)
    {
        if (response["patchType"]?.GetValue<string>() != "JSONPatch") return "patch without patchType JSONPatch";
        if (original is null) return "a patch for a request without object";
        JsonNode patched;
        try
        {
            var operations = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>())))!.AsArray();
            patched = JsonPatch.Apply(original, operations);
        }
        catch (Exception e)
        {
            return "the patch does not apply: " + e.Message;
        }
        if (patched["metadata"]?["annotations"] is JsonObject annotations && annotations.ContainsKey(ImportedAnnotation))
            return "the imported mark survives a CREATE";
        // A Build whose output is left alone may still lose the imported mark, and nothing else.
        if (JsonNode.DeepEquals(patched["spec"], original["spec"]) && JsonNode.DeepEquals(patched["metadata"]?["labels"], original["metadata"]?["labels"]))
        {
            var before = (original["metadata"]?["annotations"] as JsonObject)?.DeepClone() as JsonObject;
            before?.Remove(ImportedAnnotation);
            return JsonNode.DeepEquals(before, patched["metadata"]?["annotations"]) ? null : "an untouched output with annotations changed beyond the imported mark";
        }
        var to = patched["spec"]?["output"]?["to"] as JsonObject;
        if (to?["kind"]?.GetValue<string>() != "DockerImage") return "patched output is not a DockerImage";
        if (to.ContainsKey("namespace")) return "patched DockerImage output keeps a namespace";
        if (to["name"]?.GetValue<string>() is not { } name || !IsValidTaggedDockerReference(name)) return "patched output is not a valid tagged Docker reference: " + to["name"];
        if (patched["metadata"]?["annotations"]?["quay-registry-operator.quay.redhat.com/destination-imagestream"] is null) return "no destination annotation";
        if (patched["metadata"]?["labels"]?["quay.redhat.com/managed-build"]?.GetValue<string>() != "true") return "no managed-build label";
        return null;
    }
}
