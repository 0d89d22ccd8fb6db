using System.Globalization;

namespace Toolkit.Runs;

/// <summary>A run's metrics.csv, read and checked against what <see cref="MetricsLog"/> writes (docs/design.md §6): line 1
/// is the run's header; every row has as many cells, a whole-number step above the row before it, and every other cell
/// empty or a number (NaN and ±Infinity included). A last line without its newline is a row still being appended (or cut
/// by a kill): it is left out, never an error. Reading stops at the first damaged line, which is kept as <see cref="Damage"/>.</summary>
public sealed class MetricsFile
{
    /// <summary>One well-formed row: its line number (the header is line 1), step, text and cells.</summary>
    public sealed record Row(int Line, int Step, string Text, string[] Cells);

    /// <summary>The first damaged line, what is wrong with it, and its step when its first cell still reads as one
    /// above the previous row's (a row cut short keeps its step).</summary>
    public sealed record Damaged(int Line, string Why, int? Step = null);

    /// <summary>The file's path.</summary>
    public string Path { get; }
    /// <summary>The header's column names (the expected ones).</summary>
    public IReadOnlyList<string> Columns { get; }
    /// <summary>The well-formed rows before the first damaged line, in file order.</summary>
    public IReadOnlyList<Row> Rows { get; }
    /// <summary>The first damaged line, or null when every line is well-formed.</summary>
    public Damaged? Damage { get; }

    private MetricsFile(string path, IReadOnlyList<string> columns, IReadOnlyList<Row> rows, Damaged? damage) =>
        (Path, Columns, Rows, Damage) = (path, columns, rows, damage);

    /// <summary>Reads <paramref name="path"/> (which must exist), checking it against <paramref name="header"/>.</summary>
    public static MetricsFile Read(string path, string header)
    {
        var columns = header.Split(',');
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        // The text after the last newline is a row being appended (empty when the file ends with its newline).
        var complete = lines.Length - 1;
        var rows = new List<Row>();
        if (complete == 0 || lines[0] != header)
            return new MetricsFile(path, columns, rows, new Damaged(1, complete == 0 ? "the header is missing or cut short" : "it is not the header this run writes"));
        for (var i = 1; i < complete; i++)
        {
            var previous = rows.Count > 0 ? rows[^1].Step : 0;
            var why = Check(lines[i], columns, previous, out var step, out var cells);
            if (why is not null) return new MetricsFile(path, columns, rows, new Damaged(i + 1, why, step > previous ? step : null));
            rows.Add(new Row(i + 1, step, lines[i], cells));
        }
        return new MetricsFile(path, columns, rows, null);
    }

    private static string? Check(string line, IReadOnlyList<string> columns, int previous, out int step, out string[] cells)
    {
        cells = line.Split(',');
        if (!int.TryParse(cells[0], NumberStyles.None, CultureInfo.InvariantCulture, out step)) return $"step '{Shorten(cells[0])}' is not a whole number";
        if (step <= previous) return $"step {step} does not follow step {previous}";
        if (cells.Length != columns.Count) return $"it has {cells.Length} cells, the header {columns.Count}";
        for (var c = 1; c < cells.Length; c++)
            if (cells[c].Length > 0 && !double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                return $"{columns[c]} '{Shorten(cells[c])}' is not a number";
        return null;
    }

    private static string Shorten(string s) => s.Length <= 20 ? s : s[..20] + "…";

    /// <summary>The column's index (−1 when absent).</summary>
    public int Column(string name) => Columns.ToList().IndexOf(name);

    /// <summary>A cell as a number: NaN when it is empty (not evaluated on that row).</summary>
    public static double Number(Row row, int column) =>
        column >= 0 && row.Cells[column].Length > 0 ? double.Parse(row.Cells[column], NumberStyles.Float, CultureInfo.InvariantCulture) : double.NaN;

    /// <summary>The training loss of every row that logs one.</summary>
    public IReadOnlyList<(int Step, double Loss)> LossCurve()
    {
        var loss = Column("train_loss");
        return Rows.Where(r => r.Cells[loss].Length > 0).Select(r => (r.Step, Number(r, loss))).ToList();
    }

    /// <summary>Every induction score logged: the row's step, the head (LxHy) and the score (NaN when not evaluated).</summary>
    public IEnumerable<(int Step, string Head, double Score)> InductionScores()
    {
        var columns = Columns.Select((name, i) => (name, i)).Where(c => c.name.StartsWith("ind_", StringComparison.Ordinal)).ToList();
        return Rows.SelectMany(r => columns.Select(c => (r.Step, c.name["ind_".Length..], Number(r, c.i))));
    }

    /// <summary>The damage as one line: the file, the line number and what is wrong (null when there is none).</summary>
    public string? DamageMessage => Damage is { } d ? $"{Path} line {d.Line} is damaged: {d.Why}" : null;

    /// <summary>Whether the first damaged line may lie at or before <paramref name="step"/>: it does not, when its own step
    /// or a good row before it is past the step.</summary>
    public bool DamagedThrough(int step) => Damage is not null && !(Damage.Step > step || Rows.Any(r => r.Step > step));

    /// <summary>Why resuming from the checkpoint after <paramref name="step"/> steps would not reproduce the file: a damaged line
    /// that may lie at or before it (<see cref="DamagedThrough"/>), or a missing row (the last row at or before it must be at step − <paramref name="intervalSteps"/>,
    /// where the checkpoint's interval began). Null when the rows through the step are complete and well-formed.</summary>
    public string? ProblemThrough(int step, int intervalSteps)
    {
        if (DamagedThrough(step)) return DamageMessage;
        int? expected = step - intervalSteps > 0 ? step - intervalSteps : null;
        var last = Rows.LastOrDefault(r => r.Step <= step)?.Step;
        if (last == expected) return null;
        return expected is int e
            ? $"{Path} has no row for step {e} (its last row at or before step {step} is {(last is int l ? $"step {l}" : "none")})"
            : $"{Path} has a row for step {last}, before the checkpoint's first row";
    }
}
