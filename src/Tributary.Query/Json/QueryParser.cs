using System.Text;
using System.Text.Json;

namespace Tributary.Query;

/// <summary>
/// Reads Druid native query JSON into a <see cref="NativeQuery"/>. Accepts what Druid accepts for the supported
/// subset (see README), ignores unknown properties as Druid's Jackson mapper does, and reports every problem as a
/// <see cref="QueryValidationException"/> whose <see cref="QueryValidationException.Path"/> names the field.
/// </summary>
/// <remarks>
/// One partial class split by concern: this file holds the entry points and the query-wide parts (data source,
/// intervals, context); the query types, filters, aggregators, post-aggregators, granularity, dimension specs and
/// orderings, having and limit specs, and the JSON read helpers each have their own <c>QueryParser.*.cs</c> file.
/// </remarks>
public static partial class QueryParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 128 };

    /// <summary>Parses a query from JSON text.</summary>
    public static NativeQuery Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Parses a query from UTF-8 JSON.</summary>
    public static NativeQuery Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new QueryValidationException(string.Empty, $"malformed JSON at line {(ex.LineNumber ?? 0) + 1}, byte {ex.BytePositionInLine ?? 0}: {ex.Message}", ex);
        }

        using (document)
        {
            return Parse(document.RootElement);
        }
    }

    /// <summary>Parses a query from a JSON element.</summary>
    public static NativeQuery Parse(JsonElement root)
    {
        RequireKind(root, JsonValueKind.Object, string.Empty, "an object");
        var query = ParseQuery(root);
        var virtualColumns = ParseVirtualColumns(root);
        return virtualColumns.Count > 0 ? query with { VirtualColumns = virtualColumns } : query;
    }

    private static NativeQuery ParseQuery(JsonElement root)
    {
        var queryType = RequireString(root, "queryType", string.Empty);
        var dataSource = ParseDataSource(root);
        var filter = Get(root, "filter") is { } f ? ParseFilter(f, "filter") : null;

        if (Get(root, "subtotalsSpec") is not null)
        {
            throw new QueryUnsupportedException("subtotalsSpec", "groupBy subtotalsSpec is not supported");
        }

        var context = Get(root, "context") is { } c ? ParseContext(c, "context") : QueryContext.Empty;
        switch (queryType)
        {
            case "timeseries":
                return ParseTimeseries(root) with { DataSource = dataSource, Intervals = ParseIntervals(root, true), Filter = filter, Context = context };
            case "topN":
                return ParseTopN(root) with { DataSource = dataSource, Intervals = ParseIntervals(root, true), Filter = filter, Context = context };
            case "groupBy":
                return ParseGroupBy(root) with { DataSource = dataSource, Intervals = ParseIntervals(root, true), Filter = filter, Context = context };
            case "scan":
                return ParseScan(root) with { DataSource = dataSource, Intervals = ParseIntervals(root, true), Filter = filter, Context = context };
            case "timeBoundary":
                return new TimeBoundaryQuery
                {
                    DataSource = dataSource,
                    Intervals = ParseIntervals(root, false),
                    Filter = filter,
                    Context = context,
                    Bound = OptionalString(root, "bound", string.Empty) switch
                    {
                        null => TimeBoundaryBound.Both,
                        "maxTime" => TimeBoundaryBound.MaxTime,
                        "minTime" => TimeBoundaryBound.MinTime,
                        var b => throw new QueryValidationException("bound", $"'{b}' is not one of maxTime, minTime"),
                    },
                };
            case "segmentMetadata":
                return ParseSegmentMetadata(root) with { DataSource = dataSource, Intervals = ParseIntervals(root, false), Filter = filter, Context = context };
            case "search":
                return ParseSearch(root) with { DataSource = dataSource, Intervals = ParseIntervals(root, true), Filter = filter, Context = context };
            case "dataSourceMetadata":
                return new DataSourceMetadataQuery { DataSource = dataSource, Intervals = [Interval.Eternity], Context = context };
            case "select" or "timeseriesV2" or "windowOperator":
                throw new QueryUnsupportedException("queryType", $"'{queryType}' queries are not supported; use one of {QueryTypes}");
            default:
                throw new QueryValidationException("queryType", $"unknown query type '{queryType}'; expected one of {QueryTypes}");
        }
    }

    private const string QueryTypes = "timeseries, topN, groupBy, scan, timeBoundary, segmentMetadata, search, dataSourceMetadata";

    private static string ParseDataSource(JsonElement root)
    {
        var ds = Require(root, "dataSource", string.Empty);
        if (ds.ValueKind == JsonValueKind.String)
        {
            return NonEmpty(ds.GetString()!, "dataSource");
        }

        RequireKind(ds, JsonValueKind.Object, "dataSource", "a table name or {\"type\":\"table\",\"name\":...}");
        var type = OptionalString(ds, "type", "dataSource") ?? "table";
        if (type != "table")
        {
            throw new QueryUnsupportedException("dataSource.type", $"'{type}' data sources are not supported; use a table name");
        }

        return NonEmpty(RequireString(ds, "name", "dataSource"), "dataSource.name");
    }

    private static IReadOnlyList<Interval> ParseIntervals(JsonElement root, bool required)
    {
        if (Get(root, "intervals") is not { } element)
        {
            return required
                ? throw new QueryValidationException("intervals", "is required (e.g. [\"2026-11-23T00:00Z/2026-11-24T00:00Z\"])")
                : [Interval.Eternity];
        }

        var path = "intervals";
        if (element.ValueKind == JsonValueKind.Object)
        {
            var type = OptionalString(element, "type", path) ?? "intervals";
            if (type != "intervals")
            {
                throw new QueryUnsupportedException(Child(path, "type"), $"'{type}' segment specs are not supported; give intervals");
            }

            path = Child(path, "intervals");
            element = Require(element, "intervals", "intervals");
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            return [Interval.Parse(element.GetString()!, path)];
        }

        RequireKind(element, JsonValueKind.Array, path, "an array of ISO-8601 interval strings");
        var list = new List<Interval>();
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            var itemPath = Index(path, i++);
            RequireKind(item, JsonValueKind.String, itemPath, "an ISO-8601 interval string");
            list.Add(Interval.Parse(item.GetString()!, itemPath));
        }

        if (list.Count == 0)
        {
            throw new QueryValidationException(path, "needs at least one interval");
        }

        return Interval.Condense(list);
    }

    private static QueryContext ParseContext(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path, "an object");
        var other = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name is not ("timeout" or "priority" or "queryId" or "explain" or "skipEmptyBuckets" or "grandTotal" or "maxResultRows" or "maxBuckets" or "maxSegments"))
            {
                other[property.Name] = property.Value.GetRawText();
            }
        }

        var priority = OptionalLong(element, "priority", path, long.MinValue);
        return new QueryContext
        {
            TimeoutMillis = OptionalLong(element, "timeout", path, 0),
            Priority = priority is { } p ? (int)Math.Clamp(p, int.MinValue, int.MaxValue) : 0,
            QueryId = OptionalScalar(element, "queryId", path),
            Explain = OptionalBool(element, "explain", path, false),
            SkipEmptyBuckets = OptionalBool(element, "skipEmptyBuckets", path, false),
            GrandTotal = OptionalBool(element, "grandTotal", path, false),
            MaxResultRows = OptionalLong(element, "maxResultRows", path, 1),
            MaxBuckets = OptionalLong(element, "maxBuckets", path, 1),
            MaxSegments = OptionalLong(element, "maxSegments", path, 1),
            Other = other,
        };
    }
}
