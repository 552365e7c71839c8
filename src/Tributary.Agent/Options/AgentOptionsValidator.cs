using System.Globalization;
using Microsoft.Extensions.Options;

namespace Tributary.Agent.Options;

/// <summary>Validates the main configuration; every failure names the key (JSON path) that is wrong.</summary>
public sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("dataDirectory: required (watermarks and quarantine files are kept there)");
        }

        if (!options.Kafka.TryGetValue("bootstrap.servers", out var servers) || string.IsNullOrWhiteSpace(servers))
        {
            errors.Add("kafka.bootstrap.servers: required");
        }

        if (options.ConfPollIntervalMs <= 0)
        {
            errors.Add($"confPollIntervalMs: must be positive (was {options.ConfPollIntervalMs})");
        }

        if (!string.IsNullOrEmpty(options.Heartbeat.Topic) && options.Heartbeat.IntervalSeconds <= 0)
        {
            errors.Add($"heartbeat.intervalSeconds: must be positive (was {options.Heartbeat.IntervalSeconds.ToString(CultureInfo.InvariantCulture)})");
        }

        if (options.Kubernetes.Enabled)
        {
            if (string.IsNullOrWhiteSpace(options.Kubernetes.Root))
            {
                errors.Add("kubernetes.root: required when kubernetes.enabled is true");
            }

            errors.AddRange(LogStreamOptionsValidator.Validate(options.Kubernetes.Stream, "kubernetes.stream.", template: true));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Streams.Count; i++)
        {
            var prefix = $"streams[{i}].";
            errors.AddRange(LogStreamOptionsValidator.Validate(options.Streams[i], prefix, template: false));
            if (options.Streams[i].Name is { } streamName && !names.Add(streamName))
            {
                errors.Add($"{prefix}name: '{streamName}' is used by another stream");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Validates one log stream; messages start with the key prefix given (a JSON path or a conf.d file name).</summary>
public static class LogStreamOptionsValidator
{
    /// <summary>The problems of <paramref name="stream"/>, each naming its key.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="prefix">Prefix of every key (<c>streams[2].</c>, <c>conf.d/app.json: </c>).</param>
    /// <param name="template">A Kubernetes template: directory and pattern are filled in by discovery.</param>
    public static IEnumerable<string> Validate(LogStreamOptions stream, string prefix, bool template)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!template)
        {
            if (string.IsNullOrWhiteSpace(stream.Name))
            {
                yield return $"{prefix}name: required";
            }
            else if (stream.Name.Contains("..", StringComparison.Ordinal) || stream.Name.IndexOfAny(['\0', '\\']) >= 0)
            {
                yield return $"{prefix}name: '{stream.Name}' may not contain '..', '\\' or NUL";
            }

            if (string.IsNullOrWhiteSpace(stream.Directory))
            {
                yield return $"{prefix}directory: required";
            }

            if (string.IsNullOrWhiteSpace(stream.Pattern))
            {
                yield return $"{prefix}pattern: required";
            }
            else if (stream.Pattern.Contains('/', StringComparison.Ordinal))
            {
                yield return $"{prefix}pattern: a file name glob without '/' (was '{stream.Pattern}')";
            }
        }

        if (stream.RotatedPattern is { } rotated && rotated.Contains('/', StringComparison.Ordinal))
        {
            yield return $"{prefix}rotatedPattern: a file name glob without '/' (was '{rotated}')";
        }

        if (string.IsNullOrWhiteSpace(stream.Topic))
        {
            yield return $"{prefix}topic: required";
        }

        if (stream.MaxLineLength <= 0)
        {
            yield return $"{prefix}maxLineLength: must be positive (was {stream.MaxLineLength})";
        }

        if (stream.MaxRecordBytes <= 0)
        {
            yield return $"{prefix}maxRecordBytes: must be positive (was {stream.MaxRecordBytes})";
        }

        if (stream.BatchMaxRecords <= 0)
        {
            yield return $"{prefix}batchMaxRecords: must be positive (was {stream.BatchMaxRecords})";
        }

        if (stream.BatchMaxBytes <= 0)
        {
            yield return $"{prefix}batchMaxBytes: must be positive (was {stream.BatchMaxBytes})";
        }

        if (stream.BatchMaxDelayMs < 0)
        {
            yield return $"{prefix}batchMaxDelayMs: must not be negative (was {stream.BatchMaxDelayMs})";
        }

        if (stream.RotateWaitMs < 0)
        {
            yield return $"{prefix}rotateWaitMs: must not be negative (was {stream.RotateWaitMs})";
        }

        if (stream.PollIntervalMs <= 0)
        {
            yield return $"{prefix}pollIntervalMs: must be positive (was {stream.PollIntervalMs})";
        }

        var p = stream.Partitioner;
        switch (p.Type)
        {
            case PartitionerKind.Murmur2 when string.IsNullOrWhiteSpace(p.KeyField):
                yield return $"{prefix}partitioner.keyField: required by the murmur2 partitioner";
                break;
            case PartitionerKind.Single when p.Partition < 0:
                yield return $"{prefix}partitioner.partition: must not be negative (was {p.Partition})";
                break;
            case PartitionerKind.Fixed when p.Partitions.Count == 0 || p.Partitions.Any(x => x < 0):
                yield return $"{prefix}partitioner.partitions: a non-empty list of partitions >= 0";
                break;
        }

        if (p.MetadataRefreshSeconds <= 0)
        {
            yield return $"{prefix}partitioner.metadataRefreshSeconds: must be positive (was {p.MetadataRefreshSeconds})";
        }
    }
}
