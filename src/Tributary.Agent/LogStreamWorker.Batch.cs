using System.Buffers.Binary;
using System.Diagnostics;
using Confluent.Kafka;
using Tributary.Agent.Options;
using Tributary.Agent.Producing;
using Tributary.Agent.Readers;

namespace Tributary.Agent;

// The batch being built (the framer's sink) and flushing it: send, wait for the acknowledgements, then the watermark.
internal sealed partial class LogStreamWorker
{
    private readonly List<PendingRecord> _batch = [];
    private long _batchBytes;
    private long _batchStarted;
    private uint _batchCrc = Crc32C.Start;
    private int _batchQuarantined;

    public bool IsFull => _batch.Count >= _options.BatchMaxRecords || _batchBytes >= _options.BatchMaxBytes;

    void IFrameSink.Record(ReadOnlySpan<byte> payload, long offset)
    {
        if (_batch.Count == 0)
        {
            _batchStarted = Stopwatch.GetTimestamp();
        }

        var value = payload.ToArray();
        var crc = Crc32C.Compute(value);
        _batchCrc = Crc32C.Append(_batchCrc, value);
        var headers = new Headers();
        var crcBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        headers.Add(CrcHeader, crcBytes);
        foreach (var (key, v) in _headers)
        {
            headers.Add(key, v);
        }

        var partition = _partitioner.Partition(value, _layout!, out var messageKey);
        _batch.Add(new PendingRecord(new Message<byte[]?, byte[]> { Key = messageKey, Value = value, Headers = headers }, partition, offset));
        _batchBytes += value.Length;
    }

    void IFrameSink.Quarantine(ReadOnlySpan<byte> bytes, long offset, string reason)
    {
        var cursor = _cursor!;
        _quarantine.Write(cursor.Path, cursor.ReportedId.ToString(), offset, bytes, reason);
        if (_batch.Count == 0 && _batchQuarantined == 0)
        {
            _batchStarted = Stopwatch.GetTimestamp();
        }

        _batchQuarantined++;
        AgentMetrics.Quarantined.Add(1, _streamTag);
        AgentLog.Quarantined(_logger, _name, bytes.Length, cursor.Path, offset, reason);
    }

    private double BatchAgeMs() => Stopwatch.GetElapsedTime(_batchStarted).TotalMilliseconds;

    // ---- sending and committing

    private async Task FlushAsync()
    {
        var cursor = _cursor;
        if (cursor is null || (_batch.Count == 0 && _batchQuarantined == 0))
        {
            return;
        }

        var abort = _abort.Token;
        if (_batch.Count > 0)
        {
            AgentMetrics.BatchPhase.Record(BatchAgeMs(), _streamTag, PhaseRead);
            await RefreshLayoutAsync(force: false, abort).ConfigureAwait(false);
            await SendAsync(abort).ConfigureAwait(false);
            _context.OnAcknowledged(new BatchAcknowledgement(_name, _batch[0].Offset, Consumed, _batch.Count, _batchBytes, Stopwatch.GetTimestamp()));
        }

        var count = _batch.Count;
        var bytes = _batchBytes;
        var first = count > 0 ? _batch[0].Offset : Consumed;
        var last = count > 0 ? _batch[^1].Offset : Consumed;
        var crc = Crc32C.Finish(_batchCrc);
        if (count > 0)
        {
            AgentMetrics.BatchLatency.Record(BatchAgeMs(), _streamTag);
        }

        var watermarkStarted = Stopwatch.GetTimestamp();
        await CommitAsync(cursor, durable: _options.Watermarks == WatermarkMode.PerBatch).ConfigureAwait(false);
        AgentMetrics.BatchPhase.Record(Stopwatch.GetElapsedTime(watermarkStarted).TotalMilliseconds, _streamTag, PhaseWatermark);
        AgentMetrics.Records.Add(count, _streamTag);
        AgentMetrics.Bytes.Add(bytes, _streamTag);
        if (count > 0)
        {
            _context.PublishAudit(_name, cursor, _options.Topic!, first, last, Consumed, count, bytes, crc);
        }

        _batch.Clear();
        _batchBytes = 0;
        _batchCrc = Crc32C.Start;
        _batchQuarantined = 0;
    }
}
