using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tributary.Agent.Files;
using Tributary.Agent.Producing;

namespace Tributary.Agent;

/// <summary>What every stream of an agent shares.</summary>
internal sealed class AgentContext(
    string host,
    string? zone,
    string dataDirectory,
    IReadOnlyDictionary<string, string> kafka,
    WatermarkStore watermarks,
    ProducerPool producers,
    ILoggerFactory loggerFactory,
    Action<byte[]>? audit,
    Action<BatchAcknowledgement>? acknowledged = null)
{
    public void OnAcknowledged(BatchAcknowledgement batch) => acknowledged?.Invoke(batch);

    public string Host { get; } = host;

    public string? Zone { get; } = zone;

    public string DataDirectory { get; } = dataDirectory;

    public IReadOnlyDictionary<string, string> Kafka { get; } = kafka;

    public WatermarkStore Watermarks { get; } = watermarks;

    public ProducerPool Producers { get; } = producers;

    public ILoggerFactory LoggerFactory { get; } = loggerFactory;

    public void PublishAudit(string stream, FileCursor cursor, string topic, long first, long last, long end, int count, long bytes, uint crc)
    {
        if (audit is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("host", Host);
            json.WriteString("stream", stream);
            json.WriteString("topic", topic);
            json.WriteString("file", cursor.Path);
            json.WriteNumber("device", cursor.ReportedId.Device);
            json.WriteNumber("inode", cursor.ReportedId.Inode);
            json.WriteNumber("firstOffset", first);
            json.WriteNumber("lastOffset", last);
            json.WriteNumber("endOffset", end);
            json.WriteNumber("count", count);
            json.WriteNumber("bytes", bytes);
            json.WriteString("crc32c", crc.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("time", DateTimeOffset.UtcNow);
            json.WriteEndObject();
        }

        audit(buffer.ToArray());
    }
}
