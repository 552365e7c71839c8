using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;

namespace Tributary.Agent.Producing;

/// <summary>Counts a batch's delivery reports; one handler for the whole batch.</summary>
internal sealed class BatchDelivery
{
    private static readonly HashSet<ErrorCode> Permanent = [ErrorCode.MsgSizeTooLarge, ErrorCode.InvalidMsg, ErrorCode.InvalidRecord, ErrorCode.RecordListTooLarge];
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private int _remaining;
    private int _failed;

    public BatchDelivery(int count)
    {
        _remaining = count;
        Handler = r => Complete(r, null);
    }

    /// <summary>Errors that sending again cannot fix: the record is quarantined instead.</summary>
    public static bool IsPermanent(ErrorCode code) => Permanent.Contains(code);

    public int FailedCount => Volatile.Read(ref _failed);

    public Action<DeliveryReport<byte[]?, byte[]>> Handler { get; }

    /// <summary>A handler that knows its record (the per-record path after a failure).</summary>
    public Action<DeliveryReport<byte[]?, byte[]>> HandlerFor(PendingRecord pending) => r => Complete(r, pending);

    public Task Task => _done.Task;

    public List<PendingRecord> Failed { get; } = [];

    public List<(PendingRecord Pending, Error Error)> Rejected { get; } = [];

    public Error? FirstError { get; private set; }

    /// <summary>A delivery report; <paramref name="pending"/> is known only on the per-record path.</summary>
    public void Complete(DeliveryReport<byte[]?, byte[]> report, PendingRecord? pending)
    {
        if (report.Error.IsError)
        {
            lock (_lock)
            {
                if (pending is not null && IsPermanent(report.Error.Code))
                {
                    Rejected.Add((pending, report.Error));
                }
                else
                {
                    FirstError ??= report.Error;
                    _failed++;
                    if (pending is not null)
                    {
                        Failed.Add(pending);
                    }
                }
            }
        }

        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }
}
