using Microsoft.Extensions.Options;
using Tributary.MySqlLoad;

namespace Tributary.Grains.Sql;

/// <summary>
/// The SQL sink's own settings (section <c>Tributary:SqlSink</c>, beside the loader's <see cref="SqlLoadOptions"/> keys
/// in the same section): dead letters and how often a partition's rows are committed.
/// </summary>
public sealed class SqlSinkOptions
{
    /// <summary>Whether the silo runs the SQL sink.</summary>
    public bool Enabled { get; set; }

    /// <summary>Whether rows come through the filter-and-enrich stage of section <c>Tributary:Enrich</c> (its output columns follow the configured ones); false: JSON fields mapped to columns as they are.</summary>
    public bool Enrich { get; set; }

    /// <summary>Where malformed events and rows the table refuses go, with the reason as a header.</summary>
    public string DeadLetterTopic { get; set; } = "pin_engagement.deadletter";

    /// <summary>A delivery commits once this many records are pending; fewer wait for the persist tick.</summary>
    public int BatchRecords { get; set; } = 5000;

    /// <summary>How often pending records are committed even when fewer than <see cref="BatchRecords"/>.</summary>
    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Checks <see cref="SqlSinkOptions"/> and <see cref="SqlLoadOptions"/> at start-up, naming keys as users write them.</summary>
public sealed class SqlSinkOptionsValidator(string section) : IValidateOptions<SqlSinkOptions>, IValidateOptions<SqlLoadOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SqlSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DeadLetterTopic))
        {
            failures.Add($"{section}:DeadLetterTopic must not be empty.");
        }

        if (options.BatchRecords is < 1 or > 1_000_000)
        {
            failures.Add($"{section}:BatchRecords must be within 1..1000000 (was {options.BatchRecords}).");
        }

        if (options.PersistInterval <= TimeSpan.Zero)
        {
            failures.Add($"{section}:PersistInterval must be positive (was {options.PersistInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SqlLoadOptions options)
    {
        var failures = Collect(options, section, []).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The loader options' problems, each naming its key under <paramref name="section"/>.</summary>
    public static IEnumerable<string> Collect(SqlLoadOptions options, string section, IReadOnlyList<(string Name, string SqlType)> extraColumns)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            yield return $"{section}:ConnectionString must not be empty.";
        }
        else
        {
            string? error = null;
            try
            {
                _ = new MySqlConnector.MySqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException ex)
            {
                error = ex.Message;
            }

            if (error is not null)
            {
                yield return $"{section}:ConnectionString is not a MySQL connection string: {error}";
            }
        }

        foreach (var failure in SqlTableSchema.Validate(options, extraColumns))
        {
            yield return $"{section}:{failure}";
        }
    }
}
