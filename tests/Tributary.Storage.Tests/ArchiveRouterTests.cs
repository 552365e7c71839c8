using System.Text;
using Tributary.Storage.Archive;

namespace Tributary.Storage.Tests;

public sealed class ArchiveRouterTests
{
    [Fact]
    public void Cut_RecordedAndGivenToAReplay_ReplayMakesTheSameCutsAtTheSameOffsets()
    {
        var records = ArchiveTestData.Records(300, malformedEvery: 0);
        var live = new ArchiveRouter("pins", 0, ArchiveTestData.Options());
        var liveActions = new List<ArchiveAction>();
        foreach (var r in records.Take(120))
        {
            live.Route(r, liveActions);
        }

        // An idle cut after offset 119, then more traffic and a cut at the end (traffic stopped).
        var first = live.Cut(liveActions);
        foreach (var r in records.Skip(120))
        {
            live.Route(r, liveActions);
        }

        var second = live.Cut(liveActions);
        Assert.Equal(120, first);
        Assert.Equal(300, second);
        Assert.Null(live.Cut(liveActions));
        Assert.Equal(300, live.Checkpoint);

        // A replay from the start that knows the recorded cuts seals the same files with the same rows.
        var replay = new ArchiveRouter("pins", 0, ArchiveTestData.Options(), nextOffset: 0, cuts: [first!.Value, second!.Value]);
        var replayActions = new List<ArchiveAction>();
        foreach (var r in records)
        {
            replay.Route(r, replayActions);
        }

        Assert.Equal(Describe(liveActions), Describe(replayActions));
        Assert.Equal(300, replay.Checkpoint);
        Assert.Empty(replay.Cuts);

        // Without them the replay would extend the cut files past the offsets they were uploaded with.
        var blind = new ArchiveRouter("pins", 0, ArchiveTestData.Options());
        var blindActions = new List<ArchiveAction>();
        foreach (var r in records)
        {
            blind.Route(r, blindActions);
        }

        Assert.NotEqual(Describe(liveActions), Describe(blindActions));

        static List<string> Describe(List<ArchiveAction> actions) => [.. actions.Select(a => $"{a.Kind} {a.OutputPartition} {a.FileFirstOffset} {a.Record?.Record.Offset}")];
    }

