using FsCheck;
using FsCheck.Fluent;
using Tributary.Storage;
using Tributary.Storage.Archive;

namespace Tributary.Unified.Tests;

/// <summary>
/// Property: for random file cuts, late events (files of a partition overlapping in offsets), dead letters and per-partition
/// switch points, a read from the beginning yields exactly the Kafka log, each partition in offset order, archived offsets
/// from the archive and the rest from Kafka.
/// </summary>
public sealed class UnifiedSourcePropertyTests : IDisposable
{
    private const long Start = 1_764_583_200_000; // 2025-12-01T10:00:00Z
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "unified-property-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <summary>One generated case.</summary>
    public sealed record Case(int Partitions, int Count, int LateEvery, int BadEvery, int LateByMinutes, int MaxFileRecords, double[] Switch)
    {
        public override string ToString() =>
            $"partitions={Partitions} count={Count} lateEvery={LateEvery} badEvery={BadEvery} lateBy={LateByMinutes}min maxFileRecords={MaxFileRecords} switch=[{string.Join(",", Switch.Select(s => s.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))}]";
    }

    private static readonly Gen<Case> Cases =
        from partitions in Gen.Choose(1, 4)
        from count in Gen.Choose(20, 400)
        from lateEvery in Gen.Choose(2, 12)
        from badEvery in Gen.Choose(3, 40)
        from lateBy in Gen.Choose(1, 300)
        from maxFileRecords in Gen.Choose(1, 80)
        from cuts in Gen.ArrayOf(Gen.Elements(0.0, 1.0).Or(Gen.Choose(0, 100).Select(c => c / 100.0)), partitions)
        select new Case(partitions, count, lateEvery, badEvery, lateBy, maxFileRecords, cuts);

    [Fact]
    [Trait("Category", "Slow")]
    public async Task ReadAsync_RandomCutsLateEventsDeadLettersAndSwitchPoints_YieldsTheKafkaLog()
    {
        // Different seeds every run (FsCheck's own random), and each case names itself on failure.
        foreach (var (c, i) in Cases.Sample(30, 15).Select((c, i) => (c, i)))
        {
            var topic = UnifiedTopic.Produce(c.Partitions, c.Count, Start, c.LateEvery, c.BadEvery, lateBy: TimeSpan.FromMinutes(c.LateByMinutes));
            var store = new LocalDirectoryObjectStore(Path.Combine(_dir, i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            var options = UnifiedTopic.ArchiveOptions(ArchiveFormat.Raw, c.MaxFileRecords);
            var cuts = Enumerable.Range(0, c.Partitions).ToDictionary(p => p, p => (long)Math.Round(topic.Of(p).Count() * c.Switch[p]));
            await topic.ArchiveAsync(store, options, p => cuts[p]);

            var source = new UnifiedSource(store, topic.Options(options));
            var read = await UnifiedTopic.ReadAllAsync(source);

            for (var p = 0; p < c.Partitions; p++)
            {
                var mine = read.Where(r => r.Partition == p).ToList();
                Assert.True(topic.Of(p).Select(r => r.Offset).SequenceEqual(mine.Select(r => r.Offset)), $"{c}: partition {p} offsets differ from the Kafka log");
                Assert.True(mine.All(r => r.Phase == (r.Offset < cuts[p] ? UnifiedPhase.Archive : UnifiedPhase.Live)), $"{c}: partition {p} switched elsewhere than offset {cuts[p]}");
            }

            var truth = topic.Records.ToDictionary(r => (r.Partition, r.Offset));
            foreach (var r in read)
            {
                var k = truth[(r.Partition, r.Offset)];
                Assert.True(k.TimestampMs == r.TimestampMs && k.Key.AsSpan().SequenceEqual(r.Key) && k.Value.AsSpan().SequenceEqual(r.Value), $"{c}: {r.Partition}@{r.Offset} differs from Kafka");
                Assert.True(r.IsDeadLetter == !k.Value.AsSpan().StartsWith("{"u8), $"{c}: {r.Partition}@{r.Offset} dead letter {r.DeadLetterReason}");
            }

            Assert.Equal(cuts.Values.Sum(), source.ArchiveRecords);
        }
    }
}
