using System.Text.Json;

namespace Tributary.Query;

// The per-queryType readers (timeseries, topN, groupBy, scan, segmentMetadata), the topN metric spec, and the
// output-name check they share.
public static partial class QueryParser
{
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
                    "aggregators" => AnalysisTypes.Aggregators,
                    "timestampspec" => AnalysisTypes.TimestampSpec,
                    "querygranularity" => AnalysisTypes.QueryGranularity,
                    "rollup" => AnalysisTypes.Rollup,
                    var other => throw new QueryValidationException(p, $"'{other}' is not one of cardinality, minmax, size, interval, aggregators, timestampSpec, queryGranularity, rollup"),
                };
            }
        }

        var strategy = OptionalString(root, "aggregatorMergeStrategy", string.Empty) switch
        {
            null => OptionalBool(root, "lenientAggregatorMerge", string.Empty, false) ? AggregatorMergeStrategy.Lenient : AggregatorMergeStrategy.Strict,
            var s when s.Equals("strict", StringComparison.OrdinalIgnoreCase) => AggregatorMergeStrategy.Strict,
            var s when s.Equals("lenient", StringComparison.OrdinalIgnoreCase) => AggregatorMergeStrategy.Lenient,
            var s when s.Equals("earliest", StringComparison.OrdinalIgnoreCase) => AggregatorMergeStrategy.Earliest,
            var s when s.Equals("latest", StringComparison.OrdinalIgnoreCase) => AggregatorMergeStrategy.Latest,
            var s => throw new QueryValidationException("aggregatorMergeStrategy", $"'{s}' is not one of strict, lenient, earliest, latest"),
        };
        return new SegmentMetadataQuery
        {
            DataSource = string.Empty,
            Intervals = [],
            ToInclude = toInclude,
            Merge = OptionalBool(root, "merge", string.Empty, false),
            AnalysisTypes = analysis,
            AggregatorMergeStrategy = strategy,
        };
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
}
