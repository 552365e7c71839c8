using System.Diagnostics;
using Confluent.Kafka;
using ErrorCode = Confluent.Kafka.ErrorCode;
using Tributary.Agent.Options;
using Tributary.Agent.Producing;

namespace Tributary.Agent;

// Sending a batch to Kafka: producing on one or two lanes, delivery reports, retries, and the topic's layout.
internal sealed partial class LogStreamWorker
{
    private const int ParallelProduceMin = 2000;
    private static readonly KeyValuePair<string, object?> PhaseRead = new("phase", "read");
    private static readonly KeyValuePair<string, object?> PhaseProduce = new("phase", "produce");
    private static readonly KeyValuePair<string, object?> PhaseAck = new("phase", "ack");
    private static readonly KeyValuePair<string, object?> PhaseWatermark = new("phase", "watermark");

    private ProducerPool.Lease? _lease;
    private TopicPartition?[] _topicPartitions = [];
    private TopicLayout? _layout;
    private long _layoutLoaded;

    /// <summary>One <see cref="TopicPartition"/> per partition, reused by every message.</summary>
    private TopicPartition TopicPartitionOf(int partition)
    {
        if (partition >= _topicPartitions.Length)
        {
            Array.Resize(ref _topicPartitions, partition + 1);
        }

        return _topicPartitions[partition] ??= new TopicPartition(_options.Topic, new Partition(partition));
    }

    private async Task ProduceLaneAsync(IProducer<byte[]?, byte[]> producer, IReadOnlyList<PendingRecord> pending, BatchDelivery delivery, bool perRecord, int lane, int lanes, CancellationToken abort)
    {
        var shared = delivery.Handler;
        foreach (var p in pending)
        {
            if (lanes > 1 && p.Partition % lanes != lane)
            {
                continue;
            }

            var tp = _topicPartitions[p.Partition]!;
            var handler = perRecord ? delivery.HandlerFor(p) : shared;
            while (true)
            {
                try
                {
                    producer.Produce(tp, p.Message, handler);
                    break;
                }
                catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    await Task.Delay(1, abort).ConfigureAwait(false);
                }
                catch (ProduceException<byte[]?, byte[]> ex) when (BatchDelivery.IsPermanent(ex.Error.Code))
                {
                    delivery.Complete(new DeliveryReport<byte[]?, byte[]> { Error = ex.Error, Message = p.Message, TopicPartitionOffset = new TopicPartitionOffset(tp, Offset.Unset) }, p);
                    break;
                }
            }
        }
    }

    private async Task SendAsync(CancellationToken abort)
    {
        var producer = _lease!.Producer;
        var pending = (IReadOnlyList<PendingRecord>)_batch;
        var backoff = 100;
        // Fast path: one handler for the whole batch, delivery reports without fields (no copies back).
        // After any failure the batch is sent again with one handler per record, which tells which failed.
        var perRecord = false;
        while (pending.Count > 0)
        {
            var producing = Stopwatch.GetTimestamp();
            var delivery = new BatchDelivery(pending.Count);
            foreach (var p in pending)
            {
                // Filled before the lanes run: the cache is not thread-safe.
                TopicPartitionOf(p.Partition);
            }

            var batch = pending;
            var retry = perRecord;
            if (pending.Count >= ParallelProduceMin && Environment.ProcessorCount > 1)
            {
                // Produce is most of a batch's time (librdkafka calls per record): two lanes, each owning whole
                // partitions, so every partition still receives its records in file order.
                await Task.WhenAll(
                    Task.Run(() => ProduceLaneAsync(producer, batch, delivery, retry, 0, 2, abort), abort),
                    Task.Run(() => ProduceLaneAsync(producer, batch, delivery, retry, 1, 2, abort), abort)).ConfigureAwait(false);
            }
            else
            {
                await ProduceLaneAsync(producer, batch, delivery, retry, 0, 1, abort).ConfigureAwait(false);
            }

            var acknowledging = Stopwatch.GetTimestamp();
            AgentMetrics.BatchPhase.Record(Stopwatch.GetElapsedTime(producing, acknowledging).TotalMilliseconds, _streamTag, PhaseProduce);
            await delivery.Task.WaitAsync(abort).ConfigureAwait(false);
            AgentMetrics.BatchPhase.Record(Stopwatch.GetElapsedTime(acknowledging).TotalMilliseconds, _streamTag, PhaseAck);
            foreach (var (p, error) in delivery.Rejected)
            {
                _quarantine.Write(_cursor!.Path, _cursor.ReportedId.ToString(), p.Offset, p.Message.Value, $"rejected by Kafka: {error.Code} {error.Reason}");
                AgentMetrics.Quarantined.Add(1, _streamTag);
                AgentLog.Rejected(_logger, _name, p.Message.Value.Length, p.Offset, error.Reason);
            }

            if (delivery.FailedCount == 0)
            {
                return;
            }

            var firstError = delivery.FirstError!;
            AgentMetrics.Errors.Add(delivery.FailedCount, _streamTag, new KeyValuePair<string, object?>("kind", "delivery"));
            AgentLog.DeliveryFailed(_logger, _name, delivery.FailedCount, _options.Topic!, firstError.Code, firstError.Reason);
            // Without per-record reports the failed records are unknown: send the whole batch again.
            pending = perRecord ? delivery.Failed : pending;
            perRecord = true;
            await Task.Delay(backoff, abort).ConfigureAwait(false);
            backoff = Math.Min(backoff * 2, 5000);
            await RefreshLayoutAsync(force: true, abort).ConfigureAwait(false);
        }
    }

    private async Task RefreshLayoutAsync(bool force, CancellationToken cancellationToken)
    {
        if (!force && _layout is not null && Stopwatch.GetElapsedTime(_layoutLoaded).TotalSeconds < _options.Partitioner.MetadataRefreshSeconds)
        {
            return;
        }

        var layout = await TopicLayoutSource.LoadAsync(_lease!, _options.Topic!, _options.Partitioner.Type == PartitionerKind.Locality, cancellationToken).ConfigureAwait(false);
        _partitioner.Check(layout);
        _partitioner.Update(layout);
        _layout = layout;
        _layoutLoaded = Stopwatch.GetTimestamp();
    }
}
