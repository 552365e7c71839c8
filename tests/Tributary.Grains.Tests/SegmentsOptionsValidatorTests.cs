using Tributary.Grains.Segments;

namespace Tributary.Grains.Tests;

public sealed class SegmentsOptionsValidatorTests
{
    private static SegmentsOptions Valid() => new() { DatasourcesPath = Directory.CreateTempSubdirectory("tributary-ds-").FullName };

    [Fact]
    public void Validate_ValidOptions_Succeeds()
        => Assert.True(new SegmentsOptionsValidator("Tributary:Segments").Validate(null, Valid()).Succeeded);

    [Fact]
    public void Validate_BloomCacheBytesNotPositive_FailsNamingTheKey()
    {
        var options = Valid();
        options.BloomCacheBytes = 0;
        var result = new SegmentsOptionsValidator("Tributary:Segments").Validate(null, options);
        Assert.Contains("Tributary:Segments:BloomCacheBytes must be positive (was 0).", result.Failures!);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Validate_MemoryBudgetMbNotPositive_FailsNamingTheKey(double budget)
    {
        var options = Valid();
        options.MemoryBudgetMb = budget;
        var result = new SegmentsOptionsValidator("Tributary:Segments").Validate(null, options);
        Assert.Contains(result.Failures!, f => f.StartsWith("Tributary:Segments:MemoryBudgetMb must be a positive number", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_BadSetting_FailsNamingTheKeyUnderTheSection()
    {
        var options = Valid();
        options.PersistEveryEvents = 0;
        var result = new SegmentsOptionsValidator("Tributary:Segments").Validate(null, options);
        Assert.Contains("Tributary:Segments:PersistEveryEvents must be positive (was 0).", result.Failures!);
    }

    [Fact]
    public void Validate_MissingDatasourcesDirectory_FailsNamingTheKey()
    {
        var options = Valid();
        options.DatasourcesPath = Path.Combine(options.DatasourcesPath, "missing");
        var failure = Assert.Single(new SegmentsOptionsValidator("Tributary:Segments").Validate(null, options).Failures!);
        Assert.StartsWith("Tributary:Segments:DatasourcesPath", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RetentionNotPositive_FailsNamingTheKey()
    {
        var options = Valid();
        options.Retention = TimeSpan.FromHours(-1);
        var failure = Assert.Single(new SegmentsOptionsValidator("Tributary:Segments").Validate(null, options).Failures!);
        Assert.StartsWith("Tributary:Segments:Retention must be positive", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void CollectRetention_NotLongerThanTheLateWindowPlusAnHour_FailsNamingTheKeyAndDatasource()
    {
        var registry = DatasourceRegistry.Load(Path.Combine(AppContext.BaseDirectory, "silo-config", "datasources"));
        var specs = registry.Names.Select(n => registry.Find(n)!).ToList();
        var options = Valid();
        options.Retention = TimeSpan.FromHours(4);
        var failure = Assert.Single(SegmentsOptionsValidator.CollectRetention(options, specs.Where(s => s.Name == "pin_engagement"), "Tributary:Segments"));
        Assert.StartsWith("Tributary:Segments:Retention (04:00:00) must be longer than datasource 'pin_engagement'", failure, StringComparison.Ordinal);

        options.Retention = TimeSpan.FromDays(7);
        Assert.Empty(SegmentsOptionsValidator.CollectRetention(options, specs, "Tributary:Segments"));
    }
}
