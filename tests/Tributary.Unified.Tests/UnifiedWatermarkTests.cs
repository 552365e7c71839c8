using System.Text;
using System.Threading.Channels;
using Confluent.Kafka;
using Microsoft.Extensions.Time.Testing;
using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.TestKit;

namespace Tributary.Unified.Tests;

/// <summary>Watermarks, alignment and file announcements of <see cref="UnifiedSource"/>, against the mock cluster and a local store.</summary>
public sealed class UnifiedWatermarkTests : IDisposable
{
    private const long Start = 1_764_583_200_000; // 2025-12-01T10:00:00Z
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "unified-watermark-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public async Task ReadAsync_ArchiveThenLive_EachPartitionsWatermarkIsItsLargestYieldedEventTimeMinusTheBound()
    {
        var topic = UnifiedTopic.Produce(partitions: 2, count: 300, Start, lateEvery: 5, badEvery: 17);
        var store = new LocalDirectoryObjectStore(_dir);
        var archive = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw);
        await topic.ArchiveAsync(store, archive, p => topic.Of(p).Count() / 2);
        var options = topic.Options(archive);
        options.Watermarks.OutOfOrderness = TimeSpan.FromSeconds(10);
        var source = new UnifiedSource(store, options);
        var max = new Dictionary<int, long>();
        var phases = new HashSet<UnifiedPhase>();

        await foreach (var r in source.ReadAsync(TestContext.Current.CancellationToken))
        {
            phases.Add(r.Phase);
            if (r.EventTimeMs is { } t)
            {
                max[r.Partition] = Math.Max(max.GetValueOrDefault(r.Partition, long.MinValue), t);
            }

            var mark = source.Watermarks.Single(w => w.Partition == r.Partition);
            Assert.Equal(max.TryGetValue(r.Partition, out var m) ? m - 10_000 : null, mark.WatermarkMs);
            if (max.Count == 2 && source.Watermarks.All(w => !w.Finished))
            {
                Assert.Equal(max.Values.Min() - 10_000, source.WatermarkMs);
            }
        }

