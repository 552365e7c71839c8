using System.Text;
using Tributary.Agent.Options;
using Tributary.Agent.Readers;

namespace Tributary.Agent.Tests;

public sealed class TextLineFramerTests
{
    [Fact]
    public void Frame_CompleteLines_EmitsEachWithItsOffsetAndKeepsThePartialLine()
    {
        var framer = new TextLineFramer(100, OverlongLinePolicy.Split);
        var sink = new FramerSink();
        var data = Encoding.UTF8.GetBytes("one\r\ntwo\n\nthr");
        var consumed = framer.Frame(data, 1000, final: false, sink);
        Assert.Equal([("one", 1000L), ("two", 1005L)], sink.Records);
        Assert.Equal(10, consumed);
    }

    [Fact]
    public void Frame_FinalWithoutNewline_EmitsTheLastLine()
    {
        var framer = new TextLineFramer(100, OverlongLinePolicy.Split);
        var sink = new FramerSink();
        var consumed = framer.Frame("tail"u8, 0, final: true, sink);
        Assert.Equal(4, consumed);
        Assert.Equal([("tail", 0L)], sink.Records);
    }

    [Fact]
    public void Frame_OverlongLineSplitPolicy_SplitsOnCharacterBoundaries()
    {
        var framer = new TextLineFramer(5, OverlongLinePolicy.Split);
        var sink = new FramerSink();
        var line = "abcdéfghij";
        var data = Encoding.UTF8.GetBytes(line + "\nok\n");
        var consumed = framer.Frame(data, 0, final: false, sink);
        Assert.Equal(data.Length, consumed);
        Assert.Equal(line, string.Concat(sink.Records.Take(sink.Records.Count - 1).Select(r => r.Text)));
        Assert.All(sink.Records, r => Assert.True(Encoding.UTF8.GetByteCount(r.Text) <= 5));
        Assert.Equal("ok", sink.Records[^1].Text);
        Assert.Empty(sink.Quarantined);
    }

    [Fact]
    public void Frame_OverlongLineQuarantinePolicy_QuarantinesWholeLineAndCarriesOn()
    {
        var framer = new TextLineFramer(5, OverlongLinePolicy.Quarantine);
        var sink = new FramerSink();
        var data = Encoding.UTF8.GetBytes("short\nmuch-too-long\nnext\n");
        var consumed = framer.Frame(data, 0, final: false, sink);
        Assert.Equal(data.Length, consumed);
        Assert.Equal(["short", "next"], sink.Records.Select(r => r.Text));
        var (bytes, offset, reason) = Assert.Single(sink.Quarantined);
        Assert.Equal("much-too-long\n", Encoding.UTF8.GetString(bytes));
        Assert.Equal(6, offset);
        Assert.Contains("maxLineLength 5", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Frame_OverlongLineArrivingInPieces_QuarantinesUntilItsNewline()
    {
        var framer = new TextLineFramer(4, OverlongLinePolicy.Quarantine);
        var sink = new FramerSink();
        var first = framer.Frame("abcdefg"u8, 0, final: false, sink);
        var second = framer.Frame("hij\nok\n"u8, first, final: false, sink);
        Assert.Equal(7, first);
        Assert.Equal(7, second);
        Assert.Equal(["ok"], sink.Records.Select(r => r.Text));
        Assert.Equal("abcdefghij\n", string.Concat(sink.Quarantined.Select(q => Encoding.UTF8.GetString(q.Bytes))));
    }

    [Fact]
    public void Frame_InvalidUtf8_QuarantinesTheLine()
    {
        var framer = new TextLineFramer(100, OverlongLinePolicy.Split);
        var sink = new FramerSink();
        byte[] data = [(byte)'a', 0xff, 0xfe, (byte)'\n', (byte)'b', (byte)'\n'];
        framer.Frame(data, 10, final: false, sink);
        Assert.Equal([("b", 14L)], sink.Records);
        var q = Assert.Single(sink.Quarantined);
        Assert.Equal(10, q.Offset);
        Assert.Equal("invalid UTF-8", q.Reason);
    }

    [Fact]
    public void Frame_SinkFull_StopsAtTheBatchBoundary()
    {
        var framer = new TextLineFramer(100, OverlongLinePolicy.Split);
        var sink = new FramerSink(capacity: 2);
        var consumed = framer.Frame("a\nb\nc\n"u8, 0, final: false, sink);
        Assert.Equal(4, consumed);
        Assert.Equal(2, sink.Records.Count);
    }
}
