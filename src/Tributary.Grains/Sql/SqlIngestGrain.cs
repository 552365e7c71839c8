using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Tributary.Grains.Segments;
using Tributary.Grains.Streaming;
using Tributary.MySqlLoad;
using Tributary.SqlIngest;

namespace Tributary.Grains.Sql;

/// <summary>
/// The SQL sink of one Kafka partition (key <c>{topic}/{partition}</c>), subscribed implicitly to
/// <see cref="StreamNamespace"/>. It turns each record into a row with the silo's <see cref="ISqlRowTransform"/>
/// (filtered records are counted per reason, malformed ones dead-lettered with the reason) and commits the rows and the
/// partition's next offset in one transaction (<see cref="MySqlTableLoader"/>). Its checkpoint is the offsets table:
/// an activation resumes from the offset in the database, not from Kafka's committed offset, so a crash between the
/// write and the Kafka commit loses and duplicates nothing.
/// </summary>
/// <remarks>
/// Rows are buffered in memory until <see cref="SqlSinkOptions.BatchRecords"/> records are pending or the persist tick
/// runs; the base acknowledges a delivery before it is committed, and replays from the checkpoint after a lost
/// activation. Dead letters (malformed records, rows the table refuses) are sent and acknowledged by Kafka inside the
/// transaction, before its commit. A database outage fails the delivery (memory is forgotten): the pulling agent backs
/// off and redelivers, and the partition resumes from the committed offset once the database answers. One grain per
/// partition, calls not interleaved: never more than one open transaction per partition.
/// </remarks>
[ImplicitStreamSubscription(StreamNamespace)]
[PreferLocalPlacement]
public sealed class SqlIngestGrain : PartitionSinkGrain, ISqlIngestGrain
{
    /// <summary>The stream namespace this grain consumes: the SQL sink's Kafka stream provider sets <c>StreamNamespace</c> to it.</summary>
    public const string StreamNamespace = "tributary.sql";

    private readonly SqlSinkRuntime _runtime;
    private readonly ILocalSiloDetails _silo;
    private readonly ILogger<SqlIngestGrain> _logger;
    private readonly List<(KafkaRecord Record, SqlRow Row)> _rows = [];
    private readonly List<(KafkaRecord Record, string Reason)> _malformed = [];
    private readonly Dictionary<string, long> _filteredPending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _filtered = new(StringComparer.Ordinal);
    private ISqlRowTransform? _transform;
    private DeadLetterProducer? _deadLetters;
    private long _checkpoint;
    private long _pendingRecords;
    private long _written;
    private long _malformedCount;
    private long _rejected;
    private long _transactions;
    private long _retries;
    private long _failures;
    private string? _lastError;
    private DateTimeOffset? _firstRecordAt;

    /// <summary>Creates the grain.</summary>
    public SqlIngestGrain(SqlSinkRuntime runtime, ILocalSiloDetails silo, TimeProvider time, ILogger<SqlIngestGrain> logger)
        : base(time)
    {
        _runtime = runtime;
        _silo = silo;
        _logger = logger;
    }

    /// <inheritdoc />
    protected override string SinkName => "sql";

    /// <inheritdoc />
    protected override string SinkStreamNamespace => StreamNamespace;

