using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tributary.Grains;
using Tributary.Storage;
using Tributary.Tracker;

namespace Tributary.Silo;

/// <summary>
/// Tracker (MySQL shard snapshots) in the silo: enabled by <c>Tributary:Tracker:Enabled</c> (topology in
/// <c>silo-config/tracker.json</c>), its object store from <c>Tributary:Tracker:Store</c>, and the HTTP API
/// <c>POST|GET /tracker/snapshot/{cluster}/{shard}</c>.
/// </summary>
public static class TrackerEndpoints
{
    /// <summary>Configuration section of Tracker.</summary>
    public const string SectionName = TrackerOptions.SectionName;

    /// <summary>
    /// When <c>Tributary:Tracker:Enabled</c> is true: <c>AddTributaryTracker()</c> (options validated at start-up,
    /// daily reminders) and the <see cref="IObjectStore"/> snapshots are written to, from <c>Tributary:Tracker:Store</c>
    /// (<c>Kind</c> <c>local</c> with <c>LocalPath</c>, default <c>tracker</c>, or <c>s3</c> with <c>S3</c>). Tracker always
    /// has its own store (keyed <see cref="ObjectStoreKeys.Tracker"/>), whatever the archive or segments use.
    /// Returns whether Tracker was added.
    /// </summary>
    public static bool AddTributaryTrackerFromConfiguration(this ISiloBuilder silo, IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        if (!section.GetValue<bool>("Enabled"))
        {
            return false;
        }

        silo.AddTributaryTracker();
        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddObjectStore(ObjectStoreKeys.Tracker, section.GetSection("Store"), "tracker");
        return true;
    }

    /// <summary>
    /// Maps <c>POST /tracker/snapshot/{cluster}/{shard}</c> (starts a snapshot for today, or <c>?date=yyyy-MM-dd</c>;
    /// 202 with <c>Location</c> and the status) and <c>GET /tracker/snapshot/{cluster}/{shard}</c> (the status: state,
    /// phase, replica, rows, chunks, ETA). An unknown cluster or shard is a 404, a malformed shard or date a 400; the
    /// JSON error names the field. Without Tracker enabled every call is a 404 naming <c>Tributary:Tracker:Enabled</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapTrackerApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/tracker/snapshot/{cluster}/{shard}", async (string cluster, string shard, string? date, HttpContext http, IGrainFactory grains) =>
        {
            if (Resolve(http.RequestServices, cluster, shard) is { Error: { } error })
            {
                return error;
            }

            DateOnly? day = null;
            if (date is not null)
            {
                if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                {
                    return Problem(StatusCodes.Status400BadRequest, "date", $"date '{date}' is not yyyy-MM-dd.");
                }

                day = parsed;
            }

            var key = ShardKey.Format(cluster, int.Parse(shard, CultureInfo.InvariantCulture));
            var status = await grains.GetGrain<IShardSnapshotGrain>(key).StartSnapshotAsync(day);
            return Results.Accepted($"/tracker/snapshot/{key}", ToJson(status));
        });
        endpoints.MapGet("/tracker/snapshot/{cluster}/{shard}", async (string cluster, string shard, HttpContext http, IGrainFactory grains) =>
        {
            if (Resolve(http.RequestServices, cluster, shard) is { Error: { } error })
            {
                return error;
            }

            var key = ShardKey.Format(cluster, int.Parse(shard, CultureInfo.InvariantCulture));
            return Results.Json(ToJson(await grains.GetGrain<IShardSnapshotGrain>(key).GetStatusAsync()));
        });
        return endpoints;
    }

    /// <summary>The status as the HTTP API returns it (ETA in seconds, state in lower case).</summary>
    public static object ToJson(ShardSnapshotStatus s) => new
    {
        cluster = s.Cluster,
        shard = s.Shard,
        state = s.State.ToString().ToLowerInvariant(),
        phase = s.Phase,
        replica = s.Replica,
        rows = s.RowsDone,
        rowsEstimated = s.RowsEstimated,
        chunks = s.ChunksDone,
        chunksTotal = s.ChunksTotal,
        etaSeconds = s.Eta?.TotalSeconds,
        date = s.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        startedAt = s.StartedAt,
        finishedAt = s.FinishedAt,
        snapshotId = s.LastSnapshotId,
        gtid = s.LastGtid,
        error = s.LastError,
        nextScheduledAt = s.NextScheduledAt,
    };

    private static (IResult? Error, int Shard) Resolve(IServiceProvider services, string cluster, string shard)
    {
        var options = services.GetService<IOptions<TrackerOptions>>()?.Value;
        if (options is null)
        {
            return (Problem(StatusCodes.Status404NotFound, "cluster", $"Tracker is not enabled in this silo (set {SectionName}:Enabled=true)."), -1);
        }

        if (!options.Clusters.TryGetValue(cluster, out var clusterOptions))
        {
            return (Problem(StatusCodes.Status404NotFound, "cluster", $"unknown cluster '{cluster}' (configured: {string.Join(", ", options.Clusters.Keys.Order(StringComparer.Ordinal))})."), -1);
        }

        if (!int.TryParse(shard, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return (Problem(StatusCodes.Status400BadRequest, "shard", $"shard '{shard}' is not a non-negative integer."), -1);
        }

        if (!clusterOptions.Shards.Any(s => s.Id == id))
        {
            return (Problem(StatusCodes.Status404NotFound, "shard", $"unknown shard {id} of cluster '{cluster}' (configured: {string.Join(", ", clusterOptions.Shards.Select(s => s.Id))})."), -1);
        }

        return (null, id);
    }

    private static IResult Problem(int status, string field, string message)
        => Results.Json(new { error = message, field }, statusCode: status);
}
