using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Tributary.Enrich.Tests;

public sealed class EnrichOptionsValidatorTests
{
    private const string Sample = """
        {
          "Tributary": {
            "Enrich": {
              "Filter": {
                "Rules": [
                  { "Name": "impressions", "Op": "equals", "Field": "action", "Value": "impression" },
                  { "Name": "bots", "Op": "regex", "Field": "user_agent", "Pattern": "(?i)bot|crawler|spider" },
                  { "Name": "old-ios", "Op": "and", "Conditions": [
                      { "Op": "equals", "Field": "device", "Value": "ios" },
                      { "Op": "not", "Condition": { "Op": "in", "Field": "app_version", "Values": [ "12.31.0", "12.30.2" ] } } ] }
                ]
              },
              "Enrichers": [
                { "Kind": "geo" },
                { "Kind": "map", "Field": "device", "Column": "platform", "Map": { "ios": "mobile", "android": "mobile", "ipad": "tablet" }, "Default": "desktop" },
                { "Kind": "bot" }
              ]
            }
          }
        }
        """;

    private static EnrichOptions Bind(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return configuration.GetSection(EnrichOptions.SectionName).Get<EnrichOptions>() ?? new EnrichOptions();
    }

    private static List<string> Errors(string json) => EnrichOptionsValidator.Errors(Bind(json));

    private static string Rules(string rules) => $$"""{ "Tributary": { "Enrich": { "Filter": { "Rules": [ {{rules}} ] } } } }""";

    [Fact]
    public void Sample_BindsFromConfiguration_AndIsValid()
    {
        var options = Bind(Sample);
        Assert.Empty(EnrichOptionsValidator.Errors(options));
        Assert.Equal(3, options.Filter.Rules.Count);
        Assert.Equal("in", options.Filter.Rules[2].Conditions![1].Condition!.Op);
        Assert.Null(options.Filter.Rules[0].Conditions);
        Assert.Equal("tablet", options.Enrichers[1].Map["ipad"]);
    }

