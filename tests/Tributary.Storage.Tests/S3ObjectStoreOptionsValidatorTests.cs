namespace Tributary.Storage.Tests;

public sealed class S3ObjectStoreOptionsValidatorTests
{
    private static S3ObjectStoreOptions Valid() => new() { Bucket = "my-bucket", ServiceUrl = "http://127.0.0.1:4568", ForcePathStyle = true };

    [Fact]
    public void Validate_ValidOptions_Succeeds()
        => Assert.True(new S3ObjectStoreOptionsValidator().Validate(null, Valid()).Succeeded);

    [Theory]
    [InlineData("Bucket", "")]
    [InlineData("Bucket", "Upper_Case")]
    [InlineData("ServiceUrl", "ftp://x")]
    [InlineData("Prefix", "/lead")]
    [InlineData("MultipartPartSizeBytes", "1024")]
    [InlineData("Region", "")]
    public void Validate_BadSetting_FailsNamingTheKey(string key, string value)
    {
        var options = Valid();
        switch (key)
        {
            case "Bucket": options.Bucket = value; break;
            case "ServiceUrl": options.ServiceUrl = value; break;
            case "Prefix": options.Prefix = value; break;
            case "MultipartPartSizeBytes": options.MultipartPartSizeBytes = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            case "Region": options.Region = value; break;
        }

        var result = new S3ObjectStoreOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains($"S3ObjectStoreOptions.{key}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OnlyOneOfTheKeys_FailsNamingBoth()
    {
        var options = Valid();
        options.AccessKeyId = "AKIA";
        var result = new S3ObjectStoreOptionsValidator().Validate(null, options);
        Assert.Contains("SecretAccessKey", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_SecretKeys_AreRedacted()
    {
        var options = Valid();
        options.AccessKeyId = "AKIAEXAMPLE";
        options.SecretAccessKey = "very-secret";
        var text = OptionsDescriber.Describe(options);
        Assert.DoesNotContain("very-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("AKIAEXAMPLE", text, StringComparison.Ordinal);
        Assert.Contains("Bucket=my-bucket", text, StringComparison.Ordinal);
    }
}
