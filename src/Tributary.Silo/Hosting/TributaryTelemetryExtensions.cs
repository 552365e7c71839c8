using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using Tributary.Grains.Sql;
using Tributary.Grains.Telemetry;
using Tributary.Grains.Tracker;
using Tributary.Streaming.Kafka;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the silo's metrics: OpenTelemetry over every Tributary meter and Orleans', exported for Prometheus.</summary>
public static class TributaryTelemetryExtensions
{
    /// <summary>
    /// The meters the silo exports: every Tributary meter (<c>Tributary.Agent</c> too, for an agent hosted in the
    /// silo's process as the demo does) and Orleans' own.
    /// </summary>
    public static readonly IReadOnlyList<string> MeterNames =
    [
        KafkaMetrics.MeterName,
        TributaryMetrics.MeterName,
        SqlSinkRuntime.MeterName,
        TrackerMetrics.MeterName,
        "Tributary.Enrich",
        "Tributary.Agent",
        "Microsoft.Orleans",
    ];

    /// <summary>
    /// Bucket bounds, in milliseconds, for every histogram whose unit is <c>ms</c>: from half a millisecond (a
    /// segment scan) to a minute (a slow upload or snapshot chunk), dense around the 250 ms query target.
    /// </summary>
    public static readonly double[] MillisecondBuckets = [0.5, 1, 2.5, 5, 10, 25, 50, 75, 100, 150, 250, 400, 500, 750, 1000, 2500, 5000, 10000, 30000, 60000];

    /// <summary>
    /// Adds OpenTelemetry metrics with the Prometheus exporter; map the scrape endpoint with
    /// <c>app.MapPrometheusScrapingEndpoint()</c> (<c>/metrics</c>).
    /// </summary>
    public static IServiceCollection AddTributaryTelemetry(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter([.. MeterNames])
            .AddView(instrument => instrument.GetType().IsGenericType
                                   && instrument.GetType().GetGenericTypeDefinition() == typeof(Histogram<>)
                                   && instrument.Unit == "ms"
                ? new ExplicitBucketHistogramConfiguration { Boundaries = MillisecondBuckets }
                : null)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }
}
