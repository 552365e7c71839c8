namespace Tributary.Agent.Readers;

/// <summary>Receives what a framer finds.</summary>
internal interface IFrameSink
{
    /// <summary>Whether the current batch is full (the framer stops and returns).</summary>
    bool IsFull { get; }

    /// <summary>A record that starts at <paramref name="offset"/>.</summary>
    void Record(ReadOnlySpan<byte> payload, long offset);

    /// <summary>Bytes at <paramref name="offset"/> that are not a valid record.</summary>
    void Quarantine(ReadOnlySpan<byte> bytes, long offset, string reason);
}

/// <summary>Splits a file's bytes into records.</summary>
internal interface IRecordFramer
{
    /// <summary>Smallest buffer that always holds one record plus its framing.</summary>
    int RequiredBuffer { get; }

    /// <summary>
    /// Frames records from <paramref name="data"/> (which starts at file offset <paramref name="offset"/>) until the
    /// data ends or the sink is full, and returns how many bytes were consumed (records and quarantined
    /// bytes). An incomplete record at the end stays unconsumed unless <paramref name="final"/> says the
    /// file will not grow any more.
    /// </summary>
    int Frame(ReadOnlySpan<byte> data, long offset, bool final, IFrameSink sink);

    /// <summary>Forgets state carried between calls (a new file starts).</summary>
    void Reset();
}
