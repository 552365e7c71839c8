using System.Buffers.Text;
using System.Text;

namespace Tributary.Cli.Generate;

/// <summary>Settings of <see cref="PinEngagementGenerator"/>.</summary>
public sealed record GeneratorOptions
{
    /// <summary>Seed: the same seed and settings give the same events, byte for byte.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Distinct pins; popularity follows Zipf's law over them.</summary>
    public int Pins { get; init; } = 100_000;

    /// <summary>Zipf exponent of pin popularity (1.0 to 1.3 is typical of social content).</summary>
    public double ZipfExponent { get; init; } = 1.1;

    /// <summary>Distinct users (uniform).</summary>
    public int Users { get; init; } = 1_000_000;

    /// <summary>Event time of the first event.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Events per second of event time (spacing of timestamps).</summary>
    public double EventsPerSecond { get; init; } = 10_000;

    /// <summary>Share of events whose timestamp lags by up to <see cref="MaxLateness"/>.</summary>
    public double LateShare { get; init; } = 0.01;

    /// <summary>Most lateness of a late event.</summary>
    public TimeSpan MaxLateness { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Share of malformed lines (broken JSON, missing or mistyped fields).</summary>
    public double MalformedShare { get; init; } = 0.001;
}

/// <summary>One generated event: its Kafka key (pin id) and its JSON line (without newline).</summary>
public readonly record struct GeneratedEvent(byte[] Key, byte[] Value, bool Malformed, bool Late);

/// <summary>
/// Synthetic pin-engagement events as JSON lines: <c>ts, pin_id, user_id, action, ip, device, app_version</c>,
/// Zipf-distributed pin popularity, a share of late events and of malformed lines. Deterministic per seed.
/// </summary>
public sealed class PinEngagementGenerator
{
    private static readonly string[] Actions = ["view", "view", "view", "view", "closeup", "click", "save", "share", "hide"];
    private static readonly string[] Devices = ["ios", "android", "web", "web", "android", "ios", "ipad"];
    private static readonly string[] Versions = ["12.31.0", "12.30.2", "12.29.1", "11.9.0"];
    private readonly GeneratorOptions _options;
    private readonly Random _random;
    private readonly double[] _zipfCdf;
    private long _sequence;

    /// <summary>Creates a generator.</summary>
    public PinEngagementGenerator(GeneratorOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Pins);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.EventsPerSecond);
        _options = options;
        _random = new Random(options.Seed);
        _zipfCdf = BuildZipfCdf(options.Pins, options.ZipfExponent);
    }

    /// <summary>The pin id of popularity rank <paramref name="rank"/> (0 = most popular): scrambled, so ids do not sort by popularity.</summary>
    public static long PinId(int rank) => 100_000_000_000L + (long)(((ulong)rank * 0x9E3779B1UL) % 900_000_000_000UL);

    /// <summary>The next event.</summary>
    public GeneratedEvent Next()
    {
        var seq = _sequence++;
        var rank = SampleZipf();
        var pinId = PinId(rank);
        var key = Encoding.ASCII.GetBytes(pinId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var ts = _options.Start.AddTicks((long)(seq * TimeSpan.TicksPerSecond / _options.EventsPerSecond));
        var late = _random.NextDouble() < _options.LateShare;
        if (late)
        {
            ts = ts.AddTicks(-(long)(_random.NextDouble() * _options.MaxLateness.Ticks));
        }

        var userId = _random.Next(_options.Users) + 1L;
        var action = Actions[_random.Next(Actions.Length)];
        var ip = (uint)_random.Next();
        var device = Devices[_random.Next(Devices.Length)];
        var version = Versions[_random.Next(Versions.Length)];
        var line = Format(ts, pinId, userId, action, ip, device, version);
        if (_random.NextDouble() < _options.MalformedShare)
        {
            return new GeneratedEvent(key, Malform(line), Malformed: true, late);
        }

        return new GeneratedEvent(key, line, Malformed: false, late);
    }

    private static byte[] Format(DateTimeOffset ts, long pinId, long userId, string action, uint ip, string device, string version)
    {
        Span<byte> buffer = stackalloc byte[256];
        var w = 0;
        Append(buffer, ref w, "{\"ts\":\"");
        Append(buffer, ref w, ts.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        int n;
        Append(buffer, ref w, "\",\"pin_id\":");
        Utf8Formatter.TryFormat(pinId, buffer[w..], out n);
        w += n;
        Append(buffer, ref w, ",\"user_id\":");
        Utf8Formatter.TryFormat(userId, buffer[w..], out n);
        w += n;
        Append(buffer, ref w, ",\"action\":\"");
        Append(buffer, ref w, action);
        Append(buffer, ref w, "\",\"ip\":\"");
        for (var octet = 3; octet >= 0; octet--)
        {
            Utf8Formatter.TryFormat((ip >> (octet * 8)) & 0xff, buffer[w..], out n);
            w += n;
            if (octet > 0)
            {
                buffer[w++] = (byte)'.';
            }
        }

        Append(buffer, ref w, "\",\"device\":\"");
        Append(buffer, ref w, device);
        Append(buffer, ref w, "\",\"app_version\":\"");
        Append(buffer, ref w, version);
        Append(buffer, ref w, "\"}");
        return buffer[..w].ToArray();
    }

    private static void Append(Span<byte> buffer, ref int w, string ascii) => w += Encoding.ASCII.GetBytes(ascii, buffer[w..]);

    private byte[] Malform(byte[] line) => _random.Next(4) switch
    {
        0 => line[..(line.Length / 2)],                                                 // truncated JSON
        1 => Encoding.UTF8.GetBytes("GET /pin/" + _random.Next() + " HTTP/1.1 garbage"), // not JSON at all
        2 => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(line).Replace("\"pin_id\":", "\"pin\":", StringComparison.Ordinal)), // missing key field
        _ => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(line).Replace("\"ts\":\"", "\"ts\":\"yesterday ", StringComparison.Ordinal)), // bad timestamp
    };

    private int SampleZipf()
    {
        var u = _random.NextDouble();
        var index = Array.BinarySearch(_zipfCdf, u);
        return Math.Min(index < 0 ? ~index : index, _zipfCdf.Length - 1);
    }

    private static double[] BuildZipfCdf(int n, double s)
    {
        var cdf = new double[n];
        var sum = 0.0;
        for (var k = 0; k < n; k++)
        {
            sum += 1.0 / Math.Pow(k + 1, s);
            cdf[k] = sum;
        }

        for (var k = 0; k < n; k++)
        {
            cdf[k] /= sum;
        }

        return cdf;
    }
}
