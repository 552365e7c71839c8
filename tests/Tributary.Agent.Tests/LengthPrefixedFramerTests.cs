using System.Buffers.Binary;
using System.Text;
using Tributary.Agent.Readers;

namespace Tributary.Agent.Tests;

public sealed class LengthPrefixedFramerTests
{
    internal static byte[] Frame(string payload)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        var frame = new byte[4 + bytes.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)bytes.Length);
        bytes.CopyTo(frame, 4);
        return frame;
    }

    [Fact]
    public void Frame_CompleteFrames_EmitsPayloadsAndKeepsAPartialFrame()
    {
        var framer = new LengthPrefixedFramer(1024);
        var sink = new FramerSink();
        var data = Frame("alpha").Concat(Frame("")).Concat(Frame("gamma")[..6]).ToArray();
        var consumed = framer.Frame(data, 100, final: false, sink);
        Assert.Equal(13, consumed);
        Assert.Equal([("alpha", 100L), (string.Empty, 109L)], sink.Records);
        Assert.Empty(sink.Quarantined);
    }

    [Fact]
    public void Frame_LengthAboveMaximum_QuarantinesTheRestOfTheFileWithTheReason()
    {
        var framer = new LengthPrefixedFramer(16);
        var sink = new FramerSink();
        var bad = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(bad, 1_000_000);
        var data = Frame("ok").Concat(bad).ToArray();
        var consumed = framer.Frame(data, 0, final: false, sink);
        Assert.Equal(data.Length, consumed);
        Assert.Equal(["ok"], sink.Records.Select(r => r.Text));
        var q = Assert.Single(sink.Quarantined);
        Assert.Equal(6, q.Offset);
        Assert.Contains("length prefix 1000000 exceeds maxRecordBytes 16", q.Reason, StringComparison.Ordinal);

        // Everything after it in the same file is quarantined, not framed.
        framer.Frame(Frame("later"), data.Length, final: false, sink);
        Assert.Single(sink.Records);
        Assert.Equal(2, sink.Quarantined.Count);

        // A new file frames again.
        framer.Reset();
        framer.Frame(Frame("next-file"), 0, final: false, sink);
        Assert.Equal("next-file", sink.Records[^1].Text);
    }

    [Fact]
    public void Frame_TruncatedFrameAtEndOfFinishedFile_QuarantinesIt()
    {
        var framer = new LengthPrefixedFramer(1024);
        var sink = new FramerSink();
        var data = Frame("whole").Concat(Frame("cut-short")[..7]).ToArray();
        Assert.Equal(9, framer.Frame(data, 0, final: false, sink));
        Assert.Equal(7, framer.Frame(data.AsSpan(9), 9, final: true, sink));
        var q = Assert.Single(sink.Quarantined);
        Assert.Equal(9, q.Offset);
        Assert.StartsWith("truncated frame", q.Reason, StringComparison.Ordinal);
    }
}
