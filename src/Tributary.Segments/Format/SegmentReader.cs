using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using Tributary.Segments.Schema;

namespace Tributary.Segments.Format;

/// <summary>
/// Reads the sealed format that <see cref="SegmentWriter"/> writes: checks the header, the checksum, the footer and
/// the section table, and parses the metadata. Sections are returned as views over the bytes, not decoded; the
/// sealed dimension and metric readers decode them on first use.
/// </summary>
internal static class SegmentReader
{
    /// <summary>Reads a sealed segment's layout; the bytes must stay unchanged while the views are used.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid sealed segment; the message names the offset or section.</exception>
    public static SegmentContents Read(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < SegmentFormat.HeaderBytes + SegmentFormat.FooterBytes)
        {
            throw new InvalidDataException($"sealed segment truncated: {span.Length} bytes, header and footer alone take {SegmentFormat.HeaderBytes + SegmentFormat.FooterBytes}");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(span);
        if (magic != SegmentFormat.Magic)
        {
            throw new InvalidDataException($"sealed segment: magic at byte 0 is 0x{magic:X8}, not 'TSEG'");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
        if (version != SegmentFormat.Version)
        {
            throw new InvalidDataException($"sealed segment: format version {version} at byte 4 is not supported (expected {SegmentFormat.Version})");
        }

        var footer = span[^SegmentFormat.FooterBytes..];
        var checksum = BinaryPrimitives.ReadUInt64LittleEndian(footer[24..]);
        if (checksum != XxHash3.HashToUInt64(span[..^8]))
        {
            throw new InvalidDataException($"sealed segment: checksum at byte {span.Length - 8} does not match the content (corrupt or truncated)");
        }

        var metadataOffset = BinaryPrimitives.ReadInt64LittleEndian(footer);
        var metadataLength = BinaryPrimitives.ReadInt32LittleEndian(footer[8..]);
        var sectionCount = BinaryPrimitives.ReadInt32LittleEndian(footer[12..]);
        var tableOffset = BinaryPrimitives.ReadInt64LittleEndian(footer[16..]);
        var end = span.Length - SegmentFormat.FooterBytes;
        if (metadataOffset < SegmentFormat.HeaderBytes || metadataLength < 0 || metadataOffset + metadataLength > end
            || sectionCount < 0 || tableOffset < 0 || tableOffset + ((long)sectionCount * SegmentFormat.SectionEntryBytes) > end)
        {
            throw new InvalidDataException($"sealed segment: footer at byte {end} points outside the file");
        }

        var sections = new Dictionary<(SectionKind, int), ReadOnlyMemory<byte>>();
        for (var i = 0; i < sectionCount; i++)
        {
            var entry = span.Slice((int)tableOffset + (i * SegmentFormat.SectionEntryBytes), SegmentFormat.SectionEntryBytes);
            var kind = (SectionKind)BinaryPrimitives.ReadUInt16LittleEndian(entry);
            var column = BinaryPrimitives.ReadInt32LittleEndian(entry[4..]);
            var offset = BinaryPrimitives.ReadInt64LittleEndian(entry[8..]);
            var length = BinaryPrimitives.ReadInt64LittleEndian(entry[16..]);
            if (offset < SegmentFormat.HeaderBytes || length < 0 || offset + length > metadataOffset)
            {
                throw new InvalidDataException($"sealed segment: section {i} ({kind}, column {column}) at [{offset}, {offset + length}) is outside the data area");
            }

            sections[(kind, column)] = bytes.Slice((int)offset, (int)length);
        }

        using var document = JsonDocument.Parse(bytes.Slice((int)metadataOffset, metadataLength));
        var metadata = document.RootElement.Clone();
        var spec = DatasourceSpecLoader.Parse(metadata.GetProperty("spec").GetRawText(), "segment metadata");
        return new SegmentContents(sections, metadata, spec);
    }
}

/// <summary>A sealed segment as <see cref="SegmentReader"/> found it.</summary>
/// <param name="Sections">Every section's bytes, by kind and column index.</param>
/// <param name="Metadata">The metadata object (a detached clone).</param>
/// <param name="Spec">The datasource spec the segment was written with.</param>
internal sealed record SegmentContents(Dictionary<(SectionKind Kind, int Column), ReadOnlyMemory<byte>> Sections, JsonElement Metadata, DatasourceSpec Spec);
