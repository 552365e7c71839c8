using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Tributary.Query;

namespace Tributary.Sql;

/// <summary>
/// Writes a <see cref="NativeQuery"/> as Druid native query JSON, in the shapes <see cref="QueryParser"/> reads
/// (so <c>QueryParser.Parse(ToJson(q))</c> gives the same query back). Used for <c>EXPLAIN PLAN FOR</c>.
/// </summary>
public static class NativeQueryJsonWriter
{
    /// <summary>The query as compact JSON.</summary>
    public static string ToJson(NativeQuery query)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, query);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the query object.</summary>
    public static void Write(Utf8JsonWriter writer, NativeQuery query)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(query);
        writer.WriteStartObject();
        writer.WriteString("queryType", query.QueryType);
        writer.WriteString("dataSource", query.DataSource);
        writer.WriteStartArray("intervals");
        foreach (var i in query.Intervals)
        {
            writer.WriteStringValue($"{IsoTime.Format(i.Start)}/{IsoTime.Format(i.End)}");
        }

        writer.WriteEndArray();
        if (query.VirtualColumns.Count > 0)
        {
            writer.WriteStartArray("virtualColumns");
            foreach (var v in query.VirtualColumns)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "expression");
                writer.WriteString("name", v.Name);
                writer.WriteString("expression", v.Expression);
                if (v.OutputType is { } outputType)
                {
                    writer.WriteString("outputType", OutputTypeName(outputType));
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        if (query.Filter is { } filter)
        {
            writer.WritePropertyName("filter");
            WriteFilter(writer, filter);
        }

        switch (query)
        {
            case AggregationQuery a:
                writer.WritePropertyName("granularity");
                WriteGranularity(writer, a.Granularity);
                switch (a)
                {
                    case TimeseriesQuery ts:
                        if (ts.Descending)
                        {
                            writer.WriteBoolean("descending", true);
                        }

                        if (ts.Limit is { } tl)
                        {
                            writer.WriteNumber("limit", tl);
                        }

                        break;
                    case TopNQuery topN:
                        writer.WritePropertyName("dimension");
                        WriteDimension(writer, topN.Dimension);
                        writer.WritePropertyName("metric");
                        WriteTopNMetric(writer, topN.Metric);
                        writer.WriteNumber("threshold", topN.Threshold);
                        break;
                    case GroupByQuery g:
                        writer.WriteStartArray("dimensions");
                        foreach (var d in g.Dimensions)
                        {
                            WriteDimension(writer, d);
                        }

                        writer.WriteEndArray();
                        if (g.Having is { } having)
                        {
                            writer.WritePropertyName("having");
                            WriteHaving(writer, having);
                        }

                        if (g.LimitSpec is { } limitSpec)
                        {
                            WriteLimitSpec(writer, limitSpec);
                        }

                        break;
                }

                writer.WriteStartArray("aggregations");
                foreach (var agg in a.Aggregations)
                {
                    WriteAggregator(writer, agg);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("postAggregations");
                foreach (var p in a.PostAggregations)
                {
                    WritePostAggregator(writer, p);
                }

                writer.WriteEndArray();
                break;
            case ScanQuery scan:
                writer.WriteStartArray("columns");
                foreach (var c in scan.Columns)
                {
                    writer.WriteStringValue(c);
                }

                writer.WriteEndArray();
                if (scan.Limit is { } limit)
                {
                    writer.WriteNumber("limit", limit);
                }

                if (scan.Offset != 0)
                {
                    writer.WriteNumber("offset", scan.Offset);
                }

                writer.WriteString("order", scan.Order switch { ScanOrder.Ascending => "ascending", ScanOrder.Descending => "descending", _ => "none" });
                writer.WriteString("resultFormat", scan.ResultFormat == ScanResultFormat.CompactedList ? "compactedList" : "list");
                writer.WriteNumber("batchSize", scan.BatchSize);
                break;
            case TimeBoundaryQuery tb:
                if (tb.Bound != TimeBoundaryBound.Both)
                {
                    writer.WriteString("bound", tb.Bound == TimeBoundaryBound.MaxTime ? "maxTime" : "minTime");
                }

                break;
        }

        WriteContext(writer, query.Context);
        writer.WriteEndObject();
    }

    /// <summary>Writes a filter object.</summary>
    public static void WriteFilter(Utf8JsonWriter writer, Filter filter)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        switch (filter)
        {
            case SelectorFilter s:
                writer.WriteString("type", "selector");
                writer.WriteString("dimension", s.Dimension);
                WriteNullableString(writer, "value", s.Value);
                break;
            case InFilter i:
                writer.WriteString("type", "in");
                writer.WriteString("dimension", i.Dimension);
                writer.WriteStartArray("values");
                foreach (var v in i.Values)
                {
                    if (v is null)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        writer.WriteStringValue(v);
                    }
                }

                writer.WriteEndArray();
                break;
            case BoundFilter b:
                writer.WriteString("type", "bound");
                writer.WriteString("dimension", b.Dimension);
                if (b.Lower is not null)
                {
                    writer.WriteString("lower", b.Lower);
                    writer.WriteBoolean("lowerStrict", b.LowerStrict);
                }

                if (b.Upper is not null)
                {
                    writer.WriteString("upper", b.Upper);
                    writer.WriteBoolean("upperStrict", b.UpperStrict);
                }

                writer.WriteString("ordering", OrderingName(b.Ordering));
                break;
            case LikeFilter l:
                writer.WriteString("type", "like");
                writer.WriteString("dimension", l.Dimension);
                writer.WriteString("pattern", l.Pattern);
                if (l.Escape is { } e)
                {
                    writer.WriteString("escape", e.ToString());
                }

                break;
            case RegexFilter r:
                writer.WriteString("type", "regex");
                writer.WriteString("dimension", r.Dimension);
                writer.WriteString("pattern", r.Pattern);
                break;
            case AndFilter or OrFilter:
                writer.WriteString("type", filter is AndFilter ? "and" : "or");
                writer.WriteStartArray("fields");
                foreach (var f in filter is AndFilter a ? a.Fields : ((OrFilter)filter).Fields)
                {
                    WriteFilter(writer, f);
                }

                writer.WriteEndArray();
                break;
            case TrueFilter or FalseFilter:
                writer.WriteString("type", filter is TrueFilter ? "true" : "false");
                break;
            case NotFilter n:
                writer.WriteString("type", "not");
                writer.WritePropertyName("field");
                WriteFilter(writer, n.Field);
                break;
            default:
                throw new ArgumentException($"no JSON form for filter {filter.GetType().Name}", nameof(filter));
        }

        writer.WriteEndObject();
    }

    private static void WriteGranularity(Utf8JsonWriter writer, Granularity g)
    {
        switch (g)
        {
            case PeriodGranularity p:
                writer.WriteStartObject();
                writer.WriteString("type", "period");
                writer.WriteString("period", p.Period.ToString());
                if (p.TimeZone != TimeZoneInfo.Utc)
                {
                    writer.WriteString("timeZone", p.TimeZone.Id);
                }

                if (p.Origin is { } origin)
                {
                    writer.WriteString("origin", IsoTime.Format(origin));
                }

                writer.WriteEndObject();
                break;
            case DurationGranularity d:
                writer.WriteStartObject();
                writer.WriteString("type", "duration");
                writer.WriteNumber("duration", d.DurationMillis);
                writer.WriteString("origin", IsoTime.Format(d.Origin));
                writer.WriteEndObject();
                break;
            default:
                writer.WriteStringValue(g.IsAll ? "all" : "none");
                break;
        }
    }

    private static void WriteDimension(Utf8JsonWriter writer, DimensionSpec d)
    {
        if (d.ExtractionFn is not null)
        {
            throw new ArgumentException($"no JSON form for the extraction of dimension {d.Dimension}", nameof(d));
        }

        writer.WriteStartObject();
        writer.WriteString("type", "default");
        writer.WriteString("dimension", d.Dimension);
        writer.WriteString("outputName", d.OutputName);
        writer.WriteString("outputType", OutputTypeName(d.OutputType));
        writer.WriteEndObject();
    }

    private static string OutputTypeName(DimensionOutputType t) => t switch { DimensionOutputType.Long => "LONG", DimensionOutputType.Double => "DOUBLE", _ => "STRING" };

    // a filtered aggregator is written as Druid's {"type":"filtered","filter":..,"aggregator":..}, its name on both
    private static void WriteAggregator(Utf8JsonWriter writer, AggregatorSpec agg)
    {
        writer.WriteStartObject();
        if (agg.Filter is { } filter)
        {
            writer.WriteString("type", "filtered");
            writer.WriteString("name", agg.Name);
            writer.WritePropertyName("filter");
            WriteFilter(writer, filter);
            writer.WritePropertyName("aggregator");
            WriteAggregator(writer, agg with { Filter = null });
            writer.WriteEndObject();
            return;
        }

        writer.WriteString("type", agg.TypeName);
        writer.WriteString("name", agg.Name);
        if (agg.FieldName is { } field)
        {
            writer.WriteString("fieldName", field);
        }

        if (agg.Type == AggregatorType.Cardinality)
        {
            writer.WriteStartArray("fields");
            foreach (var f in agg.Fields)
            {
                WriteDimension(writer, f);
            }

            writer.WriteEndArray();
            if (agg.ByRow)
            {
                writer.WriteBoolean("byRow", true);
            }
        }

        if (agg.Round)
        {
            writer.WriteBoolean("round", true);
        }

        writer.WriteEndObject();
    }

    private static void WriteTopNMetric(Utf8JsonWriter writer, TopNMetricSpec metric)
    {
        writer.WriteStartObject();
        switch (metric)
        {
            case NumericTopNMetric n:
                writer.WriteString("type", "numeric");
                writer.WriteString("metric", n.Metric);
                break;
            case InvertedTopNMetric i:
                writer.WriteString("type", "inverted");
                writer.WritePropertyName("metric");
                WriteTopNMetric(writer, i.Inner);
                break;
            case DimensionTopNMetric d:
                writer.WriteString("type", "dimension");
                writer.WriteString("ordering", OrderingName(d.Ordering));
                if (d.PreviousStop is not null)
                {
                    writer.WriteString("previousStop", d.PreviousStop);
                }

                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteHaving(Utf8JsonWriter writer, HavingSpec having)
    {
        writer.WriteStartObject();
        switch (having)
        {
            case GreaterThanHaving or LessThanHaving or EqualToHaving:
            {
                var (type, aggregation, value) = having switch
                {
                    GreaterThanHaving g => ("greaterThan", g.Aggregation, g.Value),
                    LessThanHaving l => ("lessThan", l.Aggregation, l.Value),
                    EqualToHaving e => ("equalTo", e.Aggregation, e.Value),
                    _ => throw new ArgumentException("unreachable", nameof(having)),
                };
                writer.WriteString("type", type);
                writer.WriteString("aggregation", aggregation);
                writer.WriteNumber("value", value);
                break;
            }

            case DimSelectorHaving d:
                writer.WriteString("type", "dimSelector");
                writer.WriteString("dimension", d.Dimension);
                WriteNullableString(writer, "value", d.Value);
                break;
            case FilterHaving f:
                writer.WriteString("type", "filter");
                writer.WritePropertyName("filter");
                WriteFilter(writer, f.Filter);
                break;
            case AndHaving or OrHaving:
                writer.WriteString("type", having is AndHaving ? "and" : "or");
                writer.WriteStartArray("havingSpecs");
                foreach (var s in having is AndHaving a ? a.Specs : ((OrHaving)having).Specs)
                {
                    WriteHaving(writer, s);
                }

                writer.WriteEndArray();
                break;
            case NotHaving n:
                writer.WriteString("type", "not");
                writer.WritePropertyName("havingSpec");
                WriteHaving(writer, n.Spec);
                break;
        }

        writer.WriteEndObject();
    }

    private static void WriteLimitSpec(Utf8JsonWriter writer, LimitSpec limitSpec)
    {
        writer.WriteStartObject("limitSpec");
        writer.WriteString("type", "default");
        writer.WriteStartArray("columns");
        foreach (var c in limitSpec.Columns)
        {
            writer.WriteStartObject();
            writer.WriteString("dimension", c.Column);
            writer.WriteString("direction", c.Descending ? "descending" : "ascending");
            writer.WriteString("dimensionOrder", OrderingName(c.DimensionOrder));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (limitSpec.Limit is { } limit)
        {
            writer.WriteNumber("limit", limit);
        }

        if (limitSpec.Offset != 0)
        {
            writer.WriteNumber("offset", limitSpec.Offset);
        }

        writer.WriteEndObject();
    }

    private static void WritePostAggregator(Utf8JsonWriter writer, PostAggregator p)
    {
        writer.WriteStartObject();
        switch (p)
        {
            case ArithmeticPostAggregator a:
                writer.WriteString("type", "arithmetic");
                writer.WriteString("name", a.Name);
                writer.WriteString("fn", a.Function switch
                {
                    ArithmeticFunction.Add => "+",
                    ArithmeticFunction.Subtract => "-",
                    ArithmeticFunction.Multiply => "*",
                    ArithmeticFunction.Divide => "/",
                    _ => "quotient",
                });
                writer.WriteStartArray("fields");
                foreach (var f in a.Fields)
                {
                    WritePostAggregator(writer, f);
                }

                writer.WriteEndArray();
                if (a.Ordering is not null)
                {
                    writer.WriteString("ordering", a.Ordering);
                }

                break;
            case FieldAccessPostAggregator f:
                writer.WriteString("type", f.Finalizing ? "finalizingFieldAccess" : "fieldAccess");
                writer.WriteString("name", f.Name);
                writer.WriteString("fieldName", f.FieldName);
                break;
            case ConstantPostAggregator c:
                writer.WriteString("type", "constant");
                writer.WriteString("name", c.Name);
                writer.WritePropertyName("value");
                switch (c.Value)
                {
                    case long l:
                        writer.WriteNumberValue(l);
                        break;
                    case double d:
                        writer.WriteRawValue(StringComparers.FormatDouble(d));
                        break;
                    default:
                        writer.WriteNumberValue(Convert.ToDouble(c.Value, CultureInfo.InvariantCulture));
                        break;
                }

                break;
            case HyperUniqueCardinalityPostAggregator h:
                writer.WriteString("type", "hyperUniqueCardinality");
                writer.WriteString("name", h.Name);
                writer.WriteString("fieldName", h.FieldName);
                break;
            default:
                throw new ArgumentException($"no JSON form for post-aggregator {p.GetType().Name}", nameof(p));
        }

        writer.WriteEndObject();
    }

    private static void WriteContext(Utf8JsonWriter writer, QueryContext c)
    {
        writer.WriteStartObject("context");
        if (c.TimeoutMillis is { } timeout)
        {
            writer.WriteNumber("timeout", timeout);
        }

        if (c.Priority != 0)
        {
            writer.WriteNumber("priority", c.Priority);
        }

        if (c.QueryId is not null)
        {
            writer.WriteString("queryId", c.QueryId);
        }

        if (c.Explain)
        {
            writer.WriteBoolean("explain", true);
        }

        if (c.SkipEmptyBuckets)
        {
            writer.WriteBoolean("skipEmptyBuckets", true);
        }

        if (c.GrandTotal)
        {
            writer.WriteBoolean("grandTotal", true);
        }

        if (c.MaxResultRows is { } rows)
        {
            writer.WriteNumber("maxResultRows", rows);
        }

        if (c.MaxBuckets is { } buckets)
        {
            writer.WriteNumber("maxBuckets", buckets);
        }

        if (c.MaxSegments is { } segments)
        {
            writer.WriteNumber("maxSegments", segments);
        }

        foreach (var (key, raw) in c.Other)
        {
            writer.WritePropertyName(key);
            writer.WriteRawValue(raw);
        }

        writer.WriteEndObject();
    }

    private static string OrderingName(StringOrdering o) => o switch
    {
        StringOrdering.Numeric => "numeric",
        StringOrdering.Strlen => "strlen",
        _ => "lexicographic",
    };

    private static void WriteNullableString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
