namespace Toolkit.Evaluation;

/// <summary>The one rule every experiment uses to say "the mean of A differs from the mean of B" over seeds: the 95%
/// Student-t interval of the difference excludes 0 (equivalently, the t-test's two-sided p ≤ 0.05), with at least
/// <see cref="MinSeeds"/> seeds per group. Independent groups use Welch's interval; groups whose seeds pair (the same
/// seed gives both arms the same data and initialization) use the one-sample interval of the per-seed differences.
/// docs/design.md §4 "Statistics over seeds" gives the measured coverage.</summary>
public sealed record MeanComparison(Difference Direction, double MeanDifference, double Low, double High, double P, int Seeds, bool Paired) : IComparison
{
    /// <summary>Fewest seeds per group for any claim (<see cref="IComparison.MinSeeds"/>).</summary>
    public const int MinSeeds = IComparison.MinSeeds;

    /// <summary>+1 when mean(a) &gt; mean(b), −1 below, 0 equal.</summary>
    public int Sign => double.IsNaN(MeanDifference) ? 0 : Math.Sign(MeanDifference);

    /// <summary>mean(a) − mean(b) for independent groups (Welch's t interval and test).</summary>
    public static MeanComparison Of(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var seeds = Math.Min(a.Count, b.Count);
        if (a.Count < 2 || b.Count < 2)
            return new MeanComparison(Difference.TooFewSeeds, a.Count == 0 || b.Count == 0 ? double.NaN : a.Average() - b.Average(), double.NaN, double.NaN, double.NaN, seeds, false);
        var diff = a.Average() - b.Average();
        double va = Variance(a) / a.Count, vb = Variance(b) / b.Count;
        var se = Math.Sqrt(va + vb);
        double low, high, p;
        if (se == 0) (low, high, p) = (diff, diff, diff == 0 ? 1 : 0);
        else
        {
            var df = (va + vb) * (va + vb) / (va * va / (a.Count - 1) + vb * vb / (b.Count - 1));
            var half = StudentT.Quantile(1 - IComparison.Alpha / 2, df) * se;
            (low, high, p) = (diff - half, diff + half, StudentT.TwoSidedP(diff / se, df));
        }
        return new MeanComparison(IComparison.Decide(seeds, p, Math.Sign(diff)), diff, low, high, p, seeds, false);
    }

    /// <summary>mean(a − b) where a[i] and b[i] come from the same seed (the one-sample t interval of the differences).</summary>
    public static MeanComparison PairedOf(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count) throw new ArgumentException($"paired groups need one value per seed in each ({a.Count} against {b.Count})");
        return FromZero(a.Zip(b, (x, y) => x - y).ToList()) with { Paired = true };
    }

    /// <summary>Whether the mean of per-seed values (differences, excesses over a baseline) differs from 0.</summary>
    public static MeanComparison FromZero(IReadOnlyList<double> values)
    {
        var i = MeanInterval.Of(values);
        var se = values.Count < 2 ? double.NaN : MeanInterval.StandardError(values);
        var p = values.Count < 2 ? double.NaN : se == 0 ? (i.Mean == 0 ? 1 : 0) : StudentT.TwoSidedP(i.Mean / se, values.Count - 1);
        return new MeanComparison(IComparison.Decide(values.Count, p, double.IsNaN(i.Mean) ? 0 : Math.Sign(i.Mean)), i.Mean, i.Low, i.High, p, values.Count, false);
    }

    /// <summary>The decision at 0.05 alone as words (<see cref="IComparison.Words"/>).</summary>
    public string Words(string higher, string lower, string reference) => IComparison.Words(Direction, Seeds, higher, lower, reference);

    /// <summary>"difference [low, high]" (95%; "paired by seed" when paired) with a formatter for the numbers.</summary>
    public string Format(Func<double, string> number) =>
        $"{number(MeanDifference)} [{number(Low)}, {number(High)}]{(Paired ? " paired by seed" : "")}";

    private static double Variance(IReadOnlyList<double> xs)
    {
        var mean = xs.Average();
        return xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1);
    }
}
