using System.Text;
using Tributary.Agent.Readers;

namespace Tributary.Agent.Tests;

/// <summary>Collects what a framer produced.</summary>
internal sealed class FramerSink(int capacity = int.MaxValue) : IFrameSink
{
    public List<(string Text, long Offset)> Records { get; } = [];

    public List<(byte[] Bytes, long Offset, string Reason)> Quarantined { get; } = [];

    public bool IsFull => Records.Count >= capacity;

    public void Record(ReadOnlySpan<byte> payload, long offset) => Records.Add((Encoding.UTF8.GetString(payload), offset));

    public void Quarantine(ReadOnlySpan<byte> bytes, long offset, string reason) => Quarantined.Add((bytes.ToArray(), offset, reason));
}
