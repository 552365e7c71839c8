using System.Text.Unicode;
using Tributary.Agent.Options;

namespace Tributary.Agent.Readers;

/// <summary>
/// UTF-8 lines ended by <c>\n</c> (a trailing <c>\r</c> is dropped). Empty lines carry nothing and are
/// skipped; invalid UTF-8 is quarantined; a line longer than the maximum is split into pieces (cut on
/// character boundaries) or quarantined whole, as configured. The last line of a finished file is
/// shipped even without its newline.
/// </summary>
internal sealed class TextLineFramer(int maxLineLength, OverlongLinePolicy policy) : IRecordFramer
{
    // Quarantine mode: inside an over-long line whose start was already quarantined.
    private bool _skipping;

    public int RequiredBuffer => maxLineLength + 2;

    public void Reset() => _skipping = false;

    public int Frame(ReadOnlySpan<byte> data, long offset, bool final, IFrameSink sink)
    {
        var pos = 0;
        while (pos < data.Length && !sink.IsFull)
        {
            var rest = data[pos..];
            var newline = rest.IndexOf((byte)'\n');
            if (_skipping)
            {
                // The rest of a quarantined over-long line, up to and including its newline.
                var end = newline >= 0 ? newline + 1 : rest.Length;
                sink.Quarantine(rest[..end], offset + pos, $"continuation of a line longer than maxLineLength {maxLineLength}");
                pos += end;
                _skipping = newline < 0;
                continue;
            }

            if (newline < 0)
            {
                if (rest.Length > maxLineLength)
                {
                    pos += Overlong(rest, offset + pos, sink);
                    continue;
                }

                if (final)
                {
                    Emit(rest, offset + pos, sink);
                    pos = data.Length;
                }

                break;
            }

            var line = rest[..newline];
            if (line.Length > 0 && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.Length > maxLineLength)
            {
                if (policy == OverlongLinePolicy.Quarantine)
                {
                    sink.Quarantine(rest[..(newline + 1)], offset + pos, $"line of {line.Length} bytes is longer than maxLineLength {maxLineLength}");
                    pos += newline + 1;
                }
                else
                {
                    pos += Overlong(rest[..line.Length], offset + pos, sink);
                }

                continue;
            }

            Emit(line, offset + pos, sink);
            pos += newline + 1;
        }

        return pos;
    }

    /// <summary>An over-long line without (or before) its end: ship or quarantine the first piece.</summary>
    private int Overlong(ReadOnlySpan<byte> rest, long offset, IFrameSink sink)
    {
        if (policy == OverlongLinePolicy.Quarantine)
        {
            sink.Quarantine(rest, offset, $"line longer than maxLineLength {maxLineLength}");
            _skipping = true;
            return rest.Length;
        }

        var cut = Math.Min(maxLineLength, rest.Length);
        // Never cut a multi-byte character: back up over continuation bytes (10xxxxxx).
        while (cut > 0 && cut < rest.Length && (rest[cut] & 0xC0) == 0x80)
        {
            cut--;
        }

        if (cut == 0)
        {
            cut = Math.Min(maxLineLength, rest.Length);
        }

        Emit(rest[..cut], offset, sink);
        return cut;
    }

    private static void Emit(ReadOnlySpan<byte> line, long offset, IFrameSink sink)
    {
        if (line.IsEmpty)
        {
            return;
        }

        if (!Utf8.IsValid(line))
        {
            sink.Quarantine(line, offset, "invalid UTF-8");
            return;
        }

        sink.Record(line, offset);
    }
}
