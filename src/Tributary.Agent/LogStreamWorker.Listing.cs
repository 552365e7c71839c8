using Tributary.Agent.Files;

namespace Tributary.Agent;

// Listing the stream's files and watching the directory for changes.
internal sealed partial class LogStreamWorker
{
    private LogFile? FindLive()
    {
        if (_options.Pattern!.IndexOfAny(['*', '?']) < 0)
        {
            // A plain name: one stat instead of listing the directory at every end-of-file check.
            var path = Path.Combine(_directory, _options.Pattern);
            return UnixFile.TryStat(path) is { } only ? new LogFile(path, only) : null;
        }

        LogFile? best = null;
        foreach (var path in SafeEnumerate())
        {
            var name = Path.GetFileName(path);
            if (!Glob.IsMatch(name, _options.Pattern!) || UnixFile.TryStat(path) is not { } stat)
            {
                continue;
            }

            if (best is null || stat.ModifiedNanos > best.Value.Stat.ModifiedNanos)
            {
                best = new LogFile(path, stat);
            }
        }

        return best;
    }

    /// <summary>
    /// The stream's files (live and rotated), by inode. A listing taken while a file is renamed can miss it under
    /// both names (the old name listed before the rename and stat'ed after it), so two listings are merged: a file
    /// renamed once is in at least one of them.
    /// </summary>
    private List<LogFile> ListFiles()
    {
        var byId = new Dictionary<FileId, LogFile>();
        for (var pass = 0; pass < 2; pass++)
        {
            foreach (var path in SafeEnumerate())
            {
                var name = Path.GetFileName(path);
                if ((Glob.IsMatch(name, _options.Pattern!) || Glob.IsMatch(name, _rotatedPattern)) && UnixFile.TryStat(path) is { } stat)
                {
                    byId[stat.Id] = new LogFile(path, stat);
                }
            }
        }

        return [.. byId.Values];
    }

    private IEnumerable<string> SafeEnumerate()
    {
        try
        {
            return Directory.GetFiles(_directory);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private void StartWatching()
    {
        if (_watcher is not null || !Directory.Exists(_directory))
        {
            return;
        }

        try
        {
            _watcher = new FileSystemWatcher(_directory) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            _watcher.Changed += (_, _) => Signal();
            _watcher.Created += (_, _) => Signal();
            _watcher.Renamed += (_, _) => Signal();
            _watcher.Deleted += (_, _) => Signal();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            // inotify limits reached: polling alone still works.
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    private void Signal()
    {
        try
        {
            if (_signal.CurrentCount == 0)
            {
                _signal.Release();
            }
        }
        catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
        {
            // already signalled, or stopping
        }
    }

    private async Task WaitAsync(int milliseconds, CancellationToken stop)
    {
        try
        {
            await _signal.WaitAsync(milliseconds, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping: the loop flushes and returns
        }

        if (_watcher is null)
        {
            StartWatching();
        }
    }

    private readonly record struct LogFile(string Path, FileStat Stat);
}
