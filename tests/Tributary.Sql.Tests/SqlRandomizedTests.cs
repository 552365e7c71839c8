using System.Globalization;
using System.Text;
using Tributary.Query;

namespace Tributary.Sql.Tests;

/// <summary>Random SQL over the demo-like schema, planned, run by the reference evaluator, and compared with the oracle.</summary>
public sealed class SqlRandomizedTests
{
    public static IEnumerable<TheoryDataRow<int>> Seeds() => Enumerable.Range(1, 300).Select(s => new TheoryDataRow<int>(s));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomQuery_MatchesTheOracle(int seed)
    {
        var random = new Random(seed);
        var rows = SqlTestData.Rows(seed, random.Next(0, 400));

        // a quarter of the seeds run in another sqlTimeZone (literals, floors and formats move with it)
        var zone = (seed % 8) switch
        {
            1 => TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata"),
            5 => TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles"),
            _ => null,
        };
        for (var i = 0; i < 8; i++)
        {
            var sql = new Generator(random).Query();
            SqlComparison.AssertSameAnswer(sql, rows, $"seed {seed}, query {i}, zone {zone?.Id ?? "UTC"}", zone: zone);

            // the same plan over rows split into segments whose partials are merged, as the broker runs it
            SqlComparison.AssertSameAnswer(sql, rows, $"seed {seed}, query {i}, 3 segments", 3, zone);
        }
    }

    internal sealed class Generator(Random random)
    {
        private static readonly string[] Strings = ["country", "device", "event_type", "pin_id"];

        private T Pick<T>(params T[] items) => items[random.Next(items.Length)];

        private string Str(string column) => column switch
        {
            "country" => Pick(SqlTestData.Countries),
            "device" => Pick(SqlTestData.Devices),
            "event_type" => Pick(SqlTestData.Events),
            _ => "pin" + random.Next(45).ToString(CultureInfo.InvariantCulture),
        };

        private static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

        private string Time()
        {
            var t = SqlTestData.Start + (random.Next(-6, 50) * 3_600_000L) + (random.Next(0, 60) * 60_000L);
            return random.Next(3) switch
            {
                0 => "TIMESTAMP '" + DateTimeOffset.FromUnixTimeMilliseconds(t).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "'",
                1 => $"CURRENT_TIMESTAMP - INTERVAL '{random.Next(1, 40)}' HOUR",
                _ => "TIMESTAMP '" + DateTimeOffset.FromUnixTimeMilliseconds(t).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + ":00'",
            };
        }

        private string Leaf()
        {
            var s = Pick(Strings);
            if (random.Next(4) == 0)
            {
                return ExpressionLeaf();
            }

            switch (random.Next(17))
            {
                case 0: return $"{s} = {Quote(Str(s))}";
                case 1: return $"{s} <> {Quote(Str(s))}";
                case 2: return $"{s} IN ({Quote(Str(s))}, {Quote(Str(s))}{(random.Next(4) == 0 ? ", NULL" : string.Empty)})";
                case 3: return $"{s} NOT IN ({Quote(Str(s))}, {Quote(Str(s))}{(random.Next(4) == 0 ? ", NULL" : string.Empty)})";
                case 4: return $"{s} LIKE {Quote(Pick("U%", "%o%", "_S", "%", "share!%", "pin1_"))}{(random.Next(2) == 0 ? " ESCAPE '!'" : string.Empty)}";
                case 5: return $"{s} NOT LIKE {Quote(Pick("U%", "%i%", "a%"))}";
                case 6: return $"{s} IS {(random.Next(2) == 0 ? "NOT " : string.Empty)}NULL";
                case 7: return $"{s} {Pick("<", "<=", ">", ">=")} {Quote(Str(s))}";
                case 8: return $"{s} {(random.Next(3) == 0 ? "NOT " : string.Empty)}BETWEEN {Quote(Str(s))} AND {Quote(Str(s))}";
                case 9: return $"clicks {Pick("=", "<>", "<", "<=", ">", ">=")} {random.Next(-1, 21)}";
                case 10: return $"dwell_ms {Pick("<", ">=", "=", "<>")} {Pick("250", "500.5", "0", "999.9", "1e2")}";
                case 11: return $"user_age {Pick("=", "<>", "<", ">=")} {random.Next(10, 72)}";
                case 12: return $"user_age {(random.Next(2) == 0 ? "NOT " : string.Empty)}IN ({random.Next(13, 70)}, {random.Next(13, 70)})";
                case 13: return $"user_age {(random.Next(2) == 0 ? "NOT " : string.Empty)}BETWEEN {random.Next(10, 40)} AND {random.Next(30, 72)}";
                case 14: return $"__time {Pick(">=", "<", ">", "<=")} {Time()}";
                case 15: return $"__time {(random.Next(3) == 0 ? "NOT " : string.Empty)}BETWEEN {Time()} AND {Time()}";
                default: return $"clicks BETWEEN {random.Next(0, 10)} AND {random.Next(5, 20)}";
            }
        }

