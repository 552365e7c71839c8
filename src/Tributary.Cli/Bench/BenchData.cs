using System.Text;
using Tributary.Cli.Generate;
using Tributary.Segments.Ingest;
using Tributary.Segments.Schema;

namespace Tributary.Cli.Bench;

/// <summary>Generated pin-engagement events and their parsed columns, shared by the segment benches and their DuckDB peers.</summary>
internal sealed class BenchData
{
    private BenchData(DatasourceSpec spec, List<GeneratedEvent> events, List<ParsedColumns> parsed)
    {
        Spec = spec;
        Events = events;
        Parsed = parsed;
    }

    public DatasourceSpec Spec { get; }

    public List<GeneratedEvent> Events { get; }

    /// <summary>The events that parse, as plain columns (for DuckDB's appender).</summary>
    public List<ParsedColumns> Parsed { get; }

    public static string SpecPath => Path.Combine(AppContext.BaseDirectory, "silo-config", "datasources", "pin_engagement.json");

    /// <summary><paramref name="count"/> events spread evenly from <paramref name="start"/> over <paramref name="span"/>.</summary>
    public static BenchData Generate(long count, DateTimeOffset start, TimeSpan span, int seed, double lateShare = 0.01, double malformedShare = 0.001)
    {
        var spec = DatasourceSpecLoader.LoadFile(SpecPath);
        var generator = new PinEngagementGenerator(new GeneratorOptions
        {
            Seed = seed,
            Start = start,
            EventsPerSecond = count / span.TotalSeconds,
            LateShare = lateShare,
            MalformedShare = malformedShare,
        });
        var parser = new RowParser(spec);
        var row = new ParsedRow(spec);
        var dims = new[] { "pin_id", "action", "device", "app_version" }.Select(spec.DimensionIndex).ToArray();
        var events = new List<GeneratedEvent>((int)count);
        var parsed = new List<ParsedColumns>((int)count);
        for (long i = 0; i < count; i++)
        {
            var e = generator.Next();
            events.Add(e);
            if (parser.TryParse(e.Value, row, out _))
            {
                using var doc = System.Text.Json.JsonDocument.Parse(e.Value);
                parsed.Add(new ParsedColumns(
                    row.TimestampMs,
                    Encoding.UTF8.GetString(row.DimensionUtf8(dims[0])),
                    Encoding.UTF8.GetString(row.DimensionUtf8(dims[1])),
                    Encoding.UTF8.GetString(row.DimensionUtf8(dims[2])),
                    Encoding.UTF8.GetString(row.DimensionUtf8(dims[3])),
                    doc.RootElement.TryGetProperty("user_id", out var u) ? u.ToString() : null,
                    doc.RootElement.TryGetProperty("ip", out var ip) ? ip.ToString() : null));
            }
        }

        return new BenchData(spec, events, parsed);
    }
}

/// <summary>One parsed event's columns.</summary>
internal sealed record ParsedColumns(long TimestampMs, string PinId, string Action, string Device, string AppVersion, string? UserId, string? Ip);
