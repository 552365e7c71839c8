using System.Text;
using Tributary.TestKit;

namespace Tributary.Storage.Tests;

/// <summary>
/// The contract every <see cref="IObjectStore"/> keeps. Each backend's test class inherits it and only
/// says how to create a fresh, empty store.
/// </summary>
public abstract class ObjectStoreConformanceTests
{
    /// <summary>A new, empty store.</summary>
    protected abstract Task<IObjectStore> CreateStoreAsync();

    /// <summary>
    /// Whether concurrent PUTs of one key leave one whole version. S3 guarantees it; s3rver (the test stand-in)
    /// does not, so its run checks only that a later PUT repairs whatever the race left.
    /// </summary>
    protected virtual bool AtomicUnderConcurrentPuts => true;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PutAsync_NewKey_ReadsBackSameBytes()
    {
        var store = await CreateStoreAsync();
        await store.PutAsync("a/b/c.txt", Encoding.UTF8.GetBytes("hello"), Ct);
        Assert.Equal("hello", await ReadStringAsync(store, "a/b/c.txt"));
    }

    [Fact]
    public async Task PutAsync_ExistingKey_Overwrites()
    {
        var store = await CreateStoreAsync();
        await store.PutAsync("k", Encoding.UTF8.GetBytes("first version"), Ct);
        await store.PutAsync("k", Encoding.UTF8.GetBytes("second"), Ct);
        Assert.Equal("second", await ReadStringAsync(store, "k"));
        Assert.Equal(6, (await store.GetInfoAsync("k", Ct))!.Size);
    }

