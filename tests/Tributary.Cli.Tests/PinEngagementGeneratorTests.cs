using System.Text.Json;
using Tributary.Cli.Generate;

namespace Tributary.Cli.Tests;

public sealed class PinEngagementGeneratorTests
{
    private static List<GeneratedEvent> Take(GeneratorOptions options, int n)
    {
        var generator = new PinEngagementGenerator(options);
        return Enumerable.Range(0, n).Select(_ => generator.Next()).ToList();
    }

    [Fact]
    public void Next_SameSeed_SameEventsByteForByte()
    {
        var a = Take(new GeneratorOptions { Seed = 5 }, 2000);
        var b = Take(new GeneratorOptions { Seed = 5 }, 2000);
        var c = Take(new GeneratorOptions { Seed = 6 }, 2000);
        Assert.True(a.Zip(b).All(p => p.First.Value.AsSpan().SequenceEqual(p.Second.Value)));
        Assert.False(a.Zip(c).All(p => p.First.Value.AsSpan().SequenceEqual(p.Second.Value)));
    }

    [Fact]
    public void Next_WellFormedEvents_HaveAllFieldsAndKeyEqualsPinId()
    {
        foreach (var e in Take(new GeneratorOptions { MalformedShare = 0 }, 5000))
        {
            using var doc = JsonDocument.Parse(e.Value);
            var root = doc.RootElement;
            Assert.True(DateTimeOffset.TryParse(root.GetProperty("ts").GetString(), out _));
            Assert.Equal(System.Text.Encoding.ASCII.GetString(e.Key), root.GetProperty("pin_id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(root.GetProperty("user_id").GetInt64() > 0);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("action").GetString()));
            Assert.True(System.Net.IPAddress.TryParse(root.GetProperty("ip").GetString(), out _));
            Assert.False(string.IsNullOrEmpty(root.GetProperty("device").GetString()));
            Assert.False(string.IsNullOrEmpty(root.GetProperty("app_version").GetString()));
        }
    }

    [Fact]
    public void Next_PinPopularity_IsZipfSkewed()
    {
        var counts = Take(new GeneratorOptions { Pins = 10_000, MalformedShare = 0 }, 100_000)
            .GroupBy(e => System.Text.Encoding.ASCII.GetString(e.Key)).Select(g => g.Count()).OrderDescending().ToArray();
        // Zipf(1.1) over 10k pins: the top pin alone takes several percent; the top 1% of pins take over a third.
        Assert.True(counts[0] > 3_000, $"top pin has {counts[0]} events");
        Assert.True(counts.Take(100).Sum() > 33_000, $"top 100 pins have {counts.Take(100).Sum()} events");
        Assert.Equal(PinEngagementGenerator.PinId(0).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Take(new GeneratorOptions { Pins = 10_000, MalformedShare = 0 }, 100_000).GroupBy(e => System.Text.Encoding.ASCII.GetString(e.Key)).MaxBy(g => g.Count())!.Key);
    }

    [Fact]
    public void Next_LateAndMalformedShares_AreRespected()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var events = Take(new GeneratorOptions { Start = start, LateShare = 0.05, MalformedShare = 0.02, EventsPerSecond = 1000 }, 50_000);
        var late = events.Count(e => e.Late) / 50_000.0;
        var malformed = events.Count(e => e.Malformed) / 50_000.0;
        Assert.InRange(late, 0.04, 0.06);
        Assert.InRange(malformed, 0.015, 0.025);
        foreach (var e in events.Where(e => e.Malformed))
        {
            var ok = true;
            try
            {
                using var doc = JsonDocument.Parse(e.Value);
                ok = doc.RootElement.TryGetProperty("pin_id", out _) && DateTimeOffset.TryParse(doc.RootElement.GetProperty("ts").GetString(), out _);
            }
            catch (JsonException)
            {
                ok = false;
            }

            Assert.False(ok, System.Text.Encoding.UTF8.GetString(e.Value));
        }

        // Late events lag by at most 6 hours behind the position they were generated at.
        var lateTimes = events.Where(e => e.Late && !e.Malformed).Select(e => DateTimeOffset.Parse(JsonDocument.Parse(e.Value).RootElement.GetProperty("ts").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.All(lateTimes, t => Assert.True(t >= start.AddHours(-6)));
    }
}