        Assert.Equal([UnifiedPhase.Archive, UnifiedPhase.Live], phases.Order());
        Assert.Contains(topic.Records, r => Encoding.UTF8.GetString(r.Value).StartsWith("not json", StringComparison.Ordinal)); // dead letters included
        Assert.All(source.Watermarks, w => Assert.True(w.Finished));
        Assert.Null(source.WatermarkMs);
    }

    [Fact]
    public async Task ReadAsync_AheadOfTheJobsMinimum_PausesUntilTheMinimumCatchesUp()
    {
        var topic = UnifiedTopic.Produce(partitions: 1, count: 60, Start, lateEvery: 1000, badEvery: 1000);
        var store = new LocalDirectoryObjectStore(_dir);
        var archive = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw);
        await topic.ArchiveAsync(store, archive, _ => 30);
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Start));
        var options = topic.Options(archive);
        options.TimeProvider = time;
        options.Alignment = new AlignmentOptions
        {
            ReaderId = "history-0",
            MaxDrift = TimeSpan.FromSeconds(10),
            ReportInterval = TimeSpan.FromMinutes(1),
            MinChange = TimeSpan.FromHours(1), // only the first report and the ones a look ahead triggers
        };
        var job = new ScriptedAlignment { Minimum = Start };
        var source = new UnifiedSource(store, options, job);
        var ct = TestContext.Current.CancellationToken;
        var reader = source.ReadAsync(ct).GetAsyncEnumerator(ct);
        try
        {
            // event times are Start + offset seconds: offsets 0..11 reach 11 s past the minimum, one more than the drift
            for (var offset = 0; offset <= 11; offset++)
            {
                Assert.True(await reader.MoveNextAsync());
                Assert.Equal(offset, reader.Current.Offset);
            }

            var next = reader.MoveNextAsync().AsTask();
            Assert.Equal(Start, await job.Reports.ReadAsync(ct)); // the first report, after offset 0
            Assert.Equal(Start + 11_000, await job.Reports.ReadAsync(ct));
            await Eventually.HoldsAsync(() => Task.FromResult(source.IsAlignmentPaused), p => p, TimeSpan.FromSeconds(30), "the reader paused");
            Assert.False(next.IsCompleted);

            // an interval later it reports again, and stays paused while the minimum has not moved
            time.Advance(options.Alignment.ReportInterval);
            Assert.Equal(Start + 11_000, await job.Reports.ReadAsync(ct));
            Assert.False(next.IsCompleted);
            Assert.True(source.IsAlignmentPaused);

            // the job's minimum catches up to within the drift: released at the next report
            job.Minimum = Start + 5_000;
            time.Advance(options.Alignment.ReportInterval);
            Assert.True(await next);
            Assert.Equal(12, reader.Current.Offset);
            Assert.False(source.IsAlignmentPaused);
        }
        finally
        {
            await reader.DisposeAsync();
        }

        Assert.Equal(["history-0"], job.Left);
    }

    [Fact]
    public async Task ReadAsync_WithAlignment_ReportsCoalescedNotPerRecord()
    {
        var topic = UnifiedTopic.Produce(partitions: 2, count: 400, Start, lateEvery: 9, badEvery: 31);
        var store = new LocalDirectoryObjectStore(_dir);
        var archive = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw);
        await topic.ArchiveAsync(store, archive, p => topic.Of(p).Count() / 3);
        var options = topic.Options(archive);
        options.TimeProvider = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Start)); // never advanced: no interval report
        options.Alignment = new AlignmentOptions { ReaderId = "r", MaxDrift = TimeSpan.FromDays(1), MinChange = TimeSpan.FromSeconds(40) };
        var job = new ScriptedAlignment { Minimum = Start };
        var source = new UnifiedSource(store, options, job);

        var read = await UnifiedTopic.ReadAllAsync(source);

        Assert.Equal(400, read.Count);
        // event times span 400 s: a report per 40 s of movement, the first, the one when both partitions had an event
        // time, and the one when the partitions finished
        Assert.InRange(source.AlignmentReports, 3, 400 / 40 + 3);
        Assert.Equal(0, source.AlignmentFailures);
    }

    [Fact]
    public void Constructor_AlignmentWithoutReaderIdOrBadWatermarkOptions_NamesEachOption()
    {
        var options = new UnifiedSourceOptions
        {
            Topic = "t",
            Kafka = new() { BootstrapServers = "localhost:9092" },
            Archive = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw),
            Watermarks = new() { OutOfOrderness = TimeSpan.FromSeconds(-1), IdleTimeout = TimeSpan.Zero },
            Alignment = new() { MaxDrift = TimeSpan.FromSeconds(-1), ReportInterval = TimeSpan.Zero },
            NotificationTopic = " ",
        };

        var ex = Assert.Throws<ArgumentException>(() => new UnifiedSource(new LocalDirectoryObjectStore(_dir), options, new LocalWatermarkAlignment()));

        Assert.Contains("UnifiedSourceOptions.Alignment.ReaderId", ex.Message);
        Assert.Contains("UnifiedSourceOptions.Watermarks.OutOfOrderness", ex.Message);
        Assert.Contains("UnifiedSourceOptions.Watermarks.IdleTimeout", ex.Message);
        Assert.Contains("UnifiedSourceOptions.Alignment.MaxDrift", ex.Message);
        Assert.Contains("UnifiedSourceOptions.Alignment.ReportInterval", ex.Message);
        Assert.Contains("UnifiedSourceOptions.NotificationTopic", ex.Message);
    }

    [Fact]
    public async Task ReadAsync_WaitingForTheArchive_LearnsOfNewFilesFromTheNotificationTopic()
    {
        var topic = UnifiedTopic.Produce(partitions: 1, count: 800, Start, padding: 10_000);
        var low = LogStart(topic);
        Assert.True(low > 110, "the mock cluster kept the oldest records");
        var notifications = KafkaTestCluster.CreateTopic("archive-files", 2);
        var store = new CountingStore(new LocalDirectoryObjectStore(_dir));
        var archive = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, maxFileRecords: 50);
        await topic.ArchiveAsync(store, archive, _ => 100);
        var options = topic.Options(archive);
        options.NotificationTopic = notifications;
        options.ManifestPollInterval = TimeSpan.FromHours(1); // the fallback listing never comes within the test
        var source = new UnifiedSource(store, options);
        var read = new List<UnifiedRecord>();
        var listingsBefore = -1;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMinutes(2));

        await foreach (var r in source.ReadAsync(cts.Token))
        {
            read.Add(r);
            if (r.Offset == 99)
            {
                // the archiver uploads the rest of the history and announces each file, after noise on the topic
                listingsBefore = store.Listings;
                var files = await topic.ArchiveAsync(store, archive, _ => low + 10, skip: p => p.Offset < 100);
                using var producer = KafkaTestCluster.CreateProducer();
                await producer.ProduceAsync(notifications, new Message<byte[], byte[]> { Key = [], Value = Encoding.UTF8.GetBytes("not a file entry") }, cts.Token);
                await producer.ProduceAsync(notifications, new Message<byte[], byte[]> { Key = [], Value = (files[0] with { Topic = "other-topic" }).ToJson() }, cts.Token);
                foreach (var file in files.Concat(files.Take(1))) // at-least-once: one announcement twice
                {
                    await producer.ProduceAsync(notifications, new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes(file.Topic), Value = file.ToJson() }, cts.Token);
                }
            }
        }

        Assert.Equal(topic.Of(0).Select(r => r.Offset), read.Select(r => r.Offset));
        Assert.All(read, r => Assert.Equal(r.Offset < low + 10 ? UnifiedPhase.Archive : UnifiedPhase.Live, r.Phase));
        Assert.True(source.AnnouncedFiles > 0);
        Assert.Equal(listingsBefore, store.Listings); // learned from the announcements, not by listing the manifest again
    }

    [Fact]
    public async Task ReadAsync_UnknownNotificationTopic_FailsNamingTheOption()
    {
        var topic = UnifiedTopic.Produce(partitions: 1, count: 10, Start);
        var options = topic.Options(UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw));
        options.NotificationTopic = "no-such-topic-" + Guid.NewGuid().ToString("N");

        var ex = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in new UnifiedSource(new LocalDirectoryObjectStore(_dir), options).ReadAsync(TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Contains("UnifiedSourceOptions.NotificationTopic", ex.Message);
        Assert.Contains(options.NotificationTopic, ex.Message);
    }

    private static long LogStart(UnifiedTopic topic)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = KafkaTestCluster.BootstrapServers, GroupId = "watermarks" }).Build();
        return consumer.QueryWatermarkOffsets(new TopicPartition(topic.Topic, 0), TimeSpan.FromSeconds(10)).Low.Value;
    }

    /// <summary>A job's alignment whose global minimum the test sets; every report is queued for the test to read.</summary>
    private sealed class ScriptedAlignment : IWatermarkAlignment
    {
        private readonly Channel<long?> _reports = Channel.CreateUnbounded<long?>();
        private long _minimum;

        public long Minimum
        {
            get => Interlocked.Read(ref _minimum);
            set => Interlocked.Exchange(ref _minimum, value);
        }

        public ChannelReader<long?> Reports => _reports.Reader;

        public List<string> Left { get; } = [];

        public ValueTask<long?> ReportAsync(string readerId, long? watermarkMs, CancellationToken cancellationToken = default)
        {
            _reports.Writer.TryWrite(watermarkMs);
            return ValueTask.FromResult<long?>(Minimum);
        }

        public ValueTask LeaveAsync(string readerId, CancellationToken cancellationToken = default)
        {
            lock (Left)
            {
                Left.Add(readerId);
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Counts manifest listings.</summary>
    private sealed class CountingStore(IObjectStore inner) : IObjectStore
    {
        private int _listings;

        public int Listings => Volatile.Read(ref _listings);

        public string Location => inner.Location;

        public Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, cancellationToken);

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) => inner.PutAsync(key, content, cancellationToken);

        public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default) => inner.OpenReadAsync(key, cancellationToken);

        public Task<ObjectInfo?> GetInfoAsync(string key, CancellationToken cancellationToken = default) => inner.GetInfoAsync(key, cancellationToken);

        public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _listings);
            return inner.ListAsync(prefix, cancellationToken);
        }

        public Task DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);
    }
}
