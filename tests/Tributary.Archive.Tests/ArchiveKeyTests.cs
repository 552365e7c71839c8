namespace Tributary.Archive.Tests;

public sealed class ArchiveKeyTests
{
    [Theory]
    [InlineData("pins", "dt=2026-11-22/hr=10", 3)]
    [InlineData("a.b-c", "dt=2026-11-22", 0)]
    [InlineData("t", "dt=2026-11-22/hr=10/min=05", 15)]
    public void Parse_FormattedKey_RoundTrips(string topic, string outputPartition, int partition)
        => Assert.Equal((topic, outputPartition, partition), ArchiveKey.Parse(ArchiveKey.Format(topic, outputPartition, partition)));

    [Theory]
    [InlineData("pins")]
    [InlineData("pins/3")]
    [InlineData("pins/dt=2026-11-22/x")]
    [InlineData("/dt=2026-11-22/1")]
    public void Parse_MalformedKey_ThrowsNamingTheKey(string key)
    {
        var ex = Assert.Throws<FormatException>(() => ArchiveKey.Parse(key));
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }
}
