using System.Globalization;
using System.Text;
using Tributary.Segments.Schema;

namespace Tributary.Segments.Tests;

/// <summary>Specs and generated events shared by the segment tests.</summary>
internal static class TestData
{
    public static readonly long HourStart = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public static string RepositoryFile(params string[] parts)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !Directory.Exists(Path.Combine(directory.FullName, "silo-config")))
        {
            directory = directory.Parent;
        }

        return Path.Combine([directory?.FullName ?? throw new DirectoryNotFoundException("repository root with silo-config/ not found"), .. parts]);
    }

    public static DatasourceSpec PinEngagement() => DatasourceSpecLoader.LoadFile(RepositoryFile("silo-config", "datasources", "pin_engagement.json"));

    /// <summary>A spec with every dimension and metric type.</summary>
    public static DatasourceSpec Full(bool rollup = true, string query = "minute") => DatasourceSpecLoader.Parse($$"""
        {
          "name": "full", "topic": "full",
          "timestamp": { "field": "ts", "format": "iso" },
          "dimensions": [
            { "name": "key", "type": "string" },
            { "name": "color", "type": "string" },
            { "name": "size", "type": "long" }
          ],
          "metrics": [
            { "type": "count", "name": "count" },
            { "type": "longSum", "name": "qty_sum", "fieldName": "qty" },
            { "type": "longMin", "name": "qty_min", "fieldName": "qty" },
            { "type": "longMax", "name": "qty_max", "fieldName": "qty" },
            { "type": "doubleSum", "name": "price_sum", "fieldName": "price" },
            { "type": "doubleMin", "name": "price_min", "fieldName": "price" },
            { "type": "doubleMax", "name": "price_max", "fieldName": "price" },
            { "type": "hyperUnique", "name": "users", "fieldName": "user" }
          ],
          "partitioning": { "key": "key", "partitions": 4 },
          "granularity": { "segment": "hour", "query": "{{query}}", "rollup": {{(rollup ? "true" : "false")}} }
        }
        """);

    /// <summary>A random event for <see cref="Full"/>: small value domains so rows roll up; some fields missing.</summary>
    public sealed record Event(long Ts, string Key, string? Color, long? Size, long? Qty, double? Price, long User)
    {
        public byte[] Json()
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"{{\"ts\":\"{DateTimeOffset.FromUnixTimeMilliseconds(Ts).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\",\"key\":\"{Key}\"");
            if (Color is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $",\"color\":\"{Color}\"");
            }

            if (Size is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $",\"size\":{Size}");
            }

            if (Qty is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $",\"qty\":{Qty}");
            }

            if (Price is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $",\"price\":{Price.Value.ToString("R", CultureInfo.InvariantCulture)}");
            }

            sb.Append(CultureInfo.InvariantCulture, $",\"user\":{User},\"ignored\":{{\"nested\":[1,2]}}}}");
            return Encoding.UTF8.GetBytes(sb.ToString());
        }
    }

    public static List<Event> Events(int seed, int count)
    {
        var random = new Random(seed);
        string[] colors = ["red", "green", "blue", "é-accent", ""];
        return [.. Enumerable.Range(0, count).Select(_ => new Event(
            HourStart + random.NextInt64(3_600_000),
            "k" + random.Next(30).ToString(CultureInfo.InvariantCulture),
            random.Next(10) == 0 ? null : colors[random.Next(colors.Length)],
            random.Next(8) == 0 ? null : random.Next(-3, 4),
            random.Next(6) == 0 ? null : random.Next(-1000, 1000),
            random.Next(6) == 0 ? null : Math.Round(random.NextDouble() * 100, 2),
            random.Next(500)))];
    }

    public static byte[] PinEvent(long ts, long pin, long user, string action = "click", string device = "ios", string version = "12.31.0")
        => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{{\"ts\":\"{DateTimeOffset.FromUnixTimeMilliseconds(ts).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\",\"pin_id\":{pin},\"user_id\":{user},\"action\":\"{action}\",\"ip\":\"10.0.0.{user % 256}\",\"device\":\"{device}\",\"app_version\":\"{version}\"}}"));
}
