using System.Buffers;
using System.Text;
using System.Text.Json;
using Tributary.Query;

namespace Tributary.Sql;

/// <summary>One column of a SQL result: its name and SQL type.</summary>
public sealed record SqlOutputColumn(string Name, SqlType Type);

/// <summary>
/// Where an output column's value comes from in a native result row: a field (a dimension, aggregator or
/// post-aggregator output name, a scan column, or <see cref="SqlPostProcessing.BucketTimeField"/> for the bucket
/// time of timeseries / groupBy / topN), or a constant.
/// </summary>
public sealed record SqlOutputSource(string? Field, object? Constant = null);

/// <summary>One post-processing sort key: a field of the native result row, its direction, and whether it compares as a number.</summary>
public sealed record SqlSortKey(string Field, bool Descending);

/// <summary>
/// What is done to the native result before it is the SQL answer: an optional HAVING evaluated over result rows
/// (timeseries has no native having), an optional sort (when the native query cannot order as SQL asked), OFFSET and
/// LIMIT when they could not be pushed into the native query, then projection into the output columns.
/// </summary>
public sealed record SqlPostProcessing(IReadOnlyList<SqlOutputSource> Sources)
{
    /// <summary>The field name under which a native result row's bucket time is exposed to <see cref="Sources"/> and sorts.</summary>
    public const string BucketTimeField = "__time";

    /// <summary>A filter over result rows (by output name) applied before sorting, or null.</summary>
    public HavingSpec? Having { get; init; }

    /// <summary>Sort keys applied (stably) after the native order, or empty.</summary>
    public IReadOnlyList<SqlSortKey> Sort { get; init; } = [];

    /// <summary>Rows skipped after sorting.</summary>
    public long Offset { get; init; }

    /// <summary>Rows kept at most after the offset, or null.</summary>
    public long? Limit { get; init; }

    /// <summary>
    /// A hidden row count of a timeseries over all time (one row even when nothing matched): when it is 0, the
    /// <see cref="NullWhenEmptyFields"/> become null, since SQL's SUM and AVG of no rows are NULL where native sums give 0.
    /// </summary>
    public string? EmptyRowCountField { get; init; }

    /// <summary>The fields nulled when <see cref="EmptyRowCountField"/> is 0.</summary>
    public IReadOnlyList<string> NullWhenEmptyFields { get; init; } = [];

    /// <summary>
    /// Fields that are null in a row where one of their hidden counts is 0: SUM/AVG of no values (all null, or none
    /// passing FILTER) are NULL in SQL where native sums give 0. Applied before HAVING and sorting.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> NullWhenZero { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
}

/// <summary>
/// The result of planning one SQL statement: the native query to run (null for a SELECT without FROM, whose rows are
/// <see cref="ConstantRows"/>), the output columns, and the post-processing that turns the native result into SQL
/// rows (<see cref="ShapeRows"/>). For <c>EXPLAIN PLAN FOR</c>, <see cref="Explain"/> is set and
/// <see cref="ExplainJson"/> is the native query as Druid JSON.
/// </summary>
public sealed class SqlPlan
{
    internal SqlPlan(NativeQuery? query, IReadOnlyList<SqlOutputColumn> columns, SqlPostProcessing post, bool explain, IReadOnlyList<object?[]>? constantRows = null)
    {
        NativeQuery = query;
        Columns = columns;
        PostProcessing = post;
        Explain = explain;
        ConstantRows = constantRows ?? [];
    }

    /// <summary>The native query to run, or null when the statement reads no table.</summary>
    public NativeQuery? NativeQuery { get; }

    /// <summary>The SQL result's columns, in SELECT order.</summary>
    public IReadOnlyList<SqlOutputColumn> Columns { get; }

    /// <summary>How the native result becomes SQL rows.</summary>
    public SqlPostProcessing PostProcessing { get; }

    /// <summary>True for <c>EXPLAIN PLAN FOR</c>.</summary>
    public bool Explain { get; }

    /// <summary>The rows of a statement without FROM (<c>SELECT 1</c>); empty otherwise.</summary>
    public IReadOnlyList<object?[]> ConstantRows { get; }

    /// <summary>The native query as Druid JSON, or null without a native query.</summary>
    public string? ExplainJson() => NativeQuery is null ? null : NativeQueryJsonWriter.ToJson(NativeQuery);

