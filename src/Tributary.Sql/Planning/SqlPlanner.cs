using Tributary.Query;

namespace Tributary.Sql;

/// <summary>Settings for one planning: the clock CURRENT_TIMESTAMP reads, Druid's <c>sqlOuterLimit</c>, and the native context to attach.</summary>
public sealed record SqlPlannerOptions
{
    /// <summary>The clock for CURRENT_TIMESTAMP (read once per statement).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Druid's context <c>sqlOuterLimit</c>: at most this many rows, on top of the statement's LIMIT.</summary>
    public long? OuterLimit { get; init; }

    /// <summary>The context given to the native query (timeout, queryId, limits); the planner may add <c>skipEmptyBuckets</c>.</summary>
    public QueryContext Context { get; init; } = QueryContext.Empty;

    /// <summary>
    /// Druid's context <c>sqlTimeZone</c>: TIMESTAMP literals and time strings are wall-clock times in it, and
    /// TIME_FLOOR, DATE_TRUNC, FLOOR(__time TO ...), TIME_FORMAT, TIME_PARSE and CASTs between times and strings
    /// use it unless given a zone of their own. UTC by default.
    /// </summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
}

/// <summary>
/// Plans validated SELECTs on datasources into Tributary.Query's native queries, as Druid's planner does:
/// aggregates without GROUP BY, or grouped only by a floor of <c>__time</c>, become timeseries; one VARCHAR dimension
/// ordered by an aggregate with a LIMIT becomes topN; other groupings become groupBy; selects without aggregates
/// become scan. Conditions on <c>__time</c> alone become the query intervals; the others become native filters with
/// SQL's null semantics. What no native query answers exactly raises <see cref="SqlPlanningException"/> naming it.
/// </summary>
public static class SqlPlanner
{
    /// <summary>Parses, binds, validates and plans <paramref name="sql"/>.</summary>
    /// <exception cref="SqlParseException">Bad syntax.</exception>
    /// <exception cref="SqlValidationException">Unknown table, column or function; type errors; a parameter without a value.</exception>
    /// <exception cref="SqlPlanningException">Valid SQL that no native query answers correctly.</exception>
    public static SqlPlan Plan(string sql, IReadOnlyList<SqlParameterValue>? parameters, ISqlCatalog catalog, SqlPlannerOptions? options = null)
    {
        var statement = SqlParameterBinder.Bind(SqlParser.Parse(sql), parameters);
        return Plan(SqlValidator.Validate(statement, catalog), options);
    }

    /// <summary>Plans a validated query.</summary>
    public static SqlPlan Plan(SqlValidatedQuery query, SqlPlannerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= new SqlPlannerOptions();
        return new Builder(query, options).Build();
    }

    private sealed class Builder
    {
        private readonly SqlValidatedQuery _v;
        private readonly SqlPlannerOptions _options;
        private readonly long _now;
        private readonly SqlTable? _table;
        private readonly List<AggregatorSpec> _aggregators = [];
        private readonly List<PostAggregator> _postAggregators = [];
        private readonly Dictionary<string, FilterOperand> _fields = new(StringComparer.Ordinal);
        private readonly List<string> _nullWhenEmpty = [];
        private readonly Dictionary<string, List<string>> _nullWhenZero = new(StringComparer.Ordinal);
        private readonly List<VirtualColumn> _virtualColumns = [];
        private readonly Dictionary<string, string> _virtualByExpression = new(StringComparer.Ordinal);
        private readonly TimeZoneInfo _zone;
        private SqlExpressionTranslator? _translator;
        private string? _timeKey;

        public Builder(SqlValidatedQuery v, SqlPlannerOptions options)
        {
            _v = v;
            _options = options;
            _now = options.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            _table = v.Table;
            _zone = options.TimeZone;
        }

        private SqlExpressionTranslator Translator => _translator ??= new SqlExpressionTranslator(_table!, _zone, FoldTime);

        private long? Limit => _options.OuterLimit is { } outer ? Math.Min(outer, _v.Limit ?? long.MaxValue) : _v.Limit;

        public SqlPlan Build()
        {
            var columns = _v.Items.Select(i => new SqlOutputColumn(i.Name, i.Type)).ToList();
            if (_table is null)
            {
                var values = _v.Items.Select(i => Constant(i.Expression, out var value)
                    ? value
                    : throw new SqlPlanningException($"{i.Expression} in a SELECT without FROM is not a constant", i.Expression.Position)).ToArray();
                var rows = _v.Offset == 0 && Limit is not 0 ? new[] { values } : [];
                return new SqlPlan(null, columns, new SqlPostProcessing(values.Select(x => new SqlOutputSource(null, x)).ToList()), _v.Explain, rows);
            }

            if (_table.Kind != SqlTableKind.Datasource)
            {
                throw new SqlPlanningException(
                    $"{_table.Schema}.{_table.Name} is a system table: the SQL endpoint answers it from its catalog; only datasources are planned to native queries",
                    _v.Statement.Query.From?.Position);
            }

            var (intervals, filter) = Where();
            return _v.IsAggregate || _v.Distinct ? Aggregate(columns, intervals, filter) : Scan(columns, intervals, filter);
        }

        // ---- WHERE ----------------------------------------------------------------------------------------

