using Tributary.Storage;
using Tributary.Storage.Archive;
using Tributary.TestKit;

namespace Tributary.Unified.Tests;

public sealed class UnifiedSourceTests : IDisposable
{
    private const long Start = 1_764_583_200_000; // 2025-12-01T10:00:00Z
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "unified-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ReadAsync_SixteenPartitionsOnS3_EveryOffsetOnceInOrderArchiveThenLive()
    {
        var topic = UnifiedTopic.Produce(partitions: 16, count: 4000, Start);
        using var store = await S3rver.CreateStoreAsync();
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw);
        var random = new Random(12);
        var cuts = Enumerable.Range(0, 16).ToDictionary(p => p, p => (long)random.Next(0, topic.Of(p).Count() + 1));
        cuts[3] = 0; // nothing archived: live from the start
        cuts[5] = topic.Of(5).Count(); // everything archived: no live record
        await topic.ArchiveAsync(store, options, p => cuts[p]);

        var source = new UnifiedSource(store, topic.Options(options));
        var read = await UnifiedTopic.ReadAllAsync(source);

        for (var p = 0; p < 16; p++)
        {
            var mine = read.Where(r => r.Partition == p).ToList();
            Assert.Equal(topic.Of(p).Select(r => r.Offset), mine.Select(r => r.Offset));
            Assert.All(mine, r => Assert.Equal(r.Offset < cuts[p] ? UnifiedPhase.Archive : UnifiedPhase.Live, r.Phase));
        }

