using Parquet;
using Parquet.Schema;

namespace Tributary.Tracker;

/// <summary>A table's Parquet schema, built once per snapshot and shared by its chunks.</summary>
internal sealed class TableLayout
{
    private TableLayout(IReadOnlyList<ColumnSchema> columns, IReadOnlyList<IReadOnlyList<DataField>> fields)
    {
        Columns = columns;
        Fields = fields;
        Schema = new ParquetSchema(fields.SelectMany(f => f).Cast<Field>().ToArray());
    }

    /// <summary>Writer options: the configured codec at its fastest level (the dump is CPU-bound).</summary>
    public static ParquetOptions ParquetOptionsFor(TrackerOptions options) => new()
    {
        CompressionMethod = Enum.Parse<CompressionMethod>(options.Compression, ignoreCase: true),
        CompressionLevel = System.IO.Compression.CompressionLevel.Fastest,
        UseBigDecimal = true,
    };

    public IReadOnlyList<ColumnSchema> Columns { get; }

    public IReadOnlyList<IReadOnlyList<DataField>> Fields { get; }

    public ParquetSchema Schema { get; }

    public static TableLayout Create(TableSchema table)
        => new(table.Columns, table.Columns.Select(ColumnBuffer.FieldsOf).ToList());
}
