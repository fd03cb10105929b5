using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using QuayIntegration.Emulators.Cluster.Infrastructure;

namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>
/// cluster-policy-controller's namespace-security-allocation controller: every namespace lacking
/// <c>openshift.io/sa.scc.uid-range</c> gets a UID block, the same supplemental-group block and an SELinux MCS label,
/// a short while after it was created (never at CREATE, so clients see them arrive as a MODIFIED event). The write
/// carries the resourceVersion it was computed from, so a concurrent change makes it retry rather than clobber.
/// </summary>
public sealed class NamespaceSecurityAllocationController(k8s.Kubernetes client, TimeSpan allocationDelay, ILogger logger) : IClusterController
{
    public const string UidRangeAnnotation = "openshift.io/sa.scc.uid-range";
    public const string SupplementalGroupsAnnotation = "openshift.io/sa.scc.supplemental-groups";
    public const string McsAnnotation = "openshift.io/sa.scc.mcs";

    // OpenShift's default allocation range: 1000000000-1999999999 in blocks of 10000.
    private const long FirstUid = 1_000_000_000;
    private const long BlockSize = 10_000;
    private const int BlockCount = 100_000;

    private readonly object _allocationGate = new();
    private readonly HashSet<int> _allocatedBlocks = [];
    private readonly ConcurrentDictionary<string, DateTimeOffset> _firstSeen = new();

    public string Name => "namespace-security-allocation";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var queue = new WorkQueue<string>(Name, logger);
        var watch = ListWatches.Namespaces(client).RunAsync((type, ns) =>
        {
            var name = ns.Metadata.Name;
            if (type == WatchEventType.Deleted)
            {
                _firstSeen.TryRemove(name, out _);
                return;
            }
            if (TryParseBlock((ns.Metadata.Annotations?.TryGetValue(UidRangeAnnotation, out var range) ?? false ? range : null)) is { } block)
            {
                lock (_allocationGate)
                {
                    _allocatedBlocks.Add(block);
                }
                return;
            }
            var firstSeen = _firstSeen.GetOrAdd(name, _ => DateTimeOffset.UtcNow);
            queue.EnqueueAfter(name, firstSeen + allocationDelay - DateTimeOffset.UtcNow, cancellationToken);
        }, logger, cancellationToken);
        await Task.WhenAll(watch, queue.RunAsync(ReconcileAsync, workers: 1, cancellationToken));
    }

    private async Task<ReconcileResult> ReconcileAsync(string name, CancellationToken cancellationToken)
    {
        if (_firstSeen.TryGetValue(name, out var firstSeen) && firstSeen + allocationDelay > DateTimeOffset.UtcNow)
        {
            return ReconcileResult.After(firstSeen + allocationDelay - DateTimeOffset.UtcNow);
        }
        V1Namespace ns;
        try
        {
            ns = await client.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return ReconcileResult.Done;
        }
        if (ns.Metadata.Annotations?.ContainsKey(UidRangeAnnotation) ?? false)
        {
            return ReconcileResult.Done;
        }

        var block = Allocate();
        var uidRange = $"{FirstUid + block * BlockSize}/{BlockSize}";
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = ns.Metadata.ResourceVersion,
                ["annotations"] = new JsonObject
                {
                    [UidRangeAnnotation] = uidRange,
                    [SupplementalGroupsAnnotation] = uidRange,
                    [McsAnnotation] = McsLabel(block),
                },
            },
        };
        try
        {
            await client.CoreV1.PatchNamespaceAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken);
            logger.LogDebug("{Controller}: namespace {Namespace} gets UID range {UidRange}", Name, name, uidRange);
            return ReconcileResult.Done;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            Release(block);
            // 409: the namespace changed since it was read; try again from a fresh read. 404: it is gone.
            return e.Response.StatusCode == HttpStatusCode.Conflict ? ReconcileResult.After(TimeSpan.Zero) : ReconcileResult.Done;
        }
        catch
        {
            Release(block);
            throw;
        }
    }

    private int Allocate()
    {
        lock (_allocationGate)
        {
            for (var block = 0; block < BlockCount; block++)
            {
                if (_allocatedBlocks.Add(block))
                {
                    return block;
                }
            }
        }
        throw new InvalidOperationException("the UID range is exhausted");
    }

    private void Release(int block)
    {
        lock (_allocationGate)
        {
            _allocatedBlocks.Remove(block);
        }
    }

    private static int? TryParseBlock(string? uidRange)
    {
        var start = uidRange?.Split('/')[0];
        return long.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) && uid >= FirstUid
            ? (int)((uid - FirstUid) / BlockSize)
            : null;
    }

    /// <summary>
    /// The MCS label of a block: the block's position in the sequence of two-category pairs (c1,c0), (c2,c0), (c2,c1),
    /// (c3,c0), …, written higher category first as OpenShift writes them (e.g. <c>s0:c26,c5</c>).
    /// </summary>
    public static string McsLabel(int block)
    {
        var high = 1;
        while (block >= high)
        {
            block -= high;
            high++;
        }
        return $"s0:c{high},c{block}";
    }
}
