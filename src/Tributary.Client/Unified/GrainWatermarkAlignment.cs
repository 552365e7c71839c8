using Tributary.Unified;
using Tributary.Watermarks;

namespace Tributary.Client.Unified;

/// <summary>
/// <see cref="IWatermarkAlignment"/> over the watermark grain of job <c>job</c> (<see cref="IWatermarkGrain"/>): the readers of
/// one job, in any process, align through it.
/// </summary>
/// <param name="grains">The cluster client (or any grain factory).</param>
/// <param name="job">The job: the grain's key, shared by every reader that should stay in step.</param>
public sealed class GrainWatermarkAlignment(IGrainFactory grains, string job) : IWatermarkAlignment
{
    private readonly IWatermarkGrain _grain = (grains ?? throw new ArgumentNullException(nameof(grains))).GetGrain<IWatermarkGrain>(
        string.IsNullOrWhiteSpace(job) ? throw new ArgumentException("The job of a watermark alignment is required.", nameof(job)) : job);

    /// <summary>The job.</summary>
    public string Job { get; } = job;

    /// <inheritdoc />
    public ValueTask<long?> ReportAsync(string readerId, long? watermarkMs, CancellationToken cancellationToken = default)
        => _grain.ReportAsync(readerId, watermarkMs);

    /// <inheritdoc />
    public ValueTask LeaveAsync(string readerId, CancellationToken cancellationToken = default) => _grain.LeaveAsync(readerId);
}
