namespace Toolkit.Evaluation;

/// <summary>Percentile bootstrap over sequences (positions within a sequence are not independent). Used for accuracy over
/// hundreds of sequences, where its coverage is measured (SequenceBootstrapCoverageTests); numbers over a handful of seeds
/// use <see cref="MeanInterval"/> and <see cref="MeanComparison"/> instead.</summary>
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

    /// <summary>95% interval of the difference of two pooled accuracies on the same sequences, (sum(correctA) −
    /// sum(correctB)) / sum(masked), resampling sequences (each sequence keeps its pair): <see cref="Interval"/> of the
    /// per-sequence differences. Fixed seed.</summary>
    public static (double Low, double High) DifferenceInterval(long[] correctA, long[] correctB, long[] masked, int resamples = 1000, int seed = 12345)
    {
        if (correctA.Length != correctB.Length || correctA.Length != masked.Length)
            throw new ArgumentException($"paired accuracies need one count per sequence in each ({correctA.Length}, {correctB.Length}, {masked.Length})");
        return Interval(correctA.Zip(correctB, (x, y) => x - y).ToArray(), masked, resamples, seed);
    }
}