        // conditions on expressions: virtual columns with selector/bound/in/like filters, or 1/0 condition columns
        private string ExpressionLeaf() => random.Next(14) switch
        {
            0 => $"LOWER(country) {Pick("=", "<>", ">=")} {Quote(Pick("us", "uk", "de", ""))}",
            1 => $"UPPER(device) {Pick("IN", "NOT IN")} ('IOS', {Quote(Pick("TV", "WEB", "android"))})",
            2 => $"clicks + user_age {Pick(">", "<=", "=")} {random.Next(20, 80)}",
            3 => $"clicks {Pick("=", "<", ">=")} user_age / {random.Next(2, 6)}",
            4 => $"CASE WHEN clicks > {random.Next(3, 15)} THEN 'hi' WHEN country IS NULL THEN NULL ELSE 'lo' END = {Quote(Pick("hi", "lo"))}",
            5 => $"SUBSTRING(pin_id, 4, 1) {Pick("=", "<>", ">")} '{random.Next(10)}'",
            6 => $"country || device LIKE {Quote(Pick("U%", "%os", "_Eweb"))}",
            7 => random.Next(2) == 0 ? $"CAST(clicks AS VARCHAR) = '{random.Next(20)}'" : "CAST(clicks AS VARCHAR) IN ('1', '12')",
            8 => $"TIME_FORMAT(__time, 'HH') {Pick("=", "<", ">=")} '{random.Next(24):D2}'",
            9 => $"TIME_FLOOR(__time, 'PT1H') {Pick("=", "<>", ">")} {Time()}",
            10 => $"COALESCE(country, event_type, 'none') {Pick("=", "<>")} {Quote(Pick("none", "US", "click"))}",
            11 => $"CHAR_LENGTH(event_type) {Pick(">", "=", "<=")} {random.Next(3, 8)}",
            12 => $"(CASE device WHEN 'ios' THEN clicks ELSE dwell_ms END) {Pick(">", "<")} {random.Next(5, 600)}",
            _ => $"ABS(clicks - {random.Next(20)}) {Pick("<", ">=")} {random.Next(1, 8)}",
        };

        private string Condition(int depth)
        {
            if (depth == 0 || random.Next(3) == 0)
            {
                return random.Next(6) == 0 ? $"NOT ({Leaf()})" : Leaf();
            }

            var op = Pick("AND", "OR");
            var c = $"({Condition(depth - 1)} {op} {Condition(depth - 1)})";
            return random.Next(5) == 0 ? $"NOT {c}" : c;
        }

        private string Where()
        {
            if (random.Next(4) == 0)
            {
                return string.Empty;
            }

            var parts = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Condition(2)).ToList();
            return " WHERE " + string.Join(" AND ", parts);
        }

        private string LimitOffset(bool ordered)
        {
            var sb = new StringBuilder();
            if (random.Next(2) == 0)
            {
                sb.Append(" LIMIT ").Append(random.Next(0, 12));
                if (ordered && random.Next(3) == 0)
                {
                    sb.Append(" OFFSET ").Append(random.Next(0, 5));
                }
            }

            return sb.ToString();
        }

        private string Aggregates(int count)
        {
            var all = new List<string> { "COUNT(*) AS cnt", "SUM(clicks) AS sum_clicks", "SUM(dwell_ms) AS dwell", "MIN(clicks) AS min_clicks", "MAX(dwell_ms) AS max_dwell",
                "AVG(clicks) AS avg_clicks", "COUNT(DISTINCT pin_id) AS pins", "MIN(user_age) AS min_age", "MAX(__time) AS last_time", "SUM(dwell_ms) / COUNT(*) AS per_row" };
            all.AddRange([
                $"SUM(clicks) FILTER (WHERE {Leaf()}) AS f_sum", $"COUNT(*) FILTER (WHERE {Leaf()}) AS f_cnt", $"AVG(dwell_ms) FILTER (WHERE {Leaf()}) AS f_avg",
                "COUNT(user_age) AS ages", "SUM(user_age) AS sum_age", "AVG(user_age) AS avg_age", "SUM(clicks * 2 - user_age) AS expr_sum",
                "MAX(dwell_ms / 2) AS half_dwell", "MIN(CASE WHEN device = 'ios' THEN clicks END) AS ios_min", "COUNT(DISTINCT country) AS countries",
                "APPROX_COUNT_DISTINCT(unique_users) AS users", $"MAX(__time) FILTER (WHERE {Leaf()}) AS f_last",
            ]);
            return string.Join(", ", all.OrderBy(_ => random.Next()).Take(count));
        }

