using System.Text;
using Tributary.Segments.Format;

namespace Tributary.Segments.Tests.Format;

public sealed class EventChunkTests
{
    [Fact]
    public void Write_ThenRead_RoundTripsOffsetsAndEvents()
    {
        (long, byte[])[] events = [(5, Encoding.UTF8.GetBytes("{\"a\":1}")), (6, []), (9, Encoding.UTF8.GetBytes("x"))];
        var chunk = EventChunk.Write(events);
        Assert.Equal((3 * EventChunk.RecordHeaderBytes) + 8, chunk.Length);
        var reader = new EventChunk.Reader(chunk);
        var read = new List<(long, string)>();
        while (reader.TryRead(out var offset, out var bytes))
        {
            read.Add((offset, Encoding.UTF8.GetString(bytes)));
        }

        Assert.Equal([(5L, "{\"a\":1}"), (6L, string.Empty), (9L, "x")], read);
    }

    [Fact]
    public void Read_TruncatedHeader_FailsNamingThePosition()
    {
        var chunk = EventChunk.Write([(1, [1, 2, 3])]);
        var error = Assert.Throws<InvalidDataException>(() => ReadAll([.. chunk, 0, 0]));
        Assert.Contains("truncated at byte 15", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_LengthPastTheEnd_FailsNamingTheOffset()
    {
        var chunk = EventChunk.Write([(7, [1, 2, 3])]);
        var error = Assert.Throws<InvalidDataException>(() => ReadAll(chunk[..^1]));
        Assert.Contains("offset 7 claims 3 event bytes, 2 are left", error.Message, StringComparison.Ordinal);
    }

    private static int ReadAll(byte[] chunk)
    {
        var reader = new EventChunk.Reader(chunk);
        var count = 0;
        while (reader.TryRead(out _, out _))
        {
            count++;
        }

        return count;
    }
}
