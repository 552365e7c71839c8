using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tributary.Agent.Files;

/// <summary>What <c>statx(2)</c> says about a file: identity, size and modification time.</summary>
/// <param name="Device">Device number (major &lt;&lt; 32 | minor).</param>
/// <param name="Inode">Inode number.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="ModifiedNanos">Last modification, nanoseconds since the Unix epoch.</param>
public readonly record struct FileStat(ulong Device, ulong Inode, long Size, long ModifiedNanos)
{
    /// <summary>The file identity (device and inode).</summary>
    public FileId Id => new(Device, Inode);
}

/// <summary>A file's identity on this host: device and inode.</summary>
public readonly record struct FileId(ulong Device, ulong Inode)
{
    /// <inheritdoc />
    public override string ToString() => $"{Device}:{Inode}";
}

/// <summary>
/// <c>statx(2)</c> through libc: its structure has the same layout on every Linux architecture, unlike
/// <c>struct stat</c>, and it works both on paths and on open descriptors (<c>AT_EMPTY_PATH</c>).
/// (.NET's <c>FileStatus</c> hides the inode, and Mono.Unix is not a dependency worth taking for two calls.)
/// </summary>
internal static unsafe partial class UnixFile
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int Enoent = 2;
    private const int Enotdir = 20;
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;

    /// <summary>Stat of <paramref name="path"/> (symlinks followed), or null when it does not exist.</summary>
    public static FileStat? TryStat(string path)
    {
        byte* buffer = stackalloc byte[256];
        var rc = Statx(AtFdCwd, path, 0, StatxBasicStats, buffer);
        if (rc != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Enoent or Enotdir)
            {
                return null;
            }

            throw new IOException($"statx({path}) failed: errno {errno}");
        }

        return Read(buffer);
    }

    /// <summary>Stat of an open file.</summary>
    public static FileStat Stat(SafeFileHandle handle)
    {
        byte* buffer = stackalloc byte[256];
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            if (Statx(fd, string.Empty, AtEmptyPath | AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
            {
                throw new IOException($"statx(fd {fd}) failed: errno {Marshal.GetLastPInvokeError()}");
            }

            return Read(buffer);
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary><c>fdatasync(2)</c>: the file's data (and the metadata needed to read it back) is on disk.</summary>
    public static void DataSync(SafeFileHandle handle) => Sync(handle, data: true);

    /// <summary><c>fsync(2)</c>: data and all metadata (also works on a directory opened read-only).</summary>
    public static void FullSync(SafeFileHandle handle) => Sync(handle, data: false);

    /// <summary><c>fsync(2)</c> of a directory (opened read-only; <c>O_DIRECTORY</c> differs between architectures): renames and creations in it are on disk.</summary>
    public static void SyncDirectory(string path)
    {
        var fd = Open(path, ORdOnly | OCloExec);
        if (fd < 0)
        {
            throw new IOException($"open({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync({path}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static void Sync(SafeFileHandle handle, bool data)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            if ((data ? Fdatasync(fd) : Fsync(fd)) != 0)
            {
                throw new IOException($"{(data ? "fdatasync" : "fsync")}(fd {fd}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static FileStat Read(byte* buffer)
    {
        var inode = *(ulong*)(buffer + 32);
        var size = *(long*)(buffer + 40);
        var mtimeSeconds = *(long*)(buffer + 112);
        var mtimeNanos = *(uint*)(buffer + 120);
        var devMajor = *(uint*)(buffer + 136);
        var devMinor = *(uint*)(buffer + 140);
        return new FileStat(((ulong)devMajor << 32) | devMinor, inode, size, (mtimeSeconds * 1_000_000_000L) + mtimeNanos);
    }

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
