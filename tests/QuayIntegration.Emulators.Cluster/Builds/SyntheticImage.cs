using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Builds;

/// <summary>A content-addressed blob: its bytes, <c>sha256:&lt;hex&gt;</c> digest and media type.</summary>
public sealed record Blob(byte[] Content, string MediaType)
{
    public string Digest { get; } = DigestOf(Content);

    public static string DigestOf(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));
}

/// <summary>
/// What a build "produces": a real, well-formed single-layer image (Docker manifest v2 schema 2), small enough to push
/// in milliseconds. The layer is a gzipped tar holding a file that names the build, so each build's image has its
/// own digest, as every real rebuild does.
/// </summary>
public sealed class SyntheticImage
{
    public const string ManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";
    public const string ConfigMediaType = "application/vnd.docker.container.image.v1+json";
    public const string LayerMediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    private SyntheticImage(Blob config, Blob layer, byte[] manifest)
    {
        Config = config;
        Layer = layer;
        Manifest = manifest;
        Digest = Blob.DigestOf(manifest);
    }

    public Blob Config { get; }
    public Blob Layer { get; }
    public byte[] Manifest { get; }
    /// <summary>The manifest digest: the image's identity in the registry and in <c>status.output.to.imageDigest</c>.</summary>
    public string Digest { get; }

    public static SyntheticImage ForBuild(string buildNamespace, string buildName, string? buildUid, DateTimeOffset created)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var content = Encoding.UTF8.GetBytes($"build {buildNamespace}/{buildName} uid {buildUid} at {created:O}\n");
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "opt/app-root/src/build-info.txt")
            {
                DataStream = new MemoryStream(content),
                ModificationTime = created,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            };
            writer.WriteEntry(entry);
        }
        var uncompressed = tar.ToArray();
        var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(uncompressed);
        }
        var layer = new Blob(gzipped.ToArray(), LayerMediaType);

        var config = new Blob(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["created"] = JsonNodes.KubernetesTime(created),
            ["config"] = new JsonObject
            {
                ["Labels"] = new JsonObject
                {
                    ["io.openshift.build.name"] = buildName,
                    ["io.openshift.build.namespace"] = buildNamespace,
                },
            },
            ["rootfs"] = new JsonObject
            {
                ["type"] = "layers",
                ["diff_ids"] = new JsonArray(Blob.DigestOf(uncompressed)),
            },
        }.ToJsonString()), ConfigMediaType);

        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestMediaType,
            ["config"] = Descriptor(config),
            ["layers"] = new JsonArray(Descriptor(layer)),
        }.ToJsonString());
        return new SyntheticImage(config, layer, manifest);
    }

    private static JsonObject Descriptor(Blob blob) => new()
    {
        ["mediaType"] = blob.MediaType,
        ["size"] = blob.Content.Length,
        ["digest"] = blob.Digest,
    };
}
