using System.Globalization;

namespace Toolkit.Reports;

/// <summary>The part of a run report that shows a routed pool's choices at the last evaluation: router-selection.csv
/// (option × step), router-coselection.csv (option × option) and router-identity.csv (identity share by step).</summary>
public static class RouterSection
{
    /// <summary>Adds the router heatmaps when the run wrote router statistics; returns whether it did.</summary>
    public static bool Add(HtmlReport report, string runDir)
    {
        var selectionPath = Path.Combine(runDir, "router-selection.csv");
        var coPath = Path.Combine(runDir, "router-coselection.csv");
        var identityPath = Path.Combine(runDir, "router-identity.csv");
        if (!File.Exists(selectionPath) || !File.Exists(coPath) || !File.Exists(identityPath)) return false;
        var (step, columns, rows, counts) = ReadMatrix(selectionPath);
        report.AddHeading($"Router statistics (held-out examples, evaluation at step {step})");
        report.AddParagraph("Each cell counts decisions: one per position (per-token routing) or per sequence (per-sequence, schedule, fixed) " +
                            "at each step; ACT units that halted decide no more. L = a block of the pool, I = an identity layer.");
        var share = new double[rows.Length, columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            var total = Enumerable.Range(0, rows.Length).Sum(r => counts[r, c]);
            for (var r = 0; r < rows.Length; r++) share[r, c] = total == 0 ? double.NaN : counts[r, c] / total;
        }
        report.AddHeatmap("selection frequency: share of each step's decisions (rows: option, columns: step)", share, columns, rows, zmin: 0, zmax: 1);
        var (_, coColumns, coRows, co) = ReadMatrix(coPath);
        report.AddHeatmap("co-selection: pairs of steps of one unit that chose both options (diagonal removed)", co, coColumns, coRows);
        var identity = File.ReadAllLines(identityPath).Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        report.AddBarChart("identity layers: share of each step's decisions", "step", "share",
            identity.Select(f => $"step {f[1]}").ToList(), [("identity share", identity.Select(f => Parse(f[4])).ToArray())]);
        return true;
    }

    private static double Parse(string cell) => double.Parse(cell, CultureInfo.InvariantCulture);

    /// <summary>A matrix file "step,option,col…" → its step, column labels, row labels and cells.</summary>
    private static (string Step, string[] Columns, string[] Rows, double[,] Cells) ReadMatrix(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        if (lines.Count < 2) throw new ReportException($"{path} holds no rows", "train the run again, or delete the file");
        var columns = lines[0].Skip(2).ToArray();
        var rows = lines.Skip(1).Select(f => f[1]).ToArray();
        var cells = new double[rows.Length, columns.Length];
        for (var r = 0; r < rows.Length; r++)
            for (var c = 0; c < columns.Length; c++)
                cells[r, c] = Parse(lines[r + 1][c + 2]);
        return (lines[1][0], columns, rows, cells);
    }
}
