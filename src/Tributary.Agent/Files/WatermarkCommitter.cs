using System.Threading.Channels;

namespace Tributary.Agent.Files;

/// <summary>
/// Writes a stream's watermarks on its own task, in order, coalescing: when several are queued only the
/// newest is written (each write is a temp file, fsync, rename). Callers either await
/// durability (<see cref="WriteAsync"/>) or post and carry on (<see cref="Post"/>).
/// </summary>
internal sealed class WatermarkCommitter : IAsyncDisposable
{
    private readonly WatermarkStore _store;
    private readonly string _stream;
    private readonly Channel<(Watermark Watermark, TaskCompletionSource? Durable)> _queue = Channel.CreateUnbounded<(Watermark, TaskCompletionSource?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private volatile Watermark? _durable;
    private Exception? _failure;

    public WatermarkCommitter(WatermarkStore store, string stream)
    {
        _store = store;
        _stream = stream;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>The newest watermark known to be on disk.</summary>
    public Watermark? Durable => _durable;

    /// <summary>Queues a watermark without waiting (a failed earlier write is thrown here).</summary>
    public void Post(Watermark watermark)
    {
        ThrowIfFailed();
        _queue.Writer.TryWrite((watermark, null));
    }

    /// <summary>Queues a watermark and completes when it (or a newer one) is on disk.</summary>
    public Task WriteAsync(Watermark watermark)
    {
        ThrowIfFailed();
        var durable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite((watermark, durable));
        return durable.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _store.Close(_stream);
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new IOException($"Writing the watermark of stream '{_stream}' failed: {failure.Message}", failure);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<(Watermark Watermark, TaskCompletionSource? Durable)>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (_queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                _store.Write(_stream, batch[^1].Watermark);
                _durable = batch[^1].Watermark;
                foreach (var (_, durable) in batch)
                {
                    durable?.TrySetResult();
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _failure = ex;
                foreach (var (_, durable) in batch)
                {
                    durable?.TrySetException(ex);
                }
            }
        }
    }
}
