using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Tributary.Agent.Files;
using Tributary.Agent.Options;
using Tributary.Agent.Producing;

namespace Tributary.Agent.Tests;

/// <summary>One stream end to end against the mock cluster: shipping, watermarks, rotation, quarantine.</summary>
public sealed class LogStreamWorkerTests
{
    private static async Task<LogAgent> StartAsync(AgentFixture fx, LogStreamOptions stream)
    {
        var agent = new LogAgent(fx.Options(stream));
        await agent.StartAsync(TestContext.Current.CancellationToken);
        await agent.WhenStreamStartedAsync(stream.Name!);
        return agent;
    }

    [Fact]
    public async Task Run_LinesAppended_ShipsEveryLineWithItsCrc32CHeader()
    {
        using var fx = new AgentFixture("ship");
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("a", 0, 250));
        await using var agent = await StartAsync(fx, fx.Stream());
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("a", 250, 250));

        var results = TopicReader.ReadAtLeast(fx.Topic, 500);
        Assert.Equal(AgentFixture.Lines("a", 0, 500).Order(), TopicReader.Values(results).Order());
        foreach (var r in results)
        {
            var crc = BinaryPrimitives.ReadUInt32BigEndian(r.Message.Headers.GetLastBytes(LogStreamWorker.CrcHeader));
            Assert.Equal(Crc32C.Compute(r.Message.Value), crc);
        }
    }

    [Theory]
    [InlineData(WatermarkMode.PerBatch)]
    [InlineData(WatermarkMode.Background)]
    public async Task StopAsync_ThenRestart_ResumesAtTheFinalWatermarkWithoutDuplicates(WatermarkMode mode)
    {
        using var fx = new AgentFixture("resume-" + mode.ToString().ToLowerInvariant());
        var stream = fx.Stream();
        stream.Watermarks = mode;
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("r", 0, 300));
        await using (var agent = await StartAsync(fx, stream))
        {
            TopicReader.ReadAtLeast(fx.Topic, 300);
            await agent.StopAsync(TestContext.Current.CancellationToken);
        }

        var watermark = new WatermarkStore(fx.Data).Read("app")!;
        Assert.Equal(new FileInfo(fx.LogPath()).Length, watermark.Offset);
        Assert.Equal(UnixFile.TryStat(fx.LogPath())!.Value.Id, watermark.Id);

        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("r", 300, 200));
        await using (var again = await StartAsync(fx, stream))
        {
            var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 500));
            Assert.Equal(500, values.Count);
            Assert.Equal(AgentFixture.Lines("r", 0, 500).Order(), values.Order());
        }
    }

    [Fact]
    public async Task Run_RenameRotation_FinishesTheOldFileThenFollowsTheNewOne()
    {
        using var fx = new AgentFixture("rename");
        await using var agent = await StartAsync(fx, fx.Stream());
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("n", 0, 100));
        TopicReader.ReadAtLeast(fx.Topic, 100);

        // Lines written just before the rename are only in the rotated file.
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("n", 100, 100));
        File.Move(fx.LogPath(), fx.LogPath("app.log.1"));
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("n", 200, 100));

        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 300));
        Assert.Equal(AgentFixture.Lines("n", 0, 300).Order(), values.Order());
    }

    [Fact]
    public async Task Run_WriterKeepsAppendingToTheRenamedFile_ShipsEveryLineOfBothFiles()
    {
        using var fx = new AgentFixture("rotate-wait");
        var stream = fx.Stream();
        stream.RotateWaitMs = 120_000;
        await using var agent = await StartAsync(fx, stream);
        // A writer that keeps its descriptor across the rename (logrotate's create mode before the application reopens).
        using var writer = new FileStream(fx.LogPath(), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        Write(writer, AgentFixture.Lines("old", 0, 100));
        TopicReader.ReadAtLeast(fx.Topic, 100);

        File.Move(fx.LogPath(), fx.LogPath("app.log.1"));
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("new", 0, 50));
        // The new file's lines arrived: the agent has moved on to it.
        TopicReader.ReadAtLeast(fx.Topic, 150);

        Write(writer, AgentFixture.Lines("old", 100, 100));
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("new", 50, 50));
        Write(writer, AgentFixture.Lines("old", 200, 100));

        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 400));
        Assert.Equal(AgentFixture.Lines("old", 0, 300).Concat(AgentFixture.Lines("new", 0, 100)).Order(), values.Order());
    }

    [Fact]
    public async Task StopAsync_WhileARenamedFileIsStillWritten_RestartResumesBothPositionsWithoutDuplicates()
    {
        using var fx = new AgentFixture("rotate-wait-restart");
        var stream = fx.Stream();
        stream.RotateWaitMs = 120_000;
        using var writer = new FileStream(fx.LogPath(), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        await using (var agent = await StartAsync(fx, stream))
        {
            Write(writer, AgentFixture.Lines("old", 0, 100));
            TopicReader.ReadAtLeast(fx.Topic, 100);
            File.Move(fx.LogPath(), fx.LogPath("app.log.1"));
            AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("new", 0, 50));
            TopicReader.ReadAtLeast(fx.Topic, 150);
            Write(writer, AgentFixture.Lines("old", 100, 50));
            TopicReader.ReadAtLeast(fx.Topic, 200);
            await agent.StopAsync(TestContext.Current.CancellationToken);
        }

        var watermark = new WatermarkStore(fx.Data).Read("app")!;
        var renamed = Assert.Single(watermark.Draining);
        Assert.Equal(UnixFile.TryStat(fx.LogPath("app.log.1"))!.Value.Id, renamed.Id);
        Assert.Equal(new FileInfo(fx.LogPath("app.log.1")).Length, renamed.Offset);

        // Both files grow while the agent is down.
        Write(writer, AgentFixture.Lines("old", 150, 50));
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("new", 50, 50));
        await using var again = await StartAsync(fx, stream);
        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 300));
        Assert.Equal(AgentFixture.Lines("old", 0, 200).Concat(AgentFixture.Lines("new", 0, 100)).Order(), values.Order());
    }

    [Fact]
    public async Task Run_RenamedFileQuietForRotateWait_IsFinishedAndDroppedFromTheWatermark()
    {
        using var fx = new AgentFixture("rotate-wait-finish");
        var stream = fx.Stream();
        stream.RotateWaitMs = 50;
        await using var agent = await StartAsync(fx, stream);
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("old", 0, 20));
        TopicReader.ReadAtLeast(fx.Topic, 20);

        // A last line without newline waits while the renamed file may still grow, and is shipped once it stopped.
        await File.AppendAllTextAsync(fx.LogPath(), "old-last-without-newline", TestContext.Current.CancellationToken);
        File.Move(fx.LogPath(), fx.LogPath("app.log.1"));
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("new", 0, 10));

        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 31));
        Assert.Contains("old-last-without-newline", values);
        await agent.StopAsync(TestContext.Current.CancellationToken);
        Assert.Empty(new WatermarkStore(fx.Data).Read("app")!.Draining);
    }

    private static void Write(FileStream writer, IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            writer.Write(Encoding.UTF8.GetBytes(line + "\n"));
        }

        writer.Flush();
    }

    [Fact]
    public async Task Run_TwoRenameRotationsWhileStopped_ReadsEveryGenerationInOrder()
    {
        using var fx = new AgentFixture("rename2");
        var stream = fx.Stream();
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("g", 0, 50));
        await using (var agent = await StartAsync(fx, stream))
        {
            TopicReader.ReadAtLeast(fx.Topic, 50);
            await agent.StopAsync(TestContext.Current.CancellationToken);
        }

        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("g", 50, 50));
        File.Move(fx.LogPath(), fx.LogPath("app.log.2"));
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("g", 100, 50));
        File.Move(fx.LogPath(), fx.LogPath("app.log.1"));
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("g", 150, 50));

        await using var again = await StartAsync(fx, stream);
        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 200));
        Assert.Equal(AgentFixture.Lines("g", 0, 200).Order(), values.Order());
    }

    [Fact]
    public async Task Run_CopyTruncateRotation_ReadsTheCopysTailThenRestartsAtZero()
    {
        using var fx = new AgentFixture("copytrunc");
        var stream = fx.Stream();
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("c", 0, 100));
        await using (var agent = await StartAsync(fx, stream))
        {
            TopicReader.ReadAtLeast(fx.Topic, 100);
            await agent.StopAsync(TestContext.Current.CancellationToken);
        }

        // While the agent is down: more lines, then copy-truncate, then new lines in the same inode.
        var inode = UnixFile.TryStat(fx.LogPath())!.Value.Inode;
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("c", 100, 100));
        File.Copy(fx.LogPath(), fx.LogPath("app.log.1"));
        using (var truncate = new FileStream(fx.LogPath(), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            truncate.SetLength(0);
        }

        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("c", 200, 300));
        Assert.Equal(inode, UnixFile.TryStat(fx.LogPath())!.Value.Inode);

        await using var again = await StartAsync(fx, stream);
        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 500));
        Assert.Equal(AgentFixture.Lines("c", 0, 500).Order(), values.Order());
    }

    [Fact]
    public async Task Run_WatermarkHeadMatchesTheNextGenerationAfterCopyTruncate_FindsTheCopyByTheBytesBeforeTheOffset()
    {
        using var fx = new AgentFixture("tail-fingerprint");
        var stream = fx.Stream();
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("old", 0, 100));
        await using (var agent = await StartAsync(fx, stream))
        {
            TopicReader.ReadAtLeast(fx.Topic, 100);
            await agent.StopAsync(TestContext.Current.CancellationToken);
        }

        // While the agent is down: more lines, copy-truncate, and the new generation grows past the watermark's offset.
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("old", 100, 100));
        File.Copy(fx.LogPath(), fx.LogPath("app.log.1"));
        using (var truncate = new FileStream(fx.LogPath(), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            truncate.SetLength(0);
        }

        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("new", 0, 300));

        // The head fingerprint alone cannot be trusted: a head read after the truncation (as the agent used to take it
        // when extending a short head) describes the new generation, and matching it resumed mid-file. Only the
        // bytes just before the offset, taken from what was shipped, tell that this is another generation.
        var store = new WatermarkStore(fx.Data);
        var watermark = store.Read("app")!;
        Assert.True(watermark.TailLength > 0);
        using (var live = File.OpenHandle(fx.LogPath()))
        {
            var head = FileHead.Read(live, RandomAccess.GetLength(live));
            store.Write("app", watermark with { HeadLength = head.Length, HeadHash = head.Hash });
        }

        await using var again = await StartAsync(fx, stream);
        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 500));
        Assert.Equal(AgentFixture.Lines("old", 0, 200).Concat(AgentFixture.Lines("new", 0, 300)).Order(), values.Order());
    }

    [Fact]
    public async Task Run_CopyTruncateWhileRunning_ShipsEveryLine()
    {
        using var fx = new AgentFixture("copytrunc-live");
        await using var agent = await StartAsync(fx, fx.Stream());
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("l", 0, 100));
        TopicReader.ReadAtLeast(fx.Topic, 100);
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("l", 100, 50));
        File.Copy(fx.LogPath(), fx.LogPath("app.log.1"));
        using (var truncate = new FileStream(fx.LogPath(), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            truncate.SetLength(0);
        }

        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("l", 150, 50));
        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 200));
        Assert.Equal(AgentFixture.Lines("l", 0, 200), values.Distinct().Order());
    }

    [Fact]
    public async Task Run_SameInodeWithOtherContentAfterRestart_StartsThatFileAtZero()
    {
        // What inode reuse looks like to the agent: the watermark's inode holds different bytes.
        using var fx = new AgentFixture("inode-reuse");
        var stream = fx.Stream();
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("old", 0, 100));
        await using (var agent = await StartAsync(fx, stream))
        {
            TopicReader.ReadAtLeast(fx.Topic, 100);
            await agent.StopAsync(TestContext.Current.CancellationToken);
        }

        using (var rewrite = new FileStream(fx.LogPath(), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            rewrite.SetLength(0);
        }

        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("new", 0, 150));
        await using var again = await StartAsync(fx, stream);
        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 250));
        Assert.Equal(AgentFixture.Lines("old", 0, 100).Concat(AgentFixture.Lines("new", 0, 150)).Order(), values.Order());
    }

    [Fact]
    public async Task Run_WatermarkFileDeletedWhileStopped_ContinuesWithTheNewLiveFile()
    {
        using var fx = new AgentFixture("deleted");
        var stream = fx.Stream();
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("d", 0, 50));
        await using (var agent = await StartAsync(fx, stream))
        {
            TopicReader.ReadAtLeast(fx.Topic, 50);
            await agent.StopAsync(TestContext.Current.CancellationToken);
        }

        File.Delete(fx.LogPath());
        AgentFixture.Append(fx.LogPath(), AgentFixture.Lines("e", 0, 70));
        await using var again = await StartAsync(fx, stream);
        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 120));
        Assert.Equal(AgentFixture.Lines("d", 0, 50).Concat(AgentFixture.Lines("e", 0, 70)).Order(), values.Order());
    }

    [Fact]
    public async Task Run_MalformedBinaryFrame_QuarantinesItWithReasonAndPositionAndShipsTheRest()
    {
        using var fx = new AgentFixture("quarantine");
        var stream = fx.Stream(reader: ReaderKind.Binary);
        stream.MaxRecordBytes = 64;
        var good = Enumerable.Range(0, 20).SelectMany(i => LengthPrefixedFramerTests.Frame($"rec-{i}")).ToArray();
        var bad = new byte[6];
        BinaryPrimitives.WriteUInt32BigEndian(bad, 100_000);
        await File.WriteAllBytesAsync(fx.LogPath(), [.. good, .. bad], TestContext.Current.CancellationToken);
        await using var agent = await StartAsync(fx, stream);

        var values = TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 20));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"rec-{i}").Order(), values.Order());

        // The stream carries on with the next file after a rotation.
        File.Move(fx.LogPath(), fx.LogPath("app.log.1"));
        await File.WriteAllBytesAsync(fx.LogPath(), LengthPrefixedFramerTests.Frame("after"), TestContext.Current.CancellationToken);
        Assert.Contains("after", TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 21)));

        var quarantine = Path.Combine(fx.Data, "quarantine", "app.jsonl");
        var entry = JsonDocument.Parse(File.ReadLines(quarantine).First()).RootElement;
        Assert.Equal(good.Length, entry.GetProperty("offset").GetInt64());
        Assert.Contains("exceeds maxRecordBytes 64", entry.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(bad, Convert.FromBase64String(entry.GetProperty("payload").GetString()!));
        Assert.EndsWith("app.log", entry.GetProperty("file").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OverlongLineWithQuarantinePolicy_QuarantinesItAndShipsTheOthers()
    {
        using var fx = new AgentFixture("overlong");
        var stream = fx.Stream();
        stream.MaxLineLength = 32;
        stream.OverlongLines = OverlongLinePolicy.Quarantine;
        AgentFixture.Append(fx.LogPath(), ["short-1", new string('x', 100), "short-2"]);
        await using var agent = await StartAsync(fx, stream);
        Assert.Equal(["short-1", "short-2"], TopicReader.Values(TopicReader.ReadAtLeast(fx.Topic, 2)).Order());
        var entry = JsonDocument.Parse(File.ReadLines(Path.Combine(fx.Data, "quarantine", "app.jsonl")).First()).RootElement;
        Assert.Equal(8, entry.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task Run_EachBatch_SendsAnAuditRecordWhoseCountsAndCrcMatchThePayloads()
    {
        using var fx = new AgentFixture("audit");
        var lines = AgentFixture.Lines("audit", 0, 250).ToList();
        AgentFixture.Append(fx.LogPath(), lines);
        await using var agent = await StartAsync(fx, fx.Stream());
        TopicReader.ReadAtLeast(fx.Topic, 250);

        var audits = TopicReader.ReadAtLeast(fx.AuditTopic, 3).Select(r => JsonDocument.Parse(r.Message.Value).RootElement).ToList();
        Assert.Equal(250, audits.Sum(a => a.GetProperty("count").GetInt32()));
        var first = audits.OrderBy(a => a.GetProperty("firstOffset").GetInt64()).First();
        Assert.Equal(0, first.GetProperty("firstOffset").GetInt64());
        var count = first.GetProperty("count").GetInt32();
        var state = Crc32C.Start;
        foreach (var line in lines.Take(count))
        {
            state = Crc32C.Append(state, Encoding.UTF8.GetBytes(line));
        }

        Assert.Equal(Crc32C.Finish(state).ToString("x8", System.Globalization.CultureInfo.InvariantCulture), first.GetProperty("crc32c").GetString());
        Assert.Equal("app", first.GetProperty("stream").GetString());
        Assert.Equal((count - 1) * 13L, first.GetProperty("lastOffset").GetInt64());
    }
}
