namespace Toolkit.Analysis;

/// <summary>The step where training loss on predictable positions falls fastest (docs/design.md §4),
/// with the loss before and after.</summary>
public sealed record PhaseChange(int Step, double LossBefore, double LossAfter, double Drop)
{
    /// <summary>Detects the phase change on a logged loss curve: a centred moving average over
    /// <paramref name="window"/> points, then the steepest fall per step between neighbours.
    /// Returns null when the curve is too short or never falls.</summary>
    public static PhaseChange? Detect(IReadOnlyList<(int Step, double Loss)> curve, int window = 5)
    {
        if (curve.Count < window + 2) return null;
        var smooth = new double[curve.Count];
        for (var i = 0; i < curve.Count; i++)
        {
            int lo = Math.Max(0, i - window / 2), hi = Math.Min(curve.Count - 1, i + window / 2);
            double sum = 0;
            for (var j = lo; j <= hi; j++) sum += curve[j].Loss;
            smooth[i] = sum / (hi - lo + 1);
        }
        var best = -1;
        var bestSlope = 0.0;
        for (var i = 1; i < curve.Count; i++)
        {
            var slope = (smooth[i] - smooth[i - 1]) / Math.Max(1, curve[i].Step - curve[i - 1].Step);
            if (slope < bestSlope) { bestSlope = slope; best = i; }
        }
        if (best < 0) return null;
        int before = Math.Max(0, best - window), after = Math.Min(curve.Count - 1, best + window);
        return new PhaseChange(curve[best].Step, smooth[before], smooth[after], smooth[before] - smooth[after]);
    }
}
