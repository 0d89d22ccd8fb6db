namespace Toolkit.Analysis;

/// <summary>What a run's metrics.csv says about training: the phase change (docs/design.md §4, a plateau then an
/// abrupt drop of the loss on predictable positions) and the best induction score over training.</summary>
public sealed record TrainingDynamics(PhaseChange? Phase, double BestInduction, string? BestInductionHead, int BestInductionStep,
    IReadOnlyList<(int Step, double Loss)> LossCurve)
{
    /// <summary>Whether the run had a metrics.csv (a run holding only a checkpoint, e.g. copied or imported, has none).</summary>
    public bool HasMetrics { get; init; } = true;

    /// <summary>The dynamics of a run without a metrics.csv (imported, or copied as its checkpoint only): unknown, which every
    /// command states instead of refusing the run, since its weights can still be judged.</summary>
    public static TrainingDynamics Unknown => new(null, double.NaN, null, 0, []) { HasMetrics = false };

    /// <summary>The dynamics of a run's logged rows: its training-loss curve, and every induction score logged (step, head
    /// as LxHy, score). The rows come from a checked metrics.csv (Runs.MetricsFile), never from raw text.</summary>
    public static TrainingDynamics From(IReadOnlyList<(int Step, double Loss)> curve, IEnumerable<(int Step, string Head, double Score)> induction)
    {
        double best = double.NaN;
        string? bestHead = null;
        var bestStep = 0;
        foreach (var (step, head, score) in induction)
            if (!double.IsNaN(score) && !(score <= best))
                (best, bestHead, bestStep) = (score, head, step);
        return new TrainingDynamics(PhaseChange.Detect(curve), best, bestHead, bestStep, curve);
    }

    public override string ToString() => !HasMetrics ? "no metrics.csv: training dynamics unknown (the weights are judged as they are)" :
        (Phase is { } p ? $"phase change at step {p.Step} (smoothed loss {p.LossBefore:F2} → {p.LossAfter:F2}, 10–90% of the drop at steps {p.DropStart}..{p.DropEnd})" : "no phase change detected") +
        (BestInductionHead is null ? "" : $"; best induction score over training {BestInduction:F2} ({BestInductionHead} at step {BestInductionStep})");
}
