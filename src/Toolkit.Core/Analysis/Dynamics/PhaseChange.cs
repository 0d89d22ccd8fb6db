namespace Toolkit.Analysis;

/// <summary>An abrupt fall of the training loss on predictable positions (Olsson et al. 2022, "In-context
/// Learning and Induction Heads": a plateau, then a sudden drop while induction heads form): the step by which half
/// of the drop has happened, the loss at the top and bottom of the drop, and the span over which the middle 80%
/// of the drop happens (its own timescale, measured on the curve; docs/design.md §4).</summary>
/// <param name="Step">The first step by which half of the drop has happened (for a symmetric drop, where it is steepest).</param>
/// <param name="LossBefore">Smoothed loss where the drop begins (its fall rate first reaches 1/10 of the peak).</param>
/// <param name="LossAfter">Smoothed loss where the drop ends (its fall rate is back below 1/10 of the peak).</param>
/// <param name="Drop">LossBefore − LossAfter.</param>
/// <param name="DropStart">First step at which 10% of the drop has happened.</param>
/// <param name="DropEnd">First step at which 90% of the drop has happened.</param>
public sealed record PhaseChange(int Step, double LossBefore, double LossAfter, double Drop, int DropStart, int DropEnd)
{
    /// <summary>The drop extends, on each side of the steepest fall, as long as the loss falls at least this
    /// fraction of the peak rate.</summary>
    public const double ExtentRate = 0.1;
    /// <summary>The drop's width is the span between the steps where this fraction, and one minus it, of the drop
    /// has happened (10% to 90%: about 4 τ for a logistic drop of timescale τ).</summary>
    public const double WidthQuantile = 0.1;
    /// <summary>Over the window of the drop's width just before it, the smoothed loss may move (max − min) by at
    /// most this fraction of the drop: a plateau, not a decay already under way (a logistic drop moves 0.1 there).</summary>
    public const double MaxPlateauMoveOverDrop = 0.25;
    /// <summary>The smoothing window is the smallest (logging interval × 1, 2, 4, …) at which the noise of the fall
    /// rate (its standard deviation) is at most this fraction of <see cref="ExtentRate"/> × the peak: noise then
    /// cannot cut the drop short, and a fall no window lifts that far above noise is no phase change.</summary>
    public const double MaxRateNoiseOverExtent = 1.0 / 3.0;

    /// <summary>Steps over which 80% of the drop happens (DropEnd − DropStart, at least 1).</summary>
    public int Width => Math.Max(1, DropEnd - DropStart);

    /// <summary>The rule, in one line, for reports.</summary>
    public const string Rule =
        "logged rows read as means over the steps since the previous row; smoothed over the smallest window (the logging interval " +
        "× 1, 2, 4, …) where the fall rate's noise is ≤ 1/30 of its peak; the drop around the steepest fall extends while the loss " +
        "falls ≥ 1/10 of the peak rate and must end before the curve does; its width w spans 10% to 90% of it; a phase change " +
        "when the loss moved ≤ 1/4 of the drop over the w steps before (a plateau, then an abrupt drop, Olsson et al. 2022); " +
        "no window depends on the run's length";

