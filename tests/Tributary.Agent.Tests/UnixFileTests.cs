using Tributary.Agent.Files;

namespace Tributary.Agent.Tests;

public sealed class UnixFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tributary-statx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TryStat_RenamedFile_KeepsDeviceAndInode()
    {
        var a = Path.Combine(_dir, "a.log");
        File.WriteAllText(a, "hello\n");
        var before = UnixFile.TryStat(a)!.Value;
        File.Move(a, Path.Combine(_dir, "a.log.1"));
        var after = UnixFile.TryStat(Path.Combine(_dir, "a.log.1"))!.Value;
        Assert.Equal(before.Id, after.Id);
        Assert.Equal(6, after.Size);
        Assert.Null(UnixFile.TryStat(a));
    }

    [Fact]
    public void Stat_OpenHandle_EqualsStatOfThePathAndSeesGrowth()
    {
        var path = Path.Combine(_dir, "b.log");
        File.WriteAllText(path, "x");
        File.WriteAllText(Path.Combine(_dir, "c.log"), "y");
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Assert.Equal(UnixFile.TryStat(path)!.Value.Id, UnixFile.Stat(handle).Id);
        Assert.NotEqual(UnixFile.TryStat(Path.Combine(_dir, "c.log"))!.Value.Id, UnixFile.Stat(handle).Id);
        File.AppendAllText(path, "more");
        Assert.Equal(5, UnixFile.Stat(handle).Size);
    }
}
