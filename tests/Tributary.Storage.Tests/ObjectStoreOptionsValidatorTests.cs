using Microsoft.Extensions.Options;

namespace Tributary.Storage.Tests;

public sealed class ObjectStoreOptionsValidatorTests
{
    private const string Section = "Tributary:Archive:Store";

    private static ObjectStoreOptions Local() => new() { Kind = "local", LocalPath = "archive" };

    private static ObjectStoreOptions S3() => new() { Kind = "s3", S3 = { Bucket = "my-bucket", ServiceUrl = "http://127.0.0.1:4568", ForcePathStyle = true } };

    private static ValidateOptionsResult Validate(ObjectStoreOptions options) => new ObjectStoreOptionsValidator("archive", Section).Validate("archive", options);

    [Fact]
    public void Validate_ValidLocal_Succeeds() => Assert.True(Validate(Local()).Succeeded);

    [Fact]
    public void Validate_ValidS3_Succeeds() => Assert.True(Validate(S3()).Succeeded);

    [Fact]
    public void Validate_UnknownKind_FailsNamingTheKey()
    {
        var options = Local();
        options.Kind = "ftp";
        Assert.Contains("Tributary:Archive:Store:Kind must be 'local' or 's3' (was 'ftp').", Validate(options).Failures!);
    }

    [Fact]
    public void Validate_LocalWithoutPath_FailsNamingTheKey()
    {
        var options = Local();
        options.LocalPath = " ";
        Assert.Contains("Tributary:Archive:Store:LocalPath is required when Tributary:Archive:Store:Kind is 'local'.", Validate(options).Failures!);
    }

    [Fact]
    public void Validate_S3WithoutBucket_FailsNamingTheKeyAndTheKind()
    {
        var options = S3();
        options.S3.Bucket = string.Empty;
        Assert.Contains("Tributary:Archive:Store:S3:Bucket is required when Tributary:Archive:Store:Kind is 's3'.", Validate(options).Failures!);
    }

    [Theory]
    [InlineData("Bucket", "Upper_Case")]
    [InlineData("ServiceUrl", "ftp://x")]
    [InlineData("Prefix", "/lead")]
    [InlineData("Region", "")]
    [InlineData("MultipartPartSizeBytes", "1024")]
    [InlineData("MultipartThresholdBytes", "1024")]
    [InlineData("RequestTimeout", "00:00:00")]
    [InlineData("MaxErrorRetry", "21")]
    public void Validate_BadS3Setting_FailsNamingTheKey(string key, string value)
    {
        var options = S3();
        Set(options.S3, key, value);

        var result = Validate(options);
        Assert.True(result.Failed);
        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"Tributary:Archive:Store:S3:{key}", failure, StringComparison.Ordinal);

        // A store built in code checks the same rules, naming the property.
        var error = Assert.Throws<ArgumentException>(() => new S3ObjectStore(options.S3));
        Assert.Contains($"S3ObjectStoreOptions.{key}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_SecretKeys_AreRedacted()
    {
        var s3 = S3().S3;
        s3.AccessKeyId = "AKIAEXAMPLE";
        s3.SecretAccessKey = "very-secret";
        var text = OptionsDescriber.Describe(s3);
        Assert.DoesNotContain("very-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("AKIAEXAMPLE", text, StringComparison.Ordinal);
        Assert.Contains("Bucket=my-bucket", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OnlyOneOfTheS3Keys_FailsNamingBothKeys()
    {
        var options = S3();
        options.S3.AccessKeyId = "AKIA";
        var failure = Assert.Single(Validate(options).Failures!);
        Assert.Contains("Tributary:Archive:Store:S3:AccessKeyId and Tributary:Archive:Store:S3:SecretAccessKey", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LocalKind_IgnoresTheS3Section()
    {
        var options = Local();
        options.S3.Bucket = "Not A Bucket";
        Assert.True(Validate(options).Succeeded);
    }

    [Fact]
    public void Validate_OtherName_Skips()
    {
        var options = Local();
        options.Kind = "ftp";
        Assert.True(new ObjectStoreOptionsValidator("archive", Section).Validate("segments", options).Skipped);
    }

    [Fact]
    public void Validate_NoName_ValidatesEveryName()
    {
        var options = Local();
        options.Kind = "ftp";
        Assert.True(new ObjectStoreOptionsValidator(null, Section).Validate("segments", options).Failed);
    }

    private static void Set(S3ObjectStoreOptions s3, string key, string value)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        switch (key)
        {
            case "Bucket": s3.Bucket = value; break;
            case "ServiceUrl": s3.ServiceUrl = value; break;
            case "Prefix": s3.Prefix = value; break;
            case "Region": s3.Region = value; break;
            case "MultipartPartSizeBytes": s3.MultipartPartSizeBytes = long.Parse(value, invariant); break;
            case "MultipartThresholdBytes": s3.MultipartThresholdBytes = long.Parse(value, invariant); break;
            case "RequestTimeout": s3.RequestTimeout = TimeSpan.Parse(value, invariant); break;
            case "MaxErrorRetry": s3.MaxErrorRetry = int.Parse(value, invariant); break;
        }
    }
}
