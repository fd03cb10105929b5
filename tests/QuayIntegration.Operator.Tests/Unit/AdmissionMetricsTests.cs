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

    [Fact]
    public void Unknown_outcomes_fold_into_other()
    {
        var before = AdmissionMetrics.Requests.WithLabels("other", "other").Value;
        AdmissionMetrics.Record("made-up", "made-up-outcome");
        Assert.Equal(before + 1, AdmissionMetrics.Requests.WithLabels("other", "other").Value);
        Assert.DoesNotContain(AdmissionMetrics.Requests.GetAllLabelValues(), labels => labels.Contains("made-up") || labels.Contains("made-up-outcome"));
    }
}