    [Fact]
    public void BadRegex_NamesTheKey()
    {
        var errors = Errors(Rules("""
            { "Name": "a", "Op": "equals", "Field": "f", "Value": "x" },
            { "Name": "b", "Op": "equals", "Field": "f", "Value": "y" },
            { "Name": "c", "Op": "regex", "Field": "f", "Pattern": "(unclosed" }
            """));
        var error = Assert.Single(errors);
        Assert.StartsWith("Tributary:Enrich:Filter:Rules:2:Pattern is not a valid regular expression: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BacktrackingOnlyConstruct_IsRejectedNamingTheKey()
    {
        var error = Assert.Single(Errors(Rules("""{ "Name": "a", "Op": "regex", "Field": "f", "Pattern": "(a)\\1" }""")));
        Assert.StartsWith("Tributary:Enrich:Filter:Rules:0:Pattern is not a valid regular expression", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Name": "a", "Op": "like", "Field": "f" }""", "Tributary:Enrich:Filter:Rules:0:Op 'like' is not one of")]
    [InlineData("""{ "Name": "a", "Field": "f" }""", "Tributary:Enrich:Filter:Rules:0:Op is required")]
    [InlineData("""{ "Op": "exists", "Field": "f" }""", "Tributary:Enrich:Filter:Rules:0:Name is required")]
    [InlineData("""{ "Name": "a", "Op": "equals", "Value": "x" }""", "Tributary:Enrich:Filter:Rules:0:Field is required")]
    [InlineData("""{ "Name": "a", "Op": "equals", "Field": "f" }""", "Tributary:Enrich:Filter:Rules:0:Value is required")]
    [InlineData("""{ "Name": "a", "Op": "in", "Field": "f" }""", "Tributary:Enrich:Filter:Rules:0:Values must list")]
    [InlineData("""{ "Name": "a", "Op": "range", "Field": "f" }""", "Tributary:Enrich:Filter:Rules:0: op 'range' needs Min, Max")]
    [InlineData("""{ "Name": "a", "Op": "range", "Field": "f", "Min": 5, "Max": 1 }""", "Tributary:Enrich:Filter:Rules:0:Min (5) and Max (1) leave an empty range")]
    [InlineData("""{ "Name": "a", "Op": "equals", "Field": "f", "Value": "x", "Pattern": "y" }""", "Tributary:Enrich:Filter:Rules:0:Pattern does not apply to op 'equals'")]
    [InlineData("""{ "Name": "a", "Op": "or" }""", "Tributary:Enrich:Filter:Rules:0:Conditions must list")]
    [InlineData("""{ "Name": "a", "Op": "not" }""", "Tributary:Enrich:Filter:Rules:0:Condition is required")]
    [InlineData("""{ "Name": "a", "Op": "or", "Conditions": [ { "Op": "exists", "Field": "f" }, { "Op": "not", "Condition": { "Op": "regex", "Field": "g", "Pattern": "[" } } ] }""",
        "Tributary:Enrich:Filter:Rules:0:Conditions:1:Condition:Pattern is not a valid regular expression")]
    public void BadRule_NamesTheKey(string rule, string expectedStart)
    {
        var error = Assert.Single(Errors(Rules(rule)));
        Assert.StartsWith(expectedStart, error, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateRuleNames_AreRejected()
        => Assert.StartsWith(
            "Tributary:Enrich:Filter:Rules:1:Name 'a' is used by an earlier rule",
            Assert.Single(Errors(Rules("""{ "Name": "a", "Op": "exists", "Field": "f" }, { "Name": "a", "Op": "exists", "Field": "g" }"""))),
            StringComparison.Ordinal);

    [Theory]
    [InlineData("""{ "Kind": "weather" }""", "Tributary:Enrich:Enrichers:0:Kind 'weather' is not one of")]
    [InlineData("""{ "Field": "ip" }""", "Tributary:Enrich:Enrichers:0:Kind is required")]
    [InlineData("""{ "Kind": "map", "Field": "device" }""", "Tributary:Enrich:Enrichers:0:Column is required")]
    [InlineData("""{ "Kind": "geo", "Column": "geo country" }""", "Tributary:Enrich:Enrichers:0:Column 'geo country' must be")]
    [InlineData("""{ "Kind": "geo", "DatabasePath": "/nonexistent/geo" }""", "Tributary:Enrich:Enrichers:0:DatabasePath '/nonexistent/geo' is not a directory")]
    [InlineData("""{ "Kind": "bot", "Pattern": "(" }""", "Tributary:Enrich:Enrichers:0:Pattern is not a valid regular expression")]
    [InlineData("""{ "Kind": "pinCategory" }""", "Tributary:Enrich:Enrichers:0:ConnectionString is required")]
    [InlineData("""{ "Kind": "pinCategory", "ConnectionString": "Server=h;Password=secret" }""", "Tributary:Enrich:Enrichers:0:ConnectionString must not hold a password")]
    [InlineData("""{ "Kind": "pinCategory", "ConnectionString": "Server=h", "Table": "pins; DROP TABLE x" }""", "Tributary:Enrich:Enrichers:0:Table 'pins; DROP TABLE x' must be")]
    [InlineData("""{ "Kind": "pinCategory", "ConnectionString": "Server=h", "UpdatedAtColumn": "" }""", "Tributary:Enrich:Enrichers:0:UpdatedAtColumn '' must be")]
    [InlineData("""{ "Kind": "pinCategory", "ConnectionString": "Server=h", "RefreshInterval": "00:00:00" }""", "Tributary:Enrich:Enrichers:0:RefreshInterval must be positive")]
    public void BadEnricher_NamesTheKey(string enricher, string expectedStart)
    {
        var error = Assert.Single(Errors($$"""{ "Tributary": { "Enrich": { "Enrichers": [ {{enricher}} ] } } }"""));
        Assert.StartsWith(expectedStart, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoEnrichersWritingOneColumn_AreRejected()
        => Assert.StartsWith(
            "Tributary:Enrich:Enrichers:1:Column 'geo_country' is written by an earlier enricher",
            Assert.Single(Errors("""{ "Tributary": { "Enrich": { "Enrichers": [ { "Kind": "geo" }, { "Kind": "map", "Field": "x", "Column": "geo_country" } ] } } }""")),
            StringComparison.Ordinal);

    [Fact]
    public async Task CreateAsync_BadFilter_FailsAtStartNamingTheKey()
    {
        var options = Bind(Rules("""{ "Name": "a", "Op": "regex", "Field": "f", "Pattern": "*" }"""));
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => EnrichPipeline.CreateAsync(options, TimeProvider.System, null, TestContext.Current.CancellationToken));
        Assert.StartsWith("Tributary:Enrich:Filter:Rules:0:Pattern is not a valid regular expression", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void AddTributaryEnrichOptions_ValidatesOnResolve()
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Rules("""{ "Name": "a", "Op": "nope", "Field": "f" }""")))).Build();
        using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddTributaryEnrichOptions().BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EnrichOptions>>().Value);
        Assert.Contains(e.Failures, f => f.StartsWith("Tributary:Enrich:Filter:Rules:0:Op 'nope'", StringComparison.Ordinal));
    }
}
