using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Tributary.Kafka;

namespace Tributary.Benchmarks;

/// <summary>
/// Pin-engagement events of one Kafka partition, shaped like src/Tributary.Cli/Generate/PinEngagementGenerator
/// (Zipf 1.1 over 100k pins, 1M uniform users, same JSON layout), keeping only pins that murmur2 maps to the
/// partition, at the partition's share of a 10k events/s topic with 16 partitions.
/// </summary>
internal static class PinEventSource
{
    private static readonly string[] Actions = ["view", "view", "view", "view", "closeup", "click", "save", "share", "hide"];
    private static readonly string[] Devices = ["ios", "android", "web", "web", "android", "ios", "ipad"];
    private static readonly string[] Versions = ["12.31.0", "12.30.2", "12.29.1", "11.9.0"];

    public static readonly long HourStart = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    public static byte[][] Generate(int count, int partition = 0, int partitions = 16, double topicEventsPerSecond = 10_000)
    {
        var random = new Random(42);
        const int pins = 100_000;
        var cdf = new double[pins];
        var sum = 0.0;
        for (var k = 0; k < pins; k++)
        {
            sum += 1.0 / Math.Pow(k + 1, 1.1);
            cdf[k] = sum;
        }

        var pinIds = new long[pins];
        var mine = new bool[pins];
        for (var k = 0; k < pins; k++)
        {
            cdf[k] /= sum;
            pinIds[k] = 100_000_000_000L + (long)(((ulong)k * 0x9E3779B1UL) % 900_000_000_000UL);
            mine[k] = Murmur2Partitioner.Partition(pinIds[k].ToString(CultureInfo.InvariantCulture), partitions) == partition;
        }

        var spacingMs = partitions * 1000.0 / topicEventsPerSecond;
        var events = new byte[count][];
        Span<byte> buffer = stackalloc byte[256];
        for (var i = 0; i < count; i++)
        {
            int rank;
            do
            {
                var index = Array.BinarySearch(cdf, random.NextDouble());
                rank = Math.Min(index < 0 ? ~index : index, pins - 1);
            }
            while (!mine[rank]);

            var ts = HourStart + (long)(i * spacingMs);
            var w = 0;
            Append(buffer, ref w, "{\"ts\":\"");
            Append(buffer, ref w, DateTimeOffset.FromUnixTimeMilliseconds(ts).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            Append(buffer, ref w, "\",\"pin_id\":");
            Utf8Formatter.TryFormat(pinIds[rank], buffer[w..], out var n);
            w += n;
            Append(buffer, ref w, ",\"user_id\":");
            Utf8Formatter.TryFormat(random.Next(1_000_000) + 1L, buffer[w..], out n);
            w += n;
            Append(buffer, ref w, ",\"action\":\"");
            Append(buffer, ref w, Actions[random.Next(Actions.Length)]);
            Append(buffer, ref w, "\",\"ip\":\"");
            var ip = (uint)random.Next();
            Append(buffer, ref w, string.Create(CultureInfo.InvariantCulture, $"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}"));
            Append(buffer, ref w, "\",\"device\":\"");
            Append(buffer, ref w, Devices[random.Next(Devices.Length)]);
            Append(buffer, ref w, "\",\"app_version\":\"");
            Append(buffer, ref w, Versions[random.Next(Versions.Length)]);
            Append(buffer, ref w, "\"}");
            events[i] = buffer[..w].ToArray();
        }

        return events;
    }

    private static void Append(Span<byte> buffer, ref int w, string ascii) => w += Encoding.ASCII.GetBytes(ascii, buffer[w..]);
}
