namespace Toolkit.Analysis;

/// <summary>An abrupt fall of the training loss on predictable positions (Olsson et al. 2022, "In-context
/// Learning and Induction Heads": a plateau, then a sudden drop while induction heads form): the grid step
/// where the smoothed loss falls fastest, the smoothed loss half a window before and after it, and the
/// <see cref="GridStep"/> the curve was resampled on (docs/design.md §4).</summary>
public sealed record PhaseChange(int Step, double LossBefore, double LossAfter, double Drop, int GridStep)
{
    /// <summary>Number of grid intervals the curve is resampled onto (grid step = max(1, span / 100)).</summary>
    public const int GridIntervals = 100;
    /// <summary>Centred moving average over this many grid points before taking slopes.</summary>
    public const int SmoothingPoints = 5;
    /// <summary>Width, in grid points (10% of the run), of the "short window" the drop must happen in, and of
    /// the window before it whose fall rate is compared with the peak.</summary>
    public const int Window = 10;
    /// <summary>The drop inside the short window must be at least this fraction of the whole fall of the run.</summary>
    public const double MinConcentration = 0.5;
    /// <summary>Before the drop, the loss must fall at most this fraction of the peak rate (a plateau, not a
    /// decay that is already fast and slowing down).</summary>
    public const double MaxRateBeforeOverPeak = 1.0 / 3.0;

    /// <summary>The rule, in one line, for reports.</summary>
    public const string Rule =
        "loss resampled on an even grid (span/100 steps), 5-point moving average; a phase change is the steepest fall " +
        "when ≥ 50% of the run's total fall happens within 10% of the run around it and the loss fell ≤ 1/3 as fast " +
        "over the 10% before (a plateau then an abrupt drop, Olsson et al. 2022); a smooth decay is no phase change";

    /// <summary>Detects the phase change on a logged loss curve, independent of how often rows were logged:
    /// <list type="number">
    /// <item>The curve (sorted by step, duplicate steps averaged) is linearly interpolated onto an even grid of
    /// <c>g = max(1, span / 100)</c> steps, so extra rows at evaluation steps cannot change a slope.</item>
    /// <item>A centred moving average over <see cref="SmoothingPoints"/> grid points; the fall rate at grid point
    /// i is the central difference <c>(s[i−1] − s[i+1]) / 2</c>.</item>
    /// <item>At the steepest fall i*, the fall is called abrupt (Olsson et al. 2022 describe a plateau followed
    /// by a sudden drop) only when both hold: the smoothed loss falls by ≥ <see cref="MinConcentration"/> of the
    /// whole run's fall (first smoothed value minus the minimum) within <see cref="Window"/> grid points centred
    /// on i*; and over the <see cref="Window"/> grid points before that window the mean fall rate is
    /// ≤ <see cref="MaxRateBeforeOverPeak"/> of the peak (so an exponential decay, steepest at its start and
    /// slowing down, is not a phase change; nor is a steepest fall at the very start of training).</item>
    /// </list>
    /// Returns null when the curve is too short (fewer than 3 windows of grid points) or has no abrupt fall.</summary>
    public static PhaseChange? Detect(IReadOnlyList<(int Step, double Loss)> curve)
    {
        var points = curve.Where(p => double.IsFinite(p.Loss)).GroupBy(p => p.Step).OrderBy(g => g.Key)
            .Select(g => (Step: g.Key, Loss: g.Average(p => p.Loss))).ToList();
        if (points.Count < 2) return null;
        int first = points[0].Step, span = points[^1].Step - first;
        var grid = Math.Max(1, span / GridIntervals);
        var n = span / grid + 1;
        if (n < 3 * Window) return null;
        var resampled = new double[n];
        var k = 0;
        for (var i = 0; i < n; i++)
        {
            var step = first + i * grid;
            while (k + 1 < points.Count - 1 && points[k + 1].Step <= step) k++;
            var (s0, l0) = points[k];
            var (s1, l1) = points[Math.Min(k + 1, points.Count - 1)];
            resampled[i] = s1 == s0 ? l0 : l0 + (l1 - l0) * Math.Clamp((step - s0) / (double)(s1 - s0), 0, 1);
        }
        var smooth = new double[n];
        for (var i = 0; i < n; i++)
        {
            int lo = Math.Max(0, i - SmoothingPoints / 2), hi = Math.Min(n - 1, i + SmoothingPoints / 2);
            double sum = 0;
            for (var j = lo; j <= hi; j++) sum += resampled[j];
            smooth[i] = sum / (hi - lo + 1);
        }
        int best = -1;
        var bestFall = 0.0;
        for (var i = 1; i < n - 1; i++)
        {
            var fall = (smooth[i - 1] - smooth[i + 1]) / 2;
            if (fall > bestFall) { bestFall = fall; best = i; }
        }
        if (best < 0) return null;
        var totalFall = smooth[0] - smooth.Min();
        int windowStart = Math.Max(0, best - Window / 2), windowEnd = Math.Min(n - 1, best + Window / 2);
        var drop = smooth[windowStart] - smooth[windowEnd];
        if (totalFall <= 0 || drop < MinConcentration * totalFall) return null;
        var beforeStart = windowStart - Window;
        if (beforeStart < 0) return null; // no plateau can be seen before a drop at the start
        var rateBefore = (smooth[beforeStart] - smooth[windowStart]) / Window;
        if (rateBefore > MaxRateBeforeOverPeak * bestFall) return null;
        return new PhaseChange(first + best * grid, smooth[windowStart], smooth[windowEnd], drop, grid);
    }
}
