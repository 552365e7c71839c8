using Microsoft.Extensions.Options;
using Tributary.Grains.Telemetry;

namespace Tributary.Grains.Segments;

/// <summary>
/// The per-silo memory budget of loaded sealed segments (<see cref="SegmentsOptions.MemoryBudgetMb"/>). Each sealed
/// segment grain reports its segment's size when it loads it and touches its entry on every query; when the loaded
/// total passes the budget, the least recently queried entries (never the one just loaded or queried) are taken out
/// of the total and asked to unload, on their own grain's scheduler. They reload from the object store on their next
/// query. Open segments are never tracked, so never unloaded.
/// </summary>
/// <remarks>
/// Thread safety: every member is safe to call from many grains at once. Recency is a counter, not a clock, so the
/// order is exact and tests need no time. The accounted total can exceed the budget only by the one segment that was
/// just loaded when it alone is larger than the budget.
/// </remarks>
public sealed class SegmentMemoryBudget : IDisposable
{
    private readonly object _lock = new();
    private readonly HashSet<Lease> _loaded = [];
    private long _clock;
    private long _loadedBytes;
    private long _unloads;
    private long _loads;

    /// <summary>Creates the budget from the options.</summary>
    public SegmentMemoryBudget(IOptions<SegmentsOptions> options)
        : this((long)((options ?? throw new ArgumentNullException(nameof(options))).Value.MemoryBudgetMb * 1024 * 1024))
    {
    }

    /// <summary>Creates a budget of <paramref name="budgetBytes"/> bytes.</summary>
    public SegmentMemoryBudget(long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        BudgetBytes = budgetBytes;
        TributaryMetrics.TrackBudget(this);
    }

    /// <summary>The budget, bytes.</summary>
    public long BudgetBytes { get; }

    /// <summary>Bytes of the sealed segments loaded and accounted now.</summary>
    public long LoadedBytes => Interlocked.Read(ref _loadedBytes);

    /// <summary>Largest accounted total seen since start (what the budget guarantees: at most budget plus one segment).</summary>
    public long PeakLoadedBytes { get; private set; }

    /// <summary>Sealed segments asked to unload since start.</summary>
    public long Unloads => Interlocked.Read(ref _unloads);

    /// <summary>Sealed segments loaded (sealed here, or read from the object store) since start.</summary>
    public long Loads => Interlocked.Read(ref _loads);

    /// <summary>Sealed segments loaded and accounted now.</summary>
    public int LoadedCount
    {
        get
        {
            lock (_lock)
            {
                return _loaded.Count;
            }
        }
    }

    /// <summary>
    /// Accounts a sealed segment of <paramref name="bytes"/> just loaded; <paramref name="unload"/> is called (from
    /// whatever thread evicts it, at most once) when it must unload, and must hop to its grain's scheduler itself.
    /// Evicts the least recently queried others while the total exceeds the budget.
    /// </summary>
    public Lease Loaded(long bytes, Action unload)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentNullException.ThrowIfNull(unload);
        var lease = new Lease(this, bytes, unload);
        Interlocked.Increment(ref _loads);
        List<Lease>? victims = null;
        lock (_lock)
        {
            lease.LastUsed = ++_clock;
            _loaded.Add(lease);
            _loadedBytes += bytes;
            if (_loadedBytes > BudgetBytes)
            {
                foreach (var victim in _loaded.Where(l => l != lease).OrderBy(l => l.LastUsed).ToList())
                {
                    if (_loadedBytes <= BudgetBytes)
                    {
                        break;
                    }

                    _loaded.Remove(victim);
                    _loadedBytes -= victim.Bytes;
                    (victims ??= []).Add(victim);
                }
            }

            PeakLoadedBytes = Math.Max(PeakLoadedBytes, _loadedBytes);
        }

        // Outside the lock: the callbacks only queue work, but they are someone else's code.
        foreach (var victim in victims ?? [])
        {
            Interlocked.Increment(ref _unloads);
            TributaryMetrics.SegmentUnloads.Add(1);
            victim.Unload();
        }

        return lease;
    }

    /// <summary>Stops reporting this budget's gauges.</summary>
    public void Dispose() => TributaryMetrics.UntrackBudget(this);

    private void Touch(Lease lease)
    {
        lock (_lock)
        {
            if (_loaded.Contains(lease))
            {
                lease.LastUsed = ++_clock;
            }
        }
    }

    private void Release(Lease lease)
    {
        lock (_lock)
        {
            if (_loaded.Remove(lease))
            {
                _loadedBytes -= lease.Bytes;
            }
        }
    }

    /// <summary>One loaded sealed segment's place in the budget.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly SegmentMemoryBudget _budget;
        private readonly Action _unload;

        internal Lease(SegmentMemoryBudget budget, long bytes, Action unload)
        {
            _budget = budget;
            Bytes = bytes;
            _unload = unload;
        }

        /// <summary>The segment's accounted size.</summary>
        public long Bytes { get; }

        internal long LastUsed { get; set; }

        /// <summary>Marks the segment as just queried (no effect once it was evicted).</summary>
        public void Touch() => _budget.Touch(this);

        /// <summary>Takes the segment out of the budget (it unloaded or its grain deactivated).</summary>
        public void Dispose() => _budget.Release(this);

        internal void Unload() => _unload();
    }
}