        // grouping expressions (virtual columns) beside plain dimensions
        private string Dimension() => random.Next(10) switch
        {
            0 => "UPPER(device)",
            1 => "CASE WHEN clicks > 10 THEN 'hi' ELSE 'lo' END",
            2 => "SUBSTRING(pin_id, 4, 1)",
            3 => "TIME_FORMAT(__time, 'HH')",
            4 => "COALESCE(country, '?')",
            5 => "CAST(clicks AS VARCHAR)",
            6 => "clicks / 5",
            7 => "TIME_FLOOR(__time, 'PT6H')",
            8 => "country || '/' || device",
            _ => "CAST(dwell_ms AS BIGINT) / 250",
        };

        public string Query()
        {
            switch (random.Next(7))
            {
                case 0:
                {
                    var cols = new[] { "__time", "country", "device", "clicks", "dwell_ms", "user_age", "pin_id", Dimension(), "LOWER(country) AS lc", "clicks * 1.5 + user_age AS mixed", "TIME_FORMAT(__time, 'yyyy-MM-dd HH:mm') AS tf", "CAST(__time AS VARCHAR) AS ts" }
                        .OrderBy(_ => random.Next()).Take(random.Next(1, 5)).ToList();
                    var ordered = random.Next(2) == 0;
                    return $"SELECT {string.Join(", ", cols)} FROM pin_engagement{Where()}{(ordered ? " ORDER BY __time " + Pick("ASC", "DESC") : string.Empty)}{LimitOffset(ordered)}";
                }

                case 1:
                    return $"SELECT {Aggregates(random.Next(1, 5))} FROM pin_engagement{Where()}{Pick(string.Empty, string.Empty, " HAVING COUNT(*) > 5", " HAVING SUM(clicks) < 100 OR MAX(dwell_ms) >= 900")}";
                case 2:
                {
                    var floor = Pick("FLOOR(__time TO HOUR)", "TIME_FLOOR(__time, 'PT1H')", "DATE_TRUNC('day', __time)", "FLOOR(__time TO DAY)", "TIME_FLOOR(__time, 'PT15M')");
                    var order = Pick(string.Empty, " ORDER BY 1", " ORDER BY t DESC", " ORDER BY 2 DESC, 1");
                    var having = Pick(string.Empty, string.Empty, " HAVING COUNT(*) >= 3", " HAVING NOT (SUM(dwell_ms) / COUNT(*) > 500)");
                    return $"SELECT {floor} AS t, {Aggregates(random.Next(1, 4))} FROM pin_engagement{Where()} GROUP BY 1{having}{order}{LimitOffset(order.Length > 0)}";
                }

                case 3:
                {
                    var dim = random.Next(4) == 0 ? Dimension() : Pick("country", "device", "event_type", "pin_id");
                    return $"SELECT {dim}, COUNT(*) AS cnt, SUM(clicks) AS s FROM pin_engagement{Where()} GROUP BY {dim} ORDER BY {Pick("cnt", "s", "2", "3", "AVG(dwell_ms)", "MIN(clicks)", "COUNT(DISTINCT pin_id)")} {Pick("DESC", "ASC")} LIMIT {random.Next(1, 8)}";
                }

                case 4:
                {
                    var dims = new[] { "country", "device", "event_type", "user_age", Dimension() }.Distinct().OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToList();
                    var having = random.Next(3) == 0 ? Pick(" HAVING COUNT(*) > 3", " HAVING SUM(clicks) >= 20 OR MIN(clicks) = 0", " HAVING NOT (AVG(clicks) < 9.5)", $" HAVING {dims[0]} IS NOT NULL AND COUNT(*) <> 2") : string.Empty;
                    var orderItems = Enumerable.Range(1, dims.Count + 2).OrderBy(_ => random.Next()).Take(random.Next(0, 3)).Select(i => $"{i} {Pick("ASC", "DESC")}").ToList();
                    var order = orderItems.Count > 0 ? " ORDER BY " + string.Join(", ", orderItems) : string.Empty;
                    return $"SELECT {string.Join(", ", dims)}, COUNT(*) AS cnt, {Pick("SUM(clicks)", "MAX(dwell_ms)", "AVG(dwell_ms)", "COUNT(DISTINCT pin_id)")} AS m FROM pin_engagement{Where()} GROUP BY {string.Join(", ", dims)}{having}{order}{LimitOffset(order.Length > 0)}";
                }

                case 5:
                {
                    var order = Pick(string.Empty, " ORDER BY 1", " ORDER BY 3 DESC, 2", " ORDER BY cnt DESC");
                    return $"SELECT FLOOR(__time TO HOUR) AS h, {Pick("country", "device")} AS d, COUNT(*) AS cnt, SUM(clicks) AS s FROM pin_engagement{Where()} GROUP BY 1, 2{order}{LimitOffset(order.Length > 0)}";
                }

                default:
                {
                    var dims = new[] { "country", "device", "event_type" }.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToList();
                    var order = random.Next(2) == 0 ? $" ORDER BY 1 {Pick("ASC", "DESC")}" : string.Empty;
                    return $"SELECT DISTINCT {string.Join(", ", dims)} FROM pin_engagement{Where()}{order}{LimitOffset(order.Length > 0)}";
                }
            }
        }
    }
}

