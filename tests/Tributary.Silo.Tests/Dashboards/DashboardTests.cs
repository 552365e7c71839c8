using System.Text.Json;

namespace Tributary.Silo.Tests.Dashboards;

/// <summary>The Grafana dashboards in dashboards/: valid Grafana JSON over a Prometheus data-source variable, naming only the metrics dashboards/README.md lists.</summary>
public sealed class DashboardTests
{
    public static TheoryData<string> Dashboards => [.. DashboardFiles.Names];

    [Fact]
    public void Dashboards_OnePerPart_AllPresent()
    {
        Assert.Equal(
            ["tributary-agent.json", "tributary-archive.json", "tributary-query.json", "tributary-segments.json", "tributary-sql.json", "tributary-streams.json", "tributary-tracker.json"],
            DashboardFiles.Names);
    }

    [Theory]
    [MemberData(nameof(Dashboards))]
    public void Dashboard_IsGrafanaJson_WithAPrometheusDatasourceVariableEveryPanelUses(string name)
    {
        using var document = DashboardFiles.Parse(name);
        var root = document.RootElement;

        Assert.False(string.IsNullOrEmpty(root.GetProperty("title").GetString()), $"{name}: title");
        Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()), $"{name}: uid");
        Assert.Equal(JsonValueKind.Number, root.GetProperty("schemaVersion").ValueKind);
        var datasource = Assert.Single(root.GetProperty("templating").GetProperty("list").EnumerateArray(), v => v.GetProperty("type").GetString() == "datasource");
        Assert.Equal("prometheus", datasource.GetProperty("query").GetString());
        var variable = "${" + datasource.GetProperty("name").GetString() + "}";
        var panels = root.GetProperty("panels").EnumerateArray().ToList();
        Assert.NotEmpty(panels);
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var panel in panels)
        {
            var title = panel.GetProperty("title").GetString();
            Assert.Equal("prometheus", panel.GetProperty("datasource").GetProperty("type").GetString());
            Assert.Equal(variable, panel.GetProperty("datasource").GetProperty("uid").GetString());
            foreach (var key in (string[])["x", "y", "w", "h"])
            {
                Assert.True(panel.GetProperty("gridPos").TryGetProperty(key, out _), $"{name}: panel '{title}' has no gridPos.{key}");
            }

            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString()), $"{name}: panel '{title}' has an empty expr"));
        }
    }

    [Theory]
    [MemberData(nameof(Dashboards))]
    public void Dashboard_Expressions_NameOnlyMetricsTheReadmeTableLists(string name)
    {
        var known = DashboardFiles.ReadmeSeries();
        var used = DashboardFiles.MetricNames([name]);

        Assert.NotEmpty(used);
        Assert.Equal([], used.Except(known));
    }

    [Theory]
    [MemberData(nameof(Dashboards))]
    public void Dashboard_Histograms_AreChartedAsQuantilesWithAP99(string name)
    {
        using var document = DashboardFiles.Parse(name);
        var expressions = DashboardFiles.Expressions(document.RootElement);

        // A bucket series only makes sense inside histogram_quantile; a dashboard with one charts a P99.
        foreach (var expression in expressions.Where(e => e.Contains("_bucket", StringComparison.Ordinal)))
        {
            Assert.StartsWith("histogram_quantile(", expression, StringComparison.Ordinal);
            Assert.Contains("by (le", expression, StringComparison.Ordinal);
        }

        if (expressions.Any(e => e.Contains("_bucket", StringComparison.Ordinal)))
        {
            Assert.Contains(expressions, e => e.StartsWith("histogram_quantile(0.99,", StringComparison.Ordinal));
        }
    }
}