    [Fact]
    public void Router_CutsAtOrBelowItsStart_AreIgnored()
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options(), nextOffset: 50, cuts: [10, 50, 60]);
        Assert.Equal([60], router.Cuts);
    }

    [Fact]
    public void Route_EventTimes_ChooseHourlyOutputPartitionsInUtc()
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options());
        var actions = new List<ArchiveAction>();
        foreach (var r in ArchiveTestData.Records(700, malformedEvery: 0))
        {
            router.Route(r, actions);
        }

        var partitions = actions.Where(a => a.Kind == ArchiveActionKind.Append).Select(a => a.OutputPartition).Distinct().ToList();
        Assert.Equal(["dt=2026-11-22/hr=09", "dt=2026-11-22/hr=10"], partitions);
        Assert.Equal("dt=2026-11-22/hr=10", actions.Single(a => a.Record?.Record.Offset == 600).OutputPartition);
    }

    [Theory]
    [InlineData(ArchiveGranularity.Day, "dt=2026-11-22")]
    [InlineData(ArchiveGranularity.Minute, "dt=2026-11-22/hr=09/min=50")]
    public void Route_Granularity_ShapesThePath(ArchiveGranularity granularity, string expected)
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options(o => o.Granularity = granularity));
        var actions = new List<ArchiveAction>();
        router.Route(ArchiveTestData.Records(1)[0], actions);
        Assert.Equal(expected, actions[0].OutputPartition);
    }

    [Theory]
    [InlineData(ArchiveGranularity.Day)]
    [InlineData(ArchiveGranularity.Hour)]
    [InlineData(ArchiveGranularity.Minute)]
    public void Route_EventTimesJumpingBackAndForthAcrossBuckets_EachRecordInItsOwnOutputPartition(ArchiveGranularity granularity)
    {
        // Output partition names are cached per bucket: late records, bucket edges and times before 1970 must
        // still land where their own event time says.
        var options = ArchiveTestData.Options(o => (o.Granularity, o.EventTime.Source) = (granularity, EventTimeSource.KafkaTimestamp));
        var router = new ArchiveRouter("pins", 0, options);
        var actions = new List<ArchiveAction>();
        var times = new[]
        {
            new DateTimeOffset(2026, 11, 22, 9, 59, 59, 999, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 22, 23, 59, 59, 999, TimeSpan.Zero),
            new DateTimeOffset(1969, 12, 31, 23, 59, 59, 999, TimeSpan.Zero),
            new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 22, 9, 59, 0, TimeSpan.Zero),
        };
        for (var i = 0; i < times.Length; i++)
        {
            router.Route(new ArchiveRecord(i, times[i].ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes("{}"), null), actions);
        }

        var appended = actions.Where(a => a.Kind == ArchiveActionKind.Append).Select(a => a.OutputPartition).ToList();
        Assert.Equal(times.Select(t => HivePath.OutputPartition(t.ToUnixTimeMilliseconds(), granularity)), appended);
    }

    [Fact]
    public void Route_KafkaTimestampSource_IgnoresTheJson()
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options(o => o.EventTime.Source = EventTimeSource.KafkaTimestamp));
        var actions = new List<ArchiveAction>();
        var ts = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero).ToUnixTimeMilliseconds();
        router.Route(new ArchiveRecord(0, ts, null, Encoding.UTF8.GetBytes("garbage"), null), actions);
        Assert.Equal("dt=2020-01-02/hr=03", actions[0].OutputPartition);
        Assert.Null(actions[0].Record!.DeadLetterReason);
    }

    [Theory]
    [InlineData("unix_ms", "{\"t\":1700000000123}", 1700000000123)]
    [InlineData("unix_s", "{\"t\":\"1700000000\"}", 1700000000000)]
    [InlineData("yyyy-MM-dd HH:mm:ss", "{\"t\":\"2023-11-14 22:13:20\"}", 1700000000000)]
    [InlineData("iso8601", "{\"x\":{\"t\":1},\"t\":\"2023-11-14T23:13:20+01:00\"}", 1700000000000)]
    public void Route_EventTimeFormats_AreParsed(string format, string json, long expectedMs)
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options(o => o.EventTime = new EventTimeOptions { Field = "t", Format = format }));
        var actions = new List<ArchiveAction>();
        router.Route(new ArchiveRecord(0, 0, null, Encoding.UTF8.GetBytes(json), null), actions);
        Assert.Equal(expectedMs, actions[0].Record!.EventTimeMs);
        Assert.Null(actions[0].Record!.DeadLetterReason);
    }

    [Fact]
    public void Route_UnparseableEventTime_DeadLettersIntoTheKafkaTimestampsPartition()
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options());
        var actions = new List<ArchiveAction>();
        var ts = new DateTimeOffset(2026, 11, 22, 5, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        router.Route(new ArchiveRecord(9, ts, null, Encoding.UTF8.GetBytes("{\"ts\":\"yesterday 10:00\"}"), null), actions);
        Assert.Equal("dt=2026-11-22/hr=05", actions[0].OutputPartition);
        Assert.Equal("field 'ts' is not a iso8601 time", actions[0].Record!.DeadLetterReason);
    }

    [Fact]
    public void Route_MaxFileRecords_CutsAFileAndStartsTheNextAtTheFollowingOffset()
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options(o => o.MaxFileRecords = 100));
        var actions = new List<ArchiveAction>();
        foreach (var r in ArchiveTestData.Records(250, malformedEvery: 0))
        {
            router.Route(r, actions);
        }

        Assert.Equal([0L, 100L], actions.Where(a => a.Kind == ArchiveActionKind.Seal).Select(a => a.FileFirstOffset));
        Assert.Equal(200, router.Checkpoint);
        Assert.Equal(99, router.UploadedThrough["dt=2026-11-22/hr=09"] - 100);
    }

    [Fact]
    public void Route_MaxFileAge_CutsOnTheRecordsClockNotTheWallClock()
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options(o => { o.MaxFileAge = TimeSpan.FromSeconds(30); o.MaxFileRecords = 1_000_000; }));
        var actions = new List<ArchiveAction>();
        foreach (var r in ArchiveTestData.Records(100, malformedEvery: 0))
        {
            router.Route(r, actions);
        }

        Assert.Equal([0L, 30L, 60L], actions.Where(a => a.Kind == ArchiveActionKind.Seal).Select(a => a.FileFirstOffset));
    }

    [Fact]
    public void Route_MaxFileOffsetSpan_CutsIdleOutputPartitions()
    {
        var router = new ArchiveRouter("pins", 0, ArchiveTestData.Options(o => { o.MaxFileOffsetSpan = 1000; o.MaxFileRecords = 1_000_000; o.MaxFileAge = TimeSpan.FromDays(1); }));
        var actions = new List<ArchiveAction>();
        // offset 0 is an event of another day; the rest are today: the lone file is cut 1000 offsets later.
        var lone = new ArchiveRecord(0, ArchiveTestData.Start.ToUnixTimeMilliseconds(), null, Encoding.UTF8.GetBytes("{\"ts\":\"2026-11-01T00:00:00Z\",\"pin_id\":1}"), null);
        router.Route(lone, actions);
        foreach (var r in ArchiveTestData.Records(1200, firstOffset: 1, malformedEvery: 0))
        {
            router.Route(r, actions);
        }

        var seal = actions.First(a => a.Kind == ArchiveActionKind.Seal);
        Assert.Equal("dt=2026-11-01/hr=00", seal.OutputPartition);
        var index = actions.IndexOf(seal);
        Assert.Equal(1000, actions[index + 1].Record!.Record.Offset);
    }

    [Fact]
    public void Route_ReplayFromCheckpointWithDurableMarks_ReproducesTheSameFilesAndDropsUploadedRecords()
    {
        var options = ArchiveTestData.Options(o => { o.MaxFileRecords = 97; o.MaxFileAge = TimeSpan.FromSeconds(450); });
        // Every 100th event is two hours late: its file stays open while newer files are cut by count,
        // so the checkpoint lags behind uploaded files and the replay has duplicates to drop.
        var records = ArchiveTestData.Records(2000).Select(r => r.Offset % 100 != 10 ? r : r with
        {
            Value = Encoding.UTF8.GetBytes($"{{\"ts\":\"{ArchiveTestData.Start.AddHours(-2).AddSeconds(r.Offset):yyyy-MM-dd'T'HH:mm:ss'Z'}\",\"pin_id\":1}}"),
        }).ToList();
        var whole = Files(new ArchiveRouter("pins", 0, options), records);

        // Stop after 1234 records, keep only what a durable checkpoint keeps, replay from the checkpoint.
        var first = new ArchiveRouter("pins", 0, options);
        var firstActions = new List<ArchiveAction>();
        foreach (var r in records.Take(1234))
        {
            first.Route(r, firstActions);
        }

        var sealedBefore = Files(firstActions).Where(f => f.Sealed).ToList();
        var resumed = new ArchiveRouter("pins", 0, options, first.DurableMarks(), first.Checkpoint);
        var replayed = Files(resumed, records.Skip((int)first.Checkpoint));

        var combined = sealedBefore.Concat(replayed).GroupBy(f => f.FirstOffset).Select(g => g.Last()).OrderBy(f => f.FirstOffset).ToList();
        Assert.Equal(whole.Select(f => (f.FirstOffset, f.Offsets)), combined.Select(f => (f.FirstOffset, f.Offsets)), new FileComparer());
        Assert.True(resumed.DuplicatesDropped > 0, "the replay should have dropped records already uploaded");
    }

    private static List<FileView> Files(ArchiveRouter router, IEnumerable<ArchiveRecord> records)
    {
        var actions = new List<ArchiveAction>();
        foreach (var r in records)
        {
            router.Route(r, actions);
        }

        router.SealAll(actions);
        return Files(actions);
    }

    private static List<FileView> Files(List<ArchiveAction> actions)
    {
        var files = new Dictionary<long, FileView>();
        foreach (var a in actions)
        {
            if (!files.TryGetValue(a.FileFirstOffset, out var file))
            {
                files[a.FileFirstOffset] = file = new FileView(a.FileFirstOffset, []);
            }

            if (a.Kind == ArchiveActionKind.Append)
            {
                file.Offsets.Add(a.Record!.Record.Offset);
            }
            else
            {
                file.Sealed = true;
            }
        }

        return [.. files.Values.OrderBy(f => f.FirstOffset)];
    }

    private sealed record FileView(long FirstOffset, List<long> Offsets)
    {
        public bool Sealed { get; set; }
    }

    private sealed class FileComparer : IEqualityComparer<(long FirstOffset, List<long> Offsets)>
    {
        public bool Equals((long FirstOffset, List<long> Offsets) x, (long FirstOffset, List<long> Offsets) y)
            => x.FirstOffset == y.FirstOffset && x.Offsets.SequenceEqual(y.Offsets);

        public int GetHashCode((long FirstOffset, List<long> Offsets) obj) => obj.FirstOffset.GetHashCode();
    }
}