    /// <summary>
    /// Druid's <c>PLAN</c> column of <c>EXPLAIN PLAN FOR</c>: <c>[{"query":..,"signature":[{"name":..,"type":..}],
    /// "columnMappings":[{"queryColumn":..,"outputColumn":..}]}]</c> (an empty array without a native query).
    /// </summary>
    public string ExplainPlanJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            if (NativeQuery is not null)
            {
                writer.WriteStartObject();
                writer.WritePropertyName("query");
                NativeQueryJsonWriter.Write(writer, NativeQuery);
                var mapped = Columns.Select((c, i) => (Column: c, PostProcessing.Sources[i].Field)).Where(x => x.Field is not null).ToList();
                writer.WriteStartArray("signature");
                foreach (var (column, field) in mapped.DistinctBy(x => x.Field))
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", field);
                    writer.WriteString("type", column.Type.NativeName());
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteStartArray("columnMappings");
                foreach (var (column, field) in mapped)
                {
                    writer.WriteStartObject();
                    writer.WriteString("queryColumn", field);
                    writer.WriteString("outputColumn", column.Name);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Druid's <c>RESOURCES</c> column of <c>EXPLAIN PLAN FOR</c>: <c>[{"name":datasource,"type":"DATASOURCE"}]</c>.</summary>
    public string ExplainResourcesJson() => NativeQuery is null
        ? "[]"
        : "[{\"name\":" + JsonSerializer.Serialize(NativeQuery.DataSource) + ",\"type\":\"DATASOURCE\"}]";

    /// <summary>
    /// Turns the native result of <see cref="NativeQuery"/> into SQL rows: values in <see cref="Columns"/> order;
    /// TIMESTAMP values are UTC epoch milliseconds (longs), VARCHAR strings, BIGINT longs, DOUBLE doubles.
    /// </summary>
    public IReadOnlyList<object?[]> ShapeRows(QueryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        IEnumerable<IReadOnlyDictionary<string, object?>> rows = result switch
        {
            TimeseriesResult ts => ts.Rows.Select(r => WithTime(r.Result, r.Timestamp)),
            TopNResult topN => topN.Buckets.SelectMany(b => b.Result.Select(r => WithTime(r, b.Timestamp))),
            GroupByResult g => g.Rows.Select(r => WithTime(r.Event, r.Timestamp)),
            ScanResult scan => scan.Events,
            _ => throw new ArgumentException($"a {result.GetType().Name} is not the result of a SQL plan", nameof(result)),
        };
        var post = PostProcessing;
        if (post.EmptyRowCountField is { } countField)
        {
            rows = rows.Select(r => NullIfEmpty(r, countField, post.NullWhenEmptyFields));
        }

        if (post.NullWhenZero.Count > 0)
        {
            rows = rows.Select(r => NullWhenZero(r, post.NullWhenZero));
        }

        if (post.Having is { } having)
        {
            rows = rows.Where(having.Matches);
        }

        if (post.Sort.Count > 0)
        {
            var keys = post.Sort;
            rows = rows.ToList().Order(Comparer<IReadOnlyDictionary<string, object?>>.Create((a, b) =>
            {
                foreach (var k in keys)
                {
                    var c = CompareValues(a.GetValueOrDefault(k.Field), b.GetValueOrDefault(k.Field));
                    if (c != 0)
                    {
                        return k.Descending ? -c : c;
                    }
                }

                return 0;
            }));
        }

        if (post.Offset > 0)
        {
            rows = rows.Skip((int)Math.Min(post.Offset, int.MaxValue));
        }

        if (post.Limit is { } limit)
        {
            rows = rows.Take((int)Math.Min(limit, int.MaxValue));
        }

        return rows.Select(r => post.Sources.Select(s => s.Field is null ? s.Constant : r.GetValueOrDefault(s.Field)).ToArray()).ToList();
    }

    /// <summary>SQL's order over result values: nulls first, numbers by value, strings by code point.</summary>
    public static int CompareValues(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null ? (b is null ? 0 : -1) : 1;
        }

        if (a is string sa && b is string sb)
        {
            return StringComparers.CompareLexicographic(sa, sb);
        }

        if (a is long la && b is long lb)
        {
            return la.CompareTo(lb);
        }

        return ToDouble(a).CompareTo(ToDouble(b));
    }

    private static double ToDouble(object v) => v switch
    {
        long l => l,
        int i => i,
        double d => d,
        float f => f,
        bool b => b ? 1 : 0,
        string s when StringComparers.TryParseNumber(s, out var d) => d,
        _ => double.NaN,
    };

    private static IReadOnlyDictionary<string, object?> NullIfEmpty(IReadOnlyDictionary<string, object?> row, string countField, IReadOnlyList<string> fields)
    {
        if (row.GetValueOrDefault(countField) is not (0L or 0))
        {
            return row;
        }

        var d = new Dictionary<string, object?>(row, StringComparer.Ordinal);
        foreach (var f in fields)
        {
            d[f] = null;
        }

        return d;
    }

    private static IReadOnlyDictionary<string, object?> NullWhenZero(IReadOnlyDictionary<string, object?> row, IReadOnlyDictionary<string, IReadOnlyList<string>> fields)
    {
        Dictionary<string, object?>? d = null;
        foreach (var (field, counts) in fields)
        {
            if (counts.Any(c => row.GetValueOrDefault(c) is 0L or 0))
            {
                d ??= new Dictionary<string, object?>(row, StringComparer.Ordinal);
                d[field] = null;
            }
        }

        return d ?? row;
    }

    private static Dictionary<string, object?> WithTime(IReadOnlyDictionary<string, object?> row, long? timestamp)
    {
        var d = new Dictionary<string, object?>(row, StringComparer.Ordinal) { [SqlPostProcessing.BucketTimeField] = timestamp };
        return d;
    }
}
