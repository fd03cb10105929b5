using QuayIntegration.Operator.Webhook;

namespace QuayIntegration.Operator.Tests.Unit;

public class AdmissionMetricsTests
{
    [Theory]
    [InlineData("CREATE", "CREATE")]
    [InlineData("UPDATE", "UPDATE")]
    [InlineData("DELETE", "DELETE")]
    [InlineData("CONNECT", "CONNECT")]
    [InlineData("create", "other")]
    [InlineData("PATCH", "other")]
    [InlineData("", "other")]
    [InlineData(null, "other")]
    public void Operation_label_is_one_of_five(string? operation, string label) => Assert.Equal(label, AdmissionMetrics.OperationLabel(operation));

    /// <summary>
    /// Each count lands on its own (operation, outcome) series, however the series are looked up. Combinations the
    /// webhook never records, since the registry is the process's and other tests run beside this one.
    /// </summary>
    [Theory]
    [InlineData("DELETE", AdmissionOutcome.TooLarge)]
    [InlineData("CONNECT", AdmissionOutcome.Error)]
    [InlineData("UPDATE", AdmissionOutcome.IntegrationDeleting)]
    public void A_count_lands_on_the_series_of_its_operation_and_outcome(string operation, string outcome)
    {
        var before = AdmissionMetrics.Requests.WithLabels(operation, outcome).Value;
        AdmissionMetrics.Record(operation, outcome);
        AdmissionMetrics.Record(operation, outcome);
        Assert.Equal(before + 2, AdmissionMetrics.Requests.WithLabels(operation, outcome).Value);
    }

    [Fact]
    public void Unknown_outcomes_fold_into_other()
    {
        var before = AdmissionMetrics.Requests.WithLabels("other", "other").Value;
        AdmissionMetrics.Record("made-up", "made-up-outcome");
        Assert.Equal(before + 1, AdmissionMetrics.Requests.WithLabels("other", "other").Value);
        Assert.DoesNotContain(AdmissionMetrics.Requests.GetAllLabelValues(), labels => labels.Contains("made-up") || labels.Contains("made-up-outcome"));
    }
}
