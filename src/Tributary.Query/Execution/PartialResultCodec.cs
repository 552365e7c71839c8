using System.Text;

namespace Tributary.Query;

/// <summary>
/// A compact binary form of <see cref="PartialResult"/>s, so a segment can ship its partial to the broker as an
/// immutable byte array (e.g. across grains or silos). Aggregator states are written by the query's aggregator
/// types, so decoding needs the same query; sketches travel as <see cref="ICardinalitySketch.Serialize"/> bytes.
/// <para>
/// Format (little-endian, strings as 7-bit-length-prefixed UTF-8, "opt" = a bool flag then the value):
/// version byte 1, kind byte (1 aggregate, 2 scan, 3 timeBoundary, 4 segmentMetadata, 5 search, 6 dataSourceMetadata), segment id, then
/// aggregate: opt minTimestamp, bucket count, per bucket its start and group count, per group the key length and
/// opt string values, then per aggregator its state (count/longSum: long; doubleSum: double; min/max: opt long or
/// double; hyperUnique and cardinality: length-prefixed sketch bytes; doubleMean: double sum, long count; first/last:
/// opt long time, tagged value); scan: columns, row count, per row time and tagged values;
/// timeBoundary: opt min, opt max; segmentMetadata: the analysis fields in declaration order, then opt
/// aggregators (count, per entry name and opt type byte, name, opt fieldName, round), opt timestampSpec (column, format),
/// opt queryGranularity, opt rollup; search: opt
/// minTimestamp, bucket count, per bucket its start and hit count, per hit dimension, value and count;
/// dataSourceMetadata: opt max ingested event time.
/// </para>
/// </summary>
public static class PartialResultCodec
{
    private const byte Version = 1;

    /// <summary>Encodes a partial.</summary>
    public static byte[] Serialize(PartialResult partial)
    {
        ArgumentNullException.ThrowIfNull(partial);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            switch (partial)
            {
                case AggregatePartial a:
                    w.Write((byte)1);
                    w.Write(a.SegmentId);
                    WriteOptional(w, a.MinTimestamp);
                    w.Write(a.Buckets.Count);
                    foreach (var (bucket, groups) in a.Buckets)
                    {
                        w.Write(bucket);
                        w.Write(groups.Count);
                        foreach (var (key, states) in groups)
                        {
                            w.Write(key.Values.Count);
                            foreach (var v in key.Values)
                            {
                                WriteOptional(w, v);
                            }

                            foreach (var state in states)
                            {
                                WriteState(w, state);
                            }
                        }
                    }

                    break;
                case ScanPartial s:
                    w.Write((byte)2);
                    w.Write(s.SegmentId);
                    w.Write(s.Columns.Count);
                    foreach (var c in s.Columns)
                    {
                        w.Write(c);
                    }

                    w.Write(s.Rows.Count);
                    foreach (var row in s.Rows)
                    {
                        w.Write(row.Timestamp);
                        w.Write(row.Values.Length);
                        foreach (var v in row.Values)
                        {
                            WriteValue(w, v);
                        }
                    }

                    break;
                case TimeBoundaryPartial t:
                    w.Write((byte)3);
                    w.Write(t.SegmentId);
                    WriteOptional(w, t.MinTime);
                    WriteOptional(w, t.MaxTime);
                    break;
                case SegmentMetadataPartial m:
                    w.Write((byte)4);
                    w.Write(m.SegmentId);
                    WriteAnalysis(w, m.Analysis);
                    break;
                case SearchPartial sp:
                    w.Write((byte)5);
                    w.Write(sp.SegmentId);
                    WriteOptional(w, sp.MinTimestamp);
                    w.Write(sp.Buckets.Count);
                    foreach (var (bucket, hits) in sp.Buckets)
                    {
                        w.Write(bucket);
                        w.Write(hits.Count);
                        foreach (var (key, count) in hits)
                        {
                            w.Write(key.Dimension);
                            w.Write(key.Value);
                            w.Write(count);
                        }
                    }

                    break;
                case DataSourceMetadataPartial dm:
                    w.Write((byte)6);
                    w.Write(dm.SegmentId);
                    WriteOptional(w, dm.MaxIngestedEventTime);
                    break;
                default:
                    throw new ArgumentException($"Unknown partial type {partial.GetType().Name}.", nameof(partial));
            }
        }

