using System.Net;
using System.Net.Sockets;

namespace Tributary.TestKit.Tests;

public sealed class FreePortTests
{
    [Fact]
    public void Next_ManyCalls_NeverTheSamePortTwice()
    {
        var ports = Enumerable.Range(0, 300).Select(_ => FreePort.Next()).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1, 65535));
    }

    [Fact]
    public async Task Next_ConcurrentCalls_NeverTheSamePortTwice()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 50).Select(_ => FreePort.Next()).ToList())));
        var ports = batches.SelectMany(b => b).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void Next_Port_CanBeBoundOnLoopback()
    {
        var port = FreePort.Next();
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        Assert.Equal(port, ((IPEndPoint)listener.LocalEndpoint).Port);
    }

    [Fact]
    public void WasHandedOut_AfterNext_True()
    {
        var port = FreePort.Next();
        Assert.True(FreePort.WasHandedOut(port));
    }
}
