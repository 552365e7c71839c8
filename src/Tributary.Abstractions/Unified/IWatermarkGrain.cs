namespace Tributary.Watermarks;

/// <summary>
/// Watermark alignment of one job's unified-source readers (Flink's watermark alignment). Key: the job name. Keeps every
/// reader's last reported event-time watermark and answers the global minimum; a reader more than its allowed drift ahead
/// of that minimum pauses until it catches up, so history and live readers of one job stay in step.
/// </summary>
/// <remarks>
/// Cheap under frequent reports: a report changes memory only; the state is written on a timer and when the activation
/// goes, never per report. After its silo moved, the new activation starts from the last written state and the readers'
/// next reports bring it up to date (a watermark read back can only be older, so the minimum errs on the low side).
/// A reader that stopped reporting for the configured timeout no longer holds the minimum back.
/// </remarks>
[Alias("tributary.IWatermarkGrain")]
public interface IWatermarkGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records reader <paramref name="readerId"/>'s watermark (Unix ms; null: the reader is idle and excluded; <see cref="long.MinValue"/>:
    /// it has no event time yet and holds the minimum back) and returns the minimum over the job's readers that are not idle,
    /// or null when there is none.
    /// </summary>
    [Alias("Report")]
    ValueTask<long?> ReportAsync(string readerId, long? watermarkMs);

    /// <summary>Removes reader <paramref name="readerId"/> (it ended); written at once, so a reader that left never comes back.</summary>
    [Alias("Leave")]
    ValueTask LeaveAsync(string readerId);

    /// <summary>The job's readers, their watermarks and the global minimum, with this activation's report and write counts.</summary>
    [Alias("Get"), Orleans.Concurrency.ReadOnly]
    ValueTask<JobWatermarks> GetAsync();
}

/// <summary>What a job's watermark grain knows.</summary>
[GenerateSerializer, Immutable, Alias("tributary.JobWatermarks")]
public sealed record JobWatermarks
{
    /// <summary>The job (the grain's key).</summary>
    [Id(0)] public required string Job { get; init; }

    /// <summary>Minimum watermark over the readers that are not idle, Unix ms; null when there is none.</summary>
    [Id(1)] public long? GlobalMinimumMs { get; init; }

    /// <summary>Every reader that has not left or expired, by id.</summary>
    [Id(2)] public ReaderWatermark[] Readers { get; init; } = [];

    /// <summary>Reports this activation received.</summary>
    [Id(3)] public long Reports { get; init; }

    /// <summary>State writes this activation made (coalesced: far fewer than reports).</summary>
    [Id(4)] public long Writes { get; init; }

    /// <summary>Silo hosting the activation.</summary>
    [Id(5)] public string? Silo { get; init; }
}

/// <summary>One reader's last report.</summary>
/// <param name="ReaderId">The reader.</param>
/// <param name="WatermarkMs">Its watermark, Unix ms; null when idle.</param>
/// <param name="ReportedAt">When it reported (the grain's clock).</param>
[GenerateSerializer, Immutable, Alias("tributary.ReaderWatermark")]
public sealed record ReaderWatermark([property: Id(0)] string ReaderId, [property: Id(1)] long? WatermarkMs, [property: Id(2)] DateTimeOffset ReportedAt);
