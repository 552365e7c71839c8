using FsCheck;
using FsCheck.Fluent;

namespace Tributary.Bitmaps.Tests;

/// <summary>Value sets that exercise every CRoaring container kind: sparse (array), dense (bitset) and consecutive (run).</summary>
internal static class BitmapGen
{
    private static readonly Gen<uint> Sparse = ArbMap.Default.GeneratorFor<uint>();

    private static Gen<uint[]> Dense =>
        from chunk in Gen.Choose(0, 3)
        from count in Gen.Choose(0, 9000)
        from values in Gen.Choose(0, 65535).ArrayOf(count)
        select values.Select(v => (uint)((chunk * 65536) + v)).ToArray();

    private static Gen<uint[]> Runs =>
        from start in Gen.Choose(0, 300_000)
        from length in Gen.Choose(0, 70_000)
        select Enumerable.Range(start, length).Select(v => (uint)v).ToArray();

    /// <summary>A mix of the three shapes.</summary>
    public static Gen<uint[]> Values =>
        from count in Gen.Choose(1, 3)
        from parts in Gen.OneOf(Sparse.ArrayOf(), Dense, Runs).ArrayOf(count)
        select parts.SelectMany(p => p).ToArray();

    public static Arbitrary<uint[]> Arbitrary => Values.ToArbitrary();

    public static Config Config => Config.QuickThrowOnFailure.WithMaxTest(60);
}
