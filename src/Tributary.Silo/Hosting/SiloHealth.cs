using StackExchange.Redis;

namespace Tributary.Silo;

/// <summary>
/// The answer of <c>/healthz</c>, bounded by <see cref="TributarySettings.HealthTimeout"/> per dependency: 200 with the
/// silo count when Redis (if configured) answers a PING and the cluster's membership answers; 503 naming the dependency
/// that did not answer otherwise. It never waits on a dependency longer than the bound, so a probe sees an outage as
/// unhealthy instead of a hung request.
/// </summary>
public sealed class SiloHealth(TributarySettings settings, IClusterClient client) : IAsyncDisposable
{
    private readonly SemaphoreSlim _connecting = new(1, 1);
    private ConnectionMultiplexer? _redis;

    /// <summary>Whether the silo depends on Redis (membership or grain storage).</summary>
    private bool UsesRedis => settings.Clustering == "redis" || settings.GrainStorage == "redis";

    /// <summary>Checks the dependencies and returns the HTTP answer.</summary>
    public async Task<IResult> CheckAsync(CancellationToken cancellationToken)
    {
        var bound = settings.HealthTimeout;
        if (UsesRedis)
        {
            var endpoint = RedisEndpoint();
            try
            {
                var redis = await ConnectAsync().WaitAsync(bound, cancellationToken);
                await redis.GetDatabase().PingAsync().WaitAsync(bound, cancellationToken);
            }
            catch (Exception ex) when (ex is TimeoutException or RedisException)
            {
                return Unhealthy("redis", $"Redis at {endpoint} ({TributarySettings.SectionName}:RedisConnectionString) did not answer a PING within {bound}: {ex.Message}");
            }
        }

        int silos;
        try
        {
            silos = (await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(bound, cancellationToken)).Count;
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            var what = settings.Clustering == "redis" ? $"Redis membership at {RedisEndpoint()}" : "the cluster membership";
            return Unhealthy("membership", $"{what} did not answer within {bound}: {ex.Message}");
        }

        return Results.Json(new { status = "ok", profile = settings.Profile, silos, kafka = settings.Kafka.BootstrapServers });
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        _connecting.Dispose();
    }

    private IResult Unhealthy(string dependency, string error)
        => Results.Json(new { status = "unhealthy", profile = settings.Profile, dependency, error }, statusCode: StatusCodes.Status503ServiceUnavailable);

    private string RedisEndpoint()
    {
        var options = ConfigurationOptions.Parse(settings.RedisConnectionString!);
        return string.Join(",", options.EndPoints.Select(e => e.ToString()));
    }

    /// <summary>One connection for every probe; abortConnect=false, so it reconnects by itself after an outage.</summary>
    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        if (_redis is { } existing)
        {
            return existing;
        }

        await _connecting.WaitAsync();
        try
        {
            if (_redis is null)
            {
                var options = ConfigurationOptions.Parse(settings.RedisConnectionString!);
                options.AbortOnConnectFail = false;
                options.ConnectTimeout = (int)settings.HealthTimeout.TotalMilliseconds;
                options.SyncTimeout = options.AsyncTimeout = (int)settings.HealthTimeout.TotalMilliseconds;
                options.ClientName = "tributary-healthz";
                _redis = await ConnectionMultiplexer.ConnectAsync(options);
            }

            return _redis;
        }
        finally
        {
            _connecting.Release();
        }
    }
}
