using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.MySqlLoad;

namespace Tributary.Grains.Sql;

/// <summary>Makes the SQL sink's per-activation row transform (one per partition grain: transforms are single-threaded).</summary>
public interface ISqlRowTransformFactory
{
    /// <summary>The columns every transform made here adds after the configured ones.</summary>
    IReadOnlyList<(string Name, string SqlType)> ExtraColumns { get; }

    /// <summary>Creates a transform for one partition.</summary>
    ISqlRowTransform Create();

    /// <summary>Prepares what the transforms share (called once at silo start, before <see cref="ExtraColumns"/> is read).</summary>
    Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The default factory: <see cref="JsonRowTransform"/> over the configured columns.</summary>
public sealed class JsonRowTransformFactory(IOptions<SqlLoadOptions> options) : ISqlRowTransformFactory
{
    /// <inheritdoc />
    public IReadOnlyList<(string Name, string SqlType)> ExtraColumns => [];

    /// <inheritdoc />
    public ISqlRowTransform Create() => new JsonRowTransform(options.Value.Columns);
}

/// <summary>
/// The silo-wide part of the SQL sink: one <see cref="MySqlTableLoader"/> (its connection pool is shared by the
/// partitions), the transform factory, and the sink's metrics on meter <see cref="MeterName"/>.
/// </summary>
public sealed class SqlSinkRuntime : IDisposable
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "Tributary.SqlSink";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _rows;
    private readonly Counter<long> _filtered;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _transactionDuration;
    private readonly ConcurrentDictionary<string, KeyValuePair<string, object?>> _reasonTags = new(StringComparer.Ordinal);

    /// <summary>Creates the loader for the configured table plus the factory's extra columns.</summary>
    public SqlSinkRuntime(IOptions<SqlLoadOptions> options, IOptions<SqlSinkOptions> sink, ISqlRowTransformFactory transforms, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(transforms);
        Options = sink.Value;
        Transforms = transforms;
        Loader = new MySqlTableLoader(options.Value, transforms.ExtraColumns, loggers.CreateLogger<MySqlTableLoader>());
        _rows = _meter.CreateCounter<long>("tributary.sql.rows_written", "{row}", "Rows the SQL sink committed.");
        _filtered = _meter.CreateCounter<long>("tributary.sql.filtered", "{event}", "Events the SQL sink's filter dropped, tagged with the reason.");
        _deadLettered = _meter.CreateCounter<long>("tributary.sql.dead_lettered", "{event}", "Events sent to the dead-letter topic, tagged kind=malformed|rejected.");
        _retries = _meter.CreateCounter<long>("tributary.sql.transaction_retries", "{transaction}", "Transactions retried after a deadlock or lock wait timeout.");
        _transactionDuration = _meter.CreateHistogram<double>("tributary.sql.transaction.duration", "ms", "Time of one committed SQL sink transaction (rows, offsets, dead letters), retries included.");
    }

    /// <summary>The loader.</summary>
    public MySqlTableLoader Loader { get; }

    /// <summary>The transform factory.</summary>
    public ISqlRowTransformFactory Transforms { get; }

    /// <summary>The sink's settings.</summary>
    public SqlSinkOptions Options { get; }

    /// <summary>Creates the sink's counters at zero (called when a partition's sink loads), so their series exist before the first event.</summary>
    public void Initialize()
    {
        _rows.Add(0);
        _retries.Add(0);
        _deadLettered.Add(0, new KeyValuePair<string, object?>("kind", "malformed"));
        _deadLettered.Add(0, new KeyValuePair<string, object?>("kind", "rejected"));
    }

    /// <summary>Counts one committed transaction's outcome.</summary>
    public void Committed(long rows, long malformed, long rejected, int attempts, TimeSpan duration)
    {
        _rows.Add(rows);
        _transactionDuration.Record(duration.TotalMilliseconds);
        if (malformed > 0)
        {
            _deadLettered.Add(malformed, new KeyValuePair<string, object?>("kind", "malformed"));
        }

        if (rejected > 0)
        {
            _deadLettered.Add(rejected, new KeyValuePair<string, object?>("kind", "rejected"));
        }

        if (attempts > 1)
        {
            _retries.Add(attempts - 1);
        }
    }

    /// <summary>Counts filtered events per reason.</summary>
    public void Filtered(string reason, long count) => _filtered.Add(count, _reasonTags.GetOrAdd(reason, r => new KeyValuePair<string, object?>("reason", r)));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
