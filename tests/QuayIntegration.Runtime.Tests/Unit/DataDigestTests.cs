using System.Text;

namespace QuayIntegration.Runtime.Tests.Unit;

public class DataDigestTests
{
    private static Dictionary<string, byte[]> Data(params (string Key, string Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => Encoding.UTF8.GetBytes(e.Value));

    [Fact]
    public void The_same_content_has_the_same_digest_whatever_the_order_of_its_keys()
    {
        Assert.Equal(DataDigest.OfData(Data(("a", "1"), ("b", "2"))), DataDigest.OfData(Data(("b", "2"), ("a", "1"))));
        Assert.Equal(DataDigest.OfData(null), DataDigest.OfData(Data()));
    }

    [Fact]
    public void Any_other_content_has_another_digest()
    {
        var digest = DataDigest.OfData(Data(("a", "1"), ("b", "2")));
        Assert.NotEqual(digest, DataDigest.OfData(Data(("a", "1"))));
        Assert.NotEqual(digest, DataDigest.OfData(Data(("a", "1"), ("b", "2"), ("c", ""))));
        Assert.NotEqual(digest, DataDigest.OfData(Data(("a", "1"), ("b", "3"))));
        Assert.NotEqual(digest, DataDigest.OfData(Data(("a", "1"), ("c", "2"))));
        // A byte moved across the boundary between a value and the next key, or between a key and its value.
        Assert.NotEqual(digest, DataDigest.OfData(Data(("a", "1b"), ("", "2"))));
        Assert.NotEqual(DataDigest.OfData(Data(("ab", "c"))), DataDigest.OfData(Data(("a", "bc"))));
        Assert.NotEqual(DataDigest.OfData(null), DataDigest.OfData(Data(("", ""))));
    }
}