    /// <summary>Detects the phase change on a logged loss curve, as the trainer logs it: each row's loss is the mean
    /// of the per-step losses since the previous row (the first row only anchors the curve). No window is a
    /// fraction of the run, so cutting a curve after its drop has ended, or extending its converged tail, leaves
    /// the answer as it is.
    /// <list type="number">
    /// <item>The per-step loss is rebuilt from the rows (each row's mean over its own interval), so extra rows at
    /// evaluation steps only refine it. It is smoothed by a centred moving average over S steps; the fall rate at
    /// a step is the smoothed fall over the S steps around it, per step.</item>
    /// <item>At a given S, the candidate is the steepest fall of the whole curve. The drop extends left and right of it while the fall
    /// rate stays ≥ <see cref="ExtentRate"/> of the peak; a drop that reaches the start or the end of the curve is
    /// not reported (its plateau or its end is not seen). Its size D is the smoothed loss at the left end minus at
    /// the right end, its width w the steps from 10% to 90% of D (<see cref="WidthQuantile"/>).</item>
    /// <item>S is the smallest of G, 2G, 4G, … (G the longest interval between rows, the log's resolution) at which
    /// the fall rate's noise, √2 σ / S^1.5 (σ the per-step noise, measured on the rows away from the drop), is at most
    /// <see cref="MaxRateNoiseOverExtent"/> of <see cref="ExtentRate"/> × the peak rate: finer windows let noise
    /// cut the drop short, coarser ones blur it. A curve where no window (up to a third of its length) gets there
    /// has no fall above its noise.</item>
    /// <item>It is a phase change only when the w steps before the 10% point (at least S, inside the curve) are a
    /// plateau: the smoothed loss there moves by at most <see cref="MaxPlateauMoveOverDrop"/> · D. An exponential
    /// decay (steepest at its start: no plateau before it), a linear decline (no end) and noise are not phase
    /// changes.</item>
    /// </list>
    /// Returns null when the curve has fewer than 3 rows or no abrupt drop by this rule.</summary>
    public static PhaseChange? Detect(IReadOnlyList<(int Step, double Loss)> curve)
    {
        var points = curve.Where(p => double.IsFinite(p.Loss)).GroupBy(p => p.Step).OrderBy(g => g.Key)
            .Select(g => (Step: g.Key, Loss: g.Average(p => p.Loss))).ToList();
        if (points.Count < 3) return null;
        var first = points[0].Step;
        var n = points[^1].Step - first; // per-step losses of steps first+1 .. last
        var resolution = Enumerable.Range(1, points.Count - 1).Max(k => points[k].Step - points[k - 1].Step);
        // Prefix sums of the per-step loss: each row's mean over its own interval.
        var prefix = new double[n + 1];
        for (int k = 1, i = 0; k < points.Count; k++)
            for (; i < points[k].Step - first; i++) prefix[i + 1] = prefix[i] + points[k].Loss;

        // The noise is estimated away from the steepest fall seen at the log's own resolution (its rows are trend).
        var fine = Fall.Measure(prefix, resolution);
        var noise = fine is null ? Noise(points, int.MaxValue, int.MinValue, int.MaxValue, int.MinValue)
            : Noise(points, first + fine.Start - resolution, first + fine.End + resolution, first + fine.From, first + fine.To);
        if (double.IsNaN(noise)) return null; // too few rows to tell a fall from noise
        Fall? chosen = null;
        for (var window = resolution; 3 * window <= n && chosen is null; window *= 2)
            if (Fall.Measure(prefix, window) is { } fall && Math.Sqrt(2) * noise / Math.Pow(window, 1.5) <= MaxRateNoiseOverExtent * ExtentRate * fall.Peak)
                chosen = fall;
        if (chosen is not { } d) return null;
        if (d.Size <= 1e-9 * Math.Max(1, Math.Abs(d.Top))) return null; // a fall of floating-point rounding (a constant loss)
        var width = Math.Max(Math.Max(1, d.To - d.From), d.Window);
        if (d.From - width < d.Lo) return null; // no plateau can be seen before the drop
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (var i = d.From - width; i <= d.From; i++)
        {
            var s = d.Smooth(i);
            min = Math.Min(min, s);
            max = Math.Max(max, s);
        }
        if (max - min > MaxPlateauMoveOverDrop * d.Size) return null;
        return new PhaseChange(first + d.Middle, d.Top, d.Top - d.Size, d.Size, first + d.From, first + d.To);
    }

