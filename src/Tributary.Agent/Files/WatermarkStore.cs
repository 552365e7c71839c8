using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using Tributary.Agent.Producing;

namespace Tributary.Agent.Files;

/// <summary>
/// One watermark file per stream under <c>{dataDirectory}/watermarks</c>, <c>{stream}.wm</c>: a 4 KiB header
/// and two fixed slots written alternately in place (<c>pwrite</c> then <c>fdatasync</c>), each holding a
/// sequence number, the JSON watermark and a CRC-32C. A crash during a write tears at most the slot being
/// written; the other one still holds the previous watermark, and a read takes the valid slot with the highest
/// sequence number. Overwriting already allocated blocks needs no metadata journal commit, so a durable write
/// costs one data flush (a fraction of a millisecond here) instead of temp file + fsync + rename (several).
/// The file is (re)built through temp file, fsync, rename and directory fsync when it is first written or a
/// watermark outgrows its slot. A stream with only an older <c>{stream}.json</c> watermark is read from it.
/// </summary>
public sealed class WatermarkStore
{
    private const int HeaderSize = 4096;
    private const int RecordHeader = 20;
    private const int MinSlotSize = 16 * 1024;
    private static readonly byte[] FileMagic = "TWMF"u8.ToArray();
    private static readonly byte[] SlotMagic = "TWMS"u8.ToArray();
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly string _directory;
    private readonly ConcurrentDictionary<string, SlotFile> _open = new(StringComparer.Ordinal);

    /// <summary>Creates the store (and its directory).</summary>
    public WatermarkStore(string dataDirectory)
    {
        _directory = Path.Combine(dataDirectory, "watermarks");
        Directory.CreateDirectory(_directory);
    }

    /// <summary>The watermark file of <paramref name="stream"/>.</summary>
    public string PathOf(string stream) => Path.Combine(_directory, Uri.EscapeDataString(stream) + ".wm");

    private string LegacyPathOf(string stream) => Path.Combine(_directory, Uri.EscapeDataString(stream) + ".json");

    /// <summary>The stream's watermark, or null when it has none.</summary>
    public Watermark? Read(string stream)
    {
        var path = PathOf(stream);
        if (File.Exists(path))
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var slotSize = ReadHeader(handle, path);
            var newest = ReadNewest(handle, slotSize);
            if (newest is not { } slot)
            {
                throw new InvalidDataException($"Watermark file {path} has no valid slot; move it away to restart the stream from its start position.");
            }

            return Deserialize(slot.Payload, path);
        }

