namespace Tributary.Storage.Archive;

/// <summary>What the router asks its host to do with one output partition's current file.</summary>
public enum ArchiveActionKind
{
    /// <summary>Add the record to the file starting at <see cref="ArchiveAction.FileFirstOffset"/> (start it when it is new).</summary>
    Append,
    /// <summary>Complete and upload the file starting at <see cref="ArchiveAction.FileFirstOffset"/>.</summary>
    Seal,
}

/// <summary>One step of the archive of one Kafka partition.</summary>
/// <param name="Kind">Append or seal.</param>
/// <param name="OutputPartition">Output partition of the file.</param>
/// <param name="FileFirstOffset">First offset of the file, which names it.</param>
/// <param name="Record">The record to append (null for seals).</param>
public readonly record struct ArchiveAction(ArchiveActionKind Kind, string OutputPartition, long FileFirstOffset, RoutedRecord? Record);

/// <summary>An output partition's file while it is open.</summary>
/// <param name="OutputPartition">Output partition.</param>
/// <param name="FirstOffset">First offset.</param>
/// <param name="FirstClockMs">The age clock of the first record.</param>
/// <param name="Records">Records so far.</param>
/// <param name="Bytes">Key and value bytes so far.</param>
/// <param name="LastOffset">Last offset so far.</param>
public sealed record OpenArchiveFile(string OutputPartition, long FirstOffset, long FirstClockMs, long Records, long Bytes, long LastOffset);

/// <summary>
/// The deterministic heart of the archive sink for one Kafka partition: given its records in offset order,
/// finds each record's event time and output partition, and decides where files start and where they are
/// cut, using only what the records carry (offsets, sizes, Kafka timestamps, event times), never the wall
/// clock. Replaying the partition from any checkpoint it reported, with the same
/// <see cref="UploadedThrough"/>, reproduces the same actions, so re-uploads overwrite identical objects.
/// </summary>
/// <remarks>
/// Invariant that makes the sink exactly-once: <see cref="Checkpoint"/> never passes the first offset of a
/// file that is not uploaded and recorded in <see cref="UploadedThrough"/>; records at or below an output
/// partition's uploaded-through offset are dropped as duplicates.
/// </remarks>
public sealed class ArchiveRouter
{
    private readonly ArchiveOptions _options;
    private readonly EventTimeParser _eventTime;
    private readonly Dictionary<string, long> _uploadedThrough;
    private readonly Dictionary<string, OpenArchiveFile> _open = new(StringComparer.Ordinal);
    private readonly List<OpenArchiveFile> _toSeal = [];
    private readonly Dictionary<long, string> _outputs = [];
    private readonly SortedSet<long> _cuts;
    private readonly long _bucketMs;
    private long _lastBucket = long.MinValue;
    private string _lastOutput = string.Empty;

    /// <summary>
    /// Creates the router for <paramref name="topic"/>[<paramref name="partition"/>], resuming with the durable
    /// per-output-partition upload marks and the recorded timing-dependent cuts (<see cref="Cuts"/>) a replay from
    /// <paramref name="nextOffset"/> must make again.
    /// </summary>
    public ArchiveRouter(string topic, int partition, ArchiveOptions options, IReadOnlyDictionary<string, long>? uploadedThrough = null, long nextOffset = 0, IEnumerable<long>? cuts = null)
    {
        Topic = topic;
        Partition = partition;
        _options = options;
        _eventTime = new EventTimeParser(options.EventTime);
        _bucketMs = options.Granularity switch
        {
            ArchiveGranularity.Day => 86_400_000,
            ArchiveGranularity.Hour => 3_600_000,
            _ => 60_000,
        };
        _uploadedThrough = uploadedThrough is null ? new(StringComparer.Ordinal) : new(uploadedThrough, StringComparer.Ordinal);
        NextOffset = nextOffset;
        _cuts = cuts is null ? [] : [.. cuts.Where(c => c > nextOffset)];
    }

    /// <summary>Topic.</summary>
    public string Topic { get; }

    /// <summary>Kafka partition.</summary>
    public int Partition { get; }

    /// <summary>The offset after the last record routed.</summary>
    public long NextOffset { get; private set; }

    /// <summary>Largest event time routed (of records that parsed), Unix ms; <see cref="long.MinValue"/> before any.</summary>
    public long WatermarkMs { get; private set; } = long.MinValue;

    /// <summary>Records dropped because their output partition was already uploaded past them.</summary>
    public long DuplicatesDropped { get; private set; }

    /// <summary>Per output partition, the last offset uploaded (including seals this router emitted).</summary>
    public IReadOnlyDictionary<string, long> UploadedThrough => _uploadedThrough;

    /// <summary>
    /// Recorded timing-dependent cuts this router was given and has not reached yet: at each offset K every file open
    /// once offset K - 1 was routed is sealed, exactly as the live run sealed it.
    /// </summary>
    public IReadOnlyCollection<long> Cuts => _cuts;

    /// <summary>Files not sealed yet.</summary>
    public IReadOnlyCollection<OpenArchiveFile> OpenFiles => _open.Values;

    /// <summary>Everything below this offset is in sealed files (or dropped duplicates): safe to commit once those seals are durable.</summary>
    public long Checkpoint => _open.Count == 0 ? NextOffset : _open.Values.Min(f => f.FirstOffset);

