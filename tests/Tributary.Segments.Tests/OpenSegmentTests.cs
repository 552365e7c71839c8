using Tributary.Bitmaps.Roaring;
using Tributary.Segments.Ingest;

namespace Tributary.Segments.Tests;

/// <summary>Not run in parallel with other classes: one test counts the process-wide live native bitmaps.</summary>
[CollectionDefinition(nameof(OpenSegmentTests), DisableParallelization = true)]
public sealed class OpenSegmentCollection;

[Collection(nameof(OpenSegmentTests))]
public sealed class OpenSegmentTests
{
    private static readonly string[] Actions = ["view", "click", "save"];

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 50)]
    [InlineData(4, 3000)]
    [InlineData(5, 20000)]
    public void Append_RandomEvents_MatchesReferenceRollup(int seed, int count)
    {
        var events = TestData.Events(seed, count);
        using var segment = SegmentReference.Build(TestData.Full(), events);
        SegmentReference.AssertMatches(segment, events);
    }

    [Theory]
    [InlineData(6, "none")]
    [InlineData(7, "fifteen_minute")]
    public void Append_OtherQueryGranularity_MatchesReference(int seed, string granularity)
    {
        var events = TestData.Events(seed, 5000);
        using var segment = SegmentReference.Build(TestData.Full(query: granularity), events);
        SegmentReference.AssertMatches(segment, events);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    [InlineData(5000)]
    public void Append_ManyUsersInOneRow_HyperUniqueMatchesSketchOfAllUsers(int users)
    {
        var events = Enumerable.Range(0, users * 2).Select(i => new TestData.Event(TestData.HourStart + 5, "k1", "red", 1, i, i, i % users)).ToList();
        using var segment = SegmentReference.Build(TestData.Full(), events);
        Assert.Equal(1, segment.RowCount);
        SegmentReference.AssertMatches(segment, events);
        using var sealedSegment = segment.Seal();
        SegmentReference.AssertMatches(sealedSegment, events);
    }

    [Fact]
    public void Append_RollupOff_OneRowPerEvent()
    {
        var events = TestData.Events(8, 2000);
        using var segment = SegmentReference.Build(TestData.Full(rollup: false), events);
        Assert.Equal(2000, segment.RowCount);
        SegmentReference.AssertMatches(segment, events);
    }

    [Fact]
    public void Append_QueriedBetweenAppends_SeesNewRows()
    {
        var spec = TestData.Full();
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        var events = TestData.Events(9, 400);
        for (var i = 0; i < events.Count; i++)
        {
            Assert.True(segment.TryAppend(events[i].Json(), parser, row, out var error), error);
            if (i % 97 == 0)
            {
                SegmentReference.AssertMatches(segment, events[..(i + 1)]);
            }
        }
    }

    [Theory]
    [InlineData(31, true, 0, 100)]
    [InlineData(32, true, 3000, 3000)]
    [InlineData(33, false, 2000, 500)]
    public void Restore_SnapshotThenMoreEvents_MatchesReferenceOfAllEvents(int seed, bool rollup, int before, int after)
    {
        var events = TestData.Events(seed, before + after);
        // a row with many users, so that the snapshot carries update lists and a full sketch
        events.InsertRange(0, Enumerable.Range(0, 300).Select(i => new TestData.Event(TestData.HourStart + 1, "k7", "red", 2, i, i, i)));
        var spec = TestData.Full(rollup);
        using var first = SegmentReference.Build(spec, events[..(before + 300)]);
        using var snapshot = new MemoryStream();
        first.WriteSnapshotTo(snapshot);
        Assert.False(first.IsSealed);
        using var loaded = SealedSegment.Load(snapshot.ToArray());
        using var restored = OpenSegment.Restore(loaded);
        Assert.False(restored.IsSealed);
        SegmentReference.AssertMatches(restored, events[..(before + 300)]);

        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        foreach (var e in events[(before + 300)..])
        {
            Assert.True(restored.TryAppend(e.Json(), parser, row, out var error), error);
        }

        SegmentReference.AssertMatches(restored, events);
        using var resealed = restored.Seal();
        SegmentReference.AssertMatches(resealed, events);
    }

    [Fact]
    public void TryAppend_EventOutsideHour_RejectedWithReason()
    {
        var spec = TestData.Full();
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        Assert.False(segment.TryAppend("""{"ts":"2026-11-23T11:00:00Z","key":"k"}"""u8, parser, row, out var error));
        Assert.Contains("outside segment full/2026-11-23T10/0", error, StringComparison.Ordinal);
        Assert.Equal(0, segment.RowCount);
    }

    [Fact]
    public void Constructor_UnalignedStart_Throws()
    {
        var spec = TestData.Full();
        Assert.Throws<ArgumentException>(() => new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart + 1, 0)));
    }

    [Fact]
    public void Append_AfterSeal_Throws()
    {
        var events = TestData.Events(10, 10);
        using var segment = SegmentReference.Build(TestData.Full(), events);
        using var sealedSegment = segment.Seal();
        var parser = new RowParser(segment.Spec);
        var row = new ParsedRow(segment.Spec);
        Assert.True(parser.TryParse(events[0].Json(), row, out _));
        Assert.Throws<InvalidOperationException>(() => segment.Append(row));
    }

    [Fact]
    public void Dispose_ManySegments_FreesEveryBitmap()
    {
        // bitmaps abandoned by earlier tests must not be finalized while this one counts
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var live = RoaringBitmap.LiveNativeBitmaps;
        for (var i = 0; i < 20; i++)
        {
            using var segment = SegmentReference.Build(TestData.Full(), TestData.Events(i, 300));
            using var sealedSegment = segment.Seal();
            using var all = sealedSegment.GetDimension("key")!.Select(_ => true);
        }

        Assert.Equal(live, RoaringBitmap.LiveNativeBitmaps);
    }

    [Fact]
    public void Append_GeneratedPinEvents_RollsUpAndStaysCompact()
    {
        var spec = TestData.PinEngagement();
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 3));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        var random = new Random(11);
        const int events = 200_000;
        for (var i = 0; i < events; i++)
        {
            var json = TestData.PinEvent(TestData.HourStart + (i * 18L), 100_000_000_000L + random.Next(2000), random.Next(1_000_000), Actions[random.Next(3)]);
            Assert.True(segment.TryAppend(json, parser, row, out var error), error);
        }

        Assert.Equal(events, segment.EventCount);
        Assert.True(segment.RowCount < events);
        var count = segment.GetMetric("count")!;
        Assert.Equal(events, Enumerable.Range(0, segment.RowCount).Sum(r => count.GetLong(r)));
        var bytesPerEvent = (double)segment.MemoryUsage / events;
        Assert.True(bytesPerEvent < 100, $"{bytesPerEvent:F1} bytes per event");
        var bytesPerRow = (double)segment.MemoryUsage / segment.RowCount;
        Assert.True(bytesPerRow <= 50, $"{bytesPerRow:F1} bytes per row"); // issue 3's goal for open segments
        Assert.Equal(0, segment.NativeMemoryUsage); // no bitmap until a filter asks for one
    }
    [Fact]
    public void Append_RowsBeyondTwoByteRollupSlots_StillRollsUpEveryRepeat()
    {
        var spec = TestData.PinEngagement();
        using var segment = new OpenSegment(spec, new SegmentId(spec.Name, TestData.HourStart, 0));
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        const int pins = 70_000; // more rows than a 2-byte slot can name: the table widens to 3-byte slots
        for (var round = 0; round < 2; round++)
        {
            for (var pin = 0; pin < pins; pin++)
            {
                Assert.True(segment.TryAppend(TestData.PinEvent(TestData.HourStart + 1000, 1_000_000L + pin, pin), parser, row, out var error), error);
            }
        }

        Assert.Equal(pins, segment.RowCount);
        var count = segment.GetMetric("count")!;
        Assert.All(Enumerable.Range(0, pins), r => Assert.Equal(2, count.GetLong(r)));
    }
}
