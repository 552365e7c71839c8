using Tributary.Grains.Segments;
using Tributary.Segments;
using Tributary.Segments.Tests;
using Tributary.Storage;

namespace Tributary.Grains.Tests;

/// <summary>Moved from Tributary.Segments.Tests (SegmentStoreTests) with the code: segments know no object store.</summary>
public sealed class SegmentObjectsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"segment-store-{Guid.NewGuid():N}");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task SealToAsync_ThenLoadAsync_AnswersLikeReference()
    {
        var store = new LocalDirectoryObjectStore(_root);
        var events = TestData.Events(40, 3000);
        using var open = SegmentReference.Build(TestData.Full(), events);
        using var sealedSegment = await SegmentObjects.SealToAsync(store, SegmentObjectKey.Sealed("segments", open.Id), open, TestContext.Current.CancellationToken);
        Assert.Equal("segments/full/2026-11-23T10/0/segment.tseg", SegmentObjectKey.Sealed("segments", open.Id));
        using var loaded = await SegmentObjects.LoadAsync(store, SegmentObjectKey.Sealed("segments", open.Id), TestContext.Current.CancellationToken);
        Assert.NotNull(loaded);
        SegmentReference.AssertMatches(loaded, events);
    }

    [Fact]
    public async Task LoadAsync_Missing_Null()
    {
        var store = new LocalDirectoryObjectStore(_root);
        Assert.Null(await SegmentObjects.LoadAsync(store, SegmentObjectKey.Sealed("segments", new SegmentId("full", TestData.HourStart, 9)), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task LoadAsync_CorruptObject_ErrorNamesKey()
    {
        var store = new LocalDirectoryObjectStore(_root);
        var id = new SegmentId("full", TestData.HourStart, 1);
        await store.PutAsync(SegmentObjectKey.Sealed("segments", id), new byte[100], TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => SegmentObjects.LoadAsync(store, SegmentObjectKey.Sealed("segments", id), TestContext.Current.CancellationToken));
        Assert.Contains("segments/full/2026-11-23T10/1/segment.tseg", error.Message, StringComparison.Ordinal);
    }
}