        private (IReadOnlyList<Interval> Intervals, Filter? Filter) Where()
        {
            IReadOnlyList<Interval> intervals = [Interval.Eternity];
            if (_v.Where is null)
            {
                return (intervals, null);
            }

            var builder = RowFilterBuilder("WHERE");
            var conds = new List<Cond>();
            foreach (var conjunct in Conjuncts(_v.Where))
            {
                // a condition on __time that is not a comparison with constants (TIME_FLOOR(__time, ..) = ..) is a filter
                if (IsTimeOnly(conjunct) && TimeSet(conjunct) is { } set)
                {
                    intervals = IntervalSets.Intersect(intervals, set);
                }
                else
                {
                    conds.Add(builder.True(conjunct));
                }
            }

            var c = Cond.And(conds);
            return c.Constant == false ? ([], null) : (intervals, c.Filter);
        }

        private SqlFilterBuilder RowFilterBuilder(string clause) => new(RowOperand, FoldTime, clause, BooleanOperand);

        /// <summary>A column, or an expression of columns as a virtual column.</summary>
        private FilterOperand? RowOperand(SqlExpr e)
        {
            if (e is SqlIdentifier id && _table!.FindColumn(id.Name) is { } column)
            {
                return new FilterOperand(column.Name, column.Type);
            }

            if (e is SqlLiteral || FoldTime(e) is not null || SqlValidator.ContainsAggregate(e))
            {
                return null;
            }

            var (name, type) = VirtualColumnOf(e);
            return type == SqlType.Boolean ? null : new FilterOperand(name, type);
        }

        /// <summary>A condition as a virtual column of 1 (TRUE), 0 (FALSE) or null (UNKNOWN).</summary>
        private FilterOperand? BooleanOperand(SqlExpr e)
        {
            if (SqlValidator.ContainsAggregate(e) || SqlValidator.TypeOf(e, _table) != SqlType.Boolean)
            {
                return null;
            }

            var (name, _) = VirtualColumnOf(e);
            return new FilterOperand(name, SqlType.Boolean);
        }

        /// <summary>The virtual column computing <paramref name="e"/> (one per distinct expression), and its SQL type.</summary>
        private (string Name, SqlType Type) VirtualColumnOf(SqlExpr e)
        {
            var (text, type) = Translator.Translate(e);
            var outputType = type switch
            {
                SqlType.Varchar => DimensionOutputType.String,
                SqlType.Double => DimensionOutputType.Double,
                SqlType.Bigint or SqlType.Timestamp or SqlType.Date or SqlType.Boolean => DimensionOutputType.Long,
                _ => throw new SqlPlanningException($"{e}: an expression of type {type.Name()} cannot be computed per row", e.Position),
            };
            var key = outputType + ":" + text;
            if (!_virtualByExpression.TryGetValue(key, out var name))
            {
                name = $"v{_virtualColumns.Count}";
                _virtualColumns.Add(new VirtualColumn(name, text, Expr.Parse(text), outputType));
                _virtualByExpression[key] = name;
            }

            return (name, type);
        }

        private static IEnumerable<SqlExpr> Conjuncts(SqlExpr e) =>
            e is SqlBinary { Operator: "AND" } b ? Conjuncts(b.Left).Concat(Conjuncts(b.Right)) : [e];

        private static bool IsTimeOnly(SqlExpr e)
        {
            var ids = SqlRewriter.Descendants(e).OfType<SqlIdentifier>().ToList();
            return ids.Count > 0 && ids.All(i => i.Name == Row.TimeColumn);
        }

        /// <summary>
        /// The instants where a condition on <c>__time</c> alone is TRUE (<c>__time</c> is never null), or null when it
        /// is not made of comparisons of <c>__time</c> itself with time constants.
        /// </summary>
        private IReadOnlyList<Interval>? TimeSet(SqlExpr e)
        {
            switch (e)
            {
                case SqlBinary { Operator: "AND" or "OR" } b:
                {
                    var l = TimeSet(b.Left);
                    var r = l is null ? null : TimeSet(b.Right);
                    return l is null || r is null ? null : b.Operator == "AND" ? IntervalSets.Intersect(l, r) : IntervalSets.Union(l, r);
                }

                case SqlUnary { Operator: "NOT" } n:
                    return TimeSet(n.Operand) is { } inner ? IntervalSets.Complement(inner) : null;
                case SqlLiteral { Kind: SqlLiteralKind.Boolean, Value: bool v }:
                    return v ? [Interval.Eternity] : [];
                case SqlIsNull isNull when IsTime(isNull.Value):
                    return isNull.Negated ? [Interval.Eternity] : [];
                case SqlBinary { Operator: "=" or "<>" or "<" or "<=" or ">" or ">=" } b:
                {
                    var (timeSide, constant, op) = IsTime(b.Left) ? (b.Left, b.Right, b.Operator)
                        : IsTime(b.Right) ? (b.Right, b.Left, b.Operator switch { "<" => ">", "<=" => ">=", ">" => "<", ">=" => "<=", var o => o })
                        : (null, null, null);
                    if (timeSide is null)
                    {
                        return null;
                    }

                    if (constant is SqlLiteral { Kind: SqlLiteralKind.Null })
                    {
                        return [];
                    }

                    if (FoldTime(constant!) is not { } t)
                    {
                        return null;
                    }

                    return op switch
                    {
                        "=" => Range(t, t + 1),
                        "<>" => IntervalSets.Complement(Range(t, t + 1)),
                        "<" => Range(IsoTime.MinInstant, t),
                        "<=" => Range(IsoTime.MinInstant, t + 1),
                        ">" => Range(t + 1, IsoTime.MaxInstant),
                        _ => Range(t, IsoTime.MaxInstant),
                    };
                }

                case SqlBetween bt when IsTime(bt.Value):
                {
                    if (FoldTime(bt.Low) is not { } low || FoldTime(bt.High) is not { } high)
                    {
                        return null;
                    }

                    var set = Range(low, high + 1);
                    return bt.Negated ? IntervalSets.Complement(set) : set;
                }

                case SqlIn i when IsTime(i.Value):
                {
                    var hasNull = i.List.Any(x => x is SqlLiteral { Kind: SqlLiteralKind.Null });
                    var times = i.List.Where(x => x is not SqlLiteral { Kind: SqlLiteralKind.Null }).Select(FoldTime).ToList();
                    if (times.Any(t => t is null))
                    {
                        return null;
                    }

                    var set = Interval.Condense(times.Select(t => new Interval(t!.Value, t.Value + 1)));
                    return i.Negated ? (hasNull ? [] : IntervalSets.Complement(set)) : set;
                }

                default:
                    return null;
            }
        }

