using System.Globalization;
using Microsoft.Extensions.Options;

namespace Tributary.Tracker;

/// <summary>Validates <see cref="TrackerOptions"/> at start-up; every message names the configuration key.</summary>
public sealed class TrackerOptionsValidator : IValidateOptions<TrackerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TrackerOptions options)
    {
        var errors = Errors(options);
        errors.AddRange(EnvironmentErrors(options));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Throws <see cref="OptionsValidationException"/> listing every problem, or returns the options; with
    /// <paramref name="environment"/> also what the options name in this process's environment (<see cref="EnvironmentErrors"/>).
    /// </summary>
    public static TrackerOptions ThrowIfInvalid(TrackerOptions options, bool environment = false)
    {
        var errors = Errors(options);
        if (environment)
        {
            errors.AddRange(EnvironmentErrors(options));
        }

        return errors.Count == 0
            ? options
            : throw new OptionsValidationException(nameof(TrackerOptions), typeof(TrackerOptions), errors);
    }

    /// <summary>Every problem found, each naming its key (<c>Tributary:Tracker:Clusters:main:Shards:0:Hosts</c>).</summary>
    public static List<string> Errors(TrackerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string root = TrackerOptions.SectionName;
        var errors = new List<string>();
        if (!TimeOnly.TryParseExact(options.DailyAtUtc, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            errors.Add($"{root}:DailyAtUtc: '{options.DailyAtUtc}' is not a UTC time of day 'HH:mm'.");
        }

        Positive(options.Connections, $"{root}:Connections", errors);
        Positive(options.ChunkRows, $"{root}:ChunkRows", errors);
        Positive(options.RowGroupRows, $"{root}:RowGroupRows", errors);
        Positive(options.ConnectTimeoutSeconds, $"{root}:ConnectTimeoutSeconds", errors);
        if (options.MaxLagSeconds < 0)
        {
            errors.Add($"{root}:MaxLagSeconds: must not be negative (got {options.MaxLagSeconds}).");
        }

        if (!Enum.TryParse<Parquet.CompressionMethod>(options.Compression, ignoreCase: true, out var codec)
            || codec is not (Parquet.CompressionMethod.Snappy or Parquet.CompressionMethod.Lz4Raw or Parquet.CompressionMethod.Zstd or Parquet.CompressionMethod.Gzip or Parquet.CompressionMethod.None))
        {
            errors.Add($"{root}:Compression: '{options.Compression}' is not one of Snappy, Lz4Raw, Zstd, Gzip, None.");
        }

        if (string.IsNullOrWhiteSpace(options.Prefix) || options.Prefix.Contains('/', StringComparison.Ordinal))
        {
            errors.Add($"{root}:Prefix: must be one path segment without '/' (got '{options.Prefix}').");
        }

        foreach (var (clusterName, cluster) in options.Clusters)
        {
            var key = $"{root}:Clusters:{clusterName}";
            if (string.IsNullOrWhiteSpace(clusterName) || clusterName.Contains('/', StringComparison.Ordinal))
            {
                errors.Add($"{key}: a cluster name must be non-empty and contain no '/'.");
            }

            var credentials = cluster.Credentials;
            if (credentials.Password is not null)
            {
                errors.Add($"{key}:Credentials:Password: inline passwords are not allowed; use PasswordEnv or PasswordFile.");
            }

            if (string.IsNullOrWhiteSpace(credentials.User) && string.IsNullOrWhiteSpace(credentials.UserEnv))
            {
                errors.Add($"{key}:Credentials: set User or UserEnv.");
            }

            if (string.IsNullOrWhiteSpace(credentials.PasswordEnv) == string.IsNullOrWhiteSpace(credentials.PasswordFile))
            {
                errors.Add($"{key}:Credentials: set exactly one of PasswordEnv or PasswordFile.");
            }

            if (cluster.Shards.Count == 0)
            {
                errors.Add($"{key}:Shards: at least one shard is required.");
            }

            var seen = new HashSet<int>();
            for (var i = 0; i < cluster.Shards.Count; i++)
            {
                var shard = cluster.Shards[i];
                var shardKey = $"{key}:Shards:{i}";
                if (shard.Id < 0 || !seen.Add(shard.Id))
                {
                    errors.Add($"{shardKey}:Id: shard ids must be non-negative and unique (got {shard.Id}).");
                }

                if (shard.Hosts.Count == 0)
                {
                    errors.Add($"{shardKey}:Hosts: at least one host is required.");
                }

                for (var h = 0; h < shard.Hosts.Count; h++)
                {
                    var host = shard.Hosts[h];
                    if (host.StartsWith("env:", StringComparison.Ordinal) ? host.Length == 4 : !MySqlEndpoint.TryParse(host, out _))
                    {
                        errors.Add($"{shardKey}:Hosts:{h}: '{host}' is neither 'host:port' nor 'env:NAME'.");
                    }
                }
            }
        }

        return errors;
    }

    /// <summary>
    /// What the options refer to that this process does not have: environment variables named by <c>UserEnv</c>,
    /// <c>PasswordEnv</c> and <c>env:NAME</c> hosts that are not set, a <c>PasswordFile</c> that does not exist. Each
    /// names its key; checked at start-up, so a snapshot does not fail on it hours later.
    /// </summary>
    public static List<string> EnvironmentErrors(TrackerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        foreach (var (clusterName, cluster) in options.Clusters)
        {
            var key = $"{TrackerOptions.SectionName}:Clusters:{clusterName}";
            var credentials = cluster.Credentials;
            foreach (var (setting, variable) in new[] { ("UserEnv", credentials.UserEnv), ("PasswordEnv", credentials.PasswordEnv) })
            {
                if (!string.IsNullOrWhiteSpace(variable) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
                {
                    errors.Add($"{key}:Credentials:{setting}: environment variable '{variable}' is not set.");
                }
            }

            if (!string.IsNullOrWhiteSpace(credentials.PasswordFile) && !File.Exists(credentials.PasswordFile))
            {
                errors.Add($"{key}:Credentials:PasswordFile: file '{credentials.PasswordFile}' does not exist.");
            }

            for (var i = 0; i < cluster.Shards.Count; i++)
            {
                for (var h = 0; h < cluster.Shards[i].Hosts.Count; h++)
                {
                    var host = cluster.Shards[i].Hosts[h];
                    if (host.StartsWith("env:", StringComparison.Ordinal) && host.Length > 4 && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(host[4..])))
                    {
                        errors.Add($"{key}:Shards:{i}:Hosts:{h}: environment variable '{host[4..]}' is not set.");
                    }
                }
            }
        }

        return errors;
    }

    private static void Positive(int value, string key, List<string> errors)
    {
        if (value <= 0)
        {
            errors.Add($"{key}: must be positive (got {value}).");
        }
    }
}
