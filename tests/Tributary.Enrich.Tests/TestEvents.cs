using System.Text;
using System.Text.Json;

namespace Tributary.Enrich.Tests;

/// <summary>Small helpers shared by the tests.</summary>
internal static class TestEvents
{
    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>A pipeline with only the given filter rules (no enrichers, so no services needed).</summary>
    public static Task<EnrichPipeline> FilterOnly(params FilterRuleOptions[] rules)
        => EnrichPipeline.CreateAsync(new EnrichOptions { Filter = new EnrichFilterOptions { Rules = [.. rules] } }, TimeProvider.System, null, TestContext.Current.CancellationToken);

    public static FilterRuleOptions Rule(string name, string op, string field, Action<FilterRuleOptions>? set = null)
    {
        var rule = new FilterRuleOptions { Name = name, Op = op, Field = field };
        set?.Invoke(rule);
        return rule;
    }

    /// <summary>An event in the generator's layout.</summary>
    public static string PinEvent(long pinId = 100_000_000_000, string action = "view", string ip = "8.8.8.8", string device = "ios", string? userAgent = null)
        => JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["ts"] = "2026-11-22T00:00:00.000Z",
            ["pin_id"] = pinId,
            ["user_id"] = 42,
            ["action"] = action,
            ["ip"] = ip,
            ["device"] = device,
            ["app_version"] = "12.31.0",
            ["user_agent"] = userAgent,
        });

    /// <summary>The installed DB-IP folder (./build.sh deps puts it in .tools).</summary>
    public static string GeoFolder => Geo.GeoIpDatabase.Locate(null)
        ?? throw new InvalidOperationException($"{Geo.GeoIpDatabase.InstalledFolder} is missing: run ./build.sh deps");
}
