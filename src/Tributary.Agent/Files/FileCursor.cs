using Microsoft.Win32.SafeHandles;

namespace Tributary.Agent.Files;

/// <summary>An open file being read. A copy stands in for a truncated file (<see cref="ReportedId"/>) until its end.</summary>
internal sealed class FileCursor(SafeFileHandle handle, string path, FileId reportedId, FileHead head, bool isCopy) : IDisposable
{
    public SafeFileHandle Handle { get; } = handle;

    public string Path { get; } = path;

    public FileId ReportedId { get; } = reportedId;

    public FileHead Head { get; set; } = head;

    public bool IsCopy { get; } = isCopy;

    public FileCursor? After { get; init; }

    public void Dispose() => Handle.Dispose();
}
