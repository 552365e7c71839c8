using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Tributary.Grains.Segments;
using Tributary.Segments;

namespace Tributary.Grains.Tests;

/// <summary>
/// The per-silo memory budget of sealed segments: least recently queried first out, the one just loaded never, and
/// (in a silo) sealed segment grains that unload under a tiny budget and answer exactly after reloading.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class SegmentMemoryBudgetTests
{
    [Fact]
    public void Loaded_OverBudget_EvictsLeastRecentlyQueriedFirstAndNeverTheNewOne()
    {
        using var budget = new SegmentMemoryBudget(250);
        var evicted = new List<string>();
        var a = budget.Loaded(100, () => evicted.Add("a"));
        var b = budget.Loaded(100, () => evicted.Add("b"));
        a.Touch();
        var c = budget.Loaded(100, () => evicted.Add("c"));
        Assert.Equal(["b"], evicted);
        Assert.Equal(200, budget.LoadedBytes);

        // Larger than the whole budget: everything else goes, the new one stays (budget plus one segment at most).
        _ = budget.Loaded(400, () => evicted.Add("big"));
        Assert.Equal(["b", "a", "c"], evicted);
        Assert.Equal(400, budget.LoadedBytes);
        Assert.Equal(3, budget.Unloads);

        // Touching an evicted lease does not put it back; releasing it twice subtracts nothing.
        b.Touch();
        b.Dispose();
        Assert.Equal(400, budget.LoadedBytes);
        Assert.Equal(1, budget.LoadedCount);
    }

    [Fact]
    public async Task Query_SealedSegmentsOverATinyBudget_UnloadAndReloadWithExactCounts()
    {
        const double budgetMb = 0.1;
        var budgetBytes = (long)(budgetMb * 1024 * 1024);
        await using var env = await SegmentSinkTests.SegmentEnvironment.StartAsync(silos: 1, new Dictionary<string, string?>
        {
            ["Tributary:Segments:MemoryBudgetMb"] = budgetMb.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var budget = ((InProcessSiloHandle)env.Cluster.Primary!).ServiceProvider.GetRequiredService<SegmentMemoryBudget>();
        Assert.Equal(budgetBytes, budget.BudgetBytes);

        const int Hours = 8;
        var firstHour = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000) - (Hours * 3_600_000L);
        var counts = new long[Hours];
        var random = new Random(11);
        var actions = new[] { "click", "save", "view" };
        for (var h = 0; h < Hours; h++)
        {
            var hour = firstHour + (h * 3_600_000L);
            var n = 1_500 + (h * 100);
            counts[h] = n;
            var events = Enumerable.Range(0, n)
                .Select(i => Encoding.UTF8.GetBytes(new SegmentSinkTests.TestEvent($"p{random.Next(5_000)}", actions[i % 3], "ios", hour + (i * 3_600_000L / n), random.Next(5_000)).Json))
                .ToArray();
            var segment = env.Cluster.Client.GetGrain<ISegmentGrain>(SegmentKey.Format(env.Datasource, hour, 0));
            var result = await segment.AppendAsync(new SegmentAppendBatch { Offsets = [.. Enumerable.Range(h * 10_000, n).Select(o => (long)o)], Events = events, WatermarkMs = hour, PreviousSent = -1 });
            Assert.Equal(n, result.Appended);
            Assert.Equal(SegmentState.Sealed, (await segment.SealAsync()).State);
        }

        var timeline = await env.Cluster.Client.GetGrain<IDatasourceCatalogGrain>(env.Datasource).GetTimelineAsync();
        var sizes = timeline.Segments.Select(s => s.SizeBytes).ToList();
        Assert.Equal(Hours, sizes.Count);
        var largest = sizes.Max();
        // The data must not fit, or nothing would be unloaded; one segment must, or every query would unload.
        Assert.True(sizes.Sum() > 2 * budgetBytes, $"segments total {sizes.Sum()} bytes, budget {budgetBytes}");
        Assert.True(largest < budgetBytes, $"largest segment {largest} bytes, budget {budgetBytes}");

        // Each hour alone, twice round (the second round reloads what the first unloaded), then all hours at once.
        for (var round = 0; round < 2; round++)
        {
            for (var h = 0; h < Hours; h++)
            {
                var hour = DateTimeOffset.FromUnixTimeMilliseconds(firstHour + (h * 3_600_000L));
                Assert.Equal(counts[h], await CountAsync(env, $"{hour:yyyy-MM-ddTHH}:00:00Z/{hour.AddHours(1):yyyy-MM-ddTHH}:00:00Z"));
                Assert.InRange(budget.LoadedBytes, 0, budgetBytes + largest);
            }
        }

        Assert.Equal(counts.Sum(), await CountAsync(env, "2000-01-01/2100-01-01"));
        Assert.InRange(budget.PeakLoadedBytes, 0, budgetBytes + largest);
        Assert.InRange(budget.LoadedBytes, 0, budgetBytes + largest);
        Assert.True(budget.Unloads >= Hours, $"{budget.Unloads} unloads");
    }

    private static async Task<long> CountAsync(SegmentSinkTests.SegmentEnvironment env, string interval)
    {
        var response = await env.QueryAsync($$$"""{"queryType":"timeseries","dataSource":"DS","intervals":["{{{interval}}}"],"granularity":"all","aggregations":[{"type":"longSum","name":"events","fieldName":"count"}]}""");
        Assert.Equal(200, response.StatusCode);
        using var doc = JsonDocument.Parse(response.Body);
        return doc.RootElement.GetArrayLength() == 0 ? 0 : doc.RootElement[0].GetProperty("result").GetProperty("events").GetInt64();
    }
}
