using System.Text;
using Tributary.Query;

namespace Tributary.Sql.Tests;

/// <summary>An exact "sketch" (a set of values), so distinct counts are exact in tests.</summary>
internal sealed class SetSketch : ICardinalitySketch
{
    private readonly HashSet<string> _values = new(StringComparer.Ordinal);

    public IEnumerable<string> Values => _values;

    public void Add(ReadOnlySpan<byte> value) => _values.Add(Encoding.UTF8.GetString(value));

    public void Merge(ICardinalitySketch other) => _values.UnionWith(((SetSketch)other)._values);

    public double Estimate() => _values.Count;

    public ICardinalitySketch Clone()
    {
        var copy = new SetSketch();
        copy._values.UnionWith(_values);
        return copy;
    }

    public byte[] Serialize() => Encoding.UTF8.GetBytes(string.Join('\n', _values));
}

internal sealed class SetSketchFactory : ICardinalitySketchFactory
{
    public static readonly SetSketchFactory Instance = new();

    public ICardinalitySketch Create() => new SetSketch();

    public ICardinalitySketch Deserialize(ReadOnlySpan<byte> bytes)
    {
        var sketch = new SetSketch();
        foreach (var v in Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            sketch.Add(Encoding.UTF8.GetBytes(v));
        }

        return sketch;
    }
}

/// <summary>A clock fixed at one instant.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>A demo-like pin engagement datasource: dimensions with nulls, a nullable long dimension, non-null metrics, a hyperUnique metric.</summary>
internal static class SqlTestData
{
    public const string Datasource = "pin_engagement";

    public static readonly long Start = IsoTime.Parse("2026-11-23T00:00:00Z", "start");

    public static readonly RowSchema Schema = new([
        new ColumnSchema("country", ColumnType.String),
        new ColumnSchema("device", ColumnType.String),
        new ColumnSchema("event_type", ColumnType.String),
        new ColumnSchema("pin_id", ColumnType.String),
        new ColumnSchema("user_age", ColumnType.Long),
        new ColumnSchema("clicks", ColumnType.Long),
        new ColumnSchema("dwell_ms", ColumnType.Double),
        new ColumnSchema("unique_users", ColumnType.HyperUnique),
    ]);

    public static readonly string[] Countries = ["US", "DE", "FR", "BR", "IN", "JP", "Uk", ""];
    public static readonly string[] Devices = ["android", "ios", "web", "tv"];
    public static readonly string[] Events = ["click", "save", "view", "close_up", "share%"];

    public static SqlTable Table { get; } = SqlTable.FromRowSchema(Datasource, Schema, ["clicks", "dwell_ms", "unique_users"]);

    public static InMemorySqlCatalog Catalog { get; } = new([
        Table,
        new SqlTable("INFORMATION_SCHEMA", "TABLES", [new SqlColumn("TABLE_SCHEMA", SqlType.Varchar), new SqlColumn("TABLE_NAME", SqlType.Varchar)], SqlTableKind.System),
        new SqlTable("sys", "segments", [new SqlColumn("segment_id", SqlType.Varchar), new SqlColumn("num_rows", SqlType.Bigint)], SqlTableKind.System),
    ]);

    public static readonly SqlPlannerOptions Options = new() { Clock = new FixedClock(DateTimeOffset.FromUnixTimeMilliseconds(Start + (30 * 3_600_000L))) };

    public static List<Row> Rows(int seed, int count)
    {
        var random = new Random(seed);
        var rows = new List<Row>(count);
        var time = Start - (random.Next(0, 3) * 3_600_000L);
        for (var i = 0; i < count; i++)
        {
            // distinct, increasing times over about two days, so ORDER BY __time has no ties
            time += random.Next(1, 3 * 60_000);
            var columns = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["country"] = random.Next(10) == 0 ? null : Countries[random.Next(Countries.Length)],
                ["device"] = Devices[random.Next(Devices.Length)],
                ["event_type"] = random.Next(15) == 0 ? null : Events[random.Next(Events.Length)],
                ["pin_id"] = "pin" + random.Next(40).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["user_age"] = random.Next(6) == 0 ? null : (long)random.Next(13, 70),
                ["clicks"] = (long)random.Next(0, 20),
                ["dwell_ms"] = Math.Round(random.NextDouble() * 1000, 1),
            };
            var sketch = new SetSketch();
            sketch.Add(Encoding.UTF8.GetBytes("u" + random.Next(30).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            columns["unique_users"] = sketch;
            rows.Add(new Row(time, columns));
        }

        return rows;
    }

    public static SqlPlan Plan(string sql, IReadOnlyList<SqlParameterValue>? parameters = null) =>
        SqlPlanner.Plan(sql, parameters, Catalog, Options);

    /// <summary>Runs the plan as if the rows were split into <paramref name="segments"/> segments (round robin) whose partials are merged.</summary>
    public static IReadOnlyList<object?[]> RunSplit(SqlPlan plan, IReadOnlyList<Row> rows, int segments)
    {
        if (plan.NativeQuery is not { } query)
        {
            return plan.ConstantRows;
        }

        var evaluator = new ReferenceEvaluator(Schema, SetSketchFactory.Instance);
        var merger = new QueryMerger(query, QueryLimits.Unlimited, SetSketchFactory.Instance);
        for (var s = 0; s < segments; s++)
        {
            var part = rows.Where((_, i) => i % segments == s).ToList();
            var span = part.Count == 0 ? new Interval(0, 1) : new Interval(part.Min(r => r.Timestamp), part.Max(r => r.Timestamp) + 1);
            merger.Add(evaluator.EvaluatePartial(query, part, $"segment-{s}", span));
        }

        return plan.ShapeRows(merger.Complete());
    }

    public static IReadOnlyList<object?[]> Run(SqlPlan plan, IReadOnlyList<Row> rows)
    {
        if (plan.NativeQuery is null)
        {
            return plan.ConstantRows;
        }

        var result = new ReferenceEvaluator(Schema, SetSketchFactory.Instance).Evaluate(plan.NativeQuery, rows);
        return plan.ShapeRows(result);
    }
}
