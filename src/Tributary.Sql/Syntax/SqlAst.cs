namespace Tributary.Sql;

/// <summary>A node of the SQL syntax tree; <see cref="Position"/> is where its first token starts.</summary>
public abstract record SqlNode
{
    /// <summary>Where the node starts in the SQL text.</summary>
    public SqlPosition Position { get; init; }
}

/// <summary>A scalar, boolean or aggregate expression.</summary>
public abstract record SqlExpr : SqlNode
{
    /// <inheritdoc />
    public sealed override string ToString() => SqlFormatter.Format(this);
}

/// <summary>A column reference, possibly qualified (<c>t.page</c>): <see cref="Name"/> is the last part.</summary>
public sealed record SqlIdentifier(IReadOnlyList<string> Parts) : SqlExpr
{
    /// <summary>The column name (the last part).</summary>
    public string Name => Parts[^1];
}

/// <summary>The kinds of <see cref="SqlLiteral"/>.</summary>
public enum SqlLiteralKind
{
    /// <summary><c>NULL</c>.</summary>
    Null,

    /// <summary><c>TRUE</c> / <c>FALSE</c> (<see cref="SqlLiteral.Value"/> is a bool).</summary>
    Boolean,

    /// <summary>An integer (a long).</summary>
    Integer,

    /// <summary>A number with a fraction or exponent (a double).</summary>
    Decimal,

    /// <summary>A <c>'string'</c>.</summary>
    String,

    /// <summary><c>TIMESTAMP '...'</c> (UTC epoch milliseconds, a long).</summary>
    Timestamp,

    /// <summary><c>DATE '...'</c> (UTC epoch milliseconds of midnight, a long).</summary>
    Date,
}

/// <summary>A literal value.</summary>
public sealed record SqlLiteral(SqlLiteralKind Kind, object? Value) : SqlExpr;

/// <summary>Units of <c>INTERVAL</c> literals and <c>FLOOR(x TO unit)</c>.</summary>
public enum SqlTimeUnit
{
    /// <summary>SECOND.</summary>
    Second,

    /// <summary>MINUTE.</summary>
    Minute,

    /// <summary>HOUR.</summary>
    Hour,

    /// <summary>DAY.</summary>
    Day,

    /// <summary>WEEK.</summary>
    Week,

    /// <summary>MONTH.</summary>
    Month,

    /// <summary>QUARTER.</summary>
    Quarter,

    /// <summary>YEAR.</summary>
    Year,
}

/// <summary><c>INTERVAL 'n' UNIT</c>: <see cref="Count"/> units.</summary>
public sealed record SqlIntervalLiteral(long Count, SqlTimeUnit Unit) : SqlExpr;

/// <summary>A dynamic parameter <c>?</c>; <see cref="Index"/> is 0-based in text order.</summary>
public sealed record SqlParameter(int Index) : SqlExpr;

/// <summary><c>CURRENT_TIMESTAMP</c>.</summary>
public sealed record SqlCurrentTimestamp : SqlExpr;

/// <summary>A unary operator: <c>-</c> or <c>NOT</c>.</summary>
public sealed record SqlUnary(string Operator, SqlExpr Operand) : SqlExpr;

/// <summary>A binary operator: <c>OR AND = &lt;&gt; &lt; &lt;= &gt; &gt;= + - * / % ||</c>.</summary>
public sealed record SqlBinary(string Operator, SqlExpr Left, SqlExpr Right) : SqlExpr;

/// <summary><c>x [NOT] IN (a, b, ...)</c>.</summary>
public sealed record SqlIn(SqlExpr Value, IReadOnlyList<SqlExpr> List, bool Negated) : SqlExpr;

/// <summary><c>x [NOT] BETWEEN low AND high</c>.</summary>
public sealed record SqlBetween(SqlExpr Value, SqlExpr Low, SqlExpr High, bool Negated) : SqlExpr;

/// <summary><c>x [NOT] LIKE pattern [ESCAPE e]</c>.</summary>
public sealed record SqlLike(SqlExpr Value, SqlExpr Pattern, SqlExpr? Escape, bool Negated) : SqlExpr;