    /// <inheritdoc />
    protected override TimeSpan? PersistInterval => _runtime.Options.PersistInterval;

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Committing on the way out is always safe here: the transaction locks the partition's offsets row and skips
        // rows below the committed offset, so even a stale activation racing its successor cannot duplicate.
        if (!IsLoaded || _pendingRecords == 0 || cancellationToken.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await PersistAsync(force: true);
        }
        catch (Exception ex)
        {
            SqlSinkLog.FlushOnDeactivateFailed(_logger, Topic, Partition, _checkpoint, ex);
        }
    }

    /// <inheritdoc />
    public ValueTask<SqlIngestStatus> GetStatusAsync() => ValueTask.FromResult(Status());

    /// <inheritdoc />
    public async ValueTask<SqlIngestStatus> FlushAsync()
    {
        await PersistNowAsync();
        return Status();
    }

    /// <inheritdoc />
    protected override async ValueTask<long?> LoadAsync(long? firstDelivered)
    {
        _rows.Clear();
        _malformed.Clear();
        _filteredPending.Clear();
        _pendingRecords = 0;
        _transform ??= _runtime.Transforms.Create();
        _runtime.Initialize();
        var stored = await _runtime.Loader.ReadNextOffsetAsync(Topic, Partition);
        if (stored is not { } next)
        {
            if (firstDelivered is not { } first)
            {
                return null;
            }

            // First run of this partition: start where the provider starts (committed offset or earliest), and record
            // that start before anything is acknowledged, as the segment and archive sinks do. Otherwise records
            // acknowledged but not yet committed when the database fails are lost: the redelivery (or a new
            // activation) would start past them, at its own first offset.
            await _runtime.Loader.WriteAsync(Topic, Partition, [], first);
            next = first;
        }

        _checkpoint = next;
        SqlSinkLog.Loaded(_logger, Topic, Partition, next, stored.HasValue);
        return next;
    }

    /// <inheritdoc />
    protected override ValueTask RouteAsync(IReadOnlyList<KafkaRecord> records)
    {
        var transform = _transform!;
        foreach (var record in records)
        {
            _pendingRecords++;
            if (record.Value is not { } value)
            {
                _malformed.Add((record, "record has no value"));
                continue;
            }

            var outcome = transform.Transform(value);
            switch (outcome.Kind)
            {
                case SqlRowOutcomeKind.Row:
                    _rows.Add((record, new SqlRow(record.Offset, outcome.Values!)));
                    break;
                case SqlRowOutcomeKind.Filtered:
                    var reason = outcome.Reason ?? "filtered";
                    _filteredPending[reason] = _filteredPending.GetValueOrDefault(reason) + 1;
                    break;
                default:
                    _malformed.Add((record, outcome.Reason ?? "malformed"));
                    break;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override async ValueTask<long> MakeDurableAsync(bool force)
    {
        if (NextOffset <= _checkpoint || (!force && _pendingRecords < _runtime.Options.BatchRecords))
        {
            return _checkpoint;
        }

        var byOffset = _rows.ToDictionary(r => r.Row.Offset, r => r.Record);
        var malformed = _malformed.ToList();
        _deadLetters ??= ServiceProvider.GetRequiredService<DeadLetterProducer>();
        var deadLetters = _deadLetters;
        var topic = _runtime.Options.DeadLetterTopic;
        var (sourceTopic, partition) = (Topic, Partition);

        // Runs inside the transaction, on whatever thread the loader continues on: touches only locals and the
        // thread-safe producer. The commit follows only after Kafka took every dead letter.
        Task BeforeCommit(IReadOnlyList<SqlRejectedRow> rejected)
        {
            if (malformed.Count == 0 && rejected.Count == 0)
            {
                return Task.CompletedTask;
            }

            var sends = new List<Task>(malformed.Count + rejected.Count);
            foreach (var (record, reason) in malformed)
            {
                sends.Add(deadLetters.SendAsync(topic, sourceTopic, partition, record.Offset, record.Key, record.Value, reason));
            }

            foreach (var r in rejected)
            {
                var record = byOffset[r.Offset];
                sends.Add(deadLetters.SendAsync(topic, sourceTopic, partition, record.Offset, record.Key, record.Value, r.Reason));
            }

            return Task.WhenAll(sends);
        }

        var started = Stopwatch.GetTimestamp();
        var result = await _runtime.Loader.WriteAsync(Topic, Partition, [.. _rows.Select(r => r.Row)], NextOffset, BeforeCommit);
        var elapsed = Stopwatch.GetElapsedTime(started);
        _checkpoint = result.NextOffset;
        _transactions++;
        _retries += result.Attempts - 1;
        _written += result.Written;
        _rejected += result.Rejected.Count;
        _malformedCount += malformed.Count;
        foreach (var (reason, count) in _filteredPending)
        {
            _filtered[reason] = _filtered.GetValueOrDefault(reason) + count;
            _runtime.Filtered(reason, count);
        }

        _runtime.Committed(result.Written, malformed.Count, result.Rejected.Count, result.Attempts, elapsed);
        CountDeadLetters(malformed.Count + result.Rejected.Count);
        _rows.Clear();
        _malformed.Clear();
        _filteredPending.Clear();
        _pendingRecords = 0;
        return _checkpoint;
    }

    /// <inheritdoc />
    protected override void Forget(Exception error)
    {
        SqlSinkLog.Resetting(_logger, Topic, Partition, _checkpoint, error);
        _failures++;
        _lastError = error.Message;
        _rows.Clear();
        _malformed.Clear();
        _filteredPending.Clear();
        _pendingRecords = 0;
    }

    /// <inheritdoc />
    protected override Exception Surface(Exception error)
        => error is SqlUnavailableException or SqlSchemaMismatchException ? new InvalidOperationException(error.Message) : error; // only framework exception types cross grain boundaries

    /// <inheritdoc />
    protected override void OnDelivering(IReadOnlyList<KafkaRecord> records) => _firstRecordAt ??= Time.GetUtcNow();

    /// <inheritdoc />
    protected override void OnPersistTickFailed(Exception error) => SqlSinkLog.PersistTickFailed(_logger, Topic, Partition, error);

    /// <inheritdoc />
    protected override void OnReplayed(long from, long to, long count) => SqlSinkLog.Replayed(_logger, Topic, Partition, from, to, count);

    private SqlIngestStatus Status() => new()
    {
        Topic = Topic,
        Partition = Partition,
        NextOffset = IsLoaded ? NextOffset : _checkpoint,
        Checkpoint = _checkpoint,
        RowsWritten = _written,
        Malformed = _malformedCount,
        Rejected = _rejected,
        Filtered = new Dictionary<string, long>(_filtered, StringComparer.Ordinal),
        Transactions = _transactions,
        Retries = _retries,
        DuplicatesDropped = DuplicatesDropped,
        Silo = _silo.SiloAddress.ToString(),
        Failures = _failures,
        LastError = _lastError,
        FirstRecordAt = _firstRecordAt,
    };
}

/// <summary>Log messages of the SQL sink (event ids 9200–9299).</summary>
internal static partial class SqlSinkLog
{
    [LoggerMessage(EventId = 9200, Level = LogLevel.Information, Message = "SQL sink {Topic}[{Partition}] loaded at offset {Offset} (from the offsets table: {FromDatabase})")]
    public static partial void Loaded(ILogger logger, string topic, int partition, long offset, bool fromDatabase);

    [LoggerMessage(EventId = 9201, Level = LogLevel.Warning, Message = "SQL sink {Topic}[{Partition}] forgets memory after a failure; resumes from offset {Checkpoint}")]
    public static partial void Resetting(ILogger logger, string topic, int partition, long checkpoint, Exception exception);

    [LoggerMessage(EventId = 9202, Level = LogLevel.Warning, Message = "SQL sink {Topic}[{Partition}] persist tick failed")]
    public static partial void PersistTickFailed(ILogger logger, string topic, int partition, Exception exception);

    [LoggerMessage(EventId = 9203, Level = LogLevel.Information, Message = "SQL sink {Topic}[{Partition}] replayed {Count} records of [{From}, {To}) from Kafka")]
    public static partial void Replayed(ILogger logger, string topic, int partition, long from, long to, long count);

    [LoggerMessage(EventId = 9204, Level = LogLevel.Warning, Message = "SQL sink {Topic}[{Partition}] could not commit on deactivation (the next activation replays from offset {Checkpoint})")]
    public static partial void FlushOnDeactivateFailed(ILogger logger, string topic, int partition, long checkpoint, Exception exception);

    [LoggerMessage(EventId = 9205, Level = LogLevel.Information, Message = "SQL sink table {Table} ready ({Mode} mode, {Columns} columns)")]
    public static partial void TableReady(ILogger logger, string table, string mode, int columns);
}
