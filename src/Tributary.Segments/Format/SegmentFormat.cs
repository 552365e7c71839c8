namespace Tributary.Segments.Format;

/// <summary>Constants of the sealed segment format (see README.md, "Sealed segment format").</summary>
internal static class SegmentFormat
{
    public const uint Magic = 0x47455354; // "TSEG" little-endian
    public const ushort Version = 1;
    public const int HeaderBytes = 16;
    public const int FooterBytes = 32;
    public const int SectionEntryBytes = 24;
}

/// <summary>Kinds of sections in a sealed segment.</summary>
internal enum SectionKind : ushort
{
    /// <summary>Packed column of time-bucket indexes (row time = start + bucket × query granularity).</summary>
    Time = 1,

    /// <summary>Sorted dictionary of a dimension.</summary>
    Dictionary = 2,

    /// <summary>Packed column of a dimension's value ids per row.</summary>
    Ids = 3,

    /// <summary>One portable roaring bitmap per value id.</summary>
    Bitmaps = 4,

    /// <summary>Packed column of a count/long metric.</summary>
    LongMetric = 5,

    /// <summary>Column of f64 of a double metric.</summary>
    DoubleMetric = 6,

    /// <summary>Per-row HyperLogLog updates plus per-row sketches.</summary>
    HyperUnique = 7,

    /// <summary>Bloom filter of the partition-key values.</summary>
    BloomFilter = 8,
}