        private static bool IsTime(SqlExpr e) => e is SqlIdentifier { Name: Row.TimeColumn };

        private static IReadOnlyList<Interval> Range(long start, long end)
        {
            start = Math.Clamp(start, IsoTime.MinInstant, IsoTime.MaxInstant);
            end = Math.Clamp(end, IsoTime.MinInstant, IsoTime.MaxInstant);
            return end > start ? [new Interval(start, end)] : [];
        }

        /// <summary>
        /// Computes a TIMESTAMP constant: literals and time strings (wall-clock times in <c>sqlTimeZone</c> unless they
        /// carry an offset), CURRENT_TIMESTAMP, ± INTERVAL, MILLIS_TO_TIMESTAMP, TIME_PARSE, CAST.
        /// </summary>
        private long? FoldTime(SqlExpr e)
        {
            switch (e)
            {
                case SqlLiteral { Kind: SqlLiteralKind.Timestamp or SqlLiteralKind.Date, Value: long ms }:
                    return TimeFunctions.WallToUtc(ms, _zone);
                case SqlLiteral { Kind: SqlLiteralKind.String, Value: string s }:
                    return ParseTime(s, null, _zone);
                case SqlCurrentTimestamp:
                    return _now;
                case SqlBinary { Operator: "+" or "-" } b when b.Right is SqlIntervalLiteral iv && FoldTime(b.Left) is { } t:
                    return AddInterval(t, iv, b.Operator == "+" ? 1 : -1);
                case SqlBinary { Operator: "+" } b when b.Left is SqlIntervalLiteral iv && FoldTime(b.Right) is { } t:
                    return AddInterval(t, iv, 1);
                case SqlFunctionCall { Name: "MILLIS_TO_TIMESTAMP", Arguments: [SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long ms }] }:
                    return ms;
                case SqlFunctionCall { Name: "TIME_PARSE", Arguments: [SqlLiteral { Kind: SqlLiteralKind.String, Value: string s }, ..] } call:
                {
                    var rest = call.Arguments.Skip(1).ToList();
                    string? pattern = null;
                    var zone = _zone;
                    if (rest.Count >= 1 && rest[0] is not SqlLiteral { Kind: SqlLiteralKind.Null })
                    {
                        pattern = rest[0] is SqlLiteral { Kind: SqlLiteralKind.String, Value: string p } ? p : null;
                        if (pattern is null)
                        {
                            return null;
                        }
                    }

                    if (rest.Count >= 2 && rest[1] is not SqlLiteral { Kind: SqlLiteralKind.Null })
                    {
                        zone = rest[1] is SqlLiteral { Kind: SqlLiteralKind.String, Value: string z } ? TimeFunctions.FindZone(z) : null;
                        if (zone is null)
                        {
                            return null;
                        }
                    }

                    return ParseTime(s, pattern, zone);
                }

                case SqlCast { TypeName: "TIMESTAMP" or "DATE" } c:
                    return FoldTime(c.Value);
                default:
                    return null;
            }
        }

        private static long? ParseTime(string text, string? pattern, TimeZoneInfo zone) =>
            TimeFunctions.ParseTime(text.Trim(), pattern, zone);

