using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;

namespace Tributary.Segments.Columns;

/// <summary>
/// Maps UTF-8 byte strings to dense ids (0, 1, 2, ... in first-seen order) without allocating per lookup:
/// the bytes live in one arena, the table is open addressing over ids with their cached hashes.
/// </summary>
/// <remarks>Not thread-safe.</remarks>
public sealed class Utf8Dictionary
{
    // Small to start with: an open segment holds one dictionary per dimension, and most dimensions stay small.
    private byte[] _arena = new byte[256];
    private int _arenaLength;
    private int[] _offsets = new int[17];
    private uint[] _hashes = new uint[16];
    private int[] _slots = new int[32]; // id + 1; 0 = empty
    private string?[]? _strings; // allocated on the first GetString: appends never need strings
    private int _count;

    /// <summary>Number of distinct values.</summary>
    public int Count => _count;

    /// <summary>Bytes held: arena, offsets, hashes, table, and the string cache's array (not the cached strings).</summary>
    public long AllocatedBytes => _arena.Length + (_offsets.Length * 4L) + (_hashes.Length * 4L) + (_slots.Length * 4L) + ((_strings?.Length ?? 0) * 8L);

    /// <summary>The id of <paramref name="value"/>, adding it when new.</summary>
    public int GetOrAdd(ReadOnlySpan<byte> value)
    {
        var hash = Hash(value);
        var mask = _slots.Length - 1;
        var slot = (int)(hash & (uint)mask);
        while (true)
        {
            var entry = _slots[slot];
            if (entry == 0)
            {
                break;
            }

            var id = entry - 1;
            if (_hashes[id] == hash && Bytes(id).SequenceEqual(value))
            {
                return id;
            }

            slot = (slot + 1) & mask;
        }

        return Insert(value, hash, slot);
    }

    /// <summary>The id of <paramref name="value"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> value)
    {
        var hash = Hash(value);
        var mask = _slots.Length - 1;
        var slot = (int)(hash & (uint)mask);
        while (true)
        {
            var entry = _slots[slot];
            if (entry == 0)
            {
                return -1;
            }

            var id = entry - 1;
            if (_hashes[id] == hash && Bytes(id).SequenceEqual(value))
            {
                return id;
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>The id of <paramref name="value"/>, or -1.</summary>
    public int Find(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        return Find(buffer[..Encoding.UTF8.GetBytes(value, buffer)]);
    }

    /// <summary>The UTF-8 bytes of id <paramref name="id"/>.</summary>
    public ReadOnlySpan<byte> Bytes(int id) => _arena.AsSpan(_offsets[id], _offsets[id + 1] - _offsets[id]);

    /// <summary>The value of id <paramref name="id"/> as a (cached) string.</summary>
    public string GetString(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)_count, nameof(id));
        if (_strings is null || _strings.Length < _count)
        {
            Array.Resize(ref _strings, _hashes.Length);
        }

        return _strings[id] ??= Encoding.UTF8.GetString(Bytes(id));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(ReadOnlySpan<byte> value) => (uint)XxHash3.HashToUInt64(value);

    private int Insert(ReadOnlySpan<byte> value, uint hash, int slot)
    {
        var id = _count;
        if (_arenaLength + value.Length > _arena.Length)
        {
            // 1.5x: unused arena counts against bytes per row while a segment is open
            Array.Resize(ref _arena, Math.Max(_arena.Length + (_arena.Length / 2), _arenaLength + value.Length));
        }

        value.CopyTo(_arena.AsSpan(_arenaLength));
        _arenaLength += value.Length;
        if (id >= _hashes.Length)
        {
            var capacity = _hashes.Length + (_hashes.Length / 2);
            Array.Resize(ref _offsets, capacity + 1);
            Array.Resize(ref _hashes, capacity);
        }

        _offsets[id + 1] = _arenaLength;
        _hashes[id] = hash;
        _slots[slot] = id + 1;
        _count++;
        if (_count * 2 > _slots.Length)
        {
            Rehash();
        }

        return id;
    }

    private void Rehash()
    {
        var slots = new int[_slots.Length * 2];
        var mask = slots.Length - 1;
        for (var id = 0; id < _count; id++)
        {
            var slot = (int)(_hashes[id] & (uint)mask);
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = id + 1;
        }

        _slots = slots;
    }
}
