using System.Globalization;
using Deedle;

namespace Toolkit.Reports;

/// <summary>Reads and writes CSV files as Deedle frames (rows keyed by line number, columns by header).</summary>
public static class CsvFrame
{
    /// <summary>Reads a CSV file with a header row; empty cells become missing values.</summary>
    /// <remarks>Types are inferred from every row (inferRows 0), so a column empty at the start still reads as numbers.</remarks>
    public static Frame<int, string> Read(string path) =>
        Frame.ReadCsv(path, hasHeaders: true, inferTypes: true, inferRows: 0, culture: CultureInfo.InvariantCulture.Name);

    /// <summary>Reads a CSV file that is appended to line by line (a run's metrics.csv): a last line without its newline is a
    /// row still being written, and is left out (docs/design.md §6).</summary>
    public static Frame<int, string> ReadCompleteLines(string path)
    {
        var text = File.ReadAllText(path);
        if (!text.EndsWith('\n')) text = text[..(text.LastIndexOf('\n') + 1)];
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        return Frame.ReadCsv(stream, hasHeaders: true, inferTypes: true, inferRows: 0, culture: CultureInfo.InvariantCulture.Name);
    }

    /// <summary>Writes a frame as CSV without the row keys, atomically (temporary file, then rename).</summary>
    public static void Write(Frame<int, string> frame, string path)
    {
        var full = Path.GetFullPath(path);
        var temp = full + $".tmp-{Environment.ProcessId}";
        frame.SaveCsv(temp, includeRowKeys: false, culture: CultureInfo.InvariantCulture);
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>The values of a numeric column, NaN where missing; all NaN when the column is absent or not numeric.</summary>
    public static double[] Column(Frame<int, string> frame, string column)
    {
        var keys = frame.RowKeys.ToArray();
        var result = Enumerable.Repeat(double.NaN, keys.Length).ToArray();
        if (!frame.ColumnKeys.Contains(column)) return result;
        var series = frame.GetColumn<object>(column);
        for (var i = 0; i < keys.Length; i++)
        {
            var value = series.TryGet(keys[i]);
            if (value.HasValue && ToDouble(value.Value) is { } d) result[i] = d;
        }
        return result;
    }

    /// <summary>The (x, y) pairs of two numeric columns on rows where both are present.</summary>
    public static (double[] X, double[] Y) Pairs(Frame<int, string> frame, string xColumn, string yColumn)
    {
        var x = Column(frame, xColumn);
        var y = Column(frame, yColumn);
        var keep = Enumerable.Range(0, x.Length).Where(i => !double.IsNaN(x[i]) && !double.IsNaN(y[i])).ToArray();
        return (keep.Select(i => x[i]).ToArray(), keep.Select(i => y[i]).ToArray());
    }

    private static double? ToDouble(object value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        decimal m => (double)m,
        bool b => b ? 1 : 0,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };
}
