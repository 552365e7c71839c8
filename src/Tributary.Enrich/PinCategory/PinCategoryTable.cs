using System.Text;
using MySqlConnector;

namespace Tributary.Enrich;

/// <summary>
/// Creates and seeds the pin-category dimension table <c>pins(pin_id, category, updated_at)</c> for tests, the demo
/// and benchmarks, with a category for each of the event generator's pin ids (<see cref="GeneratorPinId"/>).
/// </summary>
public static class PinCategoryTable
{
    /// <summary>The categories seeded, in the spirit of Pinterest's top-level interests.</summary>
    public static readonly IReadOnlyList<string> Categories =
    [
        "animals", "architecture", "art", "beauty", "cars", "design", "diy_crafts", "education", "fashion", "food_drinks",
        "gardening", "health", "home_decor", "kids", "photography", "quotes", "sports", "technology", "travel", "weddings",
    ];

    /// <summary>The pin id of popularity rank <paramref name="rank"/>: the formula of the CLI's <c>PinEngagementGenerator.PinId</c>.</summary>
    public static long GeneratorPinId(int rank) => 100_000_000_000L + (long)(((ulong)rank * 0x9E3779B1UL) % 900_000_000_000UL);

    /// <summary>The category seeded for <paramref name="pinId"/>: a fixed hash of the id into <see cref="Categories"/>.</summary>
    public static string CategoryOf(long pinId)
    {
        var h = (ulong)pinId * 0x9E3779B97F4A7C15UL;
        return Categories[(int)((h >> 32) % (ulong)Categories.Count)];
    }

    /// <summary>
    /// <c>CREATE TABLE IF NOT EXISTS</c> the table (<c>pin_id BIGINT</c> key, <c>category VARCHAR(64)</c>,
    /// <c>updated_at TIMESTAMP(6)</c> set on every insert and update, indexed for the incremental refresh).
    /// </summary>
    public static async Task CreateAsync(string connectionString, string table = "pins", CancellationToken ct = default)
    {
        if (!SqlIdentifier.IsValidTable(table))
        {
            throw new ArgumentException($"'{table}' is not a plain table name.", nameof(table));
        }

        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var command = new MySqlCommand(
            $"""
            CREATE TABLE IF NOT EXISTS {SqlIdentifier.Quote(table)} (
              pin_id BIGINT NOT NULL PRIMARY KEY,
              category VARCHAR(64) NOT NULL,
              updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
              KEY ix_updated_at (updated_at)
            )
            """,
            connection);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Creates the table and upserts the generator's first <paramref name="pins"/> pin ids (ranks 0..pins-1) with <see cref="CategoryOf"/>.
    /// Returns the rows written.</summary>
    public static Task<int> CreateAndSeedAsync(string connectionString, string table = "pins", int pins = 100_000, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pins);
        return CreateAndSeedAsync(connectionString, Enumerable.Range(0, pins).Select(r => (GeneratorPinId(r), CategoryOf(GeneratorPinId(r)))), table, ct);
    }

    /// <summary>Creates the table and upserts <paramref name="rows"/> (1,000 rows a statement). Returns the rows written.</summary>
    public static async Task<int> CreateAndSeedAsync(string connectionString, IEnumerable<(long PinId, string Category)> rows, string table = "pins", CancellationToken ct = default)
    {
        await CreateAsync(connectionString, table, ct).ConfigureAwait(false);
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        var written = 0;
        foreach (var chunk in rows.Chunk(1000))
        {
            var sql = new StringBuilder($"INSERT INTO {SqlIdentifier.Quote(table)} (pin_id, category) VALUES ");
            await using var command = new MySqlCommand { Connection = connection };
            for (var i = 0; i < chunk.Length; i++)
            {
                sql.Append(i == 0 ? "" : ",").Append("(@p").Append(i).Append(",@c").Append(i).Append(')');
                command.Parameters.AddWithValue($"@p{i}", chunk[i].PinId);
                command.Parameters.AddWithValue($"@c{i}", chunk[i].Category);
            }

            sql.Append(" ON DUPLICATE KEY UPDATE category = VALUES(category)");
            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            written += chunk.Length;
        }

        return written;
    }
}
