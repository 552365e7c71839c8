using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace Tributary.Enrich;

/// <summary>Where <see cref="PinCategoryCache"/> reads from: the table and its three columns (plain MySQL names).</summary>
public sealed record PinCategorySource(string ConnectionString, string Table = "pins", string KeyColumn = "pin_id", string CategoryColumn = "category", string UpdatedAtColumn = "updated_at");

/// <summary>
/// The pin-category dimension table held in memory: loaded whole at start, then refreshed incrementally every
/// interval by reading the rows whose updated-at column is at or after the newest one seen (less an overlap, for
/// transactions that commit out of time order). Lookups are lock-free and safe from any thread; refreshes run one at
/// a time on the <see cref="TimeProvider"/>'s timer, and a failed one keeps the cache and is retried on the next tick.
/// Deleted rows stay cached until restart.
/// </summary>
public sealed partial class PinCategoryCache : IAsyncDisposable
{
    private readonly ConcurrentDictionary<long, string> _categories = new();
    private readonly Dictionary<string, string> _interned = new(StringComparer.Ordinal);
    private readonly PinCategorySource _source;
    private readonly string _keyPrefix;
    private readonly TimeSpan _overlap;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly string _selectAll;
    private readonly string _selectSince;
    private ITimer? _timer;
    private int _refreshing;
    private Task _inFlight = Task.CompletedTask;
    private DateTime? _watermark;
    private long _refreshes;
    private long _failures;
    private TaskCompletionSource _refreshed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PinCategoryCache(PinCategorySource source, string keyPrefix, TimeSpan overlap, ILogger log)
    {
        _source = source;
        _keyPrefix = keyPrefix;
        _overlap = overlap;
        _log = log;
        var t = SqlIdentifier.Quote(source.Table);
        var k = SqlIdentifier.Quote(source.KeyColumn);
        var c = SqlIdentifier.Quote(source.CategoryColumn);
        var u = SqlIdentifier.Quote(source.UpdatedAtColumn);
        _selectAll = $"SELECT {k}, {c}, {u} FROM {t}";
        _selectSince = $"SELECT {k}, {c}, {u} FROM {t} WHERE {u} >= @since";
    }

    /// <summary>The width of the category column (at least that of <c>unknown</c>).</summary>
    public int CategoryWidth { get; private set; }

    /// <summary>Pins in the cache.</summary>
    public int Count => _categories.Count;

    /// <summary>Rows read by the last load or refresh (a refresh reads only rows changed since the newest one seen).</summary>
    public int LastLoadRows { get; private set; }

    /// <summary>Completed incremental refreshes (the initial load not counted).</summary>
    public long RefreshCount => Volatile.Read(ref _refreshes);

    /// <summary>Refreshes that failed (the cache kept its contents).</summary>
    public long RefreshFailures => Volatile.Read(ref _failures);

    /// <summary>
    /// Connects, checks that the table and columns exist, loads every row and starts the refresh timer.
    /// <paramref name="keyPrefix"/> is the enricher's configuration key; errors name its sub-keys.
    /// </summary>
    /// <exception cref="EnrichStartupException">The database is unreachable or the table or a column is missing.</exception>
    public static async Task<PinCategoryCache> StartAsync(
        PinCategorySource source, TimeSpan refreshInterval, TimeSpan refreshOverlap, TimeProvider time, ILogger? log, string keyPrefix, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(time);
        var cache = new PinCategoryCache(source, keyPrefix, refreshOverlap, log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await using (var connection = await cache.OpenForStartAsync(ct).ConfigureAwait(false))
        {
            await cache.CheckSchemaAsync(connection, ct).ConfigureAwait(false);
            await cache.LoadAsync(connection, since: null, ct).ConfigureAwait(false);
        }

        LogLoaded(cache._log, source.Table, cache.Count);
        if (refreshInterval > TimeSpan.Zero && refreshInterval != Timeout.InfiniteTimeSpan)
        {
            cache._timer = time.CreateTimer(static s => ((PinCategoryCache)s!).OnTick(), cache, refreshInterval, refreshInterval);
        }

        return cache;
    }

    /// <summary>The category of <paramref name="pinId"/>, when the table has the pin.</summary>
    public bool TryGet(long pinId, out string category) => _categories.TryGetValue(pinId, out category!);

    /// <summary>Reads the rows changed since the newest change seen (less the overlap) into the cache, now.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _refreshLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var connection = new MySqlConnection(_source.ConnectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await LoadAsync(connection, _watermark is { } w ? w - _overlap : null, ct).ConfigureAwait(false);
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    /// <summary>Completes once <see cref="RefreshCount"/> + <see cref="RefreshFailures"/> reaches <paramref name="count"/>.</summary>
    public async Task WaitForRefreshesAsync(long count, CancellationToken ct)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _refreshed);
            if (RefreshCount + RefreshFailures >= count)
            {
                return;
            }

