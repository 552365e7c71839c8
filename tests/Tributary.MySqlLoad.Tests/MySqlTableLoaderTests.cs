using MySqlConnector;

namespace Tributary.MySqlLoad.Tests;

/// <summary>The loader against the real MariaDB: schema, exactly-once writes, modes, refused rows and lock conflicts.</summary>
[Collection(nameof(MariaDbCollection))]
public sealed class MySqlTableLoaderTests
{
    private const string Topic = "pin_engagement";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SqlLoadOptions Options(TestDatabase db, SqlLoadMode mode = SqlLoadMode.Append, string sink = "sql") => new()
    {
        ConnectionString = db.ConnectionString,
        Table = "pin_events",
        SinkName = sink,
        Mode = mode,
        Key = mode == SqlLoadMode.Upsert ? ["pin_id"] : [],
        Columns =
        [
            new SqlColumnOptions { Name = "event_time", Type = "DATETIME(3)", Source = "ts" },
            new SqlColumnOptions { Name = "pin_id", Type = "BIGINT", Nullable = false },
            new SqlColumnOptions { Name = "action", Type = "VARCHAR(16)" },
            new SqlColumnOptions { Name = "attrs", Type = "JSON" },
        ],
    };

    private static SqlRow Row(long offset, long pin, string action = "view", string? attrs = null)
        => new(offset, ["2026-12-07T10:00:00.000Z", pin, action, attrs]);

    private static List<SqlRow> Rows(long from, int count) => [.. Enumerable.Range(0, count).Select(i => Row(from + i, 1000 + from + i))];

    [Fact]
    public async Task EnsureTable_Absent_CreatesTableWithModeKey()
    {
        await using var db = await TestDatabase.CreateAsync();
        var loader = new MySqlTableLoader(Options(db));

        await loader.EnsureTableAsync(Ct);

        var key = await db.QueryAsync($"SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = '{db.Name}' AND TABLE_NAME = 'pin_events' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION");
        Assert.Equal(["kafka_partition", "kafka_offset"], key.Select(r => (string)r[0]!));
        Assert.Equal(0, await db.ScalarAsync("SELECT COUNT(*) FROM tributary_sql_offsets"));
        await loader.EnsureTableAsync(Ct); // an existing, matching table passes
    }

