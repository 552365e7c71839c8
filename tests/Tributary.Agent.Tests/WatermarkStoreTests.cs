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

    [Fact]
    public void Read_NewestSlotTorn_ReturnsThePreviousWatermark()
    {
        var store = new WatermarkStore(_dir);
        store.Write("app", new Watermark { Inode = 1, Offset = 100 });
        store.Write("app", new Watermark { Inode = 1, Offset = 200 });
        store.Close("app");

        // The second write went to slot 1 (after the 4 KiB header and the 16 KiB slot 0): tear its payload.
        using (var file = new FileStream(store.PathOf("app"), FileMode.Open, FileAccess.Write))
        {
            file.Position = 4096 + (16 * 1024) + 30;
            file.WriteByte(0xFF);
        }

        Assert.Equal(100, store.Read("app")!.Offset);

        // The next write replaces the torn slot, not the good one.
        store.Write("app", new Watermark { Inode = 1, Offset = 300 });
        Assert.Equal(300, new WatermarkStore(_dir).Read("app")!.Offset);
    }

    [Fact]
    public void Write_WatermarkLargerThanASlot_RebuildsTheFileWithLargerSlots()
    {
        var store = new WatermarkStore(_dir);
        store.Write("app", new Watermark { Offset = 1 });
        var large = new Watermark { Offset = 2, Finished = [.. Enumerable.Range(0, 1000).Select(i => new FinishedFile(1, (ulong)i, 256, (ulong)i))] };
        store.Write("app", large);
        store.Write("app", large with { Offset = 3 });
        var read = new WatermarkStore(_dir).Read("app")!;
        Assert.Equal(3, read.Offset);
        Assert.Equal(1000, read.Finished.Count);
    }

    [Fact]
    public void Read_OnlyAnOlderJsonWatermark_ReadsIt()
    {
        var store = new WatermarkStore(_dir);
        File.WriteAllText(Path.Combine(_dir, "watermarks", "app.json"), """{ "device": 7, "inode": 42, "offset": 1234, "headLength": 0, "headHash": 0, "finished": [] }""");
        var read = store.Read("app")!;
        Assert.Equal(1234, read.Offset);
        Assert.Equal(0, read.TailLength);
        Assert.Empty(read.Draining);
    }
}
