using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tributary.Watermarks;

namespace Tributary.Grains.Unified;

/// <summary>State of <see cref="WatermarkGrain"/>: every reader's last report.</summary>
[GenerateSerializer, Alias("tributary.WatermarkState")]
public sealed class WatermarkState
{
    /// <summary>Readers by id.</summary>
    [Id(0)] public Dictionary<string, WatermarkReaderEntry> Readers { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One reader's last report in <see cref="WatermarkState"/>.</summary>
[GenerateSerializer, Alias("tributary.WatermarkReaderEntry")]
public sealed class WatermarkReaderEntry
{
    /// <summary>Watermark, Unix ms; null when the reader is idle.</summary>
    [Id(0)] public long? WatermarkMs { get; set; }

    /// <summary>When the reader last reported.</summary>
    [Id(1)] public DateTimeOffset ReportedAt { get; set; }
}

/// <summary>
/// The watermark alignment of one job (<see cref="IWatermarkGrain"/>, key: the job): reports change memory; the state is
/// written every <see cref="WatermarkGrainOptions.PersistInterval"/> when it changed and when the activation goes, and at once
/// when a reader leaves. Readers silent for <see cref="WatermarkGrainOptions.ReaderTimeout"/> are dropped.
/// </summary>
public sealed class WatermarkGrain(
    [PersistentState("watermarks", "tributary")] IPersistentState<WatermarkState> state,
    IOptions<WatermarkGrainOptions> options,
    TimeProvider time,
    ILocalSiloDetails silo,
    ILogger<WatermarkGrain> logger)
    : Grain, IWatermarkGrain
{
    private readonly WatermarkGrainOptions _options = options.Value;
    private bool _dirty;
    private long _reports;
    private long _writes;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(_options.PersistInterval, _options.PersistInterval) { Interleave = false, KeepAlive = false });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        try
        {
            await PersistAsync();
        }
        catch (Exception ex)
        {
            // the readers' next reports rebuild what the last timed write missed
            WatermarkLog.PersistFailed(logger, this.GetPrimaryKeyString(), ex);
        }
    }

    /// <inheritdoc />
    public ValueTask<long?> ReportAsync(string readerId, long? watermarkMs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(readerId);
        _reports++;
        var readers = state.State.Readers;
        if (!readers.TryGetValue(readerId, out var entry))
        {
            entry = new WatermarkReaderEntry();
            readers[readerId] = entry;
        }

        entry.WatermarkMs = watermarkMs;
        entry.ReportedAt = time.GetUtcNow();
        _dirty = true;
        return ValueTask.FromResult(Minimum());
    }

    /// <inheritdoc />
    public async ValueTask LeaveAsync(string readerId)
    {
        if (state.State.Readers.Remove(readerId))
        {
            _dirty = true;
            await PersistAsync();
        }
    }

    /// <inheritdoc />
    public ValueTask<JobWatermarks> GetAsync() => ValueTask.FromResult(new JobWatermarks
    {
        Job = this.GetPrimaryKeyString(),
        GlobalMinimumMs = Minimum(),
        Readers = [.. Live().OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new ReaderWatermark(r.Key, r.Value.WatermarkMs, r.Value.ReportedAt))],
        Reports = _reports,
        Writes = _writes,
        Silo = silo.SiloAddress.ToString(),
    });

    private long? Minimum() => Live().Select(r => r.Value.WatermarkMs).Aggregate((long?)null, (min, w) => w is { } v && (min is null || v < min) ? v : min);

    private IEnumerable<KeyValuePair<string, WatermarkReaderEntry>> Live()
    {
        var oldest = time.GetUtcNow() - _options.ReaderTimeout;
        return state.State.Readers.Where(r => r.Value.ReportedAt >= oldest);
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var oldest = time.GetUtcNow() - _options.ReaderTimeout;
        foreach (var (id, entry) in state.State.Readers.Where(r => r.Value.ReportedAt < oldest).ToList())
        {
            state.State.Readers.Remove(id);
            _dirty = true;
            WatermarkLog.ReaderExpired(logger, this.GetPrimaryKeyString(), id, entry.ReportedAt);
        }

        try
        {
            await PersistAsync();
        }
        catch (Exception ex)
        {
            WatermarkLog.PersistFailed(logger, this.GetPrimaryKeyString(), ex); // retried at the next tick
        }
    }

    private async Task PersistAsync()
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        try
        {
            await state.WriteStateAsync();
            _writes++;
        }
        catch
        {
            _dirty = true;
            throw;
        }
    }
}

/// <summary>Settings of the watermark grains (section <c>Tributary:Watermarks</c>).</summary>
public sealed class WatermarkGrainOptions
{
    /// <summary>How often a job's watermark grain writes its state when reports changed it. Default 5 s.</summary>
    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A reader that has not reported for this long no longer holds its job's minimum back (it crashed). Default 2 min.</summary>
    public TimeSpan ReaderTimeout { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Validates <see cref="WatermarkGrainOptions"/> bound from <paramref name="section"/>, naming the bad key.</summary>
/// <param name="section">The section's path as users write it, <c>Tributary:Watermarks</c>.</param>
public sealed class WatermarkGrainOptionsValidator(string section) : IValidateOptions<WatermarkGrainOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, WatermarkGrainOptions options)
    {
        var failures = Collect(options, section).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Every problem, each naming its key under <paramref name="section"/>.</summary>
    public static IEnumerable<string> Collect(WatermarkGrainOptions options, string section)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PersistInterval <= TimeSpan.Zero)
        {
            yield return $"{section}:PersistInterval must be positive (was {options.PersistInterval}).";
        }

        if (options.ReaderTimeout <= TimeSpan.Zero)
        {
            yield return $"{section}:ReaderTimeout must be positive (was {options.ReaderTimeout}).";
        }
    }
}

internal static partial class WatermarkLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Watermark grain of job {Job} could not write its state; retried, and the readers' next reports rebuild it")]
    public static partial void PersistFailed(ILogger logger, string job, Exception exception);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Watermark grain of job {Job} dropped reader {Reader}: no report since {ReportedAt}")]
    public static partial void ReaderExpired(ILogger logger, string job, string reader, DateTimeOffset reportedAt);
}