    /// <summary>Standard deviation σ of one step's loss. A row is the mean of the n steps since the previous row; each
    /// row is compared with the straight line through its neighbours at their intervals' centres, which takes out the
    /// curve's local trend; that residual's variance is σ² (1/n + a²/n₋ + b²/n₊) for the line's weights a, b. σ is
    /// from the median scaled residual over rows whose intervals stay out of [skipFrom, skipTo] (the drop with its
    /// tails). When fewer than 3 are left (a short log that is mostly drop), from the median over those whose three
    /// rows stay out of [coreFrom, coreTo] (the drop's 10%–90% span, which the smoothing already widens); with none
    /// of those, from the lower quartile of every row's; NaN (unknown: no phase change can be told from noise) with
    /// fewer than 3 residuals in all (5 rows or fewer).</summary>
    private static double Noise(IReadOnlyList<(int Step, double Loss)> points, int skipFrom, int skipTo, int coreFrom, int coreTo)
    {
        List<double> all = [], kept = [], clear = [];
        for (var k = 2; k + 1 < points.Count; k++)
        {
            double Centre(int j) => (points[j - 1].Step + points[j].Step + 1) / 2.0;
            double Steps(int j) => points[j].Step - points[j - 1].Step;
            double before = Centre(k) - Centre(k - 1), after = Centre(k + 1) - Centre(k);
            double a = after / (before + after), b = before / (before + after); // weights of the previous and next row
            var residual = points[k].Loss - (a * points[k - 1].Loss + b * points[k + 1].Loss);
            var scaled = Math.Abs(residual) / Math.Sqrt(1 / Steps(k) + a * a / Steps(k - 1) + b * b / Steps(k + 1));
            all.Add(scaled);
            // Rows k-1, k and k+1 cover the steps after row k-2 up to row k+1.
            if (points[k + 1].Step < skipFrom || points[k - 2].Step > skipTo) kept.Add(scaled);
            if (points[k + 1].Step < coreFrom || points[k - 2].Step >= coreTo) clear.Add(scaled);
        }
        // |N(0, σ²)| has median 0.6745 σ and lower quartile 0.3186 σ.
        if (kept.Count >= 3) return Quantile(kept, 0.5) / 0.6745;
        if (clear.Count > 0) return Quantile(clear, 0.5) / 0.6745;
        return all.Count >= 3 ? Quantile(all, 0.25) / 0.3186 : double.NaN;
    }

    private static double Quantile(List<double> values, double q)
    {
        values.Sort();
        var at = q * (values.Count - 1);
        int below = (int)Math.Floor(at), above = Math.Min(below + 1, values.Count - 1);
        return values[below] + (at - below) * (values[above] - values[below]);
    }

    /// <summary>The drop around the steepest fall of the per-step loss smoothed over <see cref="Window"/> steps
    /// (indices count steps after the curve's first row).</summary>
    private sealed record Fall(double[] Prefix, int Window, int Steepest, double Peak, int Start, int End, int From, int Middle, int To, double Top, double Size)
    {
        /// <summary>First index where the smoothed loss is defined.</summary>
        public int Lo => Window / 2;

        /// <summary>Mean per-step loss over the window centred on index i.</summary>
        public double Smooth(int i) => Smooth(Prefix, Window, i);

        private static double Smooth(double[] prefix, int window, int i) => (prefix[i - window / 2 + window] - prefix[i - window / 2]) / window;

        public static Fall? Measure(double[] prefix, int window)
        {
            var n = prefix.Length - 1;
            int half = window / 2, lo = half, hi = n - (window - half); // where the smoothed loss is defined
            int rlo = lo + half, rhi = hi - (window - half); // where the fall rate is defined
            if (rhi - rlo < window) return null;
            double Rate(int i) => (Smooth(prefix, window, i - half) - Smooth(prefix, window, i - half + window)) / window;
            int best = -1;
            var peak = 0.0;
            for (var i = rlo; i <= rhi; i++)
            {
                var r = Rate(i);
                if (r > peak) { peak = r; best = i; }
            }
            if (best < 0) return null;
            var start = best;
            while (start > rlo && Rate(start) >= ExtentRate * peak) start--;
            var end = best;
            while (end < rhi && Rate(end) >= ExtentRate * peak) end++;
            if (Rate(start) >= ExtentRate * peak || Rate(end) >= ExtentRate * peak) return null; // its start or end is not seen
            double top = Smooth(prefix, window, start), size = top - Smooth(prefix, window, end);
            if (size <= 0) return null;
            int Crossing(double share)
            {
                var i = start;
                while (i < end && Smooth(prefix, window, i) > top - share * size) i++;
                return i;
            }
            return new Fall(prefix, window, best, peak, start, end, Crossing(WidthQuantile), Crossing(0.5), Crossing(1 - WidthQuantile), top, size);
        }
    }
}