        private static long AddInterval(long t, SqlIntervalLiteral iv, int sign)
        {
            var n = iv.Count * sign;
            try
            {
                return iv.Unit switch
                {
                    SqlTimeUnit.Month or SqlTimeUnit.Quarter or SqlTimeUnit.Year =>
                        DateTimeOffset.FromUnixTimeMilliseconds(t).AddMonths(checked((int)(n * (iv.Unit == SqlTimeUnit.Month ? 1 : iv.Unit == SqlTimeUnit.Quarter ? 3 : 12)))).ToUnixTimeMilliseconds(),
                    _ => checked(t + (n * UnitMillis(iv.Unit))),
                };
            }
            catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException)
            {
                throw new SqlPlanningException($"{iv} moves the time out of range", iv.Position);
            }
        }

        private static long UnitMillis(SqlTimeUnit unit) => unit switch
        {
            SqlTimeUnit.Second => 1000L,
            SqlTimeUnit.Minute => 60_000L,
            SqlTimeUnit.Hour => 3_600_000L,
            SqlTimeUnit.Day => 86_400_000L,
            _ => 7 * 86_400_000L,
        };

        private bool Constant(SqlExpr e, out object? value)
        {
            switch (e)
            {
                case SqlLiteral lit:
                    value = lit.Value;
                    return true;
                case SqlUnary { Operator: "-", Operand: SqlLiteral { Value: long l } }:
                    value = -l;
                    return true;
                case SqlUnary { Operator: "-", Operand: SqlLiteral { Value: double d } }:
                    value = -d;
                    return true;
                default:
                    value = FoldTime(e);
                    return value is not null;
            }
        }

        // ---- scan -------------------------------------------------------------------------------------------

        private SqlPlan Scan(List<SqlOutputColumn> columns, IReadOnlyList<Interval> intervals, Filter? filter)
        {
            var sources = new List<SqlOutputSource>();
            var scanColumns = new List<string>();
            foreach (var item in _v.Items)
            {
                if (item.Expression is SqlIdentifier id)
                {
                    sources.Add(new SqlOutputSource(id.Name));
                    if (!scanColumns.Contains(id.Name))
                    {
                        scanColumns.Add(id.Name);
                    }
                }
                else if (Constant(item.Expression, out var value))
                {
                    sources.Add(new SqlOutputSource(null, value));
                }
                else
                {
                    var (name, type) = VirtualColumnOf(item.Expression);
                    if (type == SqlType.Boolean)
                    {
                        throw new SqlPlanningException($"{item.Expression}: selecting a condition (a BOOLEAN value) is not supported; select CASE WHEN ... THEN 1 ELSE 0 END", item.Expression.Position);
                    }

                    sources.Add(new SqlOutputSource(name));
                    if (!scanColumns.Contains(name))
                    {
                        scanColumns.Add(name);
                    }
                }
            }

            if (scanColumns.Count == 0)
            {
                scanColumns.Add(Row.TimeColumn);
            }

            var order = ScanOrder.None;
            if (_v.OrderBy.Count > 0)
            {
                if (_v.OrderBy.Count > 1 || !IsTime(_v.OrderBy[0].Expression))
                {
                    var bad = _v.OrderBy.FirstOrDefault(o => !IsTime(o.Expression)) ?? _v.OrderBy[1];
                    throw new SqlPlanningException(
                        $"ORDER BY {bad.Expression} in a SELECT without aggregation: the native scan query orders only by __time", bad.Position);
                }

                order = _v.OrderBy[0].Descending ? ScanOrder.Descending : ScanOrder.Ascending;
            }

            var query = new ScanQuery
            {
                DataSource = _table!.Name,
                Intervals = intervals,
                Filter = filter,
                VirtualColumns = _virtualColumns,
                Context = _options.Context,
                Columns = scanColumns,
                // native limits are at least 1: LIMIT 0 is applied to the result
                Limit = Limit is 0 ? null : Limit,
                Offset = _v.Offset,
                Order = order,
                ResultFormat = ScanResultFormat.CompactedList,
            };
            return new SqlPlan(query, columns, new SqlPostProcessing(sources) { Limit = Limit is 0 ? 0 : null }, _v.Explain);
        }

        // ---- aggregation ------------------------------------------------------------------------------------

        private SqlPlan Aggregate(List<SqlOutputColumn> columns, IReadOnlyList<Interval> intervals, Filter? filter)
        {
            IReadOnlyList<SqlExpr> keys;
            if (_v.Distinct)
            {
                if (_v.IsAggregate)
                {
                    throw new SqlPlanningException("SELECT DISTINCT together with GROUP BY or aggregates is not supported; drop DISTINCT", _v.Statement.Query.Position);
                }

                keys = _v.Items.Select(i => i.Expression).ToList();
            }
            else
            {
                keys = _v.GroupBy;
            }

            Granularity granularity = Granularity.All;
            var dimensions = new List<(DimensionSpec Spec, SqlType Type)>();
            foreach (var key in keys)
            {
                var text = key.ToString();
                if (_fields.ContainsKey(text) || text == _timeKey)
                {
                    continue;
                }

                // the first floor of __time is the granularity; a second one is grouped as a virtual column
                if (_timeKey is null && TimeKey(key) is { } g)
                {
                    _timeKey = text;
                    granularity = g;
                    continue;
                }

                var (field, type) = key is SqlIdentifier id && _table!.FindColumn(id.Name) is { } column && column.Type is SqlType.Varchar or SqlType.Bigint or SqlType.Double
                    ? (column.Name, column.Type)
                    : GroupExpression(key);
                var name = $"d{dimensions.Count}";
                var outputType = type switch { SqlType.Varchar => DimensionOutputType.String, SqlType.Double => DimensionOutputType.Double, _ => DimensionOutputType.Long };
                dimensions.Add((new DimensionSpec(field, name, outputType), type));
                _fields[text] = new FilterOperand(name, type);
            }

            // every aggregate mentioned anywhere, once
            foreach (var call in _v.Items.Select(i => i.Expression)
                         .Concat(_v.Having is null ? [] : [_v.Having])
                         .Concat(_v.OrderBy.Select(o => o.Expression))
                         .SelectMany(SqlRewriter.Descendants)
                         .Where(SqlValidator.IsAggregate)
                         .Cast<SqlFunctionCall>())
            {
                PlanAggregate(call);
            }

            var sources = _v.Items.Select(i => Source(i.Expression, "SELECT")).ToList();
            HavingSpec? having = null;
            var havingFalse = false;
            var havingFields = new HashSet<string>(StringComparer.Ordinal);
            if (_v.Having is { } h)
            {
                var c = new SqlFilterBuilder(e => Field(e, "HAVING") is { } f ? Recorded(f) : null, FoldTime, "HAVING").True(h);
                having = c.Filter is { } f ? new FilterHaving(f) : null;
                havingFalse = c.Constant == false;
            }

            FilterOperand Recorded(FilterOperand f)
            {
                havingFields.Add(f.Name);
                return f;
            }

            var order = _v.OrderBy.Select(o =>
            {
                var field = Source(o.Expression, "ORDER BY").Field
                    ?? throw new SqlPlanningException($"ORDER BY {o.Expression}: ordering by a constant is not supported", o.Position);
                return (Field: field, o.Descending);
            }).ToList();

            // a native having or ordering sees 0 where SQL has NULL (SUM of no values): those run on the shaped rows
            var havingAfter = havingFields.Any(_nullWhenZero.ContainsKey);
            var orderAfter = order.Any(o => _nullWhenZero.ContainsKey(o.Field));
            var nullWhenZero = _nullWhenZero.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);

            var limit = havingFalse ? 0 : Limit;
            var context = _options.Context;
            if (dimensions.Count == 0)
            {
                string? rowCount = null;
                if (_timeKey is null && _nullWhenEmpty.Count > 0)
                {
                    rowCount = $"a{_aggregators.Count}";
                    _aggregators.Add(new AggregatorSpec(AggregatorType.Count, rowCount, null));
                }

                // timeseries: SQL has no rows for empty buckets
                var nativeOrder = order.Count == 0 || (order.Count == 1 && order[0].Field == SqlPostProcessing.BucketTimeField);
                var descending = order.Count == 1 && nativeOrder && order[0].Descending;
                var pushLimit = nativeOrder && having is null && limit is { } l && l + _v.Offset is > 0 and <= int.MaxValue;
                var query = new TimeseriesQuery
                {
                    DataSource = _table!.Name,
                    Intervals = intervals,
                    Filter = filter,
                    VirtualColumns = _virtualColumns,
                    Context = _timeKey is null ? context : context with { SkipEmptyBuckets = true },
                    Granularity = granularity,
                    Aggregations = _aggregators,
                    PostAggregations = _postAggregators,
                    Descending = descending,
                    Limit = pushLimit ? (int)(limit!.Value + _v.Offset) : null,
                };
                var post = new SqlPostProcessing(sources)
                {
                    Having = having,
                    Sort = nativeOrder ? [] : order.Select(o => new SqlSortKey(o.Field, o.Descending)).ToList(),
                    Offset = _v.Offset,
                    Limit = limit,
                    EmptyRowCountField = rowCount,
                    NullWhenEmptyFields = rowCount is null ? [] : _nullWhenEmpty,
                    NullWhenZero = nullWhenZero,
                };
                return new SqlPlan(query, columns, post, _v.Explain);
            }

            if (dimensions.Count == 1 && _timeKey is null && having is null && limit is > 0 and <= int.MaxValue && _v.Offset == 0
                && order.Count == 1 && !IsDimension(order[0].Field) && dimensions[0].Type == SqlType.Varchar && !orderAfter)
            {
                TopNMetricSpec metric = new NumericTopNMetric(order[0].Field);
                var query = new TopNQuery
                {
                    DataSource = _table!.Name,
                    Intervals = intervals,
                    Filter = filter,
                    VirtualColumns = _virtualColumns,
                    Context = context,
                    Granularity = granularity,
                    Aggregations = _aggregators,
                    PostAggregations = _postAggregators,
                    Dimension = dimensions[0].Spec,
                    Metric = order[0].Descending ? metric : new InvertedTopNMetric(metric),
                    Threshold = (int)limit.Value,
                };
                return new SqlPlan(query, columns, new SqlPostProcessing(sources) { Limit = limit, NullWhenZero = nullWhenZero }, _v.Explain);
            }

            // groupBy sorts by bucket time first: ORDER BY can go native only when it starts with the time key ascending
            var native = (_timeKey is null || order.Count == 0 || (order[0].Field == SqlPostProcessing.BucketTimeField && !order[0].Descending)) && !havingAfter && !orderAfter;
            var nativeColumns = order.Where(o => o.Field != SqlPostProcessing.BucketTimeField)
                .Select(o => new OrderByColumn(o.Field, o.Descending, _fields.Values.FirstOrDefault(f => f.Name == o.Field).Type is var t && (t.IsNumeric() || t.IsTime()) ? StringOrdering.Numeric : StringOrdering.Lexicographic))
                .ToList();
            var groupBy = new GroupByQuery
            {
                DataSource = _table!.Name,
                Intervals = intervals,
                Filter = filter,
                VirtualColumns = _virtualColumns,
                Context = context,
                Granularity = granularity,
                Aggregations = _aggregators,
                PostAggregations = _postAggregators,
                Dimensions = dimensions.Select(d => d.Spec).ToList(),
                Having = havingAfter ? null : having,
                LimitSpec = native && (order.Count > 0 || limit is > 0 || _v.Offset > 0) ? new LimitSpec(nativeColumns, limit is 0 ? null : limit, _v.Offset) : null,
            };
            var groupPost = native
                ? new SqlPostProcessing(sources) { Limit = limit is 0 ? 0 : null, NullWhenZero = nullWhenZero }
                : new SqlPostProcessing(sources)
                {
                    Having = havingAfter ? having : null,
                    Sort = order.Select(o => new SqlSortKey(o.Field, o.Descending)).ToList(),
                    Offset = _v.Offset,
                    Limit = limit,
                    NullWhenZero = nullWhenZero,
                };
            return new SqlPlan(groupBy, columns, groupPost, _v.Explain);
        }

        private (string Field, SqlType Type) GroupExpression(SqlExpr key)
        {
            if (SqlValidator.TypeOf(key, _table) is SqlType.Boolean)
            {
                throw new SqlPlanningException($"GROUP BY {key}: grouping by a condition (a BOOLEAN value) is not supported; group by CASE WHEN ... THEN 1 ELSE 0 END", key.Position);
            }

            if (Constant(key, out _))
            {
                throw new SqlPlanningException($"GROUP BY {key}: grouping by a constant is not supported", key.Position);
            }

            return VirtualColumnOf(key);
        }

        private bool IsDimension(string field) => _fields.Values.Any(f => f.Name == field && f.Name.StartsWith('d'));

        private Granularity? TimeKey(SqlExpr key)
        {
            switch (key)
            {
                case SqlIdentifier { Name: Row.TimeColumn }:
                    return Granularity.None;
                case SqlFloorTo { Ceil: false, Value: SqlIdentifier { Name: Row.TimeColumn } } f:
                    return UnitGranularity(f.Unit);
                case SqlFunctionCall { Name: "DATE_TRUNC", Arguments: [SqlLiteral { Kind: SqlLiteralKind.String, Value: string unit }, SqlIdentifier { Name: Row.TimeColumn }] } call:
                    return SqlParser.TryUnit(unit, out var u)
                        ? UnitGranularity(u)
                        : throw new SqlPlanningException($"DATE_TRUNC unit '{unit}' is not one of second, minute, hour, day, week, month, quarter, year", call.Position);
                case SqlFunctionCall { Name: "TIME_FLOOR" } call when call.Arguments.Count >= 2 && call.Arguments[0] is SqlIdentifier { Name: Row.TimeColumn }:
                {
                    if (call.Arguments[1] is not SqlLiteral { Kind: SqlLiteralKind.String, Value: string p } || !Period.TryParse(p, out var period)
                        || period.FixedMillis + period.TotalMonths == 0)
                    {
                        throw new SqlPlanningException($"TIME_FLOOR needs an ISO-8601 period literal such as 'PT1H' as its second argument: {call}", call.Arguments[1].Position);
                    }

                    if (period.HasCalendarFields && period.FixedMillis != 0)
                    {
                        throw new SqlPlanningException($"TIME_FLOOR period '{p}' mixes months or years with smaller units, which the native granularities do not support", call.Arguments[1].Position);
                    }

                    long? origin = null;
                    if (call.Arguments.Count >= 3 && call.Arguments[2] is not SqlLiteral { Kind: SqlLiteralKind.Null })
                    {
                        origin = FoldTime(call.Arguments[2])
                            ?? throw new SqlPlanningException($"TIME_FLOOR's origin must be a time constant: {call}", call.Arguments[2].Position);
                    }

                    var zone = _zone;
                    if (call.Arguments.Count == 4 && call.Arguments[3] is not SqlLiteral { Kind: SqlLiteralKind.Null })
                    {
                        if (call.Arguments[3] is not SqlLiteral { Kind: SqlLiteralKind.String, Value: string tz })
                        {
                            throw new SqlPlanningException($"TIME_FLOOR's time zone must be a string literal: {call}", call.Arguments[3].Position);
                        }

                        zone = TimeFunctions.FindZone(tz) ?? throw new SqlPlanningException($"Unknown time zone '{tz}' in TIME_FLOOR", call.Arguments[3].Position);
                    }

                    return new PeriodGranularity(period, zone == TimeZoneInfo.Utc ? null : zone, origin);
                }

                default:
                    return null;
            }
        }

        private PeriodGranularity UnitGranularity(SqlTimeUnit unit) => new(
            unit switch
            {
                SqlTimeUnit.Second => new Period(0, 0, 0, 0, 0, 0, 1, 0),
                SqlTimeUnit.Minute => new Period(0, 0, 0, 0, 0, 1, 0, 0),
                SqlTimeUnit.Hour => new Period(0, 0, 0, 0, 1, 0, 0, 0),
                SqlTimeUnit.Day => new Period(0, 0, 0, 1, 0, 0, 0, 0),
                SqlTimeUnit.Week => new Period(0, 0, 1, 0, 0, 0, 0, 0),
                SqlTimeUnit.Month => new Period(0, 1, 0, 0, 0, 0, 0, 0),
                SqlTimeUnit.Quarter => new Period(0, 3, 0, 0, 0, 0, 0, 0),
                _ => new Period(1, 0, 0, 0, 0, 0, 0, 0),
            },
            _zone == TimeZoneInfo.Utc ? null : _zone,
            null);

        private void PlanAggregate(SqlFunctionCall call)
        {
            var text = call.ToString();
            if (_fields.ContainsKey(text))
            {
                return;
            }

            // FILTER (WHERE ...) makes every native aggregator of this call a filtered one
            Filter? filter = null;
            if (call.Filter is { } condition)
            {
                var c = RowFilterBuilder("FILTER").True(condition);
                filter = c.Constant switch { true => null, false => FalseFilter.Instance, _ => c.Filter };
            }

            var name = $"a{_aggregators.Count}";
            var type = SqlValidator.TypeOf(call, _table);
            AggregatorSpec Add(AggregatorType kind, string aggName, string? field, Filter? f)
            {
                var spec = new AggregatorSpec(kind, aggName, field) { Filter = f };
                _aggregators.Add(spec);
                return spec;
            }

            // the argument: a column, or an expression as a virtual column (which may be null)
            (string Field, SqlType Type, bool CanBeNull) Argument()
            {
                var arg = call.Arguments[0];
                if (arg is SqlIdentifier id && _table!.FindColumn(id.Name) is { } column)
                {
                    return (column.Name, column.Type, column.CanBeNull);
                }

                var (vc, vcType) = VirtualColumnOf(arg);
                return (vc, vcType, true);
            }

            Filter? NonNull(string field, bool canBeNull) =>
                !canBeNull ? filter : filter is null ? new NotFilter(new SelectorFilter(field, null)) : new AndFilter([filter, new NotFilter(new SelectorFilter(field, null))]);

            // SQL's SUM/AVG of no values is NULL where native sums give 0: a count of the values summed tells
            string? ValueCount(string field, bool canBeNull)
            {
                if (!canBeNull && filter is null)
                {
                    return null;
                }

                var count = $"a{_aggregators.Count}";
                Add(AggregatorType.Count, count, null, NonNull(field, canBeNull));
                return count;
            }

            switch (call.Name)
            {
                case "COUNT" when call.Star:
                    Add(AggregatorType.Count, name, null, filter);
                    break;
                case "COUNT" when call.Distinct:
                case "APPROX_COUNT_DISTINCT":
                {
                    var (field, argType, _) = Argument();
                    if (argType == SqlType.HyperUnique)
                    {
                        _aggregators.Add(new AggregatorSpec(AggregatorType.HyperUnique, name, field, Round: true) { Filter = filter });
                    }
                    else
                    {
                        // Druid's default: COUNT(DISTINCT) is approximate, a cardinality sketch of the values (nulls skipped)
                        var outputType = argType switch { SqlType.Varchar => DimensionOutputType.String, SqlType.Double => DimensionOutputType.Double, _ => DimensionOutputType.Long };
                        _aggregators.Add(new AggregatorSpec(AggregatorType.Cardinality, name, null, Round: true) { Filter = filter, Fields = [new DimensionSpec(field, field, outputType)] });
                    }

                    break;
                }

                case "COUNT":
                {
                    if (call.Arguments is [SqlLiteral { Kind: SqlLiteralKind.Null }])
                    {
                        Add(AggregatorType.Count, name, null, FalseFilter.Instance);
                        break;
                    }

                    if (call.Arguments is [SqlLiteral])
                    {
                        Add(AggregatorType.Count, name, null, filter);
                        break;
                    }

                    var (field, _, canBeNull) = Argument();
                    Add(AggregatorType.Count, name, null, NonNull(field, canBeNull));
                    break;
                }

                case "SUM":
                {
                    var (field, argType, canBeNull) = Argument();
                    Add(argType == SqlType.Double ? AggregatorType.DoubleSum : AggregatorType.LongSum, name, field, filter);
                    if (ValueCount(field, canBeNull) is { } count)
                    {
                        _nullWhenZero[name] = [count];
                    }
                    else
                    {
                        _nullWhenEmpty.Add(name);
                    }

                    break;
                }

                case "MIN" or "MAX":
                {
                    // native min/max are null until they see a value, as SQL's
                    var (field, argType, _) = Argument();
                    var min = call.Name == "MIN";
                    var kind = argType switch
                    {
                        SqlType.Double => min ? AggregatorType.DoubleMin : AggregatorType.DoubleMax,
                        SqlType.Bigint or SqlType.Timestamp or SqlType.Date => min ? AggregatorType.LongMin : AggregatorType.LongMax,
                        _ => throw new SqlPlanningException($"{call}: {call.Name} of a {argType.Name()} value has no native aggregator", call.Position),
                    };
                    Add(kind, name, field, filter);
                    break;
                }

                case "AVG":
                {
                    var (field, argType, canBeNull) = Argument();
                    Add(argType == SqlType.Double ? AggregatorType.DoubleSum : AggregatorType.LongSum, name, field, filter);
                    var count = $"a{_aggregators.Count}";
                    Add(AggregatorType.Count, count, null, NonNull(field, canBeNull));
                    var post = $"p{_postAggregators.Count}";
                    _postAggregators.Add(new ArithmeticPostAggregator(post, ArithmeticFunction.Quotient, [new FieldAccessPostAggregator(name, name, false), new FieldAccessPostAggregator(count, count, false)], null));
                    _fields[text] = new FilterOperand(post, SqlType.Double);
                    if (canBeNull || filter is not null)
                    {
                        _nullWhenZero[post] = [count];
                    }
                    else
                    {
                        _nullWhenEmpty.Add(post);
                    }

                    return;
                }

                default:
                    throw new SqlPlanningException($"{call} cannot be planned", call.Position);
            }

            _fields[text] = new FilterOperand(name, type);
        }

        /// <summary>Where a grouped expression's value is in the native result: a group key, an aggregate, or an arithmetic post-aggregator of aggregates.</summary>
        private SqlOutputSource Source(SqlExpr e, string clause)
        {
            var text = e.ToString();
            if (text == _timeKey)
            {
                return new SqlOutputSource(SqlPostProcessing.BucketTimeField);
            }

            if (_fields.TryGetValue(text, out var field))
            {
                return new SqlOutputSource(field.Name);
            }

            if (Constant(e, out var value))
            {
                return new SqlOutputSource(null, value);
            }

            if (e is SqlBinary { Operator: "+" or "-" or "*" or "/" } or SqlUnary { Operator: "-" } && SqlValidator.ContainsAggregate(e))
            {
                var type = SqlValidator.TypeOf(e, _table);
                if (type != SqlType.Double)
                {
                    throw new SqlPlanningException($"{e} in {clause} has a {type.Name()} result, but native arithmetic post-aggregators compute doubles; CAST an operand to DOUBLE", e.Position);
                }

                var name = $"p{_postAggregators.Count}";
                var post = PostAggregatorOf(e, name, clause);
                _postAggregators.Add(post);
                _fields[text] = new FilterOperand(name, SqlType.Double);

                // arithmetic of an aggregate that is NULL is NULL
                var counts = SqlRewriter.Descendants(e).Where(SqlValidator.IsAggregate)
                    .SelectMany(a => _fields.TryGetValue(a.ToString(), out var f) && _nullWhenZero.TryGetValue(f.Name, out var c) ? c : [])
                    .Distinct().ToList();
                if (counts.Count > 0)
                {
                    _nullWhenZero[name] = counts;
                }

                if (SqlRewriter.Descendants(e).Any(x => x is SqlFunctionCall { Name: "SUM" or "AVG" }))
                {
                    _nullWhenEmpty.Add(name);
                }

                return new SqlOutputSource(name);
            }

            throw new SqlPlanningException($"{e} in {clause} needs an expression post-aggregator or virtual column, which the native engine does not have", e.Position);
        }

        private PostAggregator PostAggregatorOf(SqlExpr e, string name, string clause)
        {
            switch (e)
            {
                case SqlBinary b:
                    return new ArithmeticPostAggregator(name, b.Operator switch
                    {
                        "+" => ArithmeticFunction.Add,
                        "-" => ArithmeticFunction.Subtract,
                        "*" => ArithmeticFunction.Multiply,
                        _ => ArithmeticFunction.Quotient,
                    }, [PostAggregatorOf(b.Left, name + "_l", clause), PostAggregatorOf(b.Right, name + "_r", clause)], null);
                case SqlUnary { Operator: "-" } u:
                    return new ArithmeticPostAggregator(name, ArithmeticFunction.Multiply, [new ConstantPostAggregator(name + "_m", -1.0), PostAggregatorOf(u.Operand, name + "_o", clause)], null);
                case SqlLiteral { Kind: SqlLiteralKind.Integer, Value: long l }:
                    return new ConstantPostAggregator(name, (double)l);
                case SqlLiteral { Kind: SqlLiteralKind.Decimal, Value: double d }:
                    return new ConstantPostAggregator(name, d);
                case SqlCast { TypeName: "DOUBLE" or "FLOAT" or "REAL" or "DECIMAL" } c:
                    return PostAggregatorOf(c.Value, name, clause);
                default:
                    if (_fields.TryGetValue(e.ToString(), out var field) && SqlValidator.ContainsAggregate(e))
                    {
                        return new FieldAccessPostAggregator(name, field.Name, false);
                    }

                    throw new SqlPlanningException($"{e} in {clause}: post-aggregators can only combine aggregates and numbers", e.Position);
            }
        }

        private FilterOperand? Field(SqlExpr e, string clause)
        {
            var text = e.ToString();
            if (text == _timeKey)
            {
                throw new SqlPlanningException($"{e} in {clause}: conditions on the time bucket are not supported; filter __time in WHERE", e.Position);
            }

            if (_fields.TryGetValue(text, out var f))
            {
                return f;
            }

            if (e is SqlBinary { Operator: "+" or "-" or "*" or "/" } or SqlUnary { Operator: "-" } && SqlValidator.ContainsAggregate(e))
            {
                var name = Source(e, clause).Field!;
                return new FilterOperand(name, SqlType.Double);
            }

            return null;
        }
    }
}

