using System.Globalization;

namespace Toolkit.Analysis;

/// <summary>What a run's metrics.csv says about training: the phase change (docs/design.md §4, a plateau then an
/// abrupt drop of the loss on predictable positions) and the best induction score over training.</summary>
public sealed record TrainingDynamics(PhaseChange? Phase, double BestInduction, string? BestInductionHead, int BestInductionStep,
    IReadOnlyList<(int Step, double Loss)> LossCurve)
{
    /// <summary>Whether the run had a metrics.csv (a run holding only a checkpoint, e.g. copied or imported, has none).</summary>
    public bool HasMetrics { get; init; } = true;

    /// <summary>Reads a run's metrics.csv (as written by the trainer); a run without one has unknown dynamics,
    /// which every command states instead of refusing the run: its weights can still be judged.</summary>
    public static TrainingDynamics Read(string metricsPath)
    {
        if (!File.Exists(metricsPath))
            return new TrainingDynamics(null, double.NaN, null, 0, []) { HasMetrics = false };
        var lines = File.ReadAllLines(metricsPath);
        if (lines.Length == 0) return new TrainingDynamics(null, double.NaN, null, 0, []) { HasMetrics = false };
        var header = lines[0].Split(',');
        int Col(string name) => Array.IndexOf(header, name);
        var lossCol = Col("train_loss");
        var inductionCols = header.Select((h, i) => (h, i)).Where(c => c.h.StartsWith("ind_", StringComparison.Ordinal)).ToList();
        var curve = new List<(int, double)>();
        double best = double.NaN;
        string? bestHead = null;
        var bestStep = 0;
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            if (cells.Length != header.Length) continue;
            var step = int.Parse(cells[0], CultureInfo.InvariantCulture);
            if (double.TryParse(cells[lossCol], NumberStyles.Float, CultureInfo.InvariantCulture, out var loss)) curve.Add((step, loss));
            foreach (var (name, i) in inductionCols)
                if (double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var score) && !(score <= best))
                    (best, bestHead, bestStep) = (score, name["ind_".Length..], step);
        }
        return new TrainingDynamics(PhaseChange.Detect(curve), best, bestHead, bestStep, curve);
    }

    public override string ToString() => !HasMetrics ? "no metrics.csv: training dynamics unknown (the weights are judged as they are)" :
        (Phase is { } p ? $"phase change at step {p.Step} (smoothed loss {p.LossBefore:F2} → {p.LossAfter:F2}, 10–90% of the drop at steps {p.DropStart}..{p.DropEnd})" : "no phase change detected") +
        (BestInductionHead is null ? "" : $"; best induction score over training {BestInduction:F2} ({BestInductionHead} at step {BestInductionStep})");
}
