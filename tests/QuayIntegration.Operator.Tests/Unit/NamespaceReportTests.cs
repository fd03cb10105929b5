using QuayIntegration.Operator.Api;
using QuayIntegration.Operator.Controllers;
using QuayIntegration.Operator.Controllers.Namespaces;

namespace QuayIntegration.Operator.Tests.Unit;

/// <summary>The kept list a failing reconcile writes: what it found, then what was listed before, counted once.</summary>
public sealed class NamespaceReportTests
{
    private static NamespaceWork Work(IEnumerable<string> kept)
    {
        var work = new NamespaceWork
        {
            Name = "team",
            Integrations = IntegrationSet.Unknown,
            Record = new OwnershipDraft("team", null),
            Markers = new OwnershipMarkers("cluster-uid"),
            Now = DateTimeOffset.UnixEpoch,
        };
        work.Kept.AddRange(kept);
        return work;
    }

    private static List<string> Repositories(int count) => [.. Enumerable.Range(1, count).Select(i => $"repository openshift_team/r{i:D2} (repositoryDeletionPolicy Keep)")];

    /// <summary>
    /// Review of ed7eadf (helper-117): failing retries that each found the kept entries behind the "… and N more" line
    /// again counted them on top of it, so the count grew by N at every retry (25, 30, 35, …).
    /// </summary>
    [Fact]
    public void Failing_retries_keep_the_count_of_what_is_kept_beyond_the_listed_ones()
    {
        var all = Repositories(25);
        var status = NamespaceReport.Build(null, Work(all), NamespacePhase.Synced, null, null);
        Assert.Equal(25, status.KeptCount);
        Assert.Equal("… and 5 more", status.Kept![^1]);

        for (var retry = 0; retry < 3; retry++)
        {
            status = NamespaceReport.Failing(status, Work(all), "Quay answered 503", null);
            Assert.Equal(25, status.KeptCount);
            Assert.Equal(21, status.Kept!.Count);
            Assert.Equal("… and 5 more", status.Kept[^1]);
        }
    }

    [Fact]
    public void A_failing_reconcile_lists_what_it_found_first_and_keeps_what_was_listed_before()
    {
        var before = NamespaceReport.Build(null, Work(Repositories(20)), NamespacePhase.Synced, null, null);
        const string found = "organization openshift_old on quay.example.com (former organization; removed with the namespace)";

        var status = NamespaceReport.Failing(before, Work([found]), "Quay answered 503", null);

        Assert.Equal(21, status.KeptCount);
        Assert.Equal(found, status.Kept![0]);
        Assert.Equal("… and 1 more", status.Kept[^1]);

        var nothingFound = NamespaceReport.Failing(before, Work([]), "Quay answered 503", null);
        Assert.Equal(20, nothingFound.KeptCount);
        Assert.Equal(before.Kept, nothingFound.Kept);
    }
}