/// <summary><c>x IS [NOT] NULL</c>.</summary>
public sealed record SqlIsNull(SqlExpr Value, bool Negated) : SqlExpr;

/// <summary>
/// A function call: <c>NAME(args)</c>, <c>COUNT(*)</c> (<see cref="Star"/>), <c>COUNT(DISTINCT x)</c>
/// (<see cref="Distinct"/>), with an optional aggregate <c>FILTER (WHERE ...)</c>. <see cref="Name"/> is upper-cased.
/// </summary>
public sealed record SqlFunctionCall(string Name, IReadOnlyList<SqlExpr> Arguments, bool Distinct = false, bool Star = false, SqlExpr? Filter = null) : SqlExpr;

/// <summary>One <c>WHEN ... THEN ...</c> of a <see cref="SqlCase"/>.</summary>
public sealed record SqlWhen(SqlExpr When, SqlExpr Then);

/// <summary><c>CASE [operand] WHEN .. THEN .. [ELSE ..] END</c> (simple when <see cref="Operand"/> is set, searched otherwise).</summary>
public sealed record SqlCase(SqlExpr? Operand, IReadOnlyList<SqlWhen> Whens, SqlExpr? Else) : SqlExpr;

/// <summary><c>CAST(x AS type)</c>; <see cref="TypeName"/> upper-cased (<c>VARCHAR</c>, <c>BIGINT</c>, ...).</summary>
public sealed record SqlCast(SqlExpr Value, string TypeName) : SqlExpr;

/// <summary><c>FLOOR(x TO unit)</c> (and <c>CEIL(x TO unit)</c> when <see cref="Ceil"/>).</summary>
public sealed record SqlFloorTo(SqlExpr Value, SqlTimeUnit Unit, bool Ceil = false) : SqlExpr;

/// <summary>One item of the select list: an expression with an optional alias, or <c>*</c>.</summary>
public sealed record SqlSelectItem(SqlExpr? Expression, string? Alias) : SqlNode
{
    /// <summary>True for <c>*</c>.</summary>
    public bool IsStar => Expression is null;
}

/// <summary>The table in FROM: an optional schema (<c>druid</c>, <c>INFORMATION_SCHEMA</c>, <c>sys</c>) and a name.</summary>
public sealed record SqlTableRef(string? Schema, string Name) : SqlNode;

/// <summary>One ORDER BY item.</summary>
public sealed record SqlOrderItem(SqlExpr Expression, bool Descending) : SqlNode;

/// <summary>A SELECT statement.</summary>
public sealed record SqlSelect : SqlNode
{
    /// <summary>SELECT DISTINCT.</summary>
    public bool Distinct { get; init; }

    /// <summary>The select list.</summary>
    public required IReadOnlyList<SqlSelectItem> Items { get; init; }

    /// <summary>The table, if there is a FROM clause.</summary>
    public SqlTableRef? From { get; init; }

    /// <summary>WHERE, if any.</summary>
    public SqlExpr? Where { get; init; }

    /// <summary>GROUP BY expressions as written (integer literals are 1-based positions).</summary>
    public IReadOnlyList<SqlExpr> GroupBy { get; init; } = [];

    /// <summary>HAVING, if any.</summary>
    public SqlExpr? Having { get; init; }

    /// <summary>ORDER BY items as written (integer literals are positions; identifiers may be aliases).</summary>
    public IReadOnlyList<SqlOrderItem> OrderBy { get; init; } = [];

    /// <summary>LIMIT (a literal, or a bound parameter), if any.</summary>
    public SqlExpr? Limit { get; init; }

    /// <summary>OFFSET, if any.</summary>
    public SqlExpr? Offset { get; init; }
}

/// <summary>A parsed statement: a SELECT, possibly under <c>EXPLAIN PLAN FOR</c>.</summary>
public sealed record SqlStatement(SqlSelect Query, bool Explain, int ParameterCount);
