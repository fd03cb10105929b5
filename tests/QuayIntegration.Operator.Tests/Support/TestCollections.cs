namespace QuayIntegration.Operator.Tests.Support;

// Every test of these collections runs an emulated cluster, an emulated Quay and one or more operators in this process.
// The tests of a collection run one at a time; xunit runs as many collections side by side as the machine has cores
// (two in CI). The ownership tests spend most of their time waiting out graces and timeouts, so they run beside the
// rest rather than after it. Some tests observe what is process-wide: the operator's Prometheus metrics (prometheus-net's
// static registry; another test's operator would count into them), the threads requests and log lines run on. Those run
// alone, once the others are done.

/// <summary>The operator's end-to-end tests, but those of ownership.</summary>
[CollectionDefinition(Name)]
public sealed class OperatorCollection
{
    public const string Name = "operator";
}

/// <summary>The ownership tests (<c>OwnershipTests</c>, <c>OwnershipHistoryTests</c>): mostly waiting, on graces and timeouts.</summary>
[CollectionDefinition(Name)]
public sealed class OwnershipCollection
{
    public const string Name = "ownership";
}

/// <summary>The tests that observe process-wide state (metrics, threads): run alone, after every other collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "process-wide";
}
