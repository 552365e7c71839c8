using Microsoft.Extensions.Time.Testing;

namespace Tributary.Unified.Tests;

public sealed class WatermarkTrackerTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Yielded_OutOfOrderEventTimes_WatermarkIsLargestMinusBound()
    {
        var tracker = Tracker([0], outOfOrderness: TimeSpan.FromSeconds(5));

        Yield(tracker, 0, 10_000);
        Yield(tracker, 0, 30_000);
        Yield(tracker, 0, 20_000); // late, within the bound or not: the watermark never goes back

        var w = Assert.Single(tracker.Snapshot());
        Assert.Equal(30_000, w.MaxEventTimeMs);
        Assert.Equal(25_000, w.WatermarkMs);
        Assert.Equal(25_000, tracker.Minimum());
    }

    [Fact]
    public void Yielded_DeadLetterWithoutEventTime_DoesNotMoveTheWatermark()
    {
        var tracker = Tracker([0]);
        Yield(tracker, 0, 10_000);

        Yield(tracker, 0, null);

        Assert.Equal(10_000, tracker.Minimum());
    }

    [Fact]
    public void Minimum_PartitionWithoutEventTime_HoldsTheReaderBackUntilIdle()
    {
        var tracker = Tracker([0, 1], idle: Idle);
        Yield(tracker, 1, 50_000);
        Assert.Equal(long.MinValue, tracker.Minimum());

        _time.Advance(Idle);

        // partition 1 yielded at the start too, so both are past the timeout: every partition idle
        Assert.Null(tracker.Minimum());
        Assert.All(tracker.Snapshot(), w => Assert.True(w.Idle));
    }

    [Fact]
    public void Minimum_SilentPartitionPastTheIdleTimeout_IsExcluded()
    {
        var tracker = Tracker([0, 1], idle: Idle);
        Yield(tracker, 0, 10_000);
        Yield(tracker, 1, 90_000);
        Assert.Equal(10_000, tracker.Minimum());

        _time.Advance(Idle - TimeSpan.FromSeconds(1));
        Yield(tracker, 1, 95_000);
        Assert.Equal(10_000, tracker.Minimum());

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(95_000, tracker.Minimum());
        Assert.True(tracker.Snapshot()[0].Idle);
        Assert.False(tracker.Snapshot()[1].Idle);

        // a record makes it active again, with its watermark
        Yield(tracker, 0, 12_000);
        Assert.Equal(12_000, tracker.Minimum());
        Assert.False(tracker.Snapshot()[0].Idle);
    }

    [Fact]
    public void Minimum_RecordsWaitingForTheConsumer_PartitionNeverIdle()
    {
        var tracker = Tracker([0, 1], idle: Idle);
        Yield(tracker, 0, 10_000);
        Yield(tracker, 1, 90_000);
        tracker.Offered(0); // the consumer is slow (or the reader is paused): the record waits in the buffer

        _time.Advance(Idle * 3);

        Assert.False(tracker.Snapshot()[0].Idle);
        Assert.True(tracker.Snapshot()[1].Idle);
        Assert.Equal(10_000, tracker.Minimum());
    }

    [Fact]
    public void Minimum_WithoutIdleTimeout_SilentPartitionNeverIdle()
    {
        var tracker = Tracker([0, 1]);
        Yield(tracker, 1, 90_000);

        _time.Advance(TimeSpan.FromDays(1));

        Assert.Equal(long.MinValue, tracker.Minimum());
    }

    [Fact]
    public void Minimum_FinishedPartition_ExcludedOnceItsRecordsWereYielded()
    {
        var tracker = Tracker([0, 1]);
        Yield(tracker, 0, 10_000);
        Yield(tracker, 1, 90_000);
        tracker.Offered(0);
        tracker.Finished(0);
        Assert.Equal(10_000, tracker.Minimum());

        tracker.Yielded(Record(0, 11_000));

        Assert.True(tracker.Snapshot()[0].Finished);
        Assert.Equal(90_000, tracker.Minimum());
        tracker.Finished(1);
        Assert.Null(tracker.Minimum());
    }

    [Theory]
    [InlineData(100L, 50L, 49L, true)]
    [InlineData(100L, 50L, 50L, false)]
    [InlineData(40L, 50L, 0L, false)]
    [InlineData(100L, long.MinValue, 1_000L, true)]
    [InlineData(long.MinValue, 50L, 0L, false)]
    [InlineData(long.MaxValue, long.MinValue + 1, 0L, true)]
    public void IsAhead_DriftPastTheMinimum(long watermark, long minimum, long drift, bool ahead)
        => Assert.Equal(ahead, WatermarkMath.IsAhead(watermark, minimum, drift));

    [Fact]
    public void IsAhead_IdleReaderOrNoMinimum_NeverAhead()
    {
        Assert.False(WatermarkMath.IsAhead(null, 0, 0));
        Assert.False(WatermarkMath.IsAhead(100, null, 0));
    }

    [Fact]
    public async Task LocalAlignment_IdleAndLeftReaders_DoNotHoldTheMinimum()
    {
        var alignment = new LocalWatermarkAlignment();
        var ct = TestContext.Current.CancellationToken;

        Assert.Equal(100, await alignment.ReportAsync("a", 100, ct));
        Assert.Equal(40, await alignment.ReportAsync("b", 40, ct));
        Assert.Equal(100, await alignment.ReportAsync("b", null, ct));
        Assert.Equal(long.MinValue, await alignment.ReportAsync("c", long.MinValue, ct));
        await alignment.LeaveAsync("c", ct);
        Assert.Equal(100, await alignment.ReportAsync("a", 100, ct));
    }

    private WatermarkTracker Tracker(int[] partitions, TimeSpan? outOfOrderness = null, TimeSpan? idle = null)
        => new(partitions, new WatermarkOptions { OutOfOrderness = outOfOrderness ?? TimeSpan.Zero, IdleTimeout = idle }, _time);

    private static void Yield(WatermarkTracker tracker, int partition, long? eventTimeMs)
    {
        tracker.Offered(partition);
        tracker.Yielded(Record(partition, eventTimeMs));
    }

    private static UnifiedRecord Record(int partition, long? eventTimeMs)
        => new(partition, 0, 0, eventTimeMs, null, null, null, null, UnifiedPhase.Archive, eventTimeMs is null ? "dead" : null);
}
