using System.Buffers.Binary;
using System.IO.Compression;

namespace Tributary.Segments.Tests.Format;

/// <summary>
/// Reads Fixtures/full-rollup-off.tseg.gz: a sealed segment (gzip-wrapped only to keep the repository small) that
/// the code of commit 46ca10e wrote while it bound Debian's CRoaring 0.2.66. Its bitmaps are in the portable format,
/// which every CRoaring version reads the same, so the Roaring.Net build must load it and answer as that build did.
/// </summary>
public sealed class SegmentFixtureTests
{
    /// <summary>The answers that commit 46ca10e's code gave for <see cref="SegmentFixtureData.Queries"/> on this file.</summary>
    private static readonly string[] AnswersWrittenByOldCode =
    [
        """[{"timestamp":"2026-11-23T00:00:00.000Z","result":{"rows":4200,"qty":-1270}}]""",
        """[{"timestamp":"2026-11-23T00:00:00.000Z","result":[{"key":"k0","rows":1882,"price":99.95},{"key":"k4","rows":169,"price":98.9},{"key":"k13","rows":158,"price":94.5},{"key":"k9","rows":158,"price":98.83},{"key":"k24","rows":149,"price":94.86}]}]""",
        """[{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"size":null,"rows":265,"qmin":-8,"users":64.50524673888827}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"size":"-1","rows":248,"qmin":-8,"users":62.47389441937873}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"size":"-2","rows":289,"qmin":-8,"users":61.45850414995729}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"size":"-3","rows":246,"qmin":-8,"users":62.473713012402214}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"size":"0","rows":276,"qmin":-8,"users":64.50524673888827}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"size":"1","rows":233,"qmin":-8,"users":59.42890972042352}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"size":"2","rows":242,"qmin":-8,"users":63.48939828391224}},{"version":"v1","timestamp":"2026-11-23T00:00:00.000Z","event":{"size":"3","rows":273,"qmin":-8,"users":64.50524673888827}}]""",
        """[{"timestamp":"2026-11-23T10:00:00.000Z","result":{"rows":1577}},{"timestamp":"2026-11-23T10:15:00.000Z","result":{"rows":491}},{"timestamp":"2026-11-23T10:30:00.000Z","result":{"rows":98}},{"timestamp":"2026-11-23T10:45:00.000Z","result":{"rows":108}}]""",
    ];

    [Fact]
    public async Task LoadAsync_SegmentWrittenByLibroaring0Build_AnswersEveryQueryAsThatBuildDid()
    {
        using var segment = await LoadFixtureAsync();
        for (var i = 0; i < SegmentFixtureData.Queries.Length; i++)
        {
            Assert.Equal(AnswersWrittenByOldCode[i], SegmentFixtureData.Run(segment, SegmentFixtureData.Queries[i]));
        }
    }

    [Fact]
    public async Task LoadAsync_SegmentWrittenByLibroaring0Build_MatchesTheEventsItWasBuiltFrom()
    {
        using var segment = await LoadFixtureAsync();
        SegmentReference.AssertMatches(segment, SegmentFixtureData.Events());
    }

    [Fact]
    public async Task LoadAsync_SegmentWrittenByLibroaring0Build_HoldsArrayBitsetAndRunContainers()
    {
        using var segment = await LoadFixtureAsync();
        var kinds = new HashSet<string>();
        foreach (var name in new[] { "key", "color", "size" })
        {
            var dimension = segment.GetDimension(name)!;
            for (var id = 0; id < dimension.Cardinality; id++)
            {
                kinds.UnionWith(ContainerKinds(dimension.GetRows(id).Serialize()));
            }
        }

        // the file exercises every container kind of the portable format, so the test above covers each decoder
        Assert.Equal(["array", "bitset", "run"], kinds.Order(StringComparer.Ordinal));
    }

    private static async Task<SealedSegment> LoadFixtureAsync()
    {
        await using var file = File.OpenRead(TestData.RepositoryFile("tests", "Tributary.Segments.Tests", "Fixtures", "full-rollup-off.tseg.gz"));
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        return await SealedSegment.LoadAsync(gzip, TestContext.Current.CancellationToken);
    }

    /// <summary>Container kinds named by a portable bitmap's header (RoaringFormatSpec: cookie, run flags, cardinalities).</summary>
    private static IEnumerable<string> ContainerKinds(byte[] bytes)
    {
        var cookie = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        int containers, header;
        var runFlags = ReadOnlySpan<byte>.Empty;
        if ((cookie & 0xFFFF) == 12347)
        {
            containers = (int)(cookie >> 16) + 1;
            runFlags = bytes.AsSpan(4, (containers + 7) / 8);
            header = 4 + runFlags.Length;
        }
        else
        {
            containers = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
            header = 8;
        }

        var kinds = new List<string>();
        for (var i = 0; i < containers; i++)
        {
            var cardinality = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(header + (4 * i) + 2)) + 1;
            kinds.Add(!runFlags.IsEmpty && (runFlags[i / 8] & (1 << (i % 8))) != 0 ? "run" : cardinality > 4096 ? "bitset" : "array");
        }

        return kinds;
    }
}
