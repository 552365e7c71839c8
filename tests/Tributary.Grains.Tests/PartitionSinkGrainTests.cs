using System.Collections.Concurrent;
using Tributary.Grains.Streaming;
using Tributary.TestKit;

namespace Tributary.Grains.Tests;

/// <summary>
/// <see cref="PartitionSinkGrain"/> is reusable by a sink that keeps its checkpoint outside grain state (as the SQL
/// sink will: its offset commits in the same transaction as its rows): <see cref="TestSqlSinkGrain"/> routes into a
/// buffer, commits rows and offset together only when flushed, and loses its buffer when deactivated, yet every offset
/// reaches its table exactly once.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class PartitionSinkGrainTests
{
    private const int Partitions = 2;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task ExternalCheckpointSink_DeactivatedWithUncommittedRows_CommitsEveryOffsetExactlyOnce()
    {
        var topic = KafkaTestCluster.CreateTopic("sql-sink", Partitions);
        var counts = Counts(KafkaTestCluster.ProduceKeyed(topic, Partitions, 0, 2_000));
        var cluster = await StreamTestCluster.StartAsync(topic, silos: 1, new Dictionary<string, string?>
        {
            ["Tributary:Streams:stats:StreamNamespace"] = TestSqlSinkGrain.StreamNamespace,
        });
        try
        {
            var sinks = Enumerable.Range(0, Partitions).Select(p => cluster.Client.GetGrain<ITestSqlSinkGrain>(TopicPartitionKey.Format(topic, p))).ToArray();
            await WaitForRoutedAsync(sinks, counts);
            await Task.WhenAll(sinks.Select(s => s.FlushAsync().AsTask()));

            // Routed but not committed when the activations go: the new ones must replay the gap from Kafka.
            Add(counts, KafkaTestCluster.ProduceKeyed(topic, Partitions, 2_000, 1_000));
            await WaitForRoutedAsync(sinks, counts);
            await Task.WhenAll(sinks.Select(s => s.DeactivateAsync().AsTask()));

            Add(counts, KafkaTestCluster.ProduceKeyed(topic, Partitions, 3_000, 1_000));
            var statuses = await WaitForRoutedAsync(sinks, counts);
            await Task.WhenAll(sinks.Select(s => s.FlushAsync().AsTask()));

            for (var p = 0; p < Partitions; p++)
            {
                var (rows, checkpoint) = TestSqlTable.Read(TopicPartitionKey.Format(topic, p));
                Assert.Equal(counts[p], checkpoint);
                Assert.Equal(Enumerable.Range(0, (int)counts[p]).Select(i => (long)i), rows);
                Assert.True(statuses[p].Replayed > 0, $"partition {p}: the new activation should have replayed its gap from Kafka ({statuses[p]})");
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static Dictionary<int, long> Counts(Dictionary<int, (long Count, ulong Checksum)> produced)
        => Enumerable.Range(0, Partitions).ToDictionary(p => p, p => produced.GetValueOrDefault(p).Count);

    private static void Add(Dictionary<int, long> counts, Dictionary<int, (long Count, ulong Checksum)> produced)
    {
        foreach (var (p, (count, _)) in produced)
        {
            counts[p] += count;
        }
    }

    private static async Task<TestSqlSinkStatus[]> WaitForRoutedAsync(ITestSqlSinkGrain[] sinks, Dictionary<int, long> counts)
    {
        var view = await Eventually.HoldsAsync(
            async () => new SqlSinkView(await Task.WhenAll(sinks.Select(s => s.GetStatusAsync().AsTask()))),
            v => v.Statuses.All(s => s.Loaded && s.NextOffset == counts[s.Partition]),
            Deadline, $"sinks routed through {string.Join(", ", counts.Select(c => $"p{c.Key}={c.Value}"))}");
        return view.Statuses;
    }

    private sealed record SqlSinkView(TestSqlSinkStatus[] Statuses)
    {
        public override string ToString() => string.Join(", ", Statuses.Select(s => s.ToString()));
    }
}

/// <summary>A stand-in for a SQL table holding rows (here: their offsets) and the sink's offset, committed together.</summary>
internal static class TestSqlTable
{
    private static readonly ConcurrentDictionary<string, Table> Tables = new(StringComparer.Ordinal);

    /// <summary>The committed offset (every offset below it has its row), or null when nothing was ever committed.</summary>
    public static long? Checkpoint(string key) => Tables.TryGetValue(key, out var table) ? table.Read().Checkpoint : null;

    /// <summary>Inserts <paramref name="rows"/> and moves the offset to <paramref name="checkpoint"/> in one step.</summary>
    public static void Commit(string key, IEnumerable<long> rows, long checkpoint) => Tables.GetOrAdd(key, _ => new Table()).Commit(rows, checkpoint);

    public static (List<long> Rows, long Checkpoint) Read(string key) => Tables.TryGetValue(key, out var table) ? table.Read() : ([], 0);

    private sealed class Table
    {
        private readonly Lock _lock = new();
        private readonly List<long> _rows = [];
        private long _checkpoint;

        public void Commit(IEnumerable<long> rows, long checkpoint)
        {
            lock (_lock)
            {
                _rows.AddRange(rows);
                _checkpoint = checkpoint;
            }
        }

        public (List<long> Rows, long Checkpoint) Read()
        {
            lock (_lock)
            {
                return ([.. _rows], _checkpoint);
            }
        }
    }
}

/// <summary>What <see cref="TestSqlSinkGrain"/> has done in its current activation.</summary>
[GenerateSerializer]
public sealed record TestSqlSinkStatus(
    [property: Id(0)] int Partition,
    [property: Id(1)] bool Loaded,
    [property: Id(2)] long NextOffset,
    [property: Id(3)] long Checkpoint,
    [property: Id(4)] long Buffered,
    [property: Id(5)] long Replayed);

/// <summary>Test access to <see cref="TestSqlSinkGrain"/>.</summary>
public interface ITestSqlSinkGrain : IGrainWithStringKey
{
    ValueTask<TestSqlSinkStatus> GetStatusAsync();

    /// <summary>Commits the buffered rows with the offset (the only time it does).</summary>
    ValueTask FlushAsync();

    /// <summary>Deactivates, losing the buffer (no flush on the way out, as after a crash).</summary>
    ValueTask DeactivateAsync();
}

/// <summary>A minimal sink on <see cref="PartitionSinkGrain"/> whose checkpoint lives in <see cref="TestSqlTable"/>, not in grain state.</summary>
[ImplicitStreamSubscription(StreamNamespace)]
public sealed class TestSqlSinkGrain(TimeProvider time) : PartitionSinkGrain(time), ITestSqlSinkGrain
{
    public const string StreamNamespace = "tributary.test-sql";

    private readonly List<long> _buffer = [];
    private long _checkpoint;
    private long _replayed;

    protected override string SinkName => "test-sql";

    protected override string SinkStreamNamespace => StreamNamespace;

    public ValueTask<TestSqlSinkStatus> GetStatusAsync()
        => ValueTask.FromResult(new TestSqlSinkStatus(Partition, IsLoaded, NextOffset, _checkpoint, _buffer.Count, _replayed));

    public async ValueTask FlushAsync() => await PersistNowAsync();

    public ValueTask DeactivateAsync()
    {
        DeactivateOnIdle();
        return ValueTask.CompletedTask;
    }

    protected override ValueTask<long?> LoadAsync(long? firstDelivered)
    {
        _buffer.Clear();
        var committed = TestSqlTable.Checkpoint(this.GetPrimaryKeyString()) ?? firstDelivered;
        if (committed is { } c)
        {
            _checkpoint = c;
        }

        return ValueTask.FromResult(committed);
    }

    protected override ValueTask RouteAsync(IReadOnlyList<KafkaRecord> records)
    {
        foreach (var record in records)
        {
            _buffer.Add(record.Offset);
        }

        return ValueTask.CompletedTask;
    }

    protected override ValueTask<long> MakeDurableAsync(bool force)
    {
        if (force)
        {
            // Rows and offset in one transaction: the offset never says more than the rows hold.
            TestSqlTable.Commit(this.GetPrimaryKeyString(), _buffer, NextOffset);
            _buffer.Clear();
            _checkpoint = NextOffset;
        }

        return ValueTask.FromResult(_checkpoint);
    }

    protected override void Forget(Exception error) => _buffer.Clear();

    protected override void OnReplayed(long from, long to, long count) => _replayed += count;
}
