using QuayIntegration.Runtime;

namespace QuayIntegration.Runtime.Tests.Unit;

/// <summary>An identifier held as a Guid where it can be reads back exactly as it was given, whatever it is.</summary>
public sealed class CompactUuidTests
{
    [Theory]
    [InlineData("6f1c2a4e-8b3d-4c5e-9a7f-0123456789ab", true)] // Quay's and Kubernetes' form
    [InlineData("6F1C2A4E-8B3D-4C5E-9A7F-0123456789AB", false)]
    [InlineData("{6f1c2a4e-8b3d-4c5e-9a7f-0123456789ab}", false)]
    [InlineData("6f1c2a4e8b3d4c5e9a7f0123456789ab", false)]
    [InlineData("00000000-0000-0000-0000-000000000000", false)]
    [InlineData("u-1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Reads_back_what_it_was_given(string? value, bool compact)
    {
        var id = CompactUuid.Of(value);
        Assert.Equal(value, id.Value);
        Assert.Equal(compact, id.IsCompact);
    }

    [Fact]
    public void The_default_holds_no_value() => Assert.Null(default(CompactUuid).Value);
}
