using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tributary.TestKit;

namespace Tributary.Grains.Tests.Sql;

/// <summary>One generated event of <see cref="EnrichedEvents"/>: the fields the enrichment reads, and its JSON.</summary>
internal sealed record EnrichedEvent(long UserId, long PinId, string Action, string? Ip, bool IpIsAddress, string Json);

/// <summary>
/// Events for the enriched SQL sink tests: real public IPv4 and IPv6 addresses drawn from the ranges of DB-IP's CSV
/// files (so they spread over the countries the data knows), IPv4-mapped IPv6, random 32-bit addresses (some land in
/// gaps and reserved space), private and reserved addresses, events without an IP and with text that is not an
/// address; pin ids of which some are missing from the seeded <c>pins</c> table. Deterministic per seed.
/// </summary>
internal sealed class EnrichedEvents
{
    private static readonly string[] Actions = ["view", "click", "save", "hide", "impression"];
    private static readonly string[] Categories = ["animals", "art", "cars", "diy_crafts", "food_drinks", "gardening", "sports", "travel", "weddings", "technology"];
    private static readonly string[] Reserved = ["10.1.2.3", "192.168.0.17", "172.16.5.4", "127.0.0.1", "169.254.1.1", "100.64.0.9", "0.1.2.3", "224.0.0.251", "::1", "fe80::1", "fd12:3456::1", "2001:db8::5"];
    private static readonly string[] NotAddresses = ["not-an-ip", "256.1.1.1", "1.2.3", "", "1.2.3.4/24", "::g", "08.8.8.8"];

    private EnrichedEvents(List<EnrichedEvent> events, List<(long PinId, string Category)> seededPins, int distinctPins)
    {
        Events = events;
        SeededPins = seededPins;
        DistinctPins = distinctPins;
    }

    /// <summary>The events; <see cref="EnrichedEvent.UserId"/> is the index (unique).</summary>
    public IReadOnlyList<EnrichedEvent> Events { get; }

    /// <summary>The rows to seed the <c>pins</c> table with (every event pin but about one in eight).</summary>
    public IReadOnlyList<(long PinId, string Category)> SeededPins { get; }

    /// <summary>How many distinct pin ids the events use.</summary>
    public int DistinctPins { get; }

    /// <summary>The action the test's filter drops.</summary>
    public const string FilteredAction = "impression";

    /// <summary>The folder <c>./build.sh deps</c> installs DB-IP's IP to Country Lite CSV files into.</summary>
    public static string DbIpFolder => Path.Combine(ServiceProcess.RepositoryRoot(), ".tools", "node_modules", "@ip-location-db", "dbip-country");

    public static EnrichedEvents Create(int count, int pins, int seed)
    {
        var random = new Random(seed);
        var v4 = SampleRanges(Path.Combine(DbIpFolder, "dbip-country-ipv4.csv"), 4_000, random);
        var v6 = SampleRanges(Path.Combine(DbIpFolder, "dbip-country-ipv6.csv"), 1_000, random);
        var pinIds = Enumerable.Range(0, pins).Select(k => 7_000_000_000L + (k * 7_919L)).ToArray();
        var seeded = pinIds.Where((_, k) => k % 8 != 5).Select(p => (p, Categories[random.Next(Categories.Length)])).ToList();
        var events = new List<EnrichedEvent>(count);
        for (var user = 0L; user < count; user++)
        {
            var pin = pinIds[random.Next(pinIds.Length)];
            var action = Actions[user % Actions.Length];
            var u = random.NextDouble();
            var (ip, isAddress) = u switch
            {
                < 0.74 => (v4[random.Next(v4.Count)], true),
                < 0.82 => (v6[random.Next(v6.Count)], true),
                < 0.85 => ("::ffff:" + v4[random.Next(v4.Count)], true),
                < 0.91 => (RandomIPv4(random), true),
                < 0.95 => (Reserved[random.Next(Reserved.Length)], true),
                < 0.98 => ((string?)null, false),
                _ => (NotAddresses[random.Next(NotAddresses.Length)], false),
            };
            var ipField = ip is null ? string.Empty : $",\"ip\":\"{ip}\"";
            var json = string.Create(CultureInfo.InvariantCulture, $$"""{"ts":"2026-12-07T10:{{(user / 60) % 60:D2}}:{{user % 60:D2}}.000Z","pin_id":{{pin}},"user_id":{{user}},"action":"{{action}}"{{ipField}},"device":"ios"}""");
            events.Add(new EnrichedEvent(user, pin, action, ip, isAddress, json));
        }

        return new EnrichedEvents(events, seeded, pinIds.Length);
    }

