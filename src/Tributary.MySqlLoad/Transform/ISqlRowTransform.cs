namespace Tributary.MySqlLoad;

/// <summary>What a row transform made of one Kafka record's value.</summary>
public enum SqlRowOutcomeKind
{
    /// <summary>A row for the table.</summary>
    Row,

    /// <summary>Dropped on purpose (a filter); counted per <see cref="SqlRowOutcome.Reason"/>.</summary>
    Filtered,

    /// <summary>Unusable input (not JSON, a field of the wrong shape); goes to the dead-letter topic with the reason.</summary>
    Malformed,
}

/// <summary>The outcome of <see cref="ISqlRowTransform.Transform"/>: a row's values, or why there is none.</summary>
public readonly record struct SqlRowOutcome(SqlRowOutcomeKind Kind, object?[]? Values, string? Reason)
{
    /// <summary>A row: one value per value column of the table (configured columns, then extra columns), in order.</summary>
    public static SqlRowOutcome Row(object?[] values) => new(SqlRowOutcomeKind.Row, values, null);

    /// <summary>Filtered out for <paramref name="reason"/>.</summary>
    public static SqlRowOutcome Filtered(string reason) => new(SqlRowOutcomeKind.Filtered, null, reason);

    /// <summary>Malformed for <paramref name="reason"/> (name the field and what was wrong).</summary>
    public static SqlRowOutcome Malformed(string reason) => new(SqlRowOutcomeKind.Malformed, null, reason);
}

/// <summary>
/// The per-record seam of the SQL sink: turns a Kafka record's value into a row (or a filtered / malformed outcome).
/// Values are plain CLR values (null, bool, long, double, decimal, string, DateTime, DateTimeOffset); the loader
/// checks them against the column types before writing. Implementations are called from one thread at a time.
/// </summary>
public interface ISqlRowTransform
{
    /// <summary>Transforms one record value.</summary>
    SqlRowOutcome Transform(ReadOnlySpan<byte> value);

    /// <summary>Columns this transform adds after the configured ones (e.g. enrichment outputs); empty for none.</summary>
    IReadOnlyList<(string Name, string SqlType)> ExtraColumns { get; }
}