        Assert.Equal(cuts.Values.Sum(), source.ArchiveRecords);
        Assert.Equal(topic.Records.Count - cuts.Values.Sum(), source.LiveRecords);
        AssertSameAsKafka(topic, read);
    }

    [Fact]
    public async Task ReadAsync_OldestOffsetsGoneFromKafka_TheArchiveFillsThemAndKafkaTheRest()
    {
        // librdkafka's mock cluster keeps about 5 MB per partition and drops the oldest records past it (it has no
        // DeleteRecords): 10 KB values push the log start of each partition past 0.
        var topic = UnifiedTopic.Produce(partitions: 2, count: 1600, Start, padding: 10_000);
        var logStart = LogStarts(topic);
        Assert.All(logStart.Values, low => Assert.True(low > 0, "the mock cluster kept every record"));
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, maxFileRecords: 100);
        var cuts = logStart.ToDictionary(kv => kv.Key, kv => kv.Value + 25);
        await topic.ArchiveAsync(store, options, p => cuts[p]);

        var source = new UnifiedSource(store, topic.Options(options));
        var read = await UnifiedTopic.ReadAllAsync(source);

        for (var p = 0; p < 2; p++)
        {
            var mine = read.Where(r => r.Partition == p).ToList();
            Assert.Equal(topic.Of(p).Select(r => r.Offset), mine.Select(r => r.Offset));
            Assert.All(mine, r => Assert.Equal(r.Offset < cuts[p] ? UnifiedPhase.Archive : UnifiedPhase.Live, r.Phase));
        }

        AssertSameAsKafka(topic, read);
    }

    [Fact]
    public async Task ReadAsync_ArchiveBehindKafkaLogStart_FailsPastTheDeadlineNamingPartitionAndRange()
    {
        var topic = UnifiedTopic.Produce(partitions: 1, count: 800, Start, padding: 10_000);
        var low = LogStarts(topic)[0];
        Assert.True(low > 100, "the mock cluster kept the oldest records");
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, maxFileRecords: 50);
        await topic.ArchiveAsync(store, options, _ => 100);
        var sourceOptions = topic.Options(options);
        sourceOptions.CatchUpDeadline = TimeSpan.Zero;
        var read = new List<UnifiedRecord>();

        var ex = await Assert.ThrowsAsync<UnifiedSourceGapException>(async () =>
        {
            await foreach (var r in new UnifiedSource(store, sourceOptions).ReadAsync(TestContext.Current.CancellationToken))
            {
                read.Add(r);
            }
        });

        Assert.Equal(0, ex.Partition);
        Assert.Equal(100, ex.FirstMissing);
        Assert.Equal(low - 1, ex.LastMissing);
        Assert.Contains($"{topic.Topic}[0]: offsets 100..{low - 1} are in neither the archive nor Kafka", ex.Message);
        Assert.Equal(Enumerable.Range(0, 100).Select(o => (long)o), read.Select(r => r.Offset));
    }

    [Fact]
    public async Task ReadAsync_ArchiveCatchesUpWhileWaiting_ContinuesWithoutGap()
    {
        var topic = UnifiedTopic.Produce(partitions: 1, count: 800, Start, padding: 10_000);
        var low = LogStarts(topic)[0];
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, maxFileRecords: 50);
        await topic.ArchiveAsync(store, options, _ => 100);
        var read = new List<UnifiedRecord>();
        var caughtUp = false;
        await foreach (var r in new UnifiedSource(store, topic.Options(options)).ReadAsync(TestContext.Current.CancellationToken))
        {
            read.Add(r);
            if (r.Offset == 99 && !caughtUp)
            {
                // the archiver uploads the rest of the history while the reader waits at offset 100
                caughtUp = true;
                await topic.ArchiveAsync(new LocalDirectoryObjectStore(_dir), options, _ => low + 10, skip: p => p.Offset < 100);
            }
        }

        Assert.Equal(topic.Of(0).Select(r => r.Offset), read.Select(r => r.Offset));
        Assert.All(read, r => Assert.Equal(r.Offset < low + 10 ? UnifiedPhase.Archive : UnifiedPhase.Live, r.Phase));
    }

    [Fact]
    public async Task ReadAsync_LateEventsMakeFilesOverlap_MergedInOffsetOrder()
    {
        var topic = UnifiedTopic.Produce(partitions: 2, count: 600, Start, lateEvery: 3);
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, maxFileRecords: 30);
        var files = await topic.ArchiveAsync(store, options, p => long.MaxValue);
        var p0 = files.Where(f => f.Partition == 0).OrderBy(f => f.FirstOffset).ToList();
        Assert.Contains(p0.Zip(p0.Skip(1)), pair => pair.Second.FirstOffset <= pair.First.LastOffset); // precondition: overlap
        Assert.True(files.Select(f => f.OutputPartition).Distinct().Count() > 1);

        var source = new UnifiedSource(store, topic.Options(options));
        var read = await UnifiedTopic.ReadAllAsync(source);

        for (var p = 0; p < 2; p++)
        {
            Assert.Equal(topic.Of(p).Select(r => r.Offset), read.Where(r => r.Partition == p).Select(r => r.Offset));
        }

        Assert.Equal(topic.Records.Count, source.ArchiveRecords);
        Assert.Equal(0, source.LiveRecords);
        AssertSameAsKafka(topic, read);
    }

    [Theory]
    [InlineData(ArchiveFormat.Raw)]
    [InlineData(ArchiveFormat.Parquet)]
    public async Task ReadAsync_ArchivedAndLive_SameRecordShape(ArchiveFormat format)
    {
        var topic = UnifiedTopic.Produce(partitions: 2, count: 400, Start, badEvery: 11);
        using var archived = await S3rver.CreateStoreAsync();
        var options = UnifiedTopic.ArchiveOptions(format);
        await topic.ArchiveAsync(archived, options, _ => long.MaxValue);
        var empty = new LocalDirectoryObjectStore(_dir);

        var fromArchive = Sorted(await UnifiedTopic.ReadAllAsync(new UnifiedSource(archived, topic.Options(options))));
        var fromKafka = Sorted(await UnifiedTopic.ReadAllAsync(new UnifiedSource(empty, topic.Options(options))));

        Assert.All(fromArchive, r => Assert.Equal(UnifiedPhase.Archive, r.Phase));
        Assert.All(fromKafka, r => Assert.Equal(UnifiedPhase.Live, r.Phase));
        Assert.Equal(fromKafka.Count, fromArchive.Count);
        Assert.Contains(fromArchive, r => r.IsDeadLetter);
        for (var i = 0; i < fromKafka.Count; i++)
        {
            AssertSameRecord(fromKafka[i], fromArchive[i]);
        }

        if (format == ArchiveFormat.Parquet)
        {
            var row = fromArchive.First(r => !r.IsDeadLetter);
            Assert.IsType<long>(row.Fields!["i"]);
            Assert.IsType<DateTime>(row.Fields!["ts"]);
            Assert.Null(row.Value);
        }
    }

    [Fact]
    public async Task ReadAsync_FromOffsets_StartsExactlyThere()
    {
        var topic = UnifiedTopic.Produce(partitions: 2, count: 500, Start);
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw);
        await topic.ArchiveAsync(store, options, _ => 120);
        var sourceOptions = topic.Options(options);
        sourceOptions.Start = UnifiedStart.FromOffsets(new Dictionary<int, long> { [0] = 57, [1] = 190 });

        var read = await UnifiedTopic.ReadAllAsync(new UnifiedSource(store, sourceOptions));

        Assert.Equal(topic.Of(0).Where(r => r.Offset >= 57).Select(r => r.Offset), read.Where(r => r.Partition == 0).Select(r => r.Offset));
        Assert.Equal(topic.Of(1).Where(r => r.Offset >= 190).Select(r => r.Offset), read.Where(r => r.Partition == 1).Select(r => r.Offset));
        Assert.All(read.Where(r => r.Partition == 1), r => Assert.Equal(UnifiedPhase.Live, r.Phase));
    }

    [Theory]
    [InlineData(false, 60)]   // inside the archive
    [InlineData(false, 220)]  // past the archive: Kafka's offsets for times
    [InlineData(true, 60)]
    [InlineData(true, 220)]
    [InlineData(false, 100_000)] // after every record: starts at the end
    public async Task ReadAsync_FromTime_EqualsBruteForceScan(bool byEventTime, int second)
    {
        var topic = UnifiedTopic.Produce(partitions: 2, count: 500, Start, lateEvery: 5, lateBy: TimeSpan.FromSeconds(90));
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw);
        await topic.ArchiveAsync(store, options, p => 80);
        var sourceOptions = topic.Options(options);
        var time = DateTimeOffset.FromUnixTimeMilliseconds(Start + (second * 1000L) + 500);
        sourceOptions.Start = UnifiedStart.FromTime(time, byEventTime);

        var read = await UnifiedTopic.ReadAllAsync(new UnifiedSource(store, sourceOptions));

        var parser = new EventTimeParser(options.EventTime);
        for (var p = 0; p < 2; p++)
        {
            var log = topic.Of(p).ToList();
            var first = log.FindIndex(r =>
            {
                if (!byEventTime)
                {
                    return r.TimestampMs >= time.ToUnixTimeMilliseconds();
                }

                return parser.TryParse(new ArchiveRecord(r.Offset, r.TimestampMs, r.Key, r.Value, r.Headers), out var et, out _) && et >= time.ToUnixTimeMilliseconds();
            });
            var expected = first < 0 ? [] : log.Skip(first).Select(r => r.Offset).ToList();
            Assert.Equal(expected, read.Where(r => r.Partition == p).Select(r => r.Offset).ToList());
        }
    }

    [Fact]
    public async Task ReadAsync_ResumeFromSavedPositions_EqualsUninterruptedRead()
    {
        var topic = UnifiedTopic.Produce(partitions: 4, count: 1200, Start);
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw);
        await topic.ArchiveAsync(store, options, p => 60 + (p * 40));
        var whole = Sorted(await UnifiedTopic.ReadAllAsync(new UnifiedSource(store, topic.Options(options))));
        var random = new Random(5);

        foreach (var stop in new[] { 1, random.Next(2, 600), random.Next(600, 1199) })
        {
            var first = await UnifiedTopic.ReadAllAsync(new UnifiedSource(store, topic.Options(options)), stopAfter: stop);
            var positions = first.GroupBy(r => r.Partition).Select(g => g.Last().NextPosition).ToList();
            var resumed = topic.Options(options);
            resumed.Start = UnifiedStart.FromOffsets(Enumerable.Range(0, 4).ToDictionary(p => p, p => positions.FirstOrDefault(x => x.Partition == p)?.NextOffset ?? 0L));
            var rest = await UnifiedTopic.ReadAllAsync(new UnifiedSource(store, resumed));

            Assert.Equal(whole.Select(Id), Sorted([.. first, .. rest]).Select(Id));
        }
    }

    [Fact]
    public async Task ReadAsync_HolesBelowTheArchiversCommittedOffset_ArePassedOver()
    {
        // offsets the archive never had (as transaction markers or compaction leave them) but below what the archiver
        // committed: not a gap, even though Kafka's log start is past them
        var topic = UnifiedTopic.Produce(partitions: 1, count: 800, Start, padding: 10_000);
        var low = LogStarts(topic)[0];
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, maxFileRecords: 50);
        var holes = new HashSet<long> { 10, 11, 12, 99 };
        await topic.ArchiveAsync(store, options, _ => low + 5, skip: r => holes.Contains(r.Offset));
        var group = "archive-" + Guid.NewGuid().ToString("N");
        topic.CommitArchiveGroup(group, new Dictionary<int, long> { [0] = low + 5 });
        var sourceOptions = topic.Options(options);
        sourceOptions.ArchiveConsumerGroup = group;
        sourceOptions.CatchUpDeadline = TimeSpan.Zero;

        var read = await UnifiedTopic.ReadAllAsync(new UnifiedSource(store, sourceOptions));

        Assert.Equal(topic.Of(0).Select(r => r.Offset).Where(o => !holes.Contains(o)), read.Select(r => r.Offset));
    }

    [Fact]
    public async Task ReadAsync_FileListedButMissing_FailsNamingTheObjectAfterTheOffsetsBeforeIt()
    {
        var topic = UnifiedTopic.Produce(partitions: 1, count: 300, Start, lateEvery: 1_000_000, badEvery: 1_000_000);
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, maxFileRecords: 50);
        var files = await topic.ArchiveAsync(store, options, _ => 300);
        var lost = files.OrderBy(f => f.FirstOffset).ElementAt(2);
        await store.DeleteAsync(lost.Key, TestContext.Current.CancellationToken);
        var read = new List<UnifiedRecord>();

        var ex = await Assert.ThrowsAsync<FileNotFoundException>(async () =>
        {
            await foreach (var r in new UnifiedSource(store, topic.Options(options)).ReadAsync(TestContext.Current.CancellationToken))
            {
                read.Add(r);
            }
        });

        Assert.Contains(lost.Key, ex.Message);
        Assert.Equal(Enumerable.Range(0, (int)lost.FirstOffset).Select(o => (long)o), read.Select(r => r.Offset));
    }

    [Fact]
    public async Task ReadAsync_CorruptFile_FailsNamingTheObject()
    {
        var topic = UnifiedTopic.Produce(partitions: 1, count: 200, Start, lateEvery: 1_000_000, badEvery: 1_000_000);
        var store = new LocalDirectoryObjectStore(_dir);
        var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, maxFileRecords: 50);
        var files = await topic.ArchiveAsync(store, options, _ => 200);
        var bad = files.OrderBy(f => f.FirstOffset).ElementAt(1);
        await store.PutAsync(bad.Key, "PAR1 this is not parquet PAR1"u8.ToArray(), TestContext.Current.CancellationToken);
        var read = new List<UnifiedRecord>();

        var ex = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var r in new UnifiedSource(store, topic.Options(options)).ReadAsync(TestContext.Current.CancellationToken))
            {
                read.Add(r);
            }
        });

        Assert.Contains(bad.Key, ex.Message);
        Assert.All(read, r => Assert.True(r.Offset < bad.FirstOffset));
    }

    [Fact]
    public async Task ReadAsync_UnknownTopic_FailsNamingTheOption()
    {
        var options = new UnifiedSourceOptions
        {
            Topic = "no-such-topic-" + Guid.NewGuid().ToString("N"),
            Kafka = new() { BootstrapServers = KafkaTestCluster.BootstrapServers },
            Archive = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw),
        };

        var ex = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in new UnifiedSource(new LocalDirectoryObjectStore(_dir), options).ReadAsync(TestContext.Current.CancellationToken))
            {
            }
        });

        Assert.Contains("UnifiedSourceOptions.Topic", ex.Message);
        Assert.Contains(options.Topic, ex.Message);
    }

    [Fact]
    public void Constructor_BadOptions_NamesEachOption()
    {
        var options = new UnifiedSourceOptions
        {
            Topic = " ",
            Archive = new ArchiveOptions { Format = ArchiveFormat.Parquet },
            Partitions = [1, 1, -2],
            Start = UnifiedStart.FromOffsets(new Dictionary<int, long> { [0] = -5 }),
            PrefetchFiles = 100,
        };

        var ex = Assert.Throws<ArgumentException>(() => new UnifiedSource(new LocalDirectoryObjectStore(_dir), options));

        Assert.Contains("UnifiedSourceOptions.Topic", ex.Message);
        Assert.Contains("UnifiedSourceOptions.Kafka.BootstrapServers", ex.Message);
        Assert.Contains("UnifiedSourceOptions.Archive:Fields", ex.Message);
        Assert.Contains("UnifiedSourceOptions.Partitions[2]", ex.Message);
        Assert.Contains("UnifiedSourceOptions.Partitions lists a partition twice", ex.Message);
        Assert.Contains("Start offset of partition 0", ex.Message);
        Assert.Contains("UnifiedSourceOptions.PrefetchFiles", ex.Message);
    }

    private static Dictionary<int, long> LogStarts(UnifiedTopic topic)
    {
        using var consumer = new Confluent.Kafka.ConsumerBuilder<byte[], byte[]>(new Confluent.Kafka.ConsumerConfig { BootstrapServers = KafkaTestCluster.BootstrapServers, GroupId = "watermarks" }).Build();
        return Enumerable.Range(0, topic.Partitions).ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition(topic.Topic, p), TimeSpan.FromSeconds(10)).Low.Value);
    }

    private static List<UnifiedRecord> Sorted(IEnumerable<UnifiedRecord> records)
        => [.. records.OrderBy(r => r.Partition).ThenBy(r => r.Offset)];

    private static (int, long) Id(UnifiedRecord r) => (r.Partition, r.Offset);

    /// <summary>Raw-format records carry exactly what Kafka acknowledged.</summary>
    private static void AssertSameAsKafka(UnifiedTopic topic, List<UnifiedRecord> read)
    {
        var truth = topic.Records.ToDictionary(r => (r.Partition, r.Offset));
        foreach (var r in read)
        {
            var k = truth[(r.Partition, r.Offset)];
            Assert.Equal(k.TimestampMs, r.TimestampMs);
            Assert.Equal(k.Key, r.Key);
            Assert.Equal(k.Value, r.Value);
            if (!r.IsDeadLetter)
            {
                Assert.Equal(k.Headers?.Select(h => (h.Key, Convert.ToHexString(h.Value!))), r.Headers?.Select(h => (h.Key, Convert.ToHexString(h.Value!))));
            }
        }
    }

    private static void AssertSameRecord(UnifiedRecord live, UnifiedRecord archived)
    {
        Assert.Equal((live.Partition, live.Offset, live.TimestampMs, live.EventTimeMs, live.DeadLetterReason), (archived.Partition, archived.Offset, archived.TimestampMs, archived.EventTimeMs, archived.DeadLetterReason));
        Assert.Equal(live.Key, archived.Key);
        Assert.Equal(live.Value, archived.Value);
        Assert.Equal(live.Headers?.Select(h => (h.Key, Convert.ToHexString(h.Value ?? []))), archived.Headers?.Select(h => (h.Key, Convert.ToHexString(h.Value ?? []))));
        Assert.Equal(live.Fields?.OrderBy(f => f.Key, StringComparer.Ordinal), archived.Fields?.OrderBy(f => f.Key, StringComparer.Ordinal));
    }
}
