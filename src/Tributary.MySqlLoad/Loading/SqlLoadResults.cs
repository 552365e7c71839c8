namespace Tributary.MySqlLoad;

/// <summary>One record for the table: its Kafka offset and the transform's values (one per value column).</summary>
public readonly record struct SqlRow(long Offset, object?[] Values);

/// <summary>A record the table refused (a value too long, of the wrong type, out of range), with the reason naming the column.</summary>
public sealed record SqlRejectedRow(long Offset, string Reason);

/// <summary>What one <see cref="MySqlTableLoader.WriteAsync"/> committed.</summary>
/// <param name="Written">Rows sent to the table (in append mode a replayed row is sent and changes nothing).</param>
/// <param name="Rejected">Rows refused, with reasons; committed as consumed (their offsets are below <paramref name="NextOffset"/>).</param>
/// <param name="Skipped">Rows below the offset already in the offsets table (written by an earlier transaction).</param>
/// <param name="NextOffset">The partition's next offset as committed (every offset below it is in the table or rejected).</param>
/// <param name="Attempts">Transactions tried (more than 1 after a deadlock or a lock wait timeout).</param>
public sealed record SqlWriteResult(int Written, IReadOnlyList<SqlRejectedRow> Rejected, int Skipped, long NextOffset, int Attempts);

/// <summary>
/// The database cannot be reached or dropped the connection: nothing was committed and the write can be retried later
/// (the sink pauses the partition). Deadlocks and lock wait timeouts that outlast the attempts surface as this too.
/// </summary>
public sealed class SqlUnavailableException(string message, Exception? inner) : Exception(message, inner);

/// <summary>The existing table does not match the configured schema; the message names the column.</summary>
public sealed class SqlSchemaMismatchException(string message) : Exception(message);
