namespace Tributary.Tracker.Tests;

public sealed class TrackerOptionsValidatorTests
{
    [Fact]
    public void Errors_ValidOptions_Empty()
        => Assert.Empty(TrackerOptionsValidator.Errors(Valid()));

    [Fact]
    public void Errors_InlinePassword_NamesTheKey()
    {
        var options = Valid();
        options.Clusters["main"].Credentials.Password = "hunter2";

        var errors = TrackerOptionsValidator.Errors(options);

        Assert.Contains(errors, e => e.StartsWith("Tributary:Tracker:Clusters:main:Credentials:Password:", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("hunter2", StringComparison.Ordinal));
    }

    [Fact]
    public void Errors_BadHostAndDuplicateShard_NameTheKeys()
    {
        var options = Valid();
        options.Clusters["main"].Shards.Add(new TrackerShardOptions { Id = 0, Hosts = ["db-1"] });

        var errors = TrackerOptionsValidator.Errors(options);

        Assert.Contains(errors, e => e.StartsWith("Tributary:Tracker:Clusters:main:Shards:1:Id:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Tributary:Tracker:Clusters:main:Shards:1:Hosts:0: 'db-1'", StringComparison.Ordinal));
    }

    [Fact]
    public void Errors_BadScheduleAndSizes_NameTheKeys()
    {
        var options = Valid();
        options.DailyAtUtc = "25:00";
        options.Connections = 0;
        options.Clusters["main"].Credentials.PasswordFile = "/run/secrets/mysql";

        var errors = TrackerOptionsValidator.Errors(options);

        Assert.Contains(errors, e => e.StartsWith("Tributary:Tracker:DailyAtUtc:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Tributary:Tracker:Connections:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Tributary:Tracker:Clusters:main:Credentials: set exactly one", StringComparison.Ordinal));
    }

    [Fact]
    public void ThrowIfInvalid_Invalid_ThrowsWithEveryError()
    {
        var options = Valid();
        options.ChunkRows = -1;
        options.Clusters["main"].Shards.Clear();

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => TrackerOptionsValidator.ThrowIfInvalid(options));

        Assert.Equal(2, ex.Failures.Count());
    }

    [Fact]
    public void EnvironmentErrors_PasswordEnvAndHostVariableNotSet_NameTheKeys()
    {
        var options = Valid();
        var unset = "TRIBUTARY_TEST_UNSET_" + Guid.NewGuid().ToString("N");
        options.Clusters["main"].Credentials.PasswordEnv = unset;
        options.Clusters["main"].Shards[0].Hosts[1] = "env:" + unset;

        var errors = TrackerOptionsValidator.EnvironmentErrors(options);
        var result = new TrackerOptionsValidator().Validate(null, options);

        Assert.Equal(
            [$"Tributary:Tracker:Clusters:main:Credentials:PasswordEnv: environment variable '{unset}' is not set.", $"Tributary:Tracker:Clusters:main:Shards:0:Hosts:1: environment variable '{unset}' is not set."],
            errors);
        Assert.True(result.Failed);
        Assert.Contains("Credentials:PasswordEnv", result.FailureMessage, StringComparison.Ordinal);
    }

    internal static TrackerOptions Valid()
    {
        var options = new TrackerOptions();
        options.Clusters["main"] = new TrackerClusterOptions
        {
            Credentials = new TrackerCredentialOptions { User = "snap", PasswordEnv = "MYSQL_PASSWORD" },
            Shards = [new TrackerShardOptions { Id = 0, Hosts = ["db-0a:3306", "env:DB_0B"] }],
        };
        return options;
    }
}
