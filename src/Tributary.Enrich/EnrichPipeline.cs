using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using Tributary.Enrich.Filter;
using Tributary.Enrich.Geo;
using Tributary.Enrich.Json;

namespace Tributary.Enrich;

/// <summary>
/// The filter-and-enrich stage: parses an event (one JSON object), drops it when a filter rule matches, otherwise
/// runs the configured enrichers in order and returns the event's fields with their outputs. Built once by
/// <see cref="CreateAsync(EnrichOptions, TimeProvider, ILoggerFactory?, CancellationToken)"/>; <see cref="Process"/>
/// is thread-safe and allocates only the kept event's result.
/// </summary>
public sealed partial class EnrichPipeline : IAsyncDisposable
{
    private const int MaxInternedNames = 4096;
    private static readonly ConcurrentDictionary<string, Lazy<GeoIpDatabase>> GeoDatabases = new(StringComparer.Ordinal);
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;

    [ThreadStatic]
    private static object?[]? t_outputs;

    private readonly EventFilter _filter;
    private readonly IEventEnricher[] _enrichers;
    private readonly EnrichMetrics _metrics;
    private readonly long[] _filteredCounts;
    private readonly KeyValuePair<string, object?>[] _reasonTags;
    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _namesBySpan;
    private readonly int _outputWidth;
    private long _kept;
    private long _malformed;

    private EnrichPipeline(EventFilter filter, IEventEnricher[] enrichers, EnrichMetrics metrics)
    {
        _filter = filter;
        _enrichers = enrichers;
        _metrics = metrics;
        _filteredCounts = new long[filter.RuleNames.Count];
        _reasonTags = [.. filter.RuleNames.Select(n => new KeyValuePair<string, object?>("reason", n))];
        _namesBySpan = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        OutputColumns = [.. enrichers.SelectMany(e => e.Columns)];
        _outputWidth = OutputColumns.Count;
    }

    /// <summary>The columns the enrichers add, in order: name and SQL type (e.g. <c>geo_country VARCHAR(7)</c>).</summary>
    public IReadOnlyList<EnrichColumn> OutputColumns { get; }

    /// <summary>The filter's rule names, in evaluation order.</summary>
    public IReadOnlyList<string> FilterRules => _filter.RuleNames;

    /// <summary>The pin-category caches of the pinCategory enrichers, in order (for refresh control and inspection).</summary>
    public IReadOnlyList<PinCategoryCache> PinCategoryCaches => [.. _enrichers.OfType<PinCategoryEnricher>().Select(e => e.Cache)];

    /// <summary>The counters since start: kept, malformed, filtered per rule, pins missing from the table, unknown geo.</summary>
    public EnrichStats Stats
    {
        get
        {
            var filtered = new Dictionary<string, long>(StringComparer.Ordinal);
            for (var i = 0; i < _filteredCounts.Length; i++)
            {
                filtered[_filter.RuleNames[i]] = Volatile.Read(ref _filteredCounts[i]);
            }

            return new EnrichStats(
                Volatile.Read(ref _kept),
                Volatile.Read(ref _malformed),
                filtered,
                _enrichers.OfType<PinCategoryEnricher>().Sum(e => e.MissingCount),
                _enrichers.OfType<GeoEnricher>().Sum(e => e.UnknownCount));
        }
    }

    /// <summary>
    /// Validates <paramref name="options"/>, compiles the filter, loads the geo database, does the first pin-category
    /// load and starts its incremental refresh on <paramref name="time"/>'s timer.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid (every message names its key).</exception>
    /// <exception cref="EnrichStartupException">A database is unreachable, a table or column is missing, or the geo data is absent (names the key).</exception>
    public static Task<EnrichPipeline> CreateAsync(EnrichOptions options, TimeProvider time, ILoggerFactory? logs, CancellationToken ct)
        => CreateAsync(options, time, logs, meters: null, ct);

