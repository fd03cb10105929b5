using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;

namespace QuayIntegration.Runtime.Kube;

/// <summary>
/// The JSON options of every object that goes to or comes from the API server: KubernetesJson's converters (dates,
/// durations), naming and null handling, with type metadata from source-generated contexts only.
/// </summary>
/// <remarks>
/// KubernetesJson falls back to reflection for any type its own context does not know, which works under the JIT and
/// breaks under Native AOT for a generic instantiation the compiler never saw, at run time, on first use. Here there
/// is no fallback: a type no context describes fails in every build, so the test suite, which runs on the JIT, proves
/// that the metadata of every type the operator sends or reads exists. This library describes the models it uses
/// itself (<see cref="RuntimeJsonContext"/>); a program adds contexts for its own types and the other Kubernetes models
/// it uses (<see cref="AddTypeInfoResolver"/>) before it sends or reads them.
/// </remarks>
public static class KubernetesSerializerOptions
{
    private static readonly AddedResolvers Added = new();

    public static JsonSerializerOptions Value { get; } = Create();

    /// <summary>
    /// Adds the metadata of a program's own types (its custom resources, the OpenShift kinds it uses). Types already
    /// looked up before it was added stay unknown, so a program adds its contexts at start, before any of their types
    /// is serialized.
    /// </summary>
    public static void AddTypeInfoResolver(IJsonTypeInfoResolver resolver) => Added.Add(resolver);

    /// <summary>The metadata of <typeparamref name="T"/>; throws <see cref="NotSupportedException"/> when no context describes it.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Value.GetTypeInfo(typeof(T));

    /// <summary>An object as the API server would receive it (its runtime type), as UTF-8 JSON.</summary>
    public static byte[] ToUtf8(object value) => JsonSerializer.SerializeToUtf8Bytes(value, Value.GetTypeInfo(value.GetType()));

    /// <summary>An object as the API server would receive it (its runtime type), as a JSON node to put into a patch.</summary>
    public static JsonNode? ToNode(object value) => JsonSerializer.SerializeToNode(value, Value.GetTypeInfo(value.GetType()));

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, TypeInfo<T>());

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize(json, TypeInfo<T>()) ?? throw new JsonException($"null where a {typeof(T).Name} was expected");

    /// <summary>One JSON value cut out of a larger body (a list item, a watch event's object), as it lies in the buffer.</summary>
    public static T? Deserialize<T>(ReadOnlySequence<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return JsonSerializer.Deserialize(ref reader, TypeInfo<T>());
    }

    /// <remarks>
    /// Built here rather than taken from KubernetesJson: KubernetesJson's options resolve through KubernetesClient's
    /// context of all its 1,199 models, whose first lookup walks a chain of type comparisons that loads every one of
    /// them (about 30 ms and 6 MB at start), and whose mere reference keeps every model in a trimmed or Native AOT
    /// build. The settings are the same: camelCase, nulls left out, KubernetesJson's converters of dates and
    /// durations; types come from the contexts that name the models actually sent or read.
    /// </remarks>
    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters =
            {
                new KubernetesJson.Iso8601TimeSpanConverter(),
                new KubernetesJson.KubernetesDateTimeConverter(),
                new KubernetesJson.KubernetesDateTimeOffsetConverter(),
            },
            TypeInfoResolver = JsonTypeInfoResolver.Combine(RuntimeJsonContext.Default, Added).WithAddedModifier(WithoutManagedFields),
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// <c>metadata.managedFields</c> is neither read nor written. It is server-side apply's bookkeeping: on a real
    /// cluster often larger than the rest of the object, and every entry's <c>fieldsV1</c> became a JsonElement with its
    /// own copy of the bytes, only for the cache transform to drop it. Out of the contract, the reader skips it in
    /// place. Nothing is lost on the way back: the API server keeps the stored managedFields of an update that carries
    /// none.
    /// </summary>
    private static void WithoutManagedFields(JsonTypeInfo info)
    {
        if (info.Type != typeof(V1ObjectMeta)) return;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
            if (info.Properties[i].Name == ManagedFieldsProperty) info.Properties.RemoveAt(i);
    }

    private const string ManagedFieldsProperty = "managedFields";

    /// <summary>The contexts added so far; looked up in the order added, after KubernetesClient's and this library's.</summary>
    private sealed class AddedResolvers : IJsonTypeInfoResolver
    {
        private readonly Lock _gate = new();
        private volatile IJsonTypeInfoResolver[] _resolvers = [];

        public void Add(IJsonTypeInfoResolver resolver)
        {
            lock (_gate)
                if (!_resolvers.Contains(resolver)) _resolvers = [.. _resolvers, resolver];
        }

        public JsonTypeInfo? GetTypeInfo(Type type, JsonSerializerOptions options)
        {
            foreach (var resolver in _resolvers)
                if (resolver.GetTypeInfo(type, options) is { } info) return info;
            return null;
        }
    }
}

/// <summary>The types this library itself reads or writes: the Kubernetes models of errors, lists and leader election, and its own.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(V1Status))]
[JsonSerializable(typeof(V1ListMeta))]
[JsonSerializable(typeof(V1Lease))]
[JsonSerializable(typeof(WatchEventReader.ObjectWithMetadata))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;