/// <summary>Plans SQL, runs it with the reference evaluator, and compares with the oracle, allowing any order among ties.</summary>
internal static class SqlComparison
{
    public static void AssertSameAnswer(string sql, IReadOnlyList<Row> rows, string context = "", int segments = 1, TimeZoneInfo? zone = null)
    {
        var options = zone is null ? SqlTestData.Options : SqlTestData.Options with { TimeZone = zone };
        var plan = SqlPlanner.Plan(sql, null, SqlTestData.Catalog, options);
        var validated = SqlValidator.Validate(SqlParser.Parse(sql), SqlTestData.Catalog);
        var oracle = new SqlOracle(SqlTestData.Options.Clock.GetUtcNow().ToUnixTimeMilliseconds(), zone) { Table = validated.Table };
        var expected = oracle.Evaluate(validated, rows);
        var keyed = oracle.EvaluateWithKeys(validated, rows).Skip((int)validated.Offset).Take((int)(validated.Limit ?? int.MaxValue)).ToList();
        var actual = segments == 1 ? SqlTestData.Run(plan, rows) : SqlTestData.RunSplit(plan, rows, segments);
        var where = $"{context}: {sql}\nnative: {plan.ExplainJson()}\nexpected: {Show(expected)}\nactual:   {Show(actual)}";
        Assert.True(expected.Count == actual.Count, $"row count {actual.Count}, expected {expected.Count}\n{where}");

        // every row is a row of the full answer, each used once, and its ORDER BY keys (from the oracle's copy of
        // the row, so hidden keys count too) are those of the expected row at the same position
        var pool = oracle.EvaluateWithKeys(validated, rows);
        for (var r = 0; r < actual.Count; r++)
        {
            var row = actual[r];
            var expectedKeys = keyed[r].Keys;
            bool SameRow((object?[] Output, object?[] Keys) e) => e.Output.Length == row.Length && e.Output.Zip(row).All(p => Same(p.First, p.Second));

            // equal rows (a scan can repeat one) are told apart by their keys
            var k = pool.FindIndex(e => SameRow(e) && e.Keys.Zip(expectedKeys).All(p => Same(p.First, p.Second)));
            k = k >= 0 ? k : pool.FindIndex(SameRow);
            Assert.True(k >= 0, $"row {Show([row])} is not in the answer\n{where}");
            var keys = pool[k].Keys;
            pool.RemoveAt(k);
            Assert.True(keys.Zip(expectedKeys).All(p => Same(p.First, p.Second)), $"row {r} has ORDER BY keys {Show([keys])}, expected {Show([expectedKeys])}\n{where}");
        }

        // a round trip through the native JSON gives the same query
        if (plan.NativeQuery is { Intervals.Count: > 0 } q)
        {
            Assert.Equal(plan.ExplainJson(), NativeQueryJsonWriter.ToJson(QueryParser.Parse(plan.ExplainJson()!)));
        }
    }

    public static bool Same(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (a is string || b is string)
        {
            return Equals(a, b);
        }

        var x = Convert.ToDouble(a, CultureInfo.InvariantCulture);
        var y = Convert.ToDouble(b, CultureInfo.InvariantCulture);
        return x == y || Math.Abs(x - y) <= 1e-9 * Math.Max(Math.Abs(x), Math.Abs(y));
    }

    public static string Show(IEnumerable<object?[]> rows) =>
        "[" + string.Join(", ", rows.Take(20).Select(r => "(" + string.Join(", ", r.Select(v => v switch { null => "null", string s => "'" + s + "'", _ => Convert.ToString(v, CultureInfo.InvariantCulture) })) + ")")) + "]";
}