        var legacy = LegacyPathOf(stream);
        return File.Exists(legacy) ? Deserialize(File.ReadAllBytes(legacy), legacy) : null;
    }

    /// <summary>Replaces the stream's watermark durably (one stream is written by one caller at a time).</summary>
    public void Write(string stream, Watermark watermark)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(watermark, Json);
        var path = PathOf(stream);
        if (!_open.TryGetValue(stream, out var file))
        {
            file = File.Exists(path) ? Open(path) : null;
            if (file is null)
            {
                _open[stream] = Build(path, MinSlotSize, payload, sequence: 1);
                return;
            }

            _open[stream] = file;
        }

        if (RecordHeader + payload.Length > file.SlotSize)
        {
            file.Handle.Dispose();
            var slotSize = MinSlotSize;
            while (RecordHeader + payload.Length > slotSize)
            {
                slotSize *= 2;
            }

            _open[stream] = Build(path, slotSize, payload, file.Sequence + 1);
            return;
        }

        var record = Record(file.Sequence + 1, payload);
        RandomAccess.Write(file.Handle, record, HeaderSize + ((long)file.NextSlot * file.SlotSize));
        UnixFile.DataSync(file.Handle);
        file.Sequence++;
        file.NextSlot ^= 1;
    }

    /// <summary>Closes the stream's open watermark file (it is reopened by the next write).</summary>
    public void Close(string stream)
    {
        if (_open.TryRemove(stream, out var file))
        {
            file.Handle.Dispose();
        }
    }

    /// <summary>Forgets a stream.</summary>
    public void Delete(string stream)
    {
        Close(stream);
        File.Delete(PathOf(stream));
        File.Delete(LegacyPathOf(stream));
    }

    private static SlotFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            var slotSize = ReadHeader(handle, path);
            var newest = ReadNewest(handle, slotSize);
            return new SlotFile(handle, slotSize) { Sequence = newest?.Sequence ?? 0, NextSlot = newest is { } n ? n.Index ^ 1 : 0 };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>A new file with the watermark in slot 0: temp file, fsync, rename, directory fsync.</summary>
    private SlotFile Build(string path, int slotSize, byte[] payload, long sequence)
    {
        var temp = path + ".tmp";
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var header = new byte[HeaderSize];
            FileMagic.CopyTo(header, 0);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(4), slotSize);
            RandomAccess.Write(handle, header, 0);
            // Both slots written in full (zeros): their blocks are allocated now, so later in-place writes need no metadata.
            var slots = new byte[2 * slotSize];
            Record(sequence, payload).CopyTo(slots, 0);
            RandomAccess.Write(handle, slots, HeaderSize);
            UnixFile.FullSync(handle);
        }

        File.Move(temp, path, overwrite: true);
        UnixFile.SyncDirectory(_directory);

        var reopened = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        return new SlotFile(reopened, slotSize) { Sequence = sequence, NextSlot = 1 };
    }

    private static byte[] Record(long sequence, byte[] payload)
    {
        var record = new byte[RecordHeader + payload.Length];
        SlotMagic.CopyTo(record, 0);
        BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(4), sequence);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(12), payload.Length);
        payload.CopyTo(record, RecordHeader);
        var crc = Crc32C.Append(Crc32C.Append(0xFFFFFFFF, record.AsSpan(4, 12)), payload);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(16), Crc32C.Finish(crc));
        return record;
    }

    private static int ReadHeader(SafeFileHandle handle, string path)
    {
        Span<byte> header = stackalloc byte[8];
        if (RandomAccess.Read(handle, header, 0) != 8 || !header[..4].SequenceEqual(FileMagic))
        {
            throw new InvalidDataException($"Watermark file {path} is corrupt (no watermark header); move it away to restart the stream from its start position.");
        }

        var slotSize = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (slotSize < MinSlotSize || slotSize > (1 << 30))
        {
            throw new InvalidDataException($"Watermark file {path} is corrupt (slot size {slotSize}); move it away to restart the stream from its start position.");
        }

        return slotSize;
    }

    private static (int Index, long Sequence, byte[] Payload)? ReadNewest(SafeFileHandle handle, int slotSize)
    {
        (int Index, long Sequence, byte[] Payload)? newest = null;
        var buffer = new byte[slotSize];
        for (var index = 0; index < 2; index++)
        {
            var n = RandomAccess.Read(handle, buffer, HeaderSize + ((long)index * slotSize));
            if (n < RecordHeader || !buffer.AsSpan(0, 4).SequenceEqual(SlotMagic))
            {
                continue;
            }

            var sequence = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(4));
            var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(12));
            if (length < 0 || RecordHeader + length > n)
            {
                continue;
            }

            var crc = Crc32C.Finish(Crc32C.Append(Crc32C.Append(0xFFFFFFFF, buffer.AsSpan(4, 12)), buffer.AsSpan(RecordHeader, length)));
            if (crc != BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(16)) || (newest is { } best && best.Sequence >= sequence))
            {
                continue;
            }

            newest = (index, sequence, buffer.AsSpan(RecordHeader, length).ToArray());
        }

        return newest;
    }

    private static Watermark Deserialize(byte[] json, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Watermark>(json, Json) ?? throw new InvalidDataException($"Watermark file {path} holds null.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Watermark file {path} is corrupt ({ex.Message}); move it away to restart the stream from its start position.", ex);
        }
    }

    private sealed class SlotFile(SafeFileHandle handle, int slotSize)
    {
        public SafeFileHandle Handle { get; } = handle;

        public int SlotSize { get; } = slotSize;

        public long Sequence { get; set; }

        public int NextSlot { get; set; }
    }
}
