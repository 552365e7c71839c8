using System.Text.Json;

namespace Tributary.Query;

// The search query (searchDimensions, query, sort, limit, granularity); dataSourceMetadata needs nothing beyond
// the data source and context.
public static partial class QueryParser
{
    private static SearchQuery ParseSearch(JsonElement root)
    {
        List<DimensionSpec>? dimensions = null;
        if (Get(root, "searchDimensions") is { ValueKind: not JsonValueKind.Null } dims)
        {
            RequireKind(dims, JsonValueKind.Array, "searchDimensions", "an array of dimension names or dimension specs");
            dimensions = [];
            var i = 0;
            foreach (var d in dims.EnumerateArray())
            {
                dimensions.Add(ParseDimensionSpec(d, Index("searchDimensions", i++)));
            }
        }

        var limit = OptionalLong(root, "limit", string.Empty, 1) ?? 1000;
        return new SearchQuery
        {
            DataSource = string.Empty,
            Intervals = [],
            Granularity = ParseGranularity(root),
            SearchDimensions = dimensions,
            Query = ParseSearchQuerySpec(Require(root, "query", string.Empty), "query"),
            Sort = Get(root, "sort") is { ValueKind: not JsonValueKind.Null } sort ? ParseOrdering(sort, "sort") : StringOrdering.Lexicographic,
            Limit = (int)Math.Min(limit, int.MaxValue),
        };
    }
}
