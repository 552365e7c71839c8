using System.Globalization;
using Tributary.Segments.Ingest;

namespace Tributary.Segments.Tests;

public sealed class SegmentRouterTests
{
    private const long Hour = 3_600_000;
    private static readonly long Now = TestData.HourStart + (10 * Hour);

    private static SegmentRouter Router(long nextOffset = 0, long watermarkMs = long.MinValue, Dictionary<string, long>? open = null, Schema.DatasourceSpec? spec = null)
        => new(spec ?? TestData.Full(), "full", start => "full/" + start.ToString(CultureInfo.InvariantCulture), nextOffset, watermarkMs, open);

    private static byte[] Event(long ts) => new TestData.Event(ts, "k", "red", 1, 2, 3.5, 7).Json();

    private static SegmentBatch RouteBatch(SegmentRouter router, long firstOffset, params long[] times)
    {
        var batch = router.Begin();
        for (var i = 0; i < times.Length; i++)
        {
            router.Route(firstOffset + i, Event(times[i]), Now, batch);
        }

        return batch;
    }

    private static string Key(long hourStart) => "full/" + hourStart.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Route_EventsOfTwoHours_GoToTheirHoursSegmentsInOffsetOrder()
    {
        var open = new Dictionary<string, long>(StringComparer.Ordinal);
        var router = Router(open: open);
        var batch = RouteBatch(router, 100, TestData.HourStart + 5, TestData.HourStart + Hour + 1, TestData.HourStart + 9);

        Assert.Equal([Key(TestData.HourStart), Key(TestData.HourStart + Hour)], batch.Routes.Select(r => r.Key));
        Assert.Equal([100L, 102L], batch.Routes[0].Offsets);
        Assert.Equal([101L], batch.Routes[1].Offsets);
        Assert.Equal(2, batch.Routes[0].Events.Count);
        Assert.Empty(batch.DeadLetters);
        Assert.Equal(103, router.NextOffset);
        Assert.Equal(TestData.HourStart + Hour + 1, router.WatermarkMs);
        Assert.Equal(TestData.HourStart + Hour + 1, batch.WatermarkAfter);
        Assert.Equal(TestData.HourStart + Hour + (3 * Hour), open[Key(TestData.HourStart)]);
        Assert.Equal(TestData.HourStart + (2 * Hour) + (3 * Hour), open[Key(TestData.HourStart + Hour)]);
    }

    [Fact]
    public void Route_EventLaterThanTheLateWindowBehindTheWatermark_IsDeadLetteredAsLate()
    {
        var router = Router();
        var watermark = TestData.HourStart + (5 * Hour);
        var batch = RouteBatch(router, 0, watermark, TestData.HourStart + 30, TestData.HourStart + (2 * Hour) + 1);

        // Hour 10:00 closed at 11:00 + 3 h = 14:00 <= 15:00; hour 12:00 closes at 16:00, so it is still open.
        var late = Assert.Single(batch.DeadLetters);
        Assert.Equal(1, late.Offset);
        Assert.True(late.Late);
        Assert.Contains("later than the late window", late.Reason, StringComparison.Ordinal);
        Assert.Contains("2026-11-23T10:00:00.030Z", late.Reason, StringComparison.Ordinal);
        Assert.Equal([0L, 2L], batch.Routes.SelectMany(r => r.Offsets).Order());
        Assert.Equal(watermark, router.WatermarkMs);
    }

    [Fact]
    public void Route_MalformedEmptyAndUnknownDatasource_AreDeadLetteredAsMalformed()
    {
        var router = Router();
        var batch = router.Begin();
        router.Route(0, "{not json"u8.ToArray(), Now, batch);
        router.Route(1, null, Now, batch);
        router.Route(2, [], Now, batch);

        Assert.Equal([0L, 1L, 2L], batch.DeadLetters.Select(d => d.Offset));
        Assert.All(batch.DeadLetters, d => Assert.False(d.Late));
        Assert.Equal("empty record value", batch.DeadLetters[1].Reason);
        Assert.Empty(batch.Routes);
        Assert.Equal(long.MinValue, router.WatermarkMs);

        var orphan = new SegmentRouter(null, "nobody", _ => throw new InvalidOperationException("no segment without a datasource"), 0, long.MinValue);
        var orphanBatch = orphan.Begin();
        orphan.Route(0, Event(TestData.HourStart), Now, orphanBatch);
        Assert.Equal("no datasource reads topic 'nobody'", Assert.Single(orphanBatch.DeadLetters).Reason);
    }

    [Fact]
    public void Route_EventTooFarAheadOfTheClock_IsDeadLetteredAsLate()
    {
        var router = Router(spec: TestData.Full() with { EarlyRejection = TimeSpan.FromHours(1) });
        var batch = router.Begin();
        router.Route(0, Event(Now + (2 * Hour)), Now, batch);
        router.Route(1, Event(Now + (Hour / 2)), Now, batch);

        var early = Assert.Single(batch.DeadLetters);
        Assert.Equal(0, early.Offset);
        Assert.True(early.Late);
        Assert.Contains("ahead of the clock", early.Reason, StringComparison.Ordinal);
        Assert.Equal([1L], Assert.Single(batch.Routes).Offsets);
    }

