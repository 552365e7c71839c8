using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Tributary.Query;

/// <summary>
/// Reads Druid native query JSON into a <see cref="NativeQuery"/>. Accepts what Druid accepts for the supported
/// subset (see README), ignores unknown properties as Druid's Jackson mapper does, and reports every problem as a
/// <see cref="QueryValidationException"/> whose <see cref="QueryValidationException.Path"/> names the field.
/// </summary>
public static class QueryParser
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
        var queryType = RequireString(root, "queryType", string.Empty);
        var dataSource = ParseDataSource(root);
        var filter = Get(root, "filter") is { } f ? ParseFilter(f, "filter") : null;
        if (Get(root, "virtualColumns") is { ValueKind: JsonValueKind.Array } vc && vc.GetArrayLength() > 0)
        {
            throw new QueryUnsupportedException("virtualColumns", "virtual columns are not supported");
        }

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
            case "search" or "select" or "dataSourceMetadata" or "timeseriesV2" or "windowOperator":
                throw new QueryUnsupportedException("queryType", $"'{queryType}' queries are not supported; use one of timeseries, topN, groupBy, scan, timeBoundary, segmentMetadata");
            default:
                throw new QueryValidationException("queryType", $"unknown query type '{queryType}'; expected one of timeseries, topN, groupBy, scan, timeBoundary, segmentMetadata");
        }
    }

    /// <summary>Parses a filter (exposed for tests and for callers that receive filters alone).</summary>
    public static Filter ParseFilter(JsonElement element, string path)
    {
        RequireKind(element, JsonValueKind.Object, path, "a filter object");
        var type = RequireString(element, "type", path);
        if (type is "selector" or "in" or "bound" or "like" or "regex" && Get(element, "extractionFn") is not null)
        {
            throw new QueryUnsupportedException(Child(path, "extractionFn"), "extraction functions are not supported");
        }

        switch (type)
        {
            case "selector":
                return new SelectorFilter(RequireString(element, "dimension", path), OptionalScalar(element, "value", path));
            case "equals":
                return new SelectorFilter(RequireString(element, "column", path), RequireScalar(element, "matchValue", path));
            case "null":
                return new SelectorFilter(RequireString(element, "column", path), null);
            case "in":
            {
                var dimension = RequireString(element, "dimension", path);
                var valuesPath = Child(path, "values");
                var values = RequireArray(element, "values", path);
                var list = new List<string?>(values.GetArrayLength());
                var i = 0;
                foreach (var v in values.EnumerateArray())
                {
                    list.Add(ScalarText(v, Index(valuesPath, i++)));
                }

                return new InFilter(dimension, list);
            }

            case "bound":
            {
                var dimension = RequireString(element, "dimension", path);
                var lower = OptionalScalar(element, "lower", path);
                var upper = OptionalScalar(element, "upper", path);
                var ordering = Get(element, "ordering") is { } o
                    ? ParseOrdering(o, Child(path, "ordering"))
                    : OptionalBool(element, "alphaNumeric", path, false) ? StringOrdering.Numeric : StringOrdering.Lexicographic;
                if (lower is null && upper is null)
                {
                    throw new QueryValidationException(path, "a bound filter needs 'lower' or 'upper'");
                }

                return new BoundFilter(dimension, lower, upper, OptionalBool(element, "lowerStrict", path, false), OptionalBool(element, "upperStrict", path, false), ordering);
            }

            case "like":
            {
                var dimension = RequireString(element, "dimension", path);
                var pattern = RequireString(element, "pattern", path);
                var escape = OptionalString(element, "escape", path);
                if (escape is not null && escape.Length != 1)
                {
                    throw new QueryValidationException(Child(path, "escape"), $"must be a single character, got '{escape}'");
                }

                return new LikeFilter(dimension, pattern, escape?[0]);
            }

            case "regex":
            {
                var dimension = RequireString(element, "dimension", path);
                var pattern = RequireString(element, "pattern", path);
                try
                {
                    return new RegexFilter(dimension, pattern);
                }
                catch (ArgumentException ex)
                {
                    throw new QueryValidationException(Child(path, "pattern"), $"invalid regular expression: {ex.Message}", ex);
                }
            }

            case "and" or "or":
            {
                var fieldsPath = Child(path, "fields");
                var fields = RequireArray(element, "fields", path);
                if (fields.GetArrayLength() == 0)
                {
                    throw new QueryValidationException(fieldsPath, $"an '{type}' filter needs at least one field");
                }

                var list = new List<Filter>();
                var i = 0;
                foreach (var child in fields.EnumerateArray())
                {
                    list.Add(ParseFilter(child, Index(fieldsPath, i++)));
                }

                return type == "and" ? new AndFilter(list) : new OrFilter(list);
            }

            case "not":
                return new NotFilter(ParseFilter(Require(element, "field", path), Child(path, "field")));
            case "search" or "javascript" or "spatial" or "interval" or "columnComparison" or "expression" or "range" or "true" or "false" or "arrayContainsElement":
                throw new QueryUnsupportedException(Child(path, "type"), $"'{type}' filters are not supported; use selector, in, bound, like, regex, and, or, not");
            default:
                throw new QueryValidationException(Child(path, "type"), $"unknown filter type '{type}'; expected one of selector, in, bound, like, regex, and, or, not");
        }
    }

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

    private static TimeseriesQuery ParseTimeseries(JsonElement root)
    {
        var aggregations = ParseAggregations(root);
        var postAggregations = ParsePostAggregations(root, aggregations);
        CheckUniqueNames([], aggregations, postAggregations);
        return new TimeseriesQuery
        {
            DataSource = string.Empty,
            Intervals = [],
            Granularity = ParseGranularity(root),
            Aggregations = aggregations,
            PostAggregations = postAggregations,
            Descending = OptionalBool(root, "descending", string.Empty, false),
            Limit = OptionalLong(root, "limit", string.Empty, 1) is { } l ? (int)Math.Min(l, int.MaxValue) : null,
        };
    }

    private static TopNQuery ParseTopN(JsonElement root)
    {
        var aggregations = ParseAggregations(root);
        var postAggregations = ParsePostAggregations(root, aggregations);
        var dimension = ParseDimensionSpec(Require(root, "dimension", string.Empty), "dimension");
        CheckUniqueNames([dimension], aggregations, postAggregations);
        var metric = ParseTopNMetric(Require(root, "metric", string.Empty), "metric");
        CheckTopNMetric(metric, aggregations, postAggregations, "metric");
        var threshold = OptionalLong(root, "threshold", string.Empty, 1)
            ?? throw new QueryValidationException("threshold", "is required (a positive integer)");
        return new TopNQuery
        {
            DataSource = string.Empty,
            Intervals = [],
            Granularity = ParseGranularity(root),
            Aggregations = aggregations,
            PostAggregations = postAggregations,
            Dimension = dimension,
            Metric = metric,
            Threshold = threshold > int.MaxValue ? throw new QueryValidationException("threshold", "is too large") : (int)threshold,
        };
    }

    private static GroupByQuery ParseGroupBy(JsonElement root)
    {
        var aggregations = ParseAggregations(root);
        var postAggregations = ParsePostAggregations(root, aggregations);
        var dimensions = new List<DimensionSpec>();
        if (Get(root, "dimensions") is { } dims)
        {
            RequireKind(dims, JsonValueKind.Array, "dimensions", "an array of dimension specs");
            var i = 0;
            foreach (var d in dims.EnumerateArray())
            {
                dimensions.Add(ParseDimensionSpec(d, Index("dimensions", i++)));
            }
        }

        CheckUniqueNames(dimensions, aggregations, postAggregations);
        var outputs = new HashSet<string>(dimensions.Select(d => d.OutputName).Concat(aggregations.Select(a => a.Name)).Concat(postAggregations.Select(p => p.Name)), StringComparer.Ordinal);
        var having = Get(root, "having") is { } h ? ParseHaving(h, "having", outputs) : null;
        var limitSpec = Get(root, "limitSpec") is { } l ? ParseLimitSpec(l, "limitSpec", outputs) : null;
        return new GroupByQuery
        {
            DataSource = string.Empty,
            Intervals = [],
            Granularity = ParseGranularity(root),
            Aggregations = aggregations,
            PostAggregations = postAggregations,
            Dimensions = dimensions,
            Having = having,
            LimitSpec = limitSpec,
        };
    }

    private static ScanQuery ParseScan(JsonElement root)
    {
        var columns = new List<string>();
        if (Get(root, "columns") is { } cols)
        {
            RequireKind(cols, JsonValueKind.Array, "columns", "an array of column names");
            var i = 0;
            foreach (var c in cols.EnumerateArray())
            {
                var p = Index("columns", i++);
                RequireKind(c, JsonValueKind.String, p, "a column name");
                columns.Add(c.GetString()!);
            }
        }

        var format = OptionalString(root, "resultFormat", string.Empty) switch
        {
            null or "list" => ScanResultFormat.List,
            "compactedList" => ScanResultFormat.CompactedList,
            "valueVector" => throw new QueryUnsupportedException("resultFormat", "'valueVector' is not supported; use list or compactedList"),
            var f => throw new QueryValidationException("resultFormat", $"'{f}' is not one of list, compactedList"),
        };
        var order = OptionalString(root, "order", string.Empty) switch
        {
            null or "none" => ScanOrder.None,
            "ascending" => ScanOrder.Ascending,
            "descending" => ScanOrder.Descending,
            var o => throw new QueryValidationException("order", $"'{o}' is not one of none, ascending, descending"),
        };
        if (Get(root, "orderBy") is not null)
        {
            throw new QueryUnsupportedException("orderBy", "scan orderBy is not supported; use order (ascending/descending by __time)");
        }

        return new ScanQuery
        {
            DataSource = string.Empty,
            Intervals = [],
            Columns = columns,
            Limit = OptionalLong(root, "limit", string.Empty, 1),
            Offset = OptionalLong(root, "offset", string.Empty, 0) ?? 0,
            Order = order,
            ResultFormat = format,
            BatchSize = (int)Math.Min(OptionalLong(root, "batchSize", string.Empty, 1) ?? 20480, int.MaxValue),
        };
    }

    private static SegmentMetadataQuery ParseSegmentMetadata(JsonElement root)
    {
        IReadOnlyList<string>? toInclude = null;
        if (Get(root, "toInclude") is { } t)
        {
            RequireKind(t, JsonValueKind.Object, "toInclude", "an object like {\"type\":\"all\"}");
            switch (RequireString(t, "type", "toInclude"))
            {
                case "all":
                    break;
                case "none":
                    toInclude = [];
                    break;
                case "list":
                    var cols = RequireArray(t, "columns", "toInclude");
                    var list = new List<string>();
                    var i = 0;
                    foreach (var c in cols.EnumerateArray())
                    {
                        var p = Index("toInclude.columns", i++);
                        RequireKind(c, JsonValueKind.String, p, "a column name");
                        list.Add(c.GetString()!);
                    }

                    toInclude = list;
                    break;
                case var other:
                    throw new QueryValidationException("toInclude.type", $"'{other}' is not one of all, none, list");
            }
        }

        var analysis = AnalysisTypes.Default;
        if (Get(root, "analysisTypes") is { } a)
        {
            RequireKind(a, JsonValueKind.Array, "analysisTypes", "an array of analysis names");
            analysis = AnalysisTypes.None;
            var i = 0;
            foreach (var item in a.EnumerateArray())
            {
                var p = Index("analysisTypes", i++);
                RequireKind(item, JsonValueKind.String, p, "an analysis name");
                analysis |= item.GetString()!.ToLowerInvariant() switch
                {
                    "cardinality" => AnalysisTypes.Cardinality,
                    "minmax" => AnalysisTypes.MinMax,
                    "size" => AnalysisTypes.Size,
                    "interval" => AnalysisTypes.Interval,
                    "aggregators" or "timestampspec" or "querygranularity" or "rollup" => AnalysisTypes.None,
                    var other => throw new QueryValidationException(p, $"'{other}' is not one of cardinality, minmax, size, interval, aggregators, timestampSpec, queryGranularity, rollup"),
                };
            }
        }

        return new SegmentMetadataQuery
        {
            DataSource = string.Empty,
            Intervals = [],
            ToInclude = toInclude,
            Merge = OptionalBool(root, "merge", string.Empty, false),
            AnalysisTypes = analysis,
        };
    }

    private static List<AggregatorSpec> ParseAggregations(JsonElement root)
    {
        var list = new List<AggregatorSpec>();
        if (Get(root, "aggregations") is not { } aggs)
        {
            return list;
        }

        RequireKind(aggs, JsonValueKind.Array, "aggregations", "an array of aggregators");
        var i = 0;
        foreach (var agg in aggs.EnumerateArray())
        {
            var path = Index("aggregations", i++);
            RequireKind(agg, JsonValueKind.Object, path, "an aggregator object");
            var type = RequireString(agg, "type", path);
            var name = NonEmpty(RequireString(agg, "name", path), Child(path, "name"));
            AggregatorType kind = type switch
            {
                "count" => AggregatorType.Count,
                "longSum" => AggregatorType.LongSum,
                "doubleSum" or "floatSum" => AggregatorType.DoubleSum,
                "longMin" => AggregatorType.LongMin,
                "longMax" => AggregatorType.LongMax,
                "doubleMin" or "floatMin" => AggregatorType.DoubleMin,
                "doubleMax" or "floatMax" => AggregatorType.DoubleMax,
                "hyperUnique" => AggregatorType.HyperUnique,
                "cardinality" => throw new QueryUnsupportedException(Child(path, "type"), "the 'cardinality' aggregator is not supported; ingest the column as a hyperUnique metric and query it with {\"type\":\"hyperUnique\",\"fieldName\":...}"),
                _ => throw new QueryValidationException(Child(path, "type"), $"unknown or unsupported aggregator type '{type}'; expected one of count, longSum, doubleSum, longMin, longMax, doubleMin, doubleMax, hyperUnique"),
            };
            if (kind != AggregatorType.Count && Get(agg, "expression") is not null)
            {
                throw new QueryUnsupportedException(Child(path, "expression"), "expression aggregators are not supported; use fieldName");
            }

            var fieldName = kind == AggregatorType.Count ? null : NonEmpty(RequireString(agg, "fieldName", path), Child(path, "fieldName"));
            var round = kind == AggregatorType.HyperUnique && OptionalBool(agg, "round", path, false);
            list.Add(new AggregatorSpec(kind, name, fieldName, round));
        }

        return list;
    }

    private static List<PostAggregator> ParsePostAggregations(JsonElement root, List<AggregatorSpec> aggregations)
    {
        var list = new List<PostAggregator>();
        if (Get(root, "postAggregations") is not { } posts)
        {
            return list;
        }

        RequireKind(posts, JsonValueKind.Array, "postAggregations", "an array of post-aggregators");
        var known = aggregations.ToDictionary(a => a.Name, a => (AggregatorType?)a.Type, StringComparer.Ordinal);
        var i = 0;
        foreach (var post in posts.EnumerateArray())
        {
            var path = Index("postAggregations", i++);
            var parsed = ParsePostAggregator(post, path, known, true);
            known[parsed.Name] = null;
            list.Add(parsed);
        }

        return list;
    }

    private static PostAggregator ParsePostAggregator(JsonElement element, string path, Dictionary<string, AggregatorType?> known, bool topLevel)
    {
        RequireKind(element, JsonValueKind.Object, path, "a post-aggregator object");
        var type = RequireString(element, "type", path);
        var name = topLevel ? NonEmpty(RequireString(element, "name", path), Child(path, "name")) : OptionalString(element, "name", path) ?? string.Empty;
        switch (type)
        {
            case "arithmetic":
            {
                var fnText = RequireString(element, "fn", path);
                var fn = fnText switch
                {
                    "+" => ArithmeticFunction.Add,
                    "-" => ArithmeticFunction.Subtract,
                    "*" => ArithmeticFunction.Multiply,
                    "/" => ArithmeticFunction.Divide,
                    "quotient" => ArithmeticFunction.Quotient,
                    _ => throw new QueryValidationException(Child(path, "fn"), $"'{fnText}' is not one of +, -, *, /, quotient"),
                };
                var fieldsPath = Child(path, "fields");
                var fields = RequireArray(element, "fields", path);
                if (fields.GetArrayLength() < 2)
                {
                    throw new QueryValidationException(fieldsPath, $"an arithmetic post-aggregator needs at least 2 fields, got {fields.GetArrayLength()}");
                }

                var list = new List<PostAggregator>();
                var i = 0;
                foreach (var f in fields.EnumerateArray())
                {
                    list.Add(ParsePostAggregator(f, Index(fieldsPath, i++), known, false));
                }

                var ordering = OptionalString(element, "ordering", path);
                if (ordering is not null and not "numericFirst")
                {
                    throw new QueryValidationException(Child(path, "ordering"), $"'{ordering}' is not null or numericFirst");
                }

                return new ArithmeticPostAggregator(name, fn, list, ordering);
            }

            case "fieldAccess" or "finalizingFieldAccess":
            {
                var fieldName = RequireString(element, "fieldName", path);
                CheckKnown(known, fieldName, Child(path, "fieldName"));
                return new FieldAccessPostAggregator(name, fieldName, type == "finalizingFieldAccess");
            }

            case "constant":
            {
                var value = Require(element, "value", path);
                if (value.ValueKind != JsonValueKind.Number)
                {
                    throw new QueryValidationException(Child(path, "value"), "must be a number");
                }

                return new ConstantPostAggregator(name, value.TryGetInt64(out var l) ? l : value.GetDouble());
            }

            case "hyperUniqueCardinality":
            {
                var fieldName = RequireString(element, "fieldName", path);
                CheckKnown(known, fieldName, Child(path, "fieldName"));
                if (known[fieldName] != AggregatorType.HyperUnique)
                {
                    throw new QueryValidationException(Child(path, "fieldName"), $"'{fieldName}' is not a hyperUnique aggregator");
                }

                return new HyperUniqueCardinalityPostAggregator(name, fieldName);
            }

            default:
                throw new QueryValidationException(Child(path, "type"), $"unknown or unsupported post-aggregator type '{type}'; expected one of arithmetic, fieldAccess, finalizingFieldAccess, constant, hyperUniqueCardinality");
        }
    }

    private static void CheckKnown(Dictionary<string, AggregatorType?> known, string name, string path)
    {
        if (!known.ContainsKey(name))
        {
            throw new QueryValidationException(path, $"'{name}' is not an aggregator or an earlier post-aggregator");
        }
    }

    private static void CheckUniqueNames(IReadOnlyList<DimensionSpec> dimensions, List<AggregatorSpec> aggregations, List<PostAggregator> postAggregations)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < dimensions.Count; i++)
        {
            if (!seen.Add(dimensions[i].OutputName))
            {
                throw new QueryValidationException(dimensions.Count == 1 && i == 0 ? "dimension" : Index("dimensions", i), $"duplicate output name '{dimensions[i].OutputName}'");
            }
        }

        for (var i = 0; i < aggregations.Count; i++)
        {
            if (!seen.Add(aggregations[i].Name))
            {
                throw new QueryValidationException(Child(Index("aggregations", i), "name"), $"duplicate output name '{aggregations[i].Name}'");
            }
        }

        for (var i = 0; i < postAggregations.Count; i++)
        {
            if (!seen.Add(postAggregations[i].Name))
            {
                throw new QueryValidationException(Child(Index("postAggregations", i), "name"), $"duplicate output name '{postAggregations[i].Name}'");
            }
        }
    }

    private static Granularity ParseGranularity(JsonElement root)
    {
        const string path = "granularity";
        if (Get(root, path) is not { } g)
        {
            return Granularity.All;
        }

        if (g.ValueKind == JsonValueKind.String)
        {
            var name = g.GetString()!;
            return Granularity.FromName(name)
                ?? throw new QueryValidationException(path, $"unknown granularity '{name}'; expected all, none, second, minute, five_minute, ten_minute, fifteen_minute, thirty_minute, hour, six_hour, eight_hour, day, week, month, quarter, year or a period object");
        }

        RequireKind(g, JsonValueKind.Object, path, "a granularity name or object");
        var type = RequireString(g, "type", path);
        switch (type)
        {
            case "period":
            {
                var period = Period.Parse(RequireString(g, "period", path), Child(path, "period"));
                if (period.HasCalendarFields && period.FixedMillis != 0)
                {
                    throw new QueryUnsupportedException(Child(path, "period"), $"'{period}' mixes years/months with smaller units, which is not supported");
                }

                var zone = OptionalString(g, "timeZone", path) is { } z ? ParseTimeZone(z, Child(path, "timeZone")) : null;
                var origin = OptionalString(g, "origin", path) is { } o ? IsoTime.Parse(o, Child(path, "origin")) : (long?)null;
                return new PeriodGranularity(period, zone, origin);
            }

            case "duration":
            {
                var duration = OptionalLong(g, "duration", path, 1) ?? throw new QueryValidationException(Child(path, "duration"), "is required (milliseconds)");
                var origin = OptionalString(g, "origin", path) is { } o ? IsoTime.Parse(o, Child(path, "origin")) : 0;
                return new DurationGranularity(duration, origin);
            }

            default:
                return Granularity.FromName(type) ?? throw new QueryValidationException(Child(path, "type"), $"unknown granularity type '{type}'; expected period, duration or a granularity name");
        }
    }

    private static TimeZoneInfo ParseTimeZone(string id, string path)
    {
        if (id is "UTC" or "Z" or "Etc/UTC")
        {
            return TimeZoneInfo.Utc;
        }

        if (id.Length >= 3 && id[0] is '+' or '-' && IsoTime.TryParse("1970-01-01T00:00" + id, out var ms))
        {
            return TimeZoneInfo.CreateCustomTimeZone(id, TimeSpan.FromMilliseconds(-ms), id, id);
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new QueryValidationException(path, $"unknown time zone '{id}' (use an IANA id like America/Los_Angeles or an offset like +05:30)", ex);
        }
    }

    private static DimensionSpec ParseDimensionSpec(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            var name = NonEmpty(element.GetString()!, path);
            return new DimensionSpec(name, name);
        }

        RequireKind(element, JsonValueKind.Object, path, "a dimension name or {\"type\":\"default\",\"dimension\":...}");
        var type = OptionalString(element, "type", path) ?? "default";
        if (type != "default")
        {
            throw new QueryUnsupportedException(Child(path, "type"), $"'{type}' dimension specs are not supported; use default");
        }

        var dimension = NonEmpty(RequireString(element, "dimension", path), Child(path, "dimension"));
        var outputName = OptionalString(element, "outputName", path) ?? dimension;
        var outputType = (OptionalString(element, "outputType", path) ?? "STRING").ToUpperInvariant() switch
        {
            "STRING" => DimensionOutputType.String,
            "LONG" => DimensionOutputType.Long,
            "DOUBLE" or "FLOAT" => DimensionOutputType.Double,
            var t => throw new QueryValidationException(Child(path, "outputType"), $"'{t}' is not one of STRING, LONG, DOUBLE"),
        };
        return new DimensionSpec(dimension, outputName, outputType);
    }

    private static TopNMetricSpec ParseTopNMetric(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return new NumericTopNMetric(element.GetString()!);
        }

        RequireKind(element, JsonValueKind.Object, path, "a metric name or a topN metric spec");
        var type = RequireString(element, "type", path);
        return type switch
        {
            "numeric" => new NumericTopNMetric(RequireString(element, "metric", path)),
            "inverted" => new InvertedTopNMetric(ParseTopNMetric(Require(element, "metric", path), Child(path, "metric"))),
            "dimension" => new DimensionTopNMetric(
                Get(element, "ordering") is { } o ? ParseOrdering(o, Child(path, "ordering")) : StringOrdering.Lexicographic,
                OptionalScalar(element, "previousStop", path)),
            "lexicographic" => new DimensionTopNMetric(StringOrdering.Lexicographic, OptionalScalar(element, "previousStop", path)),
            "alphaNumeric" => throw new QueryUnsupportedException(Child(path, "type"), "the alphaNumeric topN metric is not supported; use dimension with ordering numeric or lexicographic"),
            _ => throw new QueryValidationException(Child(path, "type"), $"unknown topN metric type '{type}'; expected numeric, inverted, dimension, lexicographic"),
        };
    }

    private static void CheckTopNMetric(TopNMetricSpec metric, List<AggregatorSpec> aggregations, List<PostAggregator> postAggregations, string path)
    {
        switch (metric)
        {
            case NumericTopNMetric n when !aggregations.Any(a => a.Name == n.Metric) && !postAggregations.Any(p => p.Name == n.Metric):
                throw new QueryValidationException(path, $"'{n.Metric}' is not an aggregator or post-aggregator of this query");
            case InvertedTopNMetric i:
                CheckTopNMetric(i.Inner, aggregations, postAggregations, Child(path, "metric"));
                break;
        }
    }

    private static StringOrdering ParseOrdering(JsonElement element, string path)
    {
        string name;
        if (element.ValueKind == JsonValueKind.Object)
        {
            name = RequireString(element, "type", path);
            path = Child(path, "type");
        }
        else
        {
            RequireKind(element, JsonValueKind.String, path, "an ordering name");
            name = element.GetString()!;
        }

        return name.ToLowerInvariant() switch
        {
            "lexicographic" => StringOrdering.Lexicographic,
            "numeric" => StringOrdering.Numeric,
            "strlen" => StringOrdering.Strlen,
            "alphanumeric" or "version" or "natural" => throw new QueryUnsupportedException(path, $"the '{name}' ordering is not supported; use lexicographic, numeric or strlen"),
            _ => throw new QueryValidationException(path, $"unknown ordering '{name}'; expected lexicographic, numeric or strlen"),
        };
    }

    private static HavingSpec ParseHaving(JsonElement element, string path, HashSet<string> outputs)
    {
        RequireKind(element, JsonValueKind.Object, path, "a having spec object");
        var type = RequireString(element, "type", path);
        switch (type)
        {
            case "greaterThan" or "lessThan" or "equalTo":
            {
                var aggregation = RequireString(element, "aggregation", path);
                if (!outputs.Contains(aggregation))
                {
                    throw new QueryValidationException(Child(path, "aggregation"), $"'{aggregation}' is not an output of this query");
                }

                var valuePath = Child(path, "value");
                var value = Require(element, "value", path);
                double number;
                if (value.ValueKind == JsonValueKind.Number)
                {
                    number = value.GetDouble();
                }
                else if (value.ValueKind != JsonValueKind.String || !StringComparers.TryParseNumber(value.GetString()!, out number))
                {
                    throw new QueryValidationException(valuePath, "must be a number");
                }

                return type switch
                {
                    "greaterThan" => new GreaterThanHaving(aggregation, number),
                    "lessThan" => new LessThanHaving(aggregation, number),
                    _ => new EqualToHaving(aggregation, number),
                };
            }

            case "dimSelector":
                return new DimSelectorHaving(RequireString(element, "dimension", path), OptionalScalar(element, "value", path));
            case "filter":
                return new FilterHaving(ParseFilter(Require(element, "filter", path), Child(path, "filter")));
            case "and" or "or":
            {
                var specsPath = Child(path, "havingSpecs");
                var specs = RequireArray(element, "havingSpecs", path);
                var list = new List<HavingSpec>();
                var i = 0;
                foreach (var s in specs.EnumerateArray())
                {
                    list.Add(ParseHaving(s, Index(specsPath, i++), outputs));
                }

                return type == "and" ? new AndHaving(list) : new OrHaving(list);
            }

            case "not":
                return new NotHaving(ParseHaving(Require(element, "havingSpec", path), Child(path, "havingSpec"), outputs));
            default:
                throw new QueryValidationException(Child(path, "type"), $"unknown having type '{type}'; expected greaterThan, lessThan, equalTo, dimSelector, filter, and, or, not");
        }
    }

    private static LimitSpec ParseLimitSpec(JsonElement element, string path, HashSet<string> outputs)
    {
        RequireKind(element, JsonValueKind.Object, path, "a limit spec object");
        var type = OptionalString(element, "type", path) ?? "default";
        if (type is not "default" and not "NoopLimitSpec" and not "noop")
        {
            throw new QueryValidationException(Child(path, "type"), $"'{type}' is not default");
        }

        var columns = new List<OrderByColumn>();
        if (Get(element, "columns") is { } cols)
        {
            var colsPath = Child(path, "columns");
            RequireKind(cols, JsonValueKind.Array, colsPath, "an array of order-by columns");
            var i = 0;
            foreach (var c in cols.EnumerateArray())
            {
                var p = Index(colsPath, i++);
                OrderByColumn column;
                if (c.ValueKind == JsonValueKind.String)
                {
                    column = new OrderByColumn(c.GetString()!, false, StringOrdering.Lexicographic);
                }
                else
                {
                    RequireKind(c, JsonValueKind.Object, p, "a column name or {\"dimension\":...,\"direction\":...}");
                    var descending = (OptionalString(c, "direction", p) ?? "ascending").ToLowerInvariant() switch
                    {
                        "ascending" or "asc" => false,
                        "descending" or "desc" => true,
                        var d => throw new QueryValidationException(Child(p, "direction"), $"'{d}' is not ascending or descending"),
                    };
                    var order = Get(c, "dimensionOrder") is { } o ? ParseOrdering(o, Child(p, "dimensionOrder")) : StringOrdering.Lexicographic;
                    column = new OrderByColumn(RequireString(c, "dimension", p), descending, order);
                }

                if (!outputs.Contains(column.Column))
                {
                    throw new QueryValidationException(c.ValueKind == JsonValueKind.String ? p : Child(p, "dimension"), $"'{column.Column}' is not a dimension, aggregator or post-aggregator of this query");
                }

                columns.Add(column);
            }
        }

        return new LimitSpec(columns, OptionalLong(element, "limit", path, 1), OptionalLong(element, "offset", path, 0) ?? 0);
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

    // ---- JSON helpers: every failure names the field's path ----
    internal static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    internal static string Index(string path, int index) => $"{path}[{index}]";

    private static JsonElement? Get(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static JsonElement Require(JsonElement obj, string name, string path) =>
        Get(obj, name) ?? throw new QueryValidationException(Child(path, name), "is required");

    private static JsonElement RequireArray(JsonElement obj, string name, string path)
    {
        var v = Require(obj, name, path);
        RequireKind(v, JsonValueKind.Array, Child(path, name), "an array");
        return v;
    }

    private static void RequireKind(JsonElement element, JsonValueKind kind, string path, string what)
    {
        if (element.ValueKind != kind)
        {
            throw new QueryValidationException(path, $"must be {what}, got {Describe(element)}");
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        _ => "null",
    };

    private static string RequireString(JsonElement obj, string name, string path)
    {
        var v = Require(obj, name, path);
        RequireKind(v, JsonValueKind.String, Child(path, name), "a string");
        return v.GetString()!;
    }

    private static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (Get(obj, name) is not { } v)
        {
            return null;
        }

        RequireKind(v, JsonValueKind.String, Child(path, name), "a string");
        return v.GetString();
    }

    private static string NonEmpty(string value, string path) =>
        value.Length > 0 ? value : throw new QueryValidationException(path, "must not be empty");

    /// <summary>A string, number or boolean as Druid's Jackson coerces it to a string; null stays null.</summary>
    private static string? OptionalScalar(JsonElement obj, string name, string path) =>
        Get(obj, name) is { } v ? ScalarText(v, Child(path, name)) : null;

    private static string RequireScalar(JsonElement obj, string name, string path) =>
        ScalarText(Require(obj, name, path), Child(path, name)) ?? throw new QueryValidationException(Child(path, name), "is required");

    private static string? ScalarText(JsonElement v, string path) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        JsonValueKind.Null => null,
        _ => throw new QueryValidationException(path, $"must be a string, number or boolean, got {Describe(v)}"),
    };

    private static bool OptionalBool(JsonElement obj, string name, string path, bool defaultValue)
    {
        if (Get(obj, name) is not { } v)
        {
            return defaultValue;
        }

        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(v.GetString(), out var b) => b,
            _ => throw new QueryValidationException(Child(path, name), $"must be true or false, got {Describe(v)}"),
        };
    }

    private static long? OptionalLong(JsonElement obj, string name, string path, long min)
    {
        if (Get(obj, name) is not { } v)
        {
            return null;
        }

        long value;
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (!v.TryGetInt64(out value))
            {
                throw new QueryValidationException(Child(path, name), $"must be an integer, got {v.GetRawText()}");
            }
        }
        else if (v.ValueKind != JsonValueKind.String || !long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            throw new QueryValidationException(Child(path, name), $"must be an integer, got {Describe(v)}");
        }

        return value >= min ? value : throw new QueryValidationException(Child(path, name), $"must be at least {min}, got {value}");
    }
}
