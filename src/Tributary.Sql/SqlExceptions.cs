namespace Tributary.Sql;

/// <summary>A position in the SQL text: 1-based line and column, as Druid reports them.</summary>
public readonly record struct SqlPosition(int Line, int Column)
{
    /// <inheritdoc />
    public override string ToString() => $"line [{Line}], column [{Column}]";
}

/// <summary>
/// The base of every error the SQL front end raises. <see cref="Position"/> is where the problem is, when it is
/// known; the message already names it in Druid's style (<c>... (line [1], column [8])</c>).
/// </summary>
public abstract class SqlException : Exception
{
    /// <summary>Creates an exception whose message is <paramref name="reason"/> followed by the position, if any.</summary>
    protected SqlException(string reason, SqlPosition? position)
        : base(position is { } p ? $"{reason} ({p})" : reason)
    {
        Reason = reason;
        Position = position;
    }

    /// <summary>What is wrong, without the position.</summary>
    public string Reason { get; }

    /// <summary>Where, if known.</summary>
    public SqlPosition? Position { get; }
}

/// <summary>A syntax error: the text is not SQL the parser accepts (Druid answers these with 400 "SQL parse failed").</summary>
public sealed class SqlParseException(string reason, SqlPosition position) : SqlException(reason, position);

/// <summary>
/// Valid syntax that does not make sense against the catalog: an unknown table, column or function, a type error,
/// an aggregate in WHERE, a non-grouped column (Druid answers 400 "Plan validation failed").
/// </summary>
public sealed class SqlValidationException(string reason, SqlPosition? position) : SqlException(reason, position);

/// <summary>
/// A valid query that cannot be translated to a native query that gives the right answer (Druid's
/// "Unsupported operation" / "Query not supported"); the message names the construct.
/// </summary>
public sealed class SqlPlanningException(string reason, SqlPosition? position = null) : SqlException(reason, position);
