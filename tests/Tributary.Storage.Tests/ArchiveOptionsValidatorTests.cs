using Tributary.Storage.Archive;

namespace Tributary.Storage.Tests;

public sealed class ArchiveOptionsValidatorTests
{
    [Fact]
    public void Validate_DefaultsWithFields_Succeeds()
        => Assert.True(new ArchiveOptionsValidator().Validate(null, ArchiveTestData.Options()).Succeeded);

    [Theory]
    [InlineData("Fields", "Tributary:Archive:Fields must list at least one field")]
    [InlineData("ReservedField", "Tributary:Archive:Fields:0:Name '_kafka_offset' is reserved")]
    [InlineData("DuplicateField", "Tributary:Archive:Fields:1:Name 'ts' appears twice")]
    [InlineData("Format", "Tributary:Archive:EventTime:Format 'yyyy-MM-dd%' is not")]
    [InlineData("MaxFileBytes", "Tributary:Archive:MaxFileBytes must be at least 1024")]
    [InlineData("RowGroupRows", "Tributary:Archive:RowGroupRows must be between")]
    [InlineData("MaxFileAge", "Tributary:Archive:MaxFileAge must be positive")]
    [InlineData("IdleTimeout", "Tributary:Archive:IdleTimeout must be between")]
    public void Validate_BadSetting_FailsNamingTheKey(string setting, string expected)
    {
        var options = ArchiveTestData.Options();
        switch (setting)
        {
            case "Fields": options.Fields.Clear(); break;
            case "ReservedField": options.Fields[0].Name = "_kafka_offset"; break;
            case "DuplicateField": options.Fields[1].Name = "ts"; break;
            case "Format": options.EventTime.Format = "yyyy-MM-dd%"; break;
            case "MaxFileBytes": options.MaxFileBytes = 10; break;
            case "RowGroupRows": options.RowGroupRows = 1; break;
            case "MaxFileAge": options.MaxFileAge = TimeSpan.Zero; break;
            case "IdleTimeout": options.IdleTimeout = TimeSpan.Zero; break;
        }

        var result = new ArchiveOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }
}
