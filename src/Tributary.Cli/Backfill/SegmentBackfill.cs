using System.Globalization;
using Tributary.Segments;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;
using Tributary.Storage;
using Tributary.Unified;

namespace Tributary.Cli.Backfill;

/// <summary>What to rebuild: one datasource's segments of an interval of whole hours, from a topic's archive (then Kafka).</summary>
/// <param name="Spec">The datasource whose segments are rebuilt (its spec routes and parses exactly as the live sink does).</param>
/// <param name="StartMs">Interval start, Unix ms, hour-aligned (inclusive).</param>
/// <param name="EndMs">Interval end, Unix ms, hour-aligned (exclusive).</param>
/// <param name="Version">The version of the rebuilt segments (above every version the hours serve now).</param>
/// <param name="Source">The unified source over the topic, from the beginning, ending at the latest offsets at open.</param>
internal sealed record BackfillRequest(DatasourceSpec Spec, long StartMs, long EndMs, long Version, UnifiedSourceOptions Source);

/// <summary>What a backfill did.</summary>
internal sealed record BackfillReport
{
    /// <summary>The version published.</summary>
    public long Version { get; init; }

    /// <summary>Segments built and published.</summary>
    public int Segments { get; init; }

    /// <summary>Events applied to the new segments (the last pass; earlier passes' are duplicates).</summary>
    public long Events { get; init; }

    /// <summary>Events the router refused in the last pass, in any hour (malformed, late): the live sink dead-lettered the same ones; not sent again.</summary>
    public long Refused { get; init; }

    /// <summary>Events the segments refused (last pass).</summary>
    public long Rejected { get; init; }

    /// <summary>Records read from the archive (last pass).</summary>
    public long ArchiveRecords { get; init; }

    /// <summary>Records read from live Kafka (last pass).</summary>
    public long LiveRecords { get; init; }

    /// <summary>Segments of lower versions no longer served.</summary>
    public int Overshadowed { get; init; }

    /// <summary>Passes over the source (more than one when a segment lost events with a dead activation).</summary>
    public int Passes { get; init; }
}

/// <summary>
/// Rebuilds the real-time segments of a datasource for an interval from the archive through <see cref="UnifiedSource"/>,
/// as versioned segments that replace the interval's live ones atomically (Druid's versioned overshadowing), with the live
/// sink's exactly-once rules. It runs in the calling process and talks to the cluster through grain calls only.
/// </summary>
/// <remarks>
/// Per Kafka partition the records are routed by the live sink's own <see cref="SegmentRouter"/>, started where the live sink
/// starts (the beginning, watermark unset), so admission (malformed, late behind the watermark) decides exactly as it did
/// live; early rejection is judged against each record's Kafka timestamp instead of the wall clock of the day. Events whose
/// hour is in the interval go to <see cref="ISegmentGrain"/>s keyed with the version (<see cref="SegmentKey.Format(string, long, int, long)"/>),
/// which drop replays by offset and refuse a batch past a gap, so a pass that meets a lost segment activation is simply run
/// again from the beginning (and a crashed backfill resumes by running again with the same version). The segments are then
/// sealed and published in one catalog call; until then no query sees them.
/// </remarks>
internal sealed class SegmentBackfill(IGrainFactory grains, IObjectStore archive)
{
    private const int BatchRecords = 5_000;
    private const int MaxPasses = 3;