/// <summary>Set operations on condensed interval lists within Druid's eternity.</summary>
internal static class IntervalSets
{
    public static IReadOnlyList<Interval> Intersect(IReadOnlyList<Interval> a, IReadOnlyList<Interval> b)
    {
        var result = new List<Interval>();
        int i = 0, j = 0;
        while (i < a.Count && j < b.Count)
        {
            var start = Math.Max(a[i].Start, b[j].Start);
            var end = Math.Min(a[i].End, b[j].End);
            if (end > start)
            {
                result.Add(new Interval(start, end));
            }

            if (a[i].End < b[j].End)
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return result;
    }

    public static IReadOnlyList<Interval> Union(IReadOnlyList<Interval> a, IReadOnlyList<Interval> b) => Interval.Condense(a.Concat(b));

    public static IReadOnlyList<Interval> Complement(IReadOnlyList<Interval> a)
    {
        var result = new List<Interval>();
        var cursor = IsoTime.MinInstant;
        foreach (var i in Interval.Condense(a))
        {
            if (i.Start > cursor)
            {
                result.Add(new Interval(cursor, i.Start));
            }

            cursor = Math.Max(cursor, i.End);
        }

        if (cursor < IsoTime.MaxInstant)
        {
            result.Add(new Interval(cursor, IsoTime.MaxInstant));
        }

        return result;
    }
}
