namespace Tributary.Segments;

/// <summary>
/// One segment: datasource, UTC hour and Kafka partition (key <c>Tributary.Segments.SegmentKey</c>). Open while its hour plus
/// the late window has not passed, then sealed to the object store; it reloads lazily after deactivation.
/// Appends are idempotent by Kafka offset.
/// </summary>
[Alias("tributary.ISegmentGrain")]
public interface ISegmentGrain : IGrainWithStringKey
{
    /// <summary>Appends the events whose offsets were not applied yet.</summary>
    [Alias("Append")]
    ValueTask<SegmentAppendResult> AppendAsync(SegmentAppendBatch batch);

    /// <summary>Makes every applied event durable (persists the open state) and reports how far that is.</summary>
    [Alias("Persist")]
    ValueTask<SegmentAppendResult> PersistAsync();

    /// <summary>Seals the segment now (normally done when the watermark passes its hour plus the late window).</summary>
    [Alias("Seal")]
    ValueTask<SegmentStatus> SealAsync();

    /// <summary>Runs a Druid native query (UTF-8 JSON) on this segment and returns its partial result as <c>PartialResultCodec</c> bytes.</summary>
    [Alias("Query")]
    ValueTask<byte[]> QueryAsync(byte[] queryJson, CancellationToken cancellationToken = default);

    /// <summary>The segment's state and counters.</summary>
    [Alias("GetStatus")]
    ValueTask<SegmentStatus> GetStatusAsync();

    /// <summary>
    /// Retention: deletes the segment's objects (sealed segment, Bloom filter, persisted chunks) and its grain state, and
    /// deactivates. Idempotent. Refused with an <see cref="InvalidOperationException"/> for a segment that is open and
    /// holds events, unless its hour is past the configured retention (it then is dropped on activation anyway).
    /// </summary>
    [Alias("Drop")]
    ValueTask DropAsync();
}

/// <summary>A datasource's segment timeline (key: the datasource name).</summary>
[Alias("tributary.IDatasourceCatalogGrain")]
public interface IDatasourceCatalogGrain : IGrainWithStringKey
{
    /// <summary>Adds or updates a segment (open segments register on creation, sealed ones with their Bloom filter).</summary>
    [Alias("Register")]
    ValueTask RegisterAsync(SegmentTimelineEntry entry);

    /// <summary>The timeline the broker queries: every served segment, open and sealed (per hour those of the hour's published version).</summary>
    [Alias("GetTimeline")]
    ValueTask<DatasourceTimeline> GetTimelineAsync();

    /// <summary>
    /// Serves the backfilled segments of <see cref="SegmentVersionPublish.Version"/> for its interval, overshadowing the
    /// lower versions there, in one state write. Refused (nothing changes) with an <see cref="InvalidOperationException"/>
    /// naming the segment or hour when a listed segment is not registered sealed at that version inside the interval,
    /// when a segment served now in the interval is still open, or when an hour already serves this or a higher version.
    /// </summary>
    [Alias("PublishVersion")]
    ValueTask<SegmentVersionPublished> PublishVersionAsync(SegmentVersionPublish publish);

    /// <summary>
    /// Applies the configured retention now (the catalog also does it hourly, by reminder): every sealed segment whose
    /// hour ended longer ago than the retention is dropped (<see cref="ISegmentGrain.DropAsync"/>) and removed from the
    /// timeline. Without a retention configured, does nothing.
    /// </summary>
    [Alias("ApplyRetention")]
    ValueTask<SegmentRetentionApplied> ApplyRetentionAsync();
}

/// <summary>
/// Answers Druid native queries: parse, prune (interval, partition, Bloom filter), fan out to segments, merge. A
/// stateless worker: call it with key 0 from anywhere.
/// </summary>
[Alias("tributary.IQueryBrokerGrain")]
public interface IQueryBrokerGrain : IGrainWithIntegerKey
{
    /// <summary>Runs <paramref name="queryJson"/> (Druid native JSON); <paramref name="explain"/> forces the explain report.</summary>
    [Alias("Query")]
    ValueTask<QueryResponse> QueryAsync(byte[] queryJson, bool explain = false);

    /// <summary>Names of the datasources the silo serves.</summary>
    [Alias("GetDatasources")]
    ValueTask<string[]> GetDatasourcesAsync();

    /// <summary>
    /// Druid's <c>GET /druid/v2/datasources/{name}</c>: <c>{"dimensions":[..],"metrics":[..]}</c> of the datasource,
    /// or only of its segments overlapping <paramref name="interval"/> (ISO-8601) when given; 404 with Druid's error
    /// body for an unknown datasource, 400 for a bad interval.
    /// </summary>
    [Alias("GetDatasource")]
    ValueTask<QueryResponse> GetDatasourceAsync(string name, string? interval = null);
}

/// <summary>The segment sink of one Kafka partition (key <c>{topic}/{partition}</c>, see <see cref="TopicPartitionKey"/>).</summary>
[Alias("tributary.ISegmentIngestGrain")]
public interface ISegmentIngestGrain : IGrainWithStringKey
{
    /// <summary>Progress and counters; answered between the turns of a delivery (it only reads), so a busy sink still reports.</summary>
    [Alias("GetStatus"), Orleans.Concurrency.AlwaysInterleave]
    ValueTask<SegmentIngestStatus> GetStatusAsync();

    /// <summary>Persists every segment with pending events, then moves the checkpoint to the next offset.</summary>
    [Alias("Flush")]
    ValueTask<SegmentIngestStatus> FlushAsync();
}