    /// <summary>Progress lines (stderr in the command); null for none.</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>Runs the backfill: build, seal, publish.</summary>
    public async Task<BackfillReport> RunAsync(BackfillRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var touched = new SortedSet<string>(StringComparer.Ordinal);
        Pass? pass = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                pass = await PassAsync(request, touched, cancellationToken);
                pass.Number = attempt;
                break;
            }
            catch (SegmentLostException ex) when (attempt < MaxPasses)
            {
                await WriteProgressAsync($"backfill: pass {attempt}: {ex.Message}; reading again from the beginning (segments drop what they applied)");
            }
        }

        var sealedStatuses = await Task.WhenAll(touched.Select(k => grains.GetGrain<ISegmentGrain>(k).SealAsync().AsTask()));
        if (sealedStatuses.FirstOrDefault(s => s.State != SegmentState.Sealed) is { } notSealed)
        {
            throw new InvalidOperationException($"backfill: segment {notSealed.Key} did not seal.");
        }

        var published = await grains.GetGrain<IDatasourceCatalogGrain>(request.Spec.Name).PublishVersionAsync(new SegmentVersionPublish
        {
            StartMs = request.StartMs,
            EndMs = request.EndMs,
            Version = request.Version,
            Keys = [.. touched],
        });
        await WriteProgressAsync(string.Create(CultureInfo.InvariantCulture, $"backfill: published version {request.Version}: {touched.Count} segments, {published.Overshadowed} overshadowed"));
        return new BackfillReport
        {
            Version = request.Version,
            Segments = touched.Count,
            Events = pass!.Events,
            Refused = pass.Refused,
            Rejected = pass.Rejected,
            ArchiveRecords = pass.ArchiveRecords,
            LiveRecords = pass.LiveRecords,
            Overshadowed = published.Overshadowed,
            Passes = pass.Number,
        };
    }

    private async Task<Pass> PassAsync(BackfillRequest request, SortedSet<string> touched, CancellationToken cancellationToken)
    {
        var spec = request.Spec;
        var closedAfter = request.EndMs + (long)spec.LateWindow.TotalMilliseconds;
        var partitions = new Dictionary<int, PartitionWork>();
        var pass = new Pass();
        var source = new UnifiedSource(archive, request.Source);
        await foreach (var record in source.ReadAsync(cancellationToken))
        {
            if (!partitions.TryGetValue(record.Partition, out var work))
            {
                var partition = record.Partition;
                var router = new SegmentRouter(spec, request.Source.Topic, start => SegmentKey.Format(spec.Name, start, partition, request.Version), 0, long.MinValue);
                partitions[partition] = work = new PartitionWork(router);
            }

            if (work.Done)
            {
                continue;
            }

            work.Pending.Add(record);
            if (work.Pending.Count >= BatchRecords)
            {
                await SendAsync(request, work, touched, pass);

                // Every later event of an interval hour is behind the late window now: the live sink refused them too.
                work.Done = work.Router.WatermarkMs != long.MinValue && work.Router.WatermarkMs >= closedAfter;
            }
        }

        foreach (var work in partitions.Values)
        {
            await SendAsync(request, work, touched, pass);
        }

        pass.ArchiveRecords = source.ArchiveRecords;
        pass.LiveRecords = source.LiveRecords;
        await WriteProgressAsync(string.Create(CultureInfo.InvariantCulture, $"backfill: read {pass.ArchiveRecords} archived and {pass.LiveRecords} live records of {partitions.Count} partitions; {pass.Events} events into {touched.Count} segments"));
        return pass;
    }

    private async Task SendAsync(BackfillRequest request, PartitionWork work, SortedSet<string> touched, Pass pass)
    {
        if (work.Pending.Count == 0)
        {
            return;
        }

        var batch = work.Router.Begin();
        foreach (var record in work.Pending)
        {
            work.Router.Route(record.Offset, record.Value, record.TimestampMs, batch);
        }

        work.Pending.Clear();
        pass.Refused += batch.DeadLetters.Count;
        var routes = batch.Routes.Where(r => InInterval(request, r.Key)).ToList();
        if (routes.Count == 0)
        {
            return;
        }

        var results = await Task.WhenAll(routes.Select(r => grains.GetGrain<ISegmentGrain>(r.Key).AppendAsync(new SegmentAppendBatch
        {
            Offsets = [.. r.Offsets],
            Events = [.. r.Events],
            WatermarkMs = batch.WatermarkAfter,
            PreviousSent = work.LastSent.GetValueOrDefault(r.Key, -1),
        }).AsTask()));
        string? lost = null;
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            var result = results[i];
            var known = work.LastSent.GetValueOrDefault(route.Key, -1);
            if (result.Refused || known > result.PreviousMaxOffset)
            {
                lost ??= string.Create(CultureInfo.InvariantCulture, $"segment {route.Key} applied only through offset {result.PreviousMaxOffset} but was sent offset {known}");
                continue;
            }

            work.LastSent[route.Key] = route.Offsets[^1];
            touched.Add(route.Key);
            pass.Events += result.Appended;
            pass.Rejected += result.Rejected.Length;
        }

        if (lost is not null)
        {
            throw new SegmentLostException(lost);
        }
    }

    private static bool InInterval(BackfillRequest request, string key)
    {
        var (_, hour, _, _) = SegmentKey.ParseVersioned(key);
        return hour >= request.StartMs && hour < request.EndMs;
    }

    private async Task WriteProgressAsync(string line)
    {
        if (Progress is not null)
        {
            await Progress.WriteLineAsync(line);
        }
    }

    private sealed class PartitionWork(SegmentRouter router)
    {
        public SegmentRouter Router { get; } = router;

        public List<UnifiedRecord> Pending { get; } = [];

        public Dictionary<string, long> LastSent { get; } = new(StringComparer.Ordinal);

        public bool Done { get; set; }
    }

    private sealed class Pass
    {
        public int Number { get; set; }

        public long Events { get; set; }

        public long Refused { get; set; }

        public long Rejected { get; set; }

        public long ArchiveRecords { get; set; }

        public long LiveRecords { get; set; }
    }

    private sealed class SegmentLostException(string message) : Exception(message);
}
