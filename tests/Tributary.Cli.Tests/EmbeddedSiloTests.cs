namespace Tributary.Cli.Tests;

public sealed class EmbeddedSiloTests
{
    [Fact]
    public void FreePort_ManyCalls_NeverTheSamePortTwice()
    {
        var ports = Enumerable.Range(0, 300).Select(_ => EmbeddedSilo.FreePort()).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1, 65535));
    }
}