    /// <summary>As <see cref="CreateAsync(EnrichOptions, TimeProvider, ILoggerFactory?, CancellationToken)"/>, with the
    /// meter created by <paramref name="meters"/> (the host's <see cref="IMeterFactory"/>).</summary>
    public static async Task<EnrichPipeline> CreateAsync(EnrichOptions options, TimeProvider time, ILoggerFactory? logs, IMeterFactory? meters, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(time);
        EnrichOptionsValidator.ThrowIfInvalid(options);
        logs ??= NullLoggerFactory.Instance;
        var log = logs.CreateLogger<EnrichPipeline>();
        var filter = EventFilter.Compile(options.Filter.Rules);
        var metrics = new EnrichMetrics(meters);
        var enrichers = new List<IEventEnricher>();
        try
        {
            for (var i = 0; i < options.Enrichers.Count; i++)
            {
                enrichers.Add(await CreateEnricherAsync(options.Enrichers[i], $"{EnrichOptions.SectionName}:Enrichers:{i}", time, logs, metrics, ct).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (var e in enrichers)
            {
                await e.DisposeAsync().ConfigureAwait(false);
            }

            metrics.Dispose();
            throw;
        }

        var pipeline = new EnrichPipeline(filter, [.. enrichers], metrics);
        LogStarted(log, filter.RuleNames.Count, string.Join(", ", pipeline.OutputColumns.Select(c => $"{c.Name} {c.SqlType}")));
        return pipeline;
    }

    /// <summary>Filters and enriches one event (UTF-8 JSON). Thread-safe; never throws on bad input.</summary>
    public EnrichOutcome Process(ReadOnlySpan<byte> eventJson)
    {
        if (!EventView.TryParse(eventJson, out var view, out var error))
        {
            Interlocked.Increment(ref _malformed);
            _metrics.Malformed.Add(1);
            return new EnrichOutcome(EnrichOutcomeKind.Malformed, error, null);
        }

        var rule = _filter.FirstMatch(view);
        if (rule >= 0)
        {
            Interlocked.Increment(ref _filteredCounts[rule]);
            _metrics.Filtered.Add(1, _reasonTags[rule]);
            return new EnrichOutcome(EnrichOutcomeKind.Filtered, _filter.RuleNames[rule], null);
        }

        var outputs = t_outputs is { } o && o.Length >= _outputWidth ? o : t_outputs = new object?[Math.Max(_outputWidth, 8)];
        var at = 0;
        foreach (var enricher in _enrichers)
        {
            var width = enricher.Columns.Count;
            enricher.Enrich(view, outputs.AsSpan(at, width));
            at += width;
        }

        var fields = new Dictionary<string, object?>(view.Count + _outputWidth, StringComparer.Ordinal);
        for (var i = 0; i < view.Count; i++)
        {
            fields[FieldName(view, i)] = FieldValue(view.Value(i));
        }

        for (var i = 0; i < _outputWidth; i++)
        {
            fields[OutputColumns[i].Name] = outputs[i];
            outputs[i] = null;
        }

        Interlocked.Increment(ref _kept);
        _metrics.Kept.Add(1);
        return new EnrichOutcome(EnrichOutcomeKind.Kept, null, fields);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var e in _enrichers)
        {
            await e.DisposeAsync().ConfigureAwait(false);
        }

        _metrics.Dispose();
    }

    /// <summary>
    /// The lookup keys of <paramref name="events"/> for the geo and pinCategory enrichers (IP text, pin id), extracted
    /// once, as <see cref="EnrichBench"/> times the lookups alone: one entry per enricher and event that has a key.
    /// </summary>
    internal (List<(GeoIpDatabase Database, byte[] Ip)> Geo, List<(PinCategoryCache Cache, long Pin)> Pins) LookupKeys(IReadOnlyList<byte[]> events)
    {
        var geo = new List<(GeoIpDatabase, byte[])>();
        var pins = new List<(PinCategoryCache, long)>();
        foreach (var json in events)
        {
            if (!EventView.TryParse(json, out var view, out _))
            {
                continue;
            }

            foreach (var enricher in _enrichers)
            {
                switch (enricher)
                {
                    case GeoEnricher g when g.Key(view) is { } ip:
                        geo.Add((g.Database, ip));
                        break;
                    case PinCategoryEnricher p when p.Key(view) is { } pin:
                        pins.Add((p.Cache, pin));
                        break;
                }
            }
        }

        return (geo, pins);
    }

    private static async Task<IEventEnricher> CreateEnricherAsync(EnricherOptions e, string key, TimeProvider time, ILoggerFactory logs, EnrichMetrics metrics, CancellationToken ct)
    {
        var kind = e.Kind!.Trim().ToLowerInvariant();
        var field = e.Field ?? EnrichDefaults.Field(kind)!;
        var column = e.Column ?? EnrichDefaults.Column(kind)!;
        switch (kind)
        {
            case "geo":
                return new GeoEnricher(LoadGeo(e.DatabasePath, $"{key}:DatabasePath"), field, column);
            case "pincategory":
                var source = new PinCategorySource(WithPassword(e, key), e.Table, e.KeyColumn, e.CategoryColumn, e.UpdatedAtColumn);
                var cache = await PinCategoryCache.StartAsync(source, e.RefreshInterval, e.RefreshOverlap, time, logs.CreateLogger<PinCategoryCache>(), key, ct).ConfigureAwait(false);
                return new PinCategoryEnricher(cache, field, column, () => metrics.PinCategoryMissing.Add(1));
            case "map":
                return new StaticMapEnricher(field, column, e.Map, e.Default ?? PinCategoryEnricher.Unknown);
            default:
                return new BotFlagEnricher(field, column, e.Pattern);
        }
    }

    private static string WithPassword(EnricherOptions e, string key)
    {
        if (string.IsNullOrWhiteSpace(e.PasswordEnv))
        {
            return e.ConnectionString!;
        }

        var password = Environment.GetEnvironmentVariable(e.PasswordEnv)
            ?? throw new EnrichStartupException($"{key}:PasswordEnv", $"environment variable '{e.PasswordEnv}' is not set.");
        return new MySqlConnectionStringBuilder(e.ConnectionString!) { Password = password }.ConnectionString;
    }

    /// <summary>The geo database at <paramref name="configured"/> (or the installed one), loaded once per process and folder.</summary>
    internal static GeoIpDatabase LoadGeo(string? configured, string key)
    {
        var folder = GeoIpDatabase.Locate(configured)
            ?? throw new EnrichStartupException(key, string.IsNullOrWhiteSpace(configured)
                ? $"no geo database found: {GeoIpDatabase.InstalledFolder} is installed by ./build.sh deps; or set this key to a folder holding {GeoIpDatabase.IPv4File}."
                : $"'{configured}' does not exist.");
        var lazy = GeoDatabases.GetOrAdd(folder, f => new Lazy<GeoIpDatabase>(() => GeoIpDatabase.Load(f), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch (Exception x) when (x is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            GeoDatabases.TryRemove(folder, out _);
            throw new EnrichStartupException(key, $"cannot read the geo database in '{folder}': {x.Message}", x);
        }
    }

    private string FieldName(in EventView view, int index)
    {
        var utf8 = view.Name(index, out var text);
        if (text is not null)
        {
            return text;
        }

        Span<char> buffer = stackalloc char[128];
        if (utf8.Length > buffer.Length)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var chars = buffer[..Encoding.UTF8.GetChars(utf8, buffer)];
        if (_namesBySpan.TryGetValue(chars, out var name))
        {
            return name;
        }

        name = chars.ToString();
        // Bounded: a stream of ever-new field names must not grow the intern table without end.
        if (_names.Count < MaxInternedNames)
        {
            _names.TryAdd(name, name);
        }

        return name;
    }

    private static object? FieldValue(Json.FieldValue v) => v.Kind switch
    {
        JsonTokenType.String => v.Unescaped ?? Encoding.UTF8.GetString(v.Raw),
        JsonTokenType.Number when Utf8Parser.TryParse(v.Raw, out long l, out var used) && used == v.Raw.Length => l,
        JsonTokenType.Number when Utf8Parser.TryParse(v.Raw, out double d, out var used) && used == v.Raw.Length => d,
        JsonTokenType.Number => Encoding.UTF8.GetString(v.Raw),
        JsonTokenType.True => BoxedTrue,
        JsonTokenType.False => BoxedFalse,
        JsonTokenType.StartObject or JsonTokenType.StartArray => Encoding.UTF8.GetString(v.Raw),
        _ => null,
    };

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Enrich pipeline started: {Rules} filter rules; output columns {Columns}")]
    private static partial void LogStarted(ILogger logger, int rules, string columns);
}
