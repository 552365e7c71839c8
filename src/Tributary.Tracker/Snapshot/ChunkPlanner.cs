using System.Globalization;
using System.IO.Hashing;
using System.Text;
using MySqlConnector;

namespace Tributary.Tracker;

/// <summary>One primary-key range of a table: keys above <see cref="Lower"/> (exclusive) up to <see cref="Upper"/> (inclusive); null bounds are open.</summary>
public sealed record ChunkPlan(TableSchema Table, int Index, object?[]? Lower, object?[]? Upper);

/// <summary>
/// Splits a table into primary-key ranges of about <c>chunkRows</c> rows by walking the key index inside the
/// snapshot transaction (<c>ORDER BY pk LIMIT 2 OFFSET chunkRows-1</c> from the previous boundary), so the
/// same snapshot always gives the same plan. A table without a primary key is one chunk, streamed whole.
/// </summary>
public static class ChunkPlanner
{
    /// <summary>Plans <paramref name="table"/> on <paramref name="session"/> (a snapshot session).</summary>
    public static async Task<IReadOnlyList<ChunkPlan>> PlanAsync(MySqlConnection session, TableSchema table, int chunkRows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(table);
        if (table.PrimaryKey.Count == 0)
        {
            return [new ChunkPlan(table, 0, null, null)];
        }

        var keyList = string.Join(", ", table.PrimaryKey.Select(Sql.Quote));
        var bounds = new List<object?[]>();
        object?[]? previous = null;
        while (true)
        {
            await using var command = new MySqlCommand { Connection = session };
            var where = previous is null ? string.Empty : " WHERE " + Compare(table.PrimaryKey, ">", "@l", previous, command, inclusive: false);
            command.CommandText = string.Create(CultureInfo.InvariantCulture, $"SELECT {keyList} FROM {Sql.Table(table)}{where} ORDER BY {keyList} LIMIT 2 OFFSET {chunkRows - 1}");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            var values = new object?[table.PrimaryKey.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = reader.GetValue(i);
            }

            // The boundary row is the table's last: the open-ended final chunk takes it, no empty chunk after it.
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            bounds.Add(values);
            previous = values;
        }

        var chunks = new List<ChunkPlan>(bounds.Count + 1);
        for (var i = 0; i <= bounds.Count; i++)
        {
            chunks.Add(new ChunkPlan(table, i, i == 0 ? null : bounds[i - 1], i < bounds.Count ? bounds[i] : null));
        }

        return chunks;
    }

    /// <summary>A fingerprint of the chunk boundaries: a resumed run must plan exactly the same chunks.</summary>
    public static string Fingerprint(IReadOnlyList<ChunkPlan> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var text = new StringBuilder();
        foreach (var chunk in chunks)
        {
            foreach (var value in chunk.Upper ?? [])
            {
                text.Append(value switch
                {
                    byte[] bytes => Convert.ToHexString(bytes),
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    _ => value?.ToString(),
                }).Append('\u001f');
            }

            text.Append('\u001e');
        }

        return Convert.ToHexStringLower(XxHash64.Hash(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The SELECT of one chunk: its columns, its key range, in key order.</summary>
    public static MySqlCommand Command(MySqlConnection session, ChunkPlan chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        var table = chunk.Table;
        var command = new MySqlCommand { Connection = session };
        var predicates = new List<string>();
        if (chunk.Lower is not null)
        {
            predicates.Add(Compare(table.PrimaryKey, ">", "@l", chunk.Lower, command, inclusive: false));
        }

        if (chunk.Upper is not null)
        {
            predicates.Add(Compare(table.PrimaryKey, "<", "@u", chunk.Upper, command, inclusive: true));
        }

        var sql = new StringBuilder("SELECT ")
            .AppendJoin(", ", table.Columns.Select(ColumnBuffer.SelectExpression))
            .Append(" FROM ").Append(Sql.Table(table));
        if (predicates.Count > 0)
        {
            sql.Append(" WHERE ").AppendJoin(" AND ", predicates.Select(p => "(" + p + ")"));
        }

        if (table.PrimaryKey.Count > 0)
        {
            sql.Append(" ORDER BY ").AppendJoin(", ", table.PrimaryKey.Select(Sql.Quote));
        }

        command.CommandText = sql.ToString();
        return command;
    }

    // Lexicographic (k1, ..., kn) op (v1, ..., vn) spelled out as ORs of equalities, which MariaDB turns into index ranges.
    private static string Compare(IReadOnlyList<string> keys, string op, string prefix, object?[] values, MySqlCommand command, bool inclusive)
    {
        var terms = new List<string>();
        for (var i = 0; i < keys.Count; i++)
        {
            var parts = new List<string>();
            for (var j = 0; j < i; j++)
            {
                parts.Add($"{Sql.Quote(keys[j])} = {prefix}{j}");
            }

            parts.Add($"{Sql.Quote(keys[i])} {op} {prefix}{i}");
            terms.Add(string.Join(" AND ", parts));
        }

        if (inclusive)
        {
            terms.Add(string.Join(" AND ", keys.Select((k, j) => $"{Sql.Quote(k)} = {prefix}{j}")));
        }

        for (var i = 0; i < keys.Count; i++)
        {
            command.Parameters.AddWithValue(prefix + i.ToString(CultureInfo.InvariantCulture), values[i]);
        }

        return string.Join(" OR ", terms.Select(t => "(" + t + ")"));
    }
}