    /// <summary>The upload marks still needed by a replay from <see cref="Checkpoint"/> (older ones can be forgotten).</summary>
    public Dictionary<string, long> DurableMarks()
    {
        var checkpoint = Checkpoint;
        return _uploadedThrough.Where(kv => kv.Value >= checkpoint).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    /// <summary>Routes one record (offsets must increase), appending the resulting actions.</summary>
    public void Route(ArchiveRecord record, List<ArchiveAction> actions)
    {
        if (record.Offset < NextOffset)
        {
            DuplicatesDropped++;
            return;
        }

        // A recorded cut at or below this offset that the records before it did not reach (a gap in the offsets).
        ApplyCuts(record.Offset, actions);
        RouteCore(record, actions);
        ApplyCuts(NextOffset, actions);
    }

    /// <summary>
    /// A timing-dependent cut at <see cref="NextOffset"/> (idle, flush, deactivation): seals every open file and returns
    /// the cut's offset, which the host must make durable before it uploads the files, and give back to the router that
    /// replays from a checkpoint below it (constructor's <c>cuts</c>), so the replay seals the same files at the same
    /// offset. Null when no file was open (nothing to cut, nothing to record).
    /// </summary>
    public long? Cut(List<ArchiveAction> actions)
    {
        if (_open.Count == 0)
        {
            return null;
        }

        SealAll(actions);
        return NextOffset;
    }

    private void ApplyCuts(long reached, List<ArchiveAction> actions)
    {
        while (_cuts.Count > 0 && _cuts.Min <= reached)
        {
            _cuts.Remove(_cuts.Min);
            SealAll(actions);
        }
    }

    private void RouteCore(ArchiveRecord record, List<ArchiveAction> actions)
    {
        NextOffset = record.Offset + 1;
        string? reason = null;
        if (_eventTime.TryParse(record, out var eventTimeMs, out var why))
        {
            WatermarkMs = Math.Max(WatermarkMs, eventTimeMs);
        }
        else
        {
            reason = why;
        }

        var clock = _options.AgeClock == FileAgeClock.KafkaTimestamp ? record.TimestampMs : eventTimeMs;

        // Every record ticks the age and offset clocks of every open file, duplicates included, so a replay
        // (which sees the same records from the checkpoint on) cuts the same files at the same places.
        if (_open.Count > 0)
        {
            foreach (var file in _open.Values)
            {
                if (record.Offset - file.FirstOffset >= _options.MaxFileOffsetSpan || clock - file.FirstClockMs >= (long)_options.MaxFileAge.TotalMilliseconds)
                {
                    _toSeal.Add(file);
                }
            }

            foreach (var file in _toSeal)
            {
                Seal(file, actions);
            }

            _toSeal.Clear();
        }

        var output = OutputPartition(eventTimeMs);
        if (_uploadedThrough.TryGetValue(output, out var through) && record.Offset <= through)
        {
            DuplicatesDropped++;
            return;
        }

        var size = (record.Key?.Length ?? 0) + (record.Value?.Length ?? 0);
        var open = _open.TryGetValue(output, out var current)
            ? current with { Records = current.Records + 1, Bytes = current.Bytes + size, LastOffset = record.Offset }
            : new OpenArchiveFile(output, record.Offset, clock, 1, size, record.Offset);
        _open[output] = open;
        actions.Add(new ArchiveAction(ArchiveActionKind.Append, output, open.FirstOffset, new RoutedRecord(record, eventTimeMs, reason)));
        if (open.Bytes >= _options.MaxFileBytes || open.Records >= _options.MaxFileRecords)
        {
            Seal(open, actions);
        }
    }

    /// <summary>Seals every open file (flush on shutdown or on request): a cut that depends on when it happens, made safe by <see cref="UploadedThrough"/>.</summary>
    public void SealAll(List<ArchiveAction> actions)
    {
        foreach (var file in _open.Values.OrderBy(f => f.FirstOffset).ToList())
        {
            Seal(file, actions);
        }
    }

    /// <summary>
    /// The output partition of <paramref name="eventTimeMs"/>, formatted once per bucket (UTC days, hours and
    /// minutes are whole multiples of the bucket width since the epoch): formatting it for every record was the
    /// largest cost of routing.
    /// </summary>
    private string OutputPartition(long eventTimeMs)
    {
        var bucket = Math.DivRem(eventTimeMs, _bucketMs, out var rest) - (rest < 0 ? 1 : 0);
        if (bucket != _lastBucket)
        {
            if (!_outputs.TryGetValue(bucket, out var output))
            {
                if (_outputs.Count >= 4096)
                {
                    _outputs.Clear();
                }

                output = HivePath.OutputPartition(eventTimeMs, _options.Granularity);
                _outputs[bucket] = output;
            }

            _lastOutput = output;
            _lastBucket = bucket;
        }

        return _lastOutput;
    }

    private void Seal(OpenArchiveFile file, List<ArchiveAction> actions)
    {
        _open.Remove(file.OutputPartition);
        _uploadedThrough[file.OutputPartition] = file.LastOffset;
        actions.Add(new ArchiveAction(ArchiveActionKind.Seal, file.OutputPartition, file.FirstOffset, null));
    }
}
