using System.Diagnostics.Metrics;
using static Tributary.Enrich.Tests.TestEvents;

namespace Tributary.Enrich.Tests;

public sealed class EnrichPipelineTests
{
    private static Task<EnrichPipeline> WithEnrichers(params EnricherOptions[] enrichers)
        => EnrichPipeline.CreateAsync(new EnrichOptions { Enrichers = [.. enrichers] }, TimeProvider.System, null, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Process_Kept_FieldsKeepTheirJsonTypes()
    {
        await using var pipeline = await FilterOnly();
        var outcome = pipeline.Process(Utf8("""
            {"s":"text","esc":"a\"b\u00e9","i":-42,"big":12345678901234,"d":2.5,"e":1e3,"t":true,"f":false,"n":null,
             "o":{"x":[1,2]},"a":[1,"two",{}],"k\u00e9y":"v","s":"last wins"}
            """));
        Assert.Equal(EnrichOutcomeKind.Kept, outcome.Kind);
        Assert.Null(outcome.Reason);
        var f = outcome.Fields!;
        Assert.Equal("last wins", f["s"]);
        Assert.Equal("a\"b\u00e9", f["esc"]);
        Assert.Equal(-42L, f["i"]);
        Assert.Equal(12345678901234L, f["big"]);
        Assert.Equal(2.5, f["d"]);
        Assert.Equal(1000.0, f["e"]);
        Assert.Equal(true, f["t"]);
        Assert.Equal(false, f["f"]);
        Assert.True(f.ContainsKey("n"));
        Assert.Null(f["n"]);
        Assert.Equal("""{"x":[1,2]}""", f["o"]);
        Assert.Equal("""[1,"two",{}]""", f["a"]);
        Assert.Equal("v", f["k\u00e9y"]);
        Assert.Equal(12, f.Count);
    }

    [Theory]
    [InlineData("", "empty event")]
    [InlineData("  \r\n ", "empty event")]
    [InlineData("""{"ts":"2026-11-22T00:00:00.000Z","pin_id":1000""", "invalid JSON at byte")]
    [InlineData("GET /pin/123 HTTP/1.1 garbage", "invalid JSON at byte 0")]
    [InlineData("""[1,2,3]""", "event is not a JSON object (found StartArray at byte 0)")]
    [InlineData("42", "event is not a JSON object (found Number at byte 0)")]
    [InlineData("""{"a":1} {"b":2}""", "invalid JSON at byte")]
    [InlineData("""{"a":1,}""", "invalid JSON at byte")]
    [InlineData("""{"a":nul}""", "invalid JSON at byte")]
    public async Task Process_Malformed_SaysWhatIsWrong(string text, string reasonStart)
    {
        await using var pipeline = await FilterOnly(Rule("never", "exists", "nothing"));
        var outcome = pipeline.Process(Utf8(text));
        Assert.Equal(EnrichOutcomeKind.Malformed, outcome.Kind);
        Assert.StartsWith(reasonStart, outcome.Reason, StringComparison.Ordinal);
        Assert.Null(outcome.Fields);
        Assert.Equal(1, pipeline.Stats.Malformed);
    }

    [Fact]
    public async Task Process_InvalidUtf8_IsMalformed()
    {
        await using var pipeline = await FilterOnly();
        var outcome = pipeline.Process([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']);
        Assert.Equal(EnrichOutcomeKind.Malformed, outcome.Kind);
        Assert.Equal("invalid UTF-8 at byte 2", outcome.Reason);
    }

    [Fact]
    public async Task Geo_AddsCountry_UnknownForPrivateMissingAndMalformed()
    {
        await using var pipeline = await WithEnrichers(new EnricherOptions { Kind = "geo", DatabasePath = GeoFolder });
        Assert.Equal([new EnrichColumn("geo_country", "VARCHAR(7)")], pipeline.OutputColumns);
        var google = Geo.GeoIpDatabase.Load(GeoFolder).Lookup("8.8.8.8".AsSpan());
        Assert.Equal(google, pipeline.Process(Utf8(PinEvent(ip: "8.8.8.8"))).Fields!["geo_country"]);
        Assert.Equal("unknown", pipeline.Process(Utf8(PinEvent(ip: "10.0.0.1"))).Fields!["geo_country"]);
        Assert.Equal("unknown", pipeline.Process(Utf8(PinEvent(ip: "999.1.1.1"))).Fields!["geo_country"]);
        Assert.Equal("unknown", pipeline.Process(Utf8("""{"ip":12}""")).Fields!["geo_country"]);
        Assert.Equal("unknown", pipeline.Process(Utf8("""{"other":"8.8.8.8"}""")).Fields!["geo_country"]);
        Assert.Equal(4, pipeline.Stats.GeoUnknown);
    }

    [Fact]
    public async Task Geo_ConfiguredField_IsRead()
    {
        await using var pipeline = await WithEnrichers(new EnricherOptions { Kind = "geo", Field = "client_ip", Column = "country" });
        var outcome = pipeline.Process(Utf8("""{"ip":"10.0.0.1","client_ip":"2001:4860:4860::8888"}"""));
        Assert.NotEqual("unknown", outcome.Fields!["country"]);
        Assert.Equal("10.0.0.1", outcome.Fields["ip"]);
    }

    [Fact]
    public async Task Geo_MissingDatabase_FailsNamingTheKey()
    {
        var empty = Directory.CreateTempSubdirectory("tributary-nogeo-").FullName;
        try
        {
            var e = await Assert.ThrowsAsync<EnrichStartupException>(() => WithEnrichers(new EnricherOptions { Kind = "map", Field = "x", Column = "y" }, new EnricherOptions { Kind = "geo", DatabasePath = empty }));
            Assert.Equal("Tributary:Enrich:Enrichers:1:DatabasePath", e.Key);
            Assert.StartsWith("Tributary:Enrich:Enrichers:1:DatabasePath: cannot read the geo database", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact]
    public async Task MapAndBot_InConfiguredOrder_WriteTheirColumns()
    {
        await using var pipeline = await WithEnrichers(
            new EnricherOptions { Kind = "map", Field = "device", Column = "platform", Map = new() { ["ios"] = "mobile", ["ipad"] = "tablet" }, Default = "desktop" },
            new EnricherOptions { Kind = "bot" });
        Assert.Equal([new EnrichColumn("platform", "VARCHAR(7)"), new EnrichColumn("is_bot", "BOOLEAN")], pipeline.OutputColumns);

        var phone = pipeline.Process(Utf8(PinEvent(device: "ios", userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"))).Fields!;
        Assert.Equal(("mobile", false), (phone["platform"], phone["is_bot"]));
        var crawler = pipeline.Process(Utf8(PinEvent(device: "web", userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"))).Fields!;
        Assert.Equal(("desktop", true), (crawler["platform"], crawler["is_bot"]));
        var none = pipeline.Process(Utf8("""{"x":1}""")).Fields!;
        Assert.Equal(("desktop", false), (none["platform"], none["is_bot"]));
    }

    [Fact]
    public async Task EnricherOutput_ReplacesAnEventFieldOfTheSameName()
    {
        await using var pipeline = await WithEnrichers(new EnricherOptions { Kind = "map", Field = "device", Column = "device", Map = new() { ["ios"] = "apple" } });
        Assert.Equal("apple", pipeline.Process(Utf8(PinEvent(device: "ios"))).Fields!["device"]);
    }

    [Fact]
    public async Task FilteredCounter_CarriesTheRuleNameAsReason()
    {
        var reason = "impressions-" + Guid.NewGuid().ToString("N");
        var seen = new List<(long Value, string? Reason)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Tributary.Enrich" && instrument.Name == "tributary.enrich.filtered")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason" && tag.Value as string == reason)
                {
                    lock (seen)
                    {
                        seen.Add((value, reason));
                    }
                }
            }
        });
        listener.Start();

        await using var pipeline = await FilterOnly(Rule(reason, "equals", "action", r => r.Value = "impression"));
        pipeline.Process(Utf8(PinEvent(action: "impression")));
        pipeline.Process(Utf8(PinEvent(action: "view")));
        pipeline.Process(Utf8(PinEvent(action: "impression")));

        Assert.Equal(2, seen.Sum(s => s.Value));
        Assert.Equal(2, pipeline.Stats.FilteredByReason[reason]);
    }

    [Fact]
    public async Task Process_ManyThreads_CountsAddUp()
    {
        await using var pipeline = await FilterOnly(Rule("impressions", "equals", "action", r => r.Value = "impression"));
        var events = Enumerable.Range(0, 1000).Select(i => Utf8(PinEvent(pinId: i, action: i % 4 == 0 ? "impression" : "view"))).ToArray();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < events.Length; i++)
            {
                Assert.Equal(i % 4 == 0 ? EnrichOutcomeKind.Filtered : EnrichOutcomeKind.Kept, pipeline.Process(events[i]).Kind);
            }
        });
        Assert.Equal(8 * 250, pipeline.Stats.FilteredByReason["impressions"]);
        Assert.Equal(8 * 750, pipeline.Stats.Kept);
    }

    [Fact]
    public async Task Process_FilteredEvent_AllocatesNothing()
    {
        await using var pipeline = await FilterOnly(
            Rule("old", "range", "user_id", r => r.Max = 10),
            Rule("bots", "regex", "user_agent", r => r.Pattern = "(?i)bot"),
            Rule("impressions", "in", "action", r => r.Values = ["impression", "hide"]));
        var events = new[] { Utf8(PinEvent(action: "hide", userAgent: "Safari")), Utf8(PinEvent(userAgent: "Googlebot")) };
        foreach (var e in events)
        {
            pipeline.Process(e); // warm-up: the per-thread slot table, the regex engine's lazily built states
        }

        var filtered = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            foreach (var e in events)
            {
                filtered += pipeline.Process(e).Kind == EnrichOutcomeKind.Filtered ? 1 : 0;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(200, filtered);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task EnrichBench_MeasuresLookups()
    {
        await using var pipeline = await WithEnrichers(new EnricherOptions { Kind = "geo" }, new EnricherOptions { Kind = "bot" });
        var events = Enumerable.Range(0, 100).Select(i => Utf8(PinEvent(ip: $"{i}.1.2.3"))).ToArray();
        Assert.True(EnrichBench.MeasureLookupsPerSecond(pipeline, events, TimeSpan.FromMilliseconds(20), runs: 1) > 0);
        Assert.True(EnrichBench.MeasureEventsPerSecond(pipeline, events, TimeSpan.FromMilliseconds(20), runs: 1) > 0);
    }
}
