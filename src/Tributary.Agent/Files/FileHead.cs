using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace Tributary.Agent.Files;

/// <summary>
/// Fingerprint of a file's first bytes (up to <see cref="MaxLength"/>). Together with device and inode it
/// tells a file from a reused inode, and it finds the copy that copy-truncate rotation left behind.
/// </summary>
/// <param name="Length">How many leading bytes were hashed.</param>
/// <param name="Hash">XxHash64 of them.</param>
public readonly record struct FileHead(int Length, ulong Hash)
{
    /// <summary>Bytes hashed at most.</summary>
    public const int MaxLength = 256;

    /// <summary>The head of an empty file: matches every file.</summary>
    public static FileHead Empty => new(0, XxHash64.HashToUInt64([]));

    /// <summary>Fingerprint of the first min(<see cref="MaxLength"/>, size) bytes of an open file.</summary>
    public static FileHead Read(SafeFileHandle handle, long size)
    {
        Span<byte> buffer = stackalloc byte[MaxLength];
        var n = RandomAccess.Read(handle, buffer[..(int)Math.Min(MaxLength, Math.Max(0, size))], 0);
        return new FileHead(n, XxHash64.HashToUInt64(buffer[..n]));
    }

    /// <summary>Whether the open file starts with the bytes this fingerprint was taken from.</summary>
    public bool Matches(SafeFileHandle handle)
    {
        if (Length == 0)
        {
            return true;
        }

        Span<byte> buffer = stackalloc byte[MaxLength];
        var n = RandomAccess.Read(handle, buffer[..Length], 0);
        return n == Length && XxHash64.HashToUInt64(buffer[..n]) == Hash;
    }

    /// <summary>Whether the file at <paramref name="path"/> starts with those bytes (false when it cannot be read).</summary>
    public bool Matches(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Matches(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