    [Fact]
    public async Task EnsureTable_ColumnTypeDiffers_FailsNamingColumn()
    {
        await using var db = await TestDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE pin_events (kafka_partition INT NOT NULL, kafka_offset BIGINT NOT NULL, event_time DATETIME(3), pin_id BIGINT NOT NULL, action VARCHAR(8), attrs JSON, PRIMARY KEY (kafka_partition, kafka_offset))");

        var error = await Assert.ThrowsAsync<SqlSchemaMismatchException>(() => new MySqlTableLoader(Options(db)).EnsureTableAsync(Ct));

        Assert.Contains("column 'action' is varchar(8), configured as VARCHAR(16)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnsureTable_ColumnMissing_FailsNamingColumn()
    {
        await using var db = await TestDatabase.CreateAsync();
        await db.ExecuteAsync("CREATE TABLE pin_events (kafka_partition INT NOT NULL, kafka_offset BIGINT NOT NULL, event_time DATETIME(3), pin_id BIGINT NOT NULL, attrs JSON, PRIMARY KEY (kafka_partition, kafka_offset))");

        var error = await Assert.ThrowsAsync<SqlSchemaMismatchException>(() => new MySqlTableLoader(Options(db)).EnsureTableAsync(Ct));

        Assert.Contains("no column 'action'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnsureTable_UpsertKeyDiffers_FailsNamingKey()
    {
        await using var db = await TestDatabase.CreateAsync();
        await new MySqlTableLoader(Options(db)).EnsureTableAsync(Ct); // append table: key (kafka_partition, kafka_offset)

        var error = await Assert.ThrowsAsync<SqlSchemaMismatchException>(() => new MySqlTableLoader(Options(db, SqlLoadMode.Upsert)).EnsureTableAsync(Ct));

        Assert.Contains("Upsert mode needs (pin_id)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_ThenReadOffset_ReturnsNextOffset()
    {
        await using var db = await TestDatabase.CreateAsync();
        var loader = new MySqlTableLoader(Options(db));
        await loader.EnsureTableAsync(Ct);
        Assert.Null(await loader.ReadNextOffsetAsync(Topic, 3, Ct));

        var result = await loader.WriteAsync(Topic, 3, Rows(0, 50), 50, cancellationToken: Ct);

        Assert.Equal(50, result.Written);
        Assert.Equal(50, await loader.ReadNextOffsetAsync(Topic, 3, Ct));
        Assert.Null(await loader.ReadNextOffsetAsync(Topic, 4, Ct));
        Assert.Equal(50, await db.ScalarAsync("SELECT COUNT(*) FROM pin_events WHERE kafka_partition = 3"));
    }

    [Fact]
    public async Task Append_HandReplayedBatch_DoesNotDuplicate()
    {
        await using var db = await TestDatabase.CreateAsync();
        var loader = new MySqlTableLoader(Options(db));
        await loader.EnsureTableAsync(Ct);
        await loader.WriteAsync(Topic, 0, Rows(0, 100), 100, cancellationToken: Ct);

        // The same sink replaying: skipped by the committed offset.
        var again = await loader.WriteAsync(Topic, 0, Rows(0, 100), 100, cancellationToken: Ct);
        // A batch replayed by hand under another sink name (no offset to stop it): the primary key absorbs it.
        var byHand = await new MySqlTableLoader(Options(db, sink: "by-hand")).WriteAsync(Topic, 0, Rows(50, 100), 150, cancellationToken: Ct);

        Assert.Equal(100, again.Skipped);
        Assert.Equal(100, byHand.Written);
        Assert.Equal(150, await db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(150, await db.ScalarAsync("SELECT COUNT(DISTINCT kafka_partition, kafka_offset) FROM pin_events"));
    }

    [Fact]
    public async Task Upsert_ReplaysAndOlderEvents_KeepLatestPerKey()
    {
        await using var db = await TestDatabase.CreateAsync();
        var loader = new MySqlTableLoader(Options(db, SqlLoadMode.Upsert));
        await loader.EnsureTableAsync(Ct);
        // Keys 1..5 twice in one batch (offsets 0..9): the second (larger offset) wins.
        var rows = Enumerable.Range(0, 10).Select(i => Row(i, 1 + (i % 5), "a" + i)).ToList();
        await loader.WriteAsync(Topic, 0, rows, 10, cancellationToken: Ct);

        // A hand replay of the older half under another sink name must not roll rows back.
        await new MySqlTableLoader(Options(db, SqlLoadMode.Upsert, sink: "by-hand")).WriteAsync(Topic, 0, rows[..5], 5, cancellationToken: Ct);
        // A newer event for key 1 wins.
        await loader.WriteAsync(Topic, 0, [Row(10, 1, "newest")], 11, cancellationToken: Ct);

        var table = (await db.QueryAsync("SELECT pin_id, action, kafka_offset FROM pin_events ORDER BY pin_id"))
            .Select(r => ((long)r[0]!, (string)r[1]!, (long)r[2]!)).ToList();
        Assert.Equal([(1L, "newest", 10L), (2L, "a6", 6L), (3L, "a7", 7L), (4L, "a8", 8L), (5L, "a9", 9L)], table);
    }

    [Fact]
    public async Task Write_FailureBeforeCommit_LeavesNeitherRowsNorOffset()
    {
        await using var db = await TestDatabase.CreateAsync();
        var loader = new MySqlTableLoader(Options(db));
        await loader.EnsureTableAsync(Ct);
        await loader.WriteAsync(Topic, 0, Rows(0, 10), 10, cancellationToken: Ct);
        var rows = Rows(10, 10);
        rows.Add(Row(20, 1, "this action is far too long"));

        // The hook runs after rows and offset were written in the transaction, before the commit.
        await Assert.ThrowsAsync<InvalidOperationException>(() => loader.WriteAsync(Topic, 0, rows, 21, _ => throw new InvalidOperationException("crash between write and commit"), cancellationToken: Ct));

        Assert.Equal(10, await db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(10, await loader.ReadNextOffsetAsync(Topic, 0, Ct));
        // No transaction was left open holding the partition's lock: a locking read of its offsets row does not wait.
        await using var probe = await db.OpenAsync();
        await using var probeTx = await probe.BeginTransactionAsync(Ct);
        await Execute(probe, probeTx, $"SELECT next_offset FROM tributary_sql_offsets WHERE sink = 'sql' AND topic = '{Topic}' AND kafka_partition = 0 FOR UPDATE NOWAIT");
    }

    [Fact]
    public async Task Write_RowsViolatingTable_RefusedWithReasonOthersWritten()
    {
        await using var db = await TestDatabase.CreateAsync();
        var loader = new MySqlTableLoader(Options(db));
        await loader.EnsureTableAsync(Ct);
        var rows = Rows(0, 20);
        rows[3] = Row(3, 1, new string('x', 17));                              // too long: checked before writing
        rows[7] = new SqlRow(7, ["yesterday", 1L, "view", null]);             // not a timestamp
        rows[9] = new SqlRow(9, ["2026-12-07T10:00:00Z", "pin-nine", "view", null]); // not an integer
        rows[11] = new SqlRow(11, ["2026-12-07T10:00:00Z", null, "view", null]);    // NULL in NOT NULL
        rows[15] = Row(15, 1, attrs: "{not json");                            // refused by the server (JSON check): found by bisecting
        IReadOnlyList<SqlRejectedRow>? beforeCommit = null;

        var result = await loader.WriteAsync(Topic, 0, rows, 20, r =>
        {
            beforeCommit = r;
            return Task.CompletedTask;
        }, cancellationToken: Ct);

        Assert.Equal([3L, 7L, 9L, 11L, 15L], result.Rejected.Select(r => r.Offset));
        Assert.Same(result.Rejected, beforeCommit);
        Assert.Contains("column 'action': value is too long: 17 characters, varchar(16) holds 16", result.Rejected[0].Reason, StringComparison.Ordinal);
        Assert.Contains("column 'event_time'", result.Rejected[1].Reason, StringComparison.Ordinal);
        Assert.Contains("column 'pin_id': expected an integer", result.Rejected[2].Reason, StringComparison.Ordinal);
        Assert.Contains("column 'pin_id': NULL", result.Rejected[3].Reason, StringComparison.Ordinal);
        Assert.Contains("refused by the server", result.Rejected[4].Reason, StringComparison.Ordinal);
        Assert.Equal(15, result.Written);
        Assert.Equal(15, await db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(20, await loader.ReadNextOffsetAsync(Topic, 0, Ct));
    }

    [Fact]
    public async Task Write_LockWaitTimeout_RetriesTransaction()
    {
        await using var db = await TestDatabase.CreateAsync();
        var options = Options(db);
        options.LockWaitTimeoutSeconds = 1;
        var loader = new MySqlTableLoader(options);
        await loader.EnsureTableAsync(Ct);
        await using var holder = await db.OpenAsync();
        await using var holding = await holder.BeginTransactionAsync(Ct);
        await Execute(holder, holding, "INSERT INTO pin_events (kafka_partition, kafka_offset, pin_id) VALUES (0, 5, 1)");
        var retried = new TaskCompletionSource<MySqlErrorCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        loader.OnRetrying = (_, ex) => retried.TrySetResult(ex.ErrorCode);

        var write = loader.WriteAsync(Topic, 0, Rows(0, 10), 10, cancellationToken: Ct);
        Assert.Equal(MySqlErrorCode.LockWaitTimeout, await retried.Task);
        await holding.RollbackAsync(Ct);
        var result = await write;

        Assert.True(result.Attempts >= 2);
        Assert.Equal(10, await db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(10, await loader.ReadNextOffsetAsync(Topic, 0, Ct));
    }

    [Fact]
    public async Task Write_Deadlock_RetriesTransaction()
    {
        await using var db = await TestDatabase.CreateAsync();
        var loader = new MySqlTableLoader(Options(db));
        await loader.EnsureTableAsync(Ct);
        await loader.WriteAsync(Topic, 0, Rows(0, 5), 5, cancellationToken: Ct);
        await db.ExecuteAsync("CREATE TABLE heavy (id INT PRIMARY KEY)");
        await using var other = await db.OpenAsync();
        await using var otherTx = await other.BeginTransactionAsync(Ct);
        // The other transaction is made the heavier one, so InnoDB picks the loader's as the deadlock victim.
        await Execute(other, otherTx, "INSERT INTO heavy SELECT seq FROM seq_1_to_5000");
        await Execute(other, otherTx, "INSERT INTO pin_events (kafka_partition, kafka_offset, pin_id) VALUES (0, 7, 1)");
        var retried = new TaskCompletionSource<MySqlErrorCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        loader.OnRetrying = (_, ex) => retried.TrySetResult(ex.ErrorCode);

        // The loader locks its offsets row, then waits for row (0, 7); the other then asks for the offsets row.
        var write = loader.WriteAsync(Topic, 0, Rows(5, 5), 10, cancellationToken: Ct);
        await WaitForLockWaitAsync(db);
        var otherLock = Execute(other, otherTx, $"SELECT next_offset FROM tributary_sql_offsets WHERE sink = 'sql' AND topic = '{Topic}' AND kafka_partition = 0 FOR UPDATE");
        Assert.Equal(MySqlErrorCode.LockDeadlock, await retried.Task);
        await otherLock;
        await otherTx.RollbackAsync(Ct);
        var result = await write;

        Assert.Equal(2, result.Attempts);
        Assert.Equal(10, await db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(10, await loader.ReadNextOffsetAsync(Topic, 0, Ct));
    }

    [Fact]
    public async Task Write_DatabaseUnreachable_ThrowsRetryableUnavailable()
    {
        var port = Tributary.TestKit.FreePort.Next();
        var loader = new MySqlTableLoader(new SqlLoadOptions
        {
            ConnectionString = $"Server=127.0.0.1;Port={port};User ID=nobody;Password=x;Connection Timeout=2",
            Columns = [new SqlColumnOptions { Name = "pin_id", Type = "BIGINT" }],
        });

        var error = await Assert.ThrowsAsync<SqlUnavailableException>(() => loader.WriteAsync(Topic, 0, [new SqlRow(0, [1L])], 1, cancellationToken: Ct));
        await Assert.ThrowsAsync<SqlUnavailableException>(() => loader.EnsureTableAsync(Ct));
        Assert.Contains("database unavailable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BulkCopy_Append_WritesAndDedupsLikeInsert()
    {
        await using var db = await TestDatabase.CreateAsync();
        var options = Options(db);
        options.WriteMethod = SqlWriteMethod.BulkCopy;
        var loader = new MySqlTableLoader(options);
        await loader.EnsureTableAsync(Ct);

        await loader.WriteAsync(Topic, 0, Rows(0, 100), 100, cancellationToken: Ct);
        await new MySqlTableLoader(Options(db, sink: "by-hand")).WriteAsync(Topic, 0, Rows(50, 100), 150, cancellationToken: Ct);

        Assert.Equal(150, await db.ScalarAsync("SELECT COUNT(DISTINCT kafka_partition, kafka_offset) FROM pin_events"));
        Assert.Equal(150, await db.ScalarAsync("SELECT COUNT(*) FROM pin_events"));
        Assert.Equal(100, await loader.ReadNextOffsetAsync(Topic, 0, Ct));
    }

    [Fact]
    public async Task Literals_QuotesAndBackslashes_RoundTrip()
    {
        await using var db = await TestDatabase.CreateAsync();
        var loader = new MySqlTableLoader(Options(db));
        await loader.EnsureTableAsync(Ct);
        const string Nasty = "a'b\\c\"d\0e";

        await loader.WriteAsync(Topic, 0, [Row(0, 1, Nasty)], 1, cancellationToken: Ct);

        Assert.Equal(Nasty, (string)(await db.QueryAsync("SELECT action FROM pin_events"))[0][0]!);
    }

    private static async Task Execute(MySqlConnection connection, MySqlTransaction transaction, string sql)
    {
        await using var command = new MySqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static Task WaitForLockWaitAsync(TestDatabase db) => Tributary.TestKit.Eventually.HoldsAsync(
        () => db.AdminScalarAsync("SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"),
        n => n > 0,
        TimeSpan.FromSeconds(30),
        "the loader waiting for the other transaction's row lock");
}

/// <summary>Loader tests share one server and inspect its transaction list: one at a time.</summary>
[CollectionDefinition(nameof(MariaDbCollection), DisableParallelization = true)]
public sealed class MariaDbCollection;
