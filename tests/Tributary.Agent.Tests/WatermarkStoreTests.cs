using Tributary.Agent.Files;

namespace Tributary.Agent.Tests;

public sealed class WatermarkStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tributary-watermarks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Write_ThenRead_RoundTripsAndLeavesNoTemporaryFile()
    {
        var store = new WatermarkStore(_dir);
        var watermark = new Watermark { Device = 7, Inode = 42, Offset = 1234, HeadLength = 256, HeadHash = 99, ModifiedNanos = 5, Path = "/x", Finished = [new FinishedFile(7, 41, 256, 98)] };
        store.Write("k8s/ns/pod/uid/c/0.log", watermark);
        store.Write("k8s/ns/pod/uid/c/0.log", watermark with { Offset = 2000 });
        var read = store.Read("k8s/ns/pod/uid/c/0.log")!;
        Assert.Equal(2000, read.Offset);
        Assert.Equal(new FileId(7, 42), read.Id);
        Assert.Equal(41ul, Assert.Single(read.Finished).Inode);
        Assert.Single(Directory.GetFiles(Path.Combine(_dir, "watermarks")));
    }

    [Fact]
    public void Read_NoWatermark_ReturnsNull() => Assert.Null(new WatermarkStore(_dir).Read("absent"));

    [Fact]
    public void Read_CorruptFile_ThrowsNamingTheFile()
    {
        var store = new WatermarkStore(_dir);
        File.WriteAllText(store.PathOf("app"), "{ not json");
        var ex = Assert.Throws<InvalidDataException>(() => store.Read("app"));
        Assert.Contains(store.PathOf("app"), ex.Message, StringComparison.Ordinal);
    }
}
