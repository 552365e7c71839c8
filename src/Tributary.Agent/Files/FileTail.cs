using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace Tributary.Agent.Files;

/// <summary>
/// Fingerprint of the bytes just before a position (up to <see cref="MaxLength"/>): the bytes a watermark's
/// offset follows. Unlike the head, it is taken from what the agent itself read, so it cannot describe a
/// newer generation of a truncated file; a file that no longer holds these bytes there was truncated or replaced.
/// </summary>
/// <param name="Length">How many bytes before the position were hashed (0: nothing to check).</param>
/// <param name="Hash">XxHash64 of them.</param>
public readonly record struct FileTail(int Length, ulong Hash)
{
    /// <summary>Bytes hashed at most.</summary>
    public const int MaxLength = 256;

    /// <summary>The fingerprint of <paramref name="bytes"/> (the bytes just before a position).</summary>
    public static FileTail Of(ReadOnlySpan<byte> bytes) => new(bytes.Length, XxHash64.HashToUInt64(bytes));

    /// <summary>Whether the open file holds the fingerprinted bytes just before <paramref name="offset"/> (always true when <see cref="Length"/> is 0).</summary>
    public bool Matches(SafeFileHandle handle, long offset)
    {
        if (Length == 0)
        {
            return true;
        }

        if (offset < Length)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[MaxLength];
        var n = RandomAccess.Read(handle, buffer[..Length], offset - Length);
        return n == Length && XxHash64.HashToUInt64(buffer[..n]) == Hash;
    }

    /// <summary>Whether the file at <paramref name="path"/> holds those bytes before <paramref name="offset"/> (false when it cannot be read).</summary>
    public bool Matches(string path, long offset)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Matches(handle, offset);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether the open file holds exactly <paramref name="expected"/> just before <paramref name="offset"/>.</summary>
    public static bool Holds(SafeFileHandle handle, ReadOnlySpan<byte> expected, long offset)
    {
        if (expected.Length == 0)
        {
            return true;
        }

        Span<byte> buffer = stackalloc byte[MaxLength];
        var length = Math.Min(expected.Length, MaxLength);
        var n = RandomAccess.Read(handle, buffer[..length], offset - length);
        return n == length && buffer[..n].SequenceEqual(expected[^length..]);
    }
}
