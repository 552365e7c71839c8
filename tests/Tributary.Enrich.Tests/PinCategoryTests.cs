using Microsoft.Extensions.Time.Testing;
using MySqlConnector;
using Tributary.TestKit;
using static Tributary.Enrich.Tests.TestEvents;

namespace Tributary.Enrich.Tests;

/// <summary>The pin-category enricher and its cache against a real MariaDB.</summary>
public sealed class PinCategoryTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private static EnricherOptions PinCategory(string connectionString, Action<EnricherOptions>? set = null)
    {
        var e = new EnricherOptions
        {
            Kind = "pinCategory",
            ConnectionString = connectionString,
            PasswordEnv = MariaDb.PasswordEnv,
            RefreshInterval = Interval,
            RefreshOverlap = TimeSpan.Zero,
        };
        set?.Invoke(e);
        return e;
    }

    private static Task<EnrichPipeline> Create(TimeProvider time, params EnricherOptions[] enrichers)
        => EnrichPipeline.CreateAsync(new EnrichOptions { Enrichers = [.. enrichers] }, time, null, TestContext.Current.CancellationToken);

    private static string? Category(EnrichPipeline pipeline, long pinId) => (string?)pipeline.Process(Utf8(PinEvent(pinId: pinId))).Fields!["pin_category"];

    [Fact]
    public async Task CreateAndSeed_WritesTheGeneratorPins_WithTheirCategories()
    {
        await using var db = await MariaDb.CreateDatabaseAsync();
        Assert.Equal(500, await PinCategoryTable.CreateAndSeedAsync(MariaDb.WithPassword(db), pins: 500, ct: TestContext.Current.CancellationToken));
        // seeding twice upserts: no duplicate-key failure, same rows
        Assert.Equal(500, await PinCategoryTable.CreateAndSeedAsync(MariaDb.WithPassword(db), pins: 500, ct: TestContext.Current.CancellationToken));

        await using var connection = new MySqlConnection(MariaDb.WithPassword(db));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new MySqlCommand("SELECT pin_id, category FROM pins", connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new Dictionary<long, string>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows[reader.GetInt64(0)] = reader.GetString(1);
        }

        Assert.Equal(500, rows.Count);
        Assert.Equal(100_000_000_000L, PinCategoryTable.GeneratorPinId(0));
        for (var rank = 0; rank < 500; rank++)
        {
            var pin = PinCategoryTable.GeneratorPinId(rank);
            Assert.Equal(PinCategoryTable.CategoryOf(pin), rows[pin]);
        }

        Assert.True(rows.Values.Distinct().Count() > 10, "categories should spread over the list");
    }

    [Fact]
    public async Task Lookup_KnownPins_GetTheirCategory_MissingOnesUnknownAndCounted()
    {
        await using var db = await MariaDb.CreateDatabaseAsync();
        await PinCategoryTable.CreateAndSeedAsync(MariaDb.WithPassword(db), pins: 2000, ct: TestContext.Current.CancellationToken);
        await using var pipeline = await Create(new FakeTimeProvider(), PinCategory(db));

        Assert.Equal([new EnrichColumn("pin_category", "VARCHAR(64)")], pipeline.OutputColumns);
        for (var rank = 0; rank < 2000; rank += 97)
        {
            var pin = PinCategoryTable.GeneratorPinId(rank);
            Assert.Equal(PinCategoryTable.CategoryOf(pin), Category(pipeline, pin));
        }

        Assert.Equal("unknown", Category(pipeline, 7));
        Assert.Equal("unknown", Category(pipeline, PinCategoryTable.GeneratorPinId(2000)));
        Assert.Equal(2, pipeline.Stats.PinCategoryMissing);
        // an event without a usable pin id is unknown too, but not a missing pin
        Assert.Equal("unknown", pipeline.Process(Utf8("""{"pin_id":"abc"}""")).Fields!["pin_category"]);
        Assert.Equal(2, pipeline.Stats.PinCategoryMissing);
        // a pin id written as a string is read as the number
        var first = PinCategoryTable.GeneratorPinId(0);
        Assert.Equal(PinCategoryTable.CategoryOf(first), pipeline.Process(Utf8($$"""{"pin_id":"{{first}}"}""")).Fields!["pin_category"]);
    }

    [Fact]
    public async Task Refresh_OnTheInterval_ReadsOnlyChangedRows()
    {
        await using var db = await MariaDb.CreateDatabaseAsync();
        await PinCategoryTable.CreateAndSeedAsync(MariaDb.WithPassword(db), pins: 1000, ct: TestContext.Current.CancellationToken);
        // spread the seed over the past hour, so "changed since the newest row" is a handful, not the whole table
        await MariaDb.ExecuteAsync(db, "UPDATE pins SET updated_at = NOW(6) - INTERVAL 1 HOUR - INTERVAL (pin_id MOD 1000) SECOND");
        var time = new FakeTimeProvider();
        await using var pipeline = await Create(time, PinCategory(db));
        var cache = Assert.Single(pipeline.PinCategoryCaches);
        Assert.Equal(1000, cache.Count);
        Assert.Equal(1000, cache.LastLoadRows);

        var changed = PinCategoryTable.GeneratorPinId(3);
        const long added = 42;
        await MariaDb.ExecuteAsync(db, $"UPDATE pins SET category = 'renamed' WHERE pin_id = {changed}");
        await MariaDb.ExecuteAsync(db, $"INSERT INTO pins (pin_id, category) VALUES ({added}, 'brand_new')");

        // not refreshed before the interval has passed
        time.Advance(Interval - TimeSpan.FromSeconds(1));
        Assert.Equal(0, cache.RefreshCount + cache.RefreshFailures);
        Assert.Equal(PinCategoryTable.CategoryOf(changed), Category(pipeline, changed));
        Assert.Equal("unknown", Category(pipeline, added));

        time.Advance(TimeSpan.FromSeconds(1));
        await cache.WaitForRefreshesAsync(1, TestContext.Current.CancellationToken);
        Assert.Equal(1, cache.RefreshCount);
        Assert.Equal("renamed", Category(pipeline, changed));
        Assert.Equal("brand_new", Category(pipeline, added));
        Assert.Equal(1001, cache.Count);
        Assert.InRange(cache.LastLoadRows, 2, 6);

        // the next tick with nothing changed reads only the rows at the newest timestamp again
        time.Advance(Interval);
        await cache.WaitForRefreshesAsync(2, TestContext.Current.CancellationToken);
        Assert.InRange(cache.LastLoadRows, 1, 2);
    }

    [Fact]
    public async Task Refresh_DatabaseGone_KeepsTheCache_AndRecovers()
    {
        await using var db = await MariaDb.CreateDatabaseAsync();
        await PinCategoryTable.CreateAndSeedAsync(MariaDb.WithPassword(db), pins: 10, ct: TestContext.Current.CancellationToken);
        var time = new FakeTimeProvider();
        await using var pipeline = await Create(time, PinCategory(db));
        var cache = Assert.Single(pipeline.PinCategoryCaches);
        var pin = PinCategoryTable.GeneratorPinId(1);

        await MariaDb.ExecuteAsync(db, "RENAME TABLE pins TO pins_away");
        time.Advance(Interval);
        await cache.WaitForRefreshesAsync(1, TestContext.Current.CancellationToken);
        Assert.Equal(1, cache.RefreshFailures);
        Assert.Equal(PinCategoryTable.CategoryOf(pin), Category(pipeline, pin));

        await MariaDb.ExecuteAsync(db, "RENAME TABLE pins_away TO pins");
        await MariaDb.ExecuteAsync(db, $"UPDATE pins SET category = 'back' WHERE pin_id = {pin}");
        time.Advance(Interval);
        await cache.WaitForRefreshesAsync(2, TestContext.Current.CancellationToken);
        Assert.Equal(1, cache.RefreshCount);
        Assert.Equal("back", Category(pipeline, pin));
    }

    [Fact]
    public async Task Start_MissingTable_FailsNamingTheKey()
    {
        await using var db = await MariaDb.CreateDatabaseAsync();
        var e = await Assert.ThrowsAsync<EnrichStartupException>(() => Create(TimeProvider.System, new EnricherOptions { Kind = "geo" }, PinCategory(db, o => o.Table = "no_such_pins")));
        Assert.Equal("Tributary:Enrich:Enrichers:1:Table", e.Key);
        Assert.Contains("'no_such_pins' does not exist", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("KeyColumn", "id")]
    [InlineData("CategoryColumn", "interest")]
    [InlineData("UpdatedAtColumn", "modified")]
    public async Task Start_MissingColumn_FailsNamingTheKey(string key, string column)
    {
        await using var db = await MariaDb.CreateDatabaseAsync();
        await PinCategoryTable.CreateAsync(MariaDb.WithPassword(db), ct: TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<EnrichStartupException>(() => Create(TimeProvider.System, PinCategory(db, o =>
        {
            switch (key)
            {
                case "KeyColumn": o.KeyColumn = column; break;
                case "CategoryColumn": o.CategoryColumn = column; break;
                default: o.UpdatedAtColumn = column; break;
            }
        })));
        Assert.Equal($"Tributary:Enrich:Enrichers:0:{key}", e.Key);
        Assert.Contains($"column '{column}' not found in table 'pins' (it has: category, pin_id, updated_at)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WrongColumnType_FailsNamingTheKey()
    {
        await using var db = await MariaDb.CreateDatabaseAsync();
        await PinCategoryTable.CreateAsync(MariaDb.WithPassword(db), ct: TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<EnrichStartupException>(() => Create(TimeProvider.System, PinCategory(db, o => o.UpdatedAtColumn = "category")));
        Assert.Equal("Tributary:Enrich:Enrichers:0:UpdatedAtColumn", e.Key);
    }

    [Fact]
    public async Task Start_UnreachableDatabase_FailsNamingTheKey()
    {
        var unreachable = new MySqlConnectionStringBuilder { Server = "127.0.0.1", Port = (uint)FreePort.Next(), UserID = "nobody", ConnectionTimeout = 5 }.ConnectionString;
        var e = await Assert.ThrowsAsync<EnrichStartupException>(() => Create(TimeProvider.System, new EnricherOptions { Kind = "pinCategory", ConnectionString = unreachable }));
        Assert.Equal("Tributary:Enrich:Enrichers:0:ConnectionString", e.Key);
        Assert.Contains("cannot connect to the database at 127.0.0.1:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PasswordEnvNotSet_FailsNamingTheKey()
    {
        var e = await Assert.ThrowsAsync<EnrichStartupException>(() => Create(TimeProvider.System, new EnricherOptions { Kind = "pinCategory", ConnectionString = "Server=127.0.0.1", PasswordEnv = "TRIBUTARY_ENRICH_TEST_UNSET_" + Guid.NewGuid().ToString("N") }));
        Assert.Equal("Tributary:Enrich:Enrichers:0:PasswordEnv", e.Key);
    }
}