            await signal.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _inFlight.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping: the refresh was cut short on purpose
        }

        _stopping.Dispose();
        _refreshLock.Dispose();
    }

    private void OnTick()
    {
        // One refresh at a time: a tick that finds one running is skipped, the next tick catches up.
        if (Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
        {
            return;
        }

        _inFlight = Task.Run(RefreshOnTickAsync);
    }

    private async Task RefreshOnTickAsync()
    {
        try
        {
            await RefreshAsync(_stopping.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _refreshes);
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failures);
            LogRefreshFailed(_log, e, _source.Table);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
            Interlocked.Exchange(ref _refreshed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    private async Task<MySqlConnection> OpenForStartAsync(CancellationToken ct)
    {
        MySqlConnection connection;
        try
        {
            connection = new MySqlConnection(_source.ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new EnrichStartupException($"{_keyPrefix}:ConnectionString", $"not a valid connection string: {e.Message}", e);
        }

        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch (MySqlException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            var b = new MySqlConnectionStringBuilder(_source.ConnectionString);
            throw new EnrichStartupException($"{_keyPrefix}:ConnectionString", $"cannot connect to the database at {b.Server}:{b.Port} ({e.Message}).", e);
        }
    }

    private async Task CheckSchemaAsync(MySqlConnection connection, CancellationToken ct)
    {
        var parts = _source.Table.Split('.');
        var (schema, table) = parts.Length == 2 ? (parts[0], parts[1]) : ((string?)null, parts[0]);
        await using var command = new MySqlCommand(
            "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(@schema, DATABASE()) AND TABLE_NAME = @table",
            connection);
        command.Parameters.AddWithValue("@schema", schema);
        command.Parameters.AddWithValue("@table", table);
        var columns = new Dictionary<string, (string Type, long? Length)>(StringComparer.OrdinalIgnoreCase);
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                columns[reader.GetString(0)] = (reader.GetString(1), reader.IsDBNull(2) ? null : Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (columns.Count == 0)
        {
            throw new EnrichStartupException($"{_keyPrefix}:Table", $"table '{_source.Table}' does not exist in database '{schema ?? connection.Database}' (or is not visible to this user).");
        }

        var have = string.Join(", ", columns.Keys.Order(StringComparer.Ordinal));
        Require(_source.KeyColumn, "KeyColumn", ["bigint", "int", "mediumint", "smallint", "tinyint"]);
        Require(_source.CategoryColumn, "CategoryColumn", ["varchar", "char", "text", "tinytext", "mediumtext", "longtext", "enum"]);
        Require(_source.UpdatedAtColumn, "UpdatedAtColumn", ["timestamp", "datetime"]);
        var width = columns[_source.CategoryColumn].Length is { } l and < 65_536 ? (int)l : 255;
        CategoryWidth = Math.Max(width, PinCategoryEnricher.Unknown.Length);

        void Require(string column, string key, string[] types)
        {
            if (!columns.TryGetValue(column, out var c))
            {
                throw new EnrichStartupException($"{_keyPrefix}:{key}", $"column '{column}' not found in table '{_source.Table}' (it has: {have}).");
            }

            if (!types.Contains(c.Type, StringComparer.OrdinalIgnoreCase))
            {
                throw new EnrichStartupException($"{_keyPrefix}:{key}", $"column '{column}' of table '{_source.Table}' is {c.Type}, expected one of {string.Join(", ", types)}.");
            }
        }
    }

    private async Task LoadAsync(MySqlConnection connection, DateTime? since, CancellationToken ct)
    {
        await using var command = new MySqlCommand(since is null ? _selectAll : _selectSince, connection);
        if (since is { } s)
        {
            command.Parameters.AddWithValue("@since", s);
        }

        var newest = _watermark;
        var rows = 0;
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rows++;
            var pin = reader.GetInt64(0);
            var category = reader.IsDBNull(1) ? PinCategoryEnricher.Unknown : Intern(reader.GetString(1));
            _categories[pin] = category;
            if (!reader.IsDBNull(2))
            {
                var updated = reader.GetDateTime(2);
                if (newest is null || updated > newest)
                {
                    newest = updated;
                }
            }
        }

        _watermark = newest;
        LastLoadRows = rows;
    }

    private string Intern(string category)
    {
        // Only the refresh (one at a time) writes here: categories repeat, so pins share one string each.
        if (!_interned.TryGetValue(category, out var shared))
        {
            _interned[category] = shared = category;
        }

        return shared;
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Pin categories: {Count} pins loaded from {Table}")]
    private static partial void LogLoaded(ILogger logger, string table, int count);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Pin categories: refresh from {Table} failed; keeping the cached rows, retrying on the next tick")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string table);
}
