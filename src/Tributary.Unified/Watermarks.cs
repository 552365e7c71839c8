namespace Tributary.Unified;

/// <summary>
/// Per-partition event-time watermarks of a <see cref="UnifiedSource"/> (Flink's bounded out-of-orderness strategy with
/// idleness): a partition's watermark is the largest event time it yielded minus <see cref="OutOfOrderness"/>.
/// </summary>
public sealed class WatermarkOptions
{
    /// <summary>How much earlier than the largest event time seen a record may still arrive. Default 0 (in-order event times).</summary>
    public TimeSpan OutOfOrderness { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// A partition that had no record available for this long is idle: it no longer holds the reader's minimum back (Flink's
    /// <c>withIdleness</c>). A partition with records waiting for the consumer is never idle. Null (default): never idle.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }
}

/// <summary>
/// Watermark alignment across the readers of one job (Flink's watermark alignment): the reader reports its minimum watermark
/// and pauses while it is more than <see cref="MaxDrift"/> ahead of the job's global minimum.
/// </summary>
public sealed class AlignmentOptions
{
    /// <summary>This reader's id within the job (unique per reader; a restarted reader reuses its id). Required.</summary>
    public string ReaderId { get; set; } = string.Empty;

    /// <summary>How far the reader's watermark may run ahead of the job's global minimum before it pauses. Default 1 minute.</summary>
    public TimeSpan MaxDrift { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The reader reports at least this often (also while paused or while no record arrives). Default 1 s.</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Between intervals the reader reports only when its watermark moved by at least this much (coalescing). Default 1 s.</summary>
    public TimeSpan MinChange { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Where a reader learns the job's global minimum watermark. Orleans-free: <c>Tributary.Client</c> implements it over the
/// watermark grain of a job, <see cref="LocalWatermarkAlignment"/> within one process.
/// </summary>
public interface IWatermarkAlignment
{
    /// <summary>
    /// Records <paramref name="watermarkMs"/> as reader <paramref name="readerId"/>'s watermark (null: the reader is idle and
    /// excluded from the minimum; <see cref="long.MinValue"/>: it has no event time yet and holds the minimum back) and returns
    /// the global minimum over the job's readers that are not idle, or null when there is none.
    /// </summary>
    ValueTask<long?> ReportAsync(string readerId, long? watermarkMs, CancellationToken cancellationToken = default);

    /// <summary>Removes reader <paramref name="readerId"/> (it ended): it no longer holds the minimum back.</summary>
    ValueTask LeaveAsync(string readerId, CancellationToken cancellationToken = default);
}

/// <summary>Alignment of readers in one process (tests, a job whose readers share a process).</summary>
public sealed class LocalWatermarkAlignment : IWatermarkAlignment
{
    private readonly Dictionary<string, long?> _readers = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<long?> ReportAsync(string readerId, long? watermarkMs, CancellationToken cancellationToken = default)
    {
        lock (_readers)
        {
            _readers[readerId] = watermarkMs;
            return ValueTask.FromResult(WatermarkMath.Minimum(_readers.Values));
        }
    }

    /// <inheritdoc />
    public ValueTask LeaveAsync(string readerId, CancellationToken cancellationToken = default)
    {
        lock (_readers)
        {
            _readers.Remove(readerId);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The watermark of one partition of a reader.</summary>
/// <param name="Partition">Kafka partition.</param>
/// <param name="WatermarkMs">Largest event time yielded minus the out-of-orderness bound, Unix ms; null before the first event time.</param>
/// <param name="MaxEventTimeMs">Largest event time yielded, Unix ms; null before the first.</param>
/// <param name="Idle">No record was available for the idle timeout: excluded from the reader's minimum.</param>
/// <param name="Finished">The partition reached its bound and every record was yielded: excluded from the minimum.</param>
public sealed record PartitionWatermark(int Partition, long? WatermarkMs, long? MaxEventTimeMs, bool Idle, bool Finished);

/// <summary>Watermark arithmetic shared by the reader, the in-process alignment and the watermark grain.</summary>
public static class WatermarkMath
{
    /// <summary>The minimum of the watermarks that are not null (null ones are idle); null when every one is.</summary>
    public static long? Minimum(IEnumerable<long?> watermarks)
    {
        ArgumentNullException.ThrowIfNull(watermarks);
        long? min = null;
        foreach (var w in watermarks)
        {
            if (w is { } v && (min is null || v < min))
            {
                min = v;
            }
        }

        return min;
    }

    /// <summary>
    /// Whether <paramref name="watermarkMs"/> is more than <paramref name="maxDriftMs"/> ahead of <paramref name="globalMinimumMs"/>.
    /// A reader without an event time (<see cref="long.MinValue"/>) or idle (null) is never ahead; every reader with one is ahead of a
    /// global minimum of <see cref="long.MinValue"/> (a reader of the job has no event time yet), as in Flink.
    /// </summary>
    public static bool IsAhead(long? watermarkMs, long? globalMinimumMs, long maxDriftMs)
    {
        if (watermarkMs is not { } w || w == long.MinValue || globalMinimumMs is not { } g)
        {
            return false;
        }

        return g == long.MinValue || (w > g && (ulong)(w - g) > (ulong)maxDriftMs);
    }
}

/// <summary>
/// Tracks the per-partition watermarks of one enumeration. Records count as available when a partition reader offers them
/// and as yielded when the consumer takes them; the watermark moves on yielded records only.
/// </summary>
internal sealed class WatermarkTracker
{
    private readonly Dictionary<int, Slot> _slots;
    private readonly long _outOfOrdernessMs;
    private readonly TimeSpan? _idleTimeout;
    private readonly TimeProvider _time;

    public WatermarkTracker(IEnumerable<int> partitions, WatermarkOptions options, TimeProvider time)
    {
        _time = time;
        _outOfOrdernessMs = (long)options.OutOfOrderness.TotalMilliseconds;
        _idleTimeout = options.IdleTimeout;
        var now = time.GetTimestamp();
        _slots = partitions.ToDictionary(p => p, p => new Slot(p, now));
    }

    /// <summary>A record of <paramref name="partition"/> is available to the consumer (it waits in the buffer).</summary>
    public void Offered(int partition)
    {
        if (_slots.TryGetValue(partition, out var slot))
        {
            Interlocked.Increment(ref slot.Pending);
        }
    }

    /// <summary>The consumer took <paramref name="record"/>.</summary>
    public void Yielded(UnifiedRecord record)
    {
        if (!_slots.TryGetValue(record.Partition, out var slot))
        {
            return;
        }

        var now = _time.GetTimestamp();
        lock (slot)
        {
            slot.LastActivity = now;
            if (record.EventTimeMs is { } t && t > slot.MaxEventTimeMs)
            {
                slot.MaxEventTimeMs = t;
            }
        }

        Interlocked.Decrement(ref slot.Pending);
    }

    /// <summary>The reader of <paramref name="partition"/> reached its bound.</summary>
    public void Finished(int partition)
    {
        if (_slots.TryGetValue(partition, out var slot))
        {
            Volatile.Write(ref slot.Finished, true);
        }
    }

    /// <summary>Every partition's watermark, by partition.</summary>
    public IReadOnlyList<PartitionWatermark> Snapshot()
    {
        var now = _time.GetTimestamp();
        return [.. _slots.Values.OrderBy(s => s.Partition).Select(s => View(s, now))];
    }

    /// <summary>
    /// The reader's watermark: the minimum over partitions that are neither idle nor finished; <see cref="long.MinValue"/> while one
    /// of them has no event time yet; null when every partition is idle or finished.
    /// </summary>
    public long? Minimum()
    {
        var now = _time.GetTimestamp();
        long? min = null;
        foreach (var slot in _slots.Values)
        {
            var view = View(slot, now);
            if (view.Idle || view.Finished)
            {
                continue;
            }

            var w = view.WatermarkMs ?? long.MinValue;
            if (min is null || w < min)
            {
                min = w;
            }
        }

        return min;
    }

    private PartitionWatermark View(Slot slot, long now)
    {
        long max;
        long last;
        lock (slot)
        {
            max = slot.MaxEventTimeMs;
            last = slot.LastActivity;
        }

        var pending = Volatile.Read(ref slot.Pending) > 0;
        var finished = Volatile.Read(ref slot.Finished) && !pending;
        var idle = !finished && !pending && _idleTimeout is { } timeout && _time.GetElapsedTime(last, now) >= timeout;
        long? maxEventTime = max == long.MinValue ? null : max;
        long? watermark = maxEventTime is { } m ? (m >= long.MinValue + 1 + _outOfOrdernessMs ? m - _outOfOrdernessMs : long.MinValue + 1) : null;
        return new PartitionWatermark(slot.Partition, watermark, maxEventTime, idle, finished);
    }

    private sealed class Slot(int partition, long now)
    {
        public readonly int Partition = partition;
        public long MaxEventTimeMs = long.MinValue;
        public long LastActivity = now;
        public int Pending;
        public bool Finished;
    }
}