    [Fact]
    public async Task PutAsync_StreamFromItsPosition_WritesTheRest()
    {
        var store = await CreateStoreAsync();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("skip-keep"));
        stream.Position = 5;
        await store.PutAsync("s", stream, Ct);
        Assert.Equal("keep", await ReadStringAsync(store, "s"));
    }

    [Fact]
    public async Task PutAsync_LargeObject_RoundTripsByteForByte()
    {
        var store = await CreateStoreAsync();
        var data = new byte[(12 << 20) + 12345];
        new Random(3).NextBytes(data);
        using (var stream = new MemoryStream(data))
        {
            await store.PutAsync("big/blob.bin", stream, Ct);
        }

        await using var read = await store.OpenReadAsync("big/blob.bin", Ct);
        using var copy = new MemoryStream();
        await read!.CopyToAsync(copy, Ct);
        Assert.Equal(data.Length, copy.Length);
        Assert.True(data.AsSpan().SequenceEqual(copy.ToArray()), "the large object differs from what was written");
    }

    [Fact]
    public async Task PutAsync_NonSeekableStream_RoundTrips()
    {
        var store = await CreateStoreAsync();
        var data = Encoding.UTF8.GetBytes(new string('x', 100_000));
        await using var pipe = new NonSeekableStream(new MemoryStream(data));
        await store.PutAsync("ns", pipe, Ct);
        Assert.Equal(data.Length, (await store.GetInfoAsync("ns", Ct))!.Size);
    }

    [Fact]
    public async Task OpenReadAsync_MissingKey_ReturnsNull()
    {
        var store = await CreateStoreAsync();
        Assert.Null(await store.OpenReadAsync("nothing/here", Ct));
    }

    [Fact]
    public async Task GetInfoAsync_MissingKey_ReturnsNull()
    {
        var store = await CreateStoreAsync();
        Assert.Null(await store.GetInfoAsync("nothing", Ct));
    }

    [Fact]
    public async Task ListAsync_Prefix_ReturnsMatchingKeysInOrdinalOrder()
    {
        var store = await CreateStoreAsync();
        string[] keys = ["t/dt=2026-11-22/hr=10/1-2.parquet", "t/dt=2026-11-22/hr=09/0-1.parquet", "t/dt=2026-11-22/hr=10/0-5.parquet", "u/x", "t2/y"];
        foreach (var key in keys)
        {
            await store.PutAsync(key, Encoding.UTF8.GetBytes(key), Ct);
        }

        var listed = new List<ObjectInfo>();
        await foreach (var o in store.ListAsync("t/", Ct))
        {
            listed.Add(o);
        }

        Assert.Equal(
            ["t/dt=2026-11-22/hr=09/0-1.parquet", "t/dt=2026-11-22/hr=10/0-5.parquet", "t/dt=2026-11-22/hr=10/1-2.parquet"],
            listed.Select(o => o.Key));
        Assert.All(listed, o => Assert.Equal(Encoding.UTF8.GetByteCount(o.Key), o.Size));
    }

    [Fact]
    public async Task ListAsync_PartialSegmentPrefix_MatchesByString()
    {
        var store = await CreateStoreAsync();
        await store.PutAsync("topic/dt=2026-11-22/a", new byte[] { 1 }, Ct);
        await store.PutAsync("topic/dt=2026-11-23/b", new byte[] { 2 }, Ct);
        var listed = new List<string>();
        await foreach (var o in store.ListAsync("topic/dt=2026-11-2", Ct))
        {
            listed.Add(o.Key);
        }

        Assert.Equal(["topic/dt=2026-11-22/a", "topic/dt=2026-11-23/b"], listed);
    }

    [Fact]
    public async Task ListAsync_ManyObjects_ReturnsAllOfThem()
    {
        var store = await CreateStoreAsync();
        await Parallel.ForAsync(0, 1100, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct },
            async (i, ct) => await store.PutAsync($"many/{i:D5}", new byte[] { (byte)i }, ct));
        var count = 0;
        string? last = null;
        await foreach (var o in store.ListAsync("many/", Ct))
        {
            Assert.True(last is null || string.CompareOrdinal(last, o.Key) < 0, $"{o.Key} listed after {last}");
            last = o.Key;
            count++;
        }

        Assert.Equal(1100, count);
    }

    [Fact]
    public async Task DeleteAsync_ExistingAndMissingKeys_RemovesWithoutError()
    {
        var store = await CreateStoreAsync();
        await store.PutAsync("d/1", new byte[] { 1 }, Ct);
        await store.DeleteAsync("d/1", Ct);
        await store.DeleteAsync("d/never", Ct);
        Assert.Null(await store.GetInfoAsync("d/1", Ct));
    }

    [Fact]
    public async Task DeleteAsync_KeyUnderPrefixesThatHoldNothing_IsNotAnError()
    {
        // retention deletes every object a segment might have written, also those of a segment that never sealed
        var store = await CreateStoreAsync();
        await store.DeleteAsync("never/written/here/segment.tseg", Ct);
        Assert.Null(await store.GetInfoAsync("never/written/here/segment.tseg", Ct));
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("a\\b")]
    public async Task PutAsync_IllegalKey_ThrowsNamingTheKey(string key)
    {
        var store = await CreateStoreAsync();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(key, new byte[] { 1 }, Ct));
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutAsync_ConcurrentWritersOfOneKey_LeaveOneWholeVersion()
    {
        var store = await CreateStoreAsync();
        var versions = Enumerable.Range(0, 6).Select(i => Enumerable.Repeat((byte)('a' + i), 200_000 + i).ToArray()).ToArray();
        await Task.WhenAll(versions.Select(v => store.PutAsync("race", v, Ct)));
        if (!AtomicUnderConcurrentPuts)
        {
            await store.PutAsync("race", versions[^1], Ct);
        }

        await using var read = await store.OpenReadAsync("race", Ct);
        using var copy = new MemoryStream();
        await read!.CopyToAsync(copy, Ct);
        var bytes = copy.ToArray();
        Assert.Contains(versions, v => v.AsSpan().SequenceEqual(bytes));
    }

    private static async Task<string?> ReadStringAsync(IObjectStore store, string key)
    {
        await using var stream = await store.OpenReadAsync(key, Ct);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(Ct);
    }

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>The conformance suite against <see cref="LocalDirectoryObjectStore"/>.</summary>
public sealed class LocalDirectoryObjectStoreTests : ObjectStoreConformanceTests
{
    /// <inheritdoc />
    protected override Task<IObjectStore> CreateStoreAsync()
        => Task.FromResult<IObjectStore>(new LocalDirectoryObjectStore(Directory.CreateTempSubdirectory("tributary-store-").FullName));
}

/// <summary>The conformance suite against <see cref="S3ObjectStore"/> on s3rver (with a key prefix, as deployments use).</summary>
public sealed class S3ObjectStoreTests : ObjectStoreConformanceTests
{
    /// <inheritdoc />
    protected override async Task<IObjectStore> CreateStoreAsync() => await S3rver.CreateStoreAsync(prefix: "archive");

    /// <inheritdoc />
    protected override bool AtomicUnderConcurrentPuts => false;
}