    private static string RandomIPv4(Random random)
    {
        var bytes = new byte[4];
        random.NextBytes(bytes);
        return new IPAddress(bytes).ToString();
    }

    /// <summary>Addresses inside <paramref name="samples"/> random ranges (lines) of a DB-IP CSV file.</summary>
    private static List<string> SampleRanges(string path, int samples, Random random)
    {
        var lines = File.ReadAllLines(path);
        var addresses = new List<string>(samples);
        for (var i = 0; i < samples; i++)
        {
            var parts = lines[random.Next(lines.Length)].Split(',');
            var start = ToNumber(IPAddress.Parse(parts[0]));
            var span = ToNumber(IPAddress.Parse(parts[1])) - start;
            var step = span == UInt128.MaxValue ? (UInt128)random.NextInt64() : (UInt128)(ulong)random.NextInt64() % (span + 1);
            addresses.Add(FromNumber(start + step, IPAddress.Parse(parts[0]).AddressFamily).ToString());
        }

        return addresses;
    }

    internal static UInt128 ToNumber(IPAddress address)
    {
        UInt128 value = 0;
        foreach (var b in address.GetAddressBytes())
        {
            value = (value << 8) | b;
        }

        return value;
    }

    private static IPAddress FromNumber(UInt128 value, AddressFamily family)
    {
        var bytes = new byte[family == AddressFamily.InterNetwork ? 4 : 16];
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xff);
            value >>= 8;
        }

        return new IPAddress(bytes);
    }
}

/// <summary>
/// The test's own answer to "which country is this address in": one pass over DB-IP's text CSV files
/// (<c>start,end,country</c> per line, parsed with <see cref="IPAddress.Parse(string)"/>), each line marking the asked
/// addresses inside its range. It shares no code with the enricher's lookup. An address no line covers (a gap, private
/// or reserved space: DB-IP's files have no lines there) answers <c>unknown</c>.
/// </summary>
internal static class DbIpCsvScan
{
    public const string Unknown = "unknown";

    /// <summary>The country of each address text in <paramref name="addresses"/> (IPv4-mapped IPv6 is looked up as IPv4).</summary>
    public static Dictionary<string, string> Countries(IEnumerable<string> addresses, string folder)
    {
        var parsed = addresses.Distinct(StringComparer.Ordinal).ToDictionary(a => a, a =>
        {
            var ip = IPAddress.Parse(a);
            return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
        }, StringComparer.Ordinal);
        var v4 = Answer(parsed.Values.Where(a => a.AddressFamily == AddressFamily.InterNetwork), Path.Combine(folder, "dbip-country-ipv4.csv"));
        var v6 = Answer(parsed.Values.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6), Path.Combine(folder, "dbip-country-ipv6.csv"));
        return parsed.ToDictionary(
            p => p.Key,
            p => (p.Value.AddressFamily == AddressFamily.InterNetwork ? v4 : v6)[EnrichedEvents.ToNumber(p.Value)],
            StringComparer.Ordinal);
    }

    private static Dictionary<UInt128, string> Answer(IEnumerable<IPAddress> addresses, string csv)
    {
        var asked = addresses.Select(EnrichedEvents.ToNumber).Distinct().Order().ToArray();
        var countries = new string[asked.Length];
        Array.Fill(countries, Unknown);
        foreach (var line in File.ReadLines(csv))
        {
            var parts = line.Split(',');
            var start = EnrichedEvents.ToNumber(IPAddress.Parse(parts[0]));
            var end = EnrichedEvents.ToNumber(IPAddress.Parse(parts[1]));
            var i = Array.BinarySearch(asked, start);
            for (i = i < 0 ? ~i : i; i < asked.Length && asked[i] <= end; i++)
            {
                countries[i] = parts[2];
            }
        }

        return asked.Select((a, i) => (a, i)).ToDictionary(x => x.a, x => countries[x.i]);
    }
}