    [Fact]
    public void Route_OffsetsBelowNextOffset_AreDroppedAsReplays()
    {
        var router = Router(nextOffset: 10);
        var batch = router.Begin();
        Assert.False(router.Route(8, Event(TestData.HourStart), Now, batch));
        Assert.False(router.Route(9, Event(TestData.HourStart), Now, batch));
        Assert.Null(batch.FirstOffset);
        Assert.True(router.Route(10, Event(TestData.HourStart), Now, batch));
        Assert.False(router.Route(10, Event(TestData.HourStart), Now, batch));

        Assert.Equal(3, router.DuplicatesDropped);
        Assert.Equal(10, batch.FirstOffset);
        Assert.Equal([10L], Assert.Single(batch.Routes).Offsets);
    }

    [Fact]
    public void Route_WatermarkAcrossBatches_JudgesTheNextBatchAndIsItsStartingWatermark()
    {
        var router = Router();
        var first = RouteBatch(router, 0, TestData.HourStart + (5 * Hour));
        var second = RouteBatch(router, 1, TestData.HourStart + 1, TestData.HourStart + (4 * Hour));

        Assert.Equal(long.MinValue, first.WatermarkBefore);
        Assert.Equal(0, first.FirstOffset);
        Assert.Equal(TestData.HourStart + (5 * Hour), second.WatermarkBefore);
        Assert.Equal(1, second.FirstOffset);
        Assert.Equal(1, Assert.Single(second.DeadLetters).Offset);
        Assert.Equal([2L], Assert.Single(second.Routes).Offsets);
        Assert.Equal(TestData.HourStart + (5 * Hour), second.WatermarkAfter);
    }

    [Fact]
    public void DueForSeal_WatermarkPassesHourEndPlusLateWindow_ReturnsTheSegmentUntilSealed()
    {
        var open = new Dictionary<string, long>(StringComparer.Ordinal);
        var router = Router(open: open);
        RouteBatch(router, 0, TestData.HourStart + 1, TestData.HourStart + Hour + 1);
        Assert.Empty(router.DueForSeal());

        RouteBatch(router, 2, TestData.HourStart + (4 * Hour) - 1);
        Assert.Empty(router.DueForSeal());

        RouteBatch(router, 3, TestData.HourStart + (4 * Hour));
        Assert.Equal([Key(TestData.HourStart)], router.DueForSeal());

        router.Sealed(Key(TestData.HourStart));
        Assert.Empty(router.DueForSeal());
        Assert.False(open.ContainsKey(Key(TestData.HourStart)));
        Assert.Contains(Key(TestData.HourStart + Hour), open.Keys);
    }

    [Fact]
    public void DueForSeal_NoWatermarkYet_ReturnsNothing()
    {
        var open = new Dictionary<string, long>(StringComparer.Ordinal) { [Key(TestData.HourStart)] = long.MinValue + 1 };
        Assert.Empty(Router(open: open).DueForSeal());
    }

    [Fact]
    public void Route_ReplayFromACheckpoint_MakesTheSameDecisions()
    {
        var random = new Random(11);
        var batches = Enumerable.Range(0, 20).Select(b => Enumerable.Range(0, 50).Select(i =>
            TestData.HourStart + (b * Hour / 4) + random.NextInt64(-4 * Hour, Hour)).ToArray()).ToList();

        var first = Router();
        var decisions = new List<string>();
        var checkpoints = new List<(long Offset, long Watermark)>();
        for (var b = 0; b < batches.Count; b++)
        {
            var batch = RouteBatch(first, b * 50L, batches[b]);
            checkpoints.Add((batch.FirstOffset!.Value, batch.WatermarkBefore));
            decisions.Add(Describe(batch));
        }

        Assert.Contains(decisions, d => d.Contains("late", StringComparison.Ordinal));
        foreach (var from in new[] { 0, 7, 13 })
        {
            var (offset, watermark) = checkpoints[from];
            var replay = Router(offset, watermark);

            // The replay is delivered from a little before the checkpoint: those offsets are dropped.
            var redelivered = replay.Begin();
            Assert.False(replay.Route(offset - 1, Event(TestData.HourStart), Now, redelivered));
            for (var b = from; b < batches.Count; b++)
            {
                Assert.Equal(decisions[b], Describe(RouteBatch(replay, b * 50L, batches[b])));
            }

            Assert.Equal(first.NextOffset, replay.NextOffset);
            Assert.Equal(first.WatermarkMs, replay.WatermarkMs);
        }
    }

    private static string Describe(SegmentBatch batch)
        => string.Join(';', batch.Routes.Select(r => r.Key + ":" + string.Join(',', r.Offsets)))
            + "|" + string.Join(';', batch.DeadLetters.Select(d => d.Offset.ToString(CultureInfo.InvariantCulture) + (d.Late ? " late " : " malformed ") + d.Reason))
            + "|" + batch.WatermarkBefore.ToString(CultureInfo.InvariantCulture) + ".." + batch.WatermarkAfter.ToString(CultureInfo.InvariantCulture);
}
