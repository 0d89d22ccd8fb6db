namespace Toolkit.Evaluation;

/// <summary>Percentile bootstrap over sequences (positions within a sequence are not independent).</summary>
public static class Bootstrap
{
    /// <summary>95% interval of pooled accuracy sum(correct)/sum(masked), resampling sequences.
    /// Fixed seed: the same data gives the same interval.</summary>
    public static (double Low, double High) Interval(long[] correct, long[] masked, int resamples = 1000, int seed = 12345)
    {
        var n = correct.Length;
        if (n == 0 || masked.Sum() == 0) return (double.NaN, double.NaN);
        var rng = new Random(seed);
        var stats = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            long c = 0, m = 0;
            for (var i = 0; i < n; i++)
            {
                var j = rng.Next(n);
                c += correct[j];
                m += masked[j];
            }
            stats[r] = m == 0 ? 0 : (double)c / m;
        }
        Array.Sort(stats);
        return (stats[(int)(0.025 * (resamples - 1))], stats[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }

    /// <summary>95% percentile interval of the mean of independent values (e.g. one number per seed).</summary>
    public static (double Low, double High) MeanInterval(IReadOnlyList<double> values, int resamples = 2000, int seed = 12345) =>
        MeanDifferenceInterval(values, [], resamples, seed);

    /// <summary>95% percentile interval of mean(a) − mean(b) (b empty: of mean(a)), resampling each group on its own;
    /// a claim that two settings differ needs this interval to exclude 0.</summary>
    public static (double Low, double High) MeanDifferenceInterval(IReadOnlyList<double> a, IReadOnlyList<double> b, int resamples = 2000, int seed = 12345)
    {
        if (a.Count == 0) return (double.NaN, double.NaN);
        var rng = new Random(seed);
        var stats = new double[resamples];
        double Resampled(IReadOnlyList<double> xs)
        {
            if (xs.Count == 0) return 0;
            double sum = 0;
            for (var i = 0; i < xs.Count; i++) sum += xs[rng.Next(xs.Count)];
            return sum / xs.Count;
        }
        for (var r = 0; r < resamples; r++) stats[r] = Resampled(a) - Resampled(b);
        Array.Sort(stats);
        return (stats[(int)(0.025 * (resamples - 1))], stats[(int)Math.Ceiling(0.975 * (resamples - 1))]);
    }
}