        return stream.ToArray();
    }

    /// <summary>Decodes a partial written by <see cref="Serialize"/> for the same <paramref name="query"/>.</summary>
    public static PartialResult Deserialize(ReadOnlySpan<byte> bytes, NativeQuery query, ICardinalitySketchFactory? sketches)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var stream = new MemoryStream(bytes.ToArray(), writable: false);
        using var r = new BinaryReader(stream, Encoding.UTF8);
        try
        {
            var version = r.ReadByte();
            if (version != Version)
            {
                throw new InvalidDataException($"Partial result format version {version} is not supported (expected {Version}).");
            }

            var kind = r.ReadByte();
            var segmentId = r.ReadString();
            switch (kind)
            {
                case 1 when query is AggregationQuery aq:
                {
                    var partial = new AggregatePartial { SegmentId = segmentId, MinTimestamp = ReadOptionalLong(r) };
                    var bucketCount = r.ReadInt32();
                    for (var b = 0; b < bucketCount; b++)
                    {
                        var bucket = r.ReadInt64();
                        var groupCount = r.ReadInt32();
                        var groups = new Dictionary<GroupKey, IAggregatorState[]>(groupCount);
                        for (var g = 0; g < groupCount; g++)
                        {
                            var values = new string?[r.ReadInt32()];
                            for (var i = 0; i < values.Length; i++)
                            {
                                values[i] = r.ReadBoolean() ? r.ReadString() : null;
                            }

                            var states = new IAggregatorState[aq.Aggregations.Count];
                            for (var i = 0; i < states.Length; i++)
                            {
                                states[i] = ReadState(r, aq.Aggregations[i], sketches);
                            }

                            groups[new GroupKey(values)] = states;
                        }

                        partial.Buckets[bucket] = groups;
                    }

                    return partial;
                }

                case 2 when query is ScanQuery:
                {
                    var columns = new string[r.ReadInt32()];
                    for (var i = 0; i < columns.Length; i++)
                    {
                        columns[i] = r.ReadString();
                    }

                    var rowCount = r.ReadInt32();
                    var rows = new List<ScanRow>(rowCount);
                    for (var i = 0; i < rowCount; i++)
                    {
                        var timestamp = r.ReadInt64();
                        var values = new object?[r.ReadInt32()];
                        for (var j = 0; j < values.Length; j++)
                        {
                            values[j] = ReadValue(r, sketches);
                        }

                        rows.Add(new ScanRow(timestamp, values));
                    }

                    return new ScanPartial(columns, rows) { SegmentId = segmentId };
                }

                case 3 when query is TimeBoundaryQuery:
                    return new TimeBoundaryPartial(ReadOptionalLong(r), ReadOptionalLong(r)) { SegmentId = segmentId };
                case 4 when query is SegmentMetadataQuery:
                    return new SegmentMetadataPartial(ReadAnalysis(r)) { SegmentId = segmentId };
                case 5 when query is SearchQuery:
                {
                    var partial = new SearchPartial { SegmentId = segmentId, MinTimestamp = ReadOptionalLong(r) };
                    var bucketCount = r.ReadInt32();
                    for (var b = 0; b < bucketCount; b++)
                    {
                        var bucket = r.ReadInt64();
                        var hitCount = r.ReadInt32();
                        var hits = new Dictionary<SearchHitKey, long>(hitCount);
                        for (var h = 0; h < hitCount; h++)
                        {
                            hits[new SearchHitKey(r.ReadString(), r.ReadString())] = r.ReadInt64();
                        }

                        partial.Buckets[bucket] = hits;
                    }

                    return partial;
                }

                case 6 when query is DataSourceMetadataQuery:
                    return new DataSourceMetadataPartial(ReadOptionalLong(r)) { SegmentId = segmentId };
                default:
                    throw new InvalidDataException($"Partial result kind {kind} does not belong to a {query.QueryType} query.");
            }
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The partial result is truncated.", ex);
        }
    }

    private static void WriteState(BinaryWriter w, IAggregatorState state)
    {
        switch (state)
        {
            case CountState c:
                w.Write(c.Count);
                break;
            case LongSumState s:
                w.Write(s.Sum);
                break;
            case DoubleSumState d:
                w.Write(d.Sum);
                break;
            case LongExtremumState l:
                WriteOptional(w, l.Value);
                break;
            case DoubleExtremumState d:
                w.Write(d.Value.HasValue);
                if (d.Value is { } v)
                {
                    w.Write(v);
                }

                break;
            case HyperUniqueState h:
                var bytes = h.Sketch.Serialize();
                w.Write(bytes.Length);
                w.Write(bytes);
                break;
            case DoubleMeanState m:
                w.Write(m.Sum);
                w.Write(m.Count);
                break;
            case FirstLastState fl:
                WriteOptional(w, fl.Time);
                WriteValue(w, fl.Value);
                break;
            default:
                throw new ArgumentException($"Unknown aggregator state {state.GetType().Name}.", nameof(state));
        }
    }

    private static IAggregatorState ReadState(BinaryReader r, AggregatorSpec spec, ICardinalitySketchFactory? sketches)
    {
        switch (spec.Type)
        {
            case AggregatorType.Count:
                return new CountState { Count = r.ReadInt64() };
            case AggregatorType.LongSum:
                return new LongSumState { Sum = r.ReadInt64() };
            case AggregatorType.DoubleSum:
                return new DoubleSumState { Sum = r.ReadDouble() };
            case AggregatorType.LongMin or AggregatorType.LongMax:
                return new LongExtremumState(spec.Type == AggregatorType.LongMax) { Value = ReadOptionalLong(r) };
            case AggregatorType.DoubleMin or AggregatorType.DoubleMax:
                return new DoubleExtremumState(spec.Type == AggregatorType.DoubleMax) { Value = r.ReadBoolean() ? r.ReadDouble() : null };
            case AggregatorType.DoubleMean:
                return new DoubleMeanState { Sum = r.ReadDouble(), Count = r.ReadInt64() };
            case AggregatorType.LongFirst or AggregatorType.LongLast or AggregatorType.DoubleFirst or AggregatorType.DoubleLast or AggregatorType.StringFirst or AggregatorType.StringLast:
            {
                var state = (FirstLastState)AggregatorStates.Create(spec, sketches);
                state.Time = ReadOptionalLong(r);
                state.Value = ReadValue(r, sketches);
                return state;
            }

            default:
                var bytes = r.ReadBytes(r.ReadInt32());
                var factory = sketches ?? throw new InvalidOperationException($"Aggregator '{spec.Name}' is {spec.TypeName} but no ICardinalitySketchFactory was supplied.");
                return new HyperUniqueState(factory.Deserialize(bytes), spec.Round);
        }
    }

    private static void WriteValue(BinaryWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.Write((byte)0);
                break;
            case string s:
                w.Write((byte)1);
                w.Write(s);
                break;
            case long l:
                w.Write((byte)2);
                w.Write(l);
                break;
            case int i:
                w.Write((byte)2);
                w.Write((long)i);
                break;
            case double d:
                w.Write((byte)3);
                w.Write(d);
                break;
            case float f:
                w.Write((byte)3);
                w.Write((double)f);
                break;
            case ICardinalitySketch sketch:
                w.Write((byte)4);
                var bytes = sketch.Serialize();
                w.Write(bytes.Length);
                w.Write(bytes);
                break;
            case bool b:
                w.Write((byte)5);
                w.Write(b);
                break;
            default:
                throw new ArgumentException($"Values of type {value.GetType().Name} cannot be encoded.", nameof(value));
        }
    }

    private static object? ReadValue(BinaryReader r, ICardinalitySketchFactory? sketches)
    {
        var tag = r.ReadByte();
        return tag switch
        {
            0 => null,
            1 => r.ReadString(),
            2 => r.ReadInt64(),
            3 => r.ReadDouble(),
            4 => (sketches ?? throw new InvalidOperationException("A scan value is a sketch but no ICardinalitySketchFactory was supplied.")).Deserialize(r.ReadBytes(r.ReadInt32())),
            5 => r.ReadBoolean(),
            _ => throw new InvalidDataException($"Unknown value tag {tag}."),
        };
    }

    private static void WriteAnalysis(BinaryWriter w, SegmentAnalysis a)
    {
        w.Write(a.Id);
        w.Write(a.Intervals is not null);
        if (a.Intervals is not null)
        {
            w.Write(a.Intervals.Count);
            foreach (var i in a.Intervals)
            {
                w.Write(i.Start);
                w.Write(i.End);
            }
        }

        w.Write(a.Columns.Count);
        foreach (var (name, c) in a.Columns)
        {
            w.Write(name);
            w.Write(c.Type);
            w.Write(c.TypeSignature);
            w.Write(c.HasMultipleValues);
            w.Write(c.HasNulls);
            w.Write(c.Size);
            WriteOptional(w, c.Cardinality);
            WriteValue(w, c.MinValue);
            WriteValue(w, c.MaxValue);
            WriteOptional(w, c.ErrorMessage);
        }

        w.Write(a.Size);
        w.Write(a.NumRows);
        w.Write(a.Aggregators is not null);
        if (a.Aggregators is not null)
        {
            w.Write(a.Aggregators.Count);
            foreach (var (name, spec) in a.Aggregators)
            {
                w.Write(name);
                w.Write(spec is not null);
                if (spec is not null)
                {
                    w.Write((byte)spec.Type);
                    w.Write(spec.Name);
                    WriteOptional(w, spec.FieldName);
                    w.Write(spec.Round);
                }
            }
        }

        w.Write(a.TimestampSpec is not null);
        if (a.TimestampSpec is { } ts)
        {
            w.Write(ts.Column);
            w.Write(ts.Format);
        }

        WriteOptional(w, a.QueryGranularity);
        w.Write(a.Rollup.HasValue);
        if (a.Rollup is { } rollup)
        {
            w.Write(rollup);
        }
    }

    private static SegmentAnalysis ReadAnalysis(BinaryReader r)
    {
        var id = r.ReadString();
        List<Interval>? intervals = null;
        if (r.ReadBoolean())
        {
            var n = r.ReadInt32();
            intervals = new List<Interval>(n);
            for (var i = 0; i < n; i++)
            {
                intervals.Add(new Interval(r.ReadInt64(), r.ReadInt64()));
            }
        }

        var columns = new OrderedDictionary<string, ColumnAnalysis>(StringComparer.Ordinal);
        var count = r.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            var name = r.ReadString();
            columns[name] = new ColumnAnalysis(
                r.ReadString(), r.ReadString(), r.ReadBoolean(), r.ReadBoolean(), r.ReadInt64(), ReadOptionalLong(r),
                ReadValue(r, null), ReadValue(r, null), r.ReadBoolean() ? r.ReadString() : null);
        }

        var analysis = new SegmentAnalysis(id, intervals, columns, r.ReadInt64(), r.ReadInt64());
        OrderedDictionary<string, AggregatorSpec?>? aggregators = null;
        if (r.ReadBoolean())
        {
            var n = r.ReadInt32();
            aggregators = new OrderedDictionary<string, AggregatorSpec?>(StringComparer.Ordinal);
            for (var i = 0; i < n; i++)
            {
                var name = r.ReadString();
                aggregators[name] = r.ReadBoolean() ? new AggregatorSpec((AggregatorType)r.ReadByte(), r.ReadString(), r.ReadBoolean() ? r.ReadString() : null, r.ReadBoolean()) : null;
            }
        }

        var timestampSpec = r.ReadBoolean() ? new SegmentTimestampSpec(r.ReadString(), r.ReadString()) : null;
        var granularity = r.ReadBoolean() ? r.ReadString() : null;
        bool? rollup = r.ReadBoolean() ? r.ReadBoolean() : null;
        return analysis with { Aggregators = aggregators, TimestampSpec = timestampSpec, QueryGranularity = granularity, Rollup = rollup };
    }

    private static void WriteOptional(BinaryWriter w, long? value)
    {
        w.Write(value.HasValue);
        if (value is { } v)
        {
            w.Write(v);
        }
    }

    private static void WriteOptional(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null)
        {
            w.Write(value);
        }
    }

    private static long? ReadOptionalLong(BinaryReader r) => r.ReadBoolean() ? r.ReadInt64() : null;
}
