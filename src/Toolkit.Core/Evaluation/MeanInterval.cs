namespace Toolkit.Evaluation;

/// <summary>The mean of independent values (one per seed) with its Student-t interval: mean ± t(n−1) · sd / √n.
/// docs/design.md §4 "Statistics over seeds" gives its measured coverage; fewer than 2 values have no interval (NaN).</summary>
public sealed record MeanInterval(double Mean, double Low, double High, int N, double Level)
{
    /// <summary>The <paramref name="level"/> (default 95%) interval of the mean of <paramref name="values"/>.</summary>
    public static MeanInterval Of(IReadOnlyList<double> values, double level = 0.95)
    {
        var n = values.Count;
        if (n == 0) return new MeanInterval(double.NaN, double.NaN, double.NaN, 0, level);
        var mean = values.Average();
        if (n < 2) return new MeanInterval(mean, double.NaN, double.NaN, n, level);
        var half = StudentT.Quantile(1 - (1 - level) / 2, n - 1) * StandardError(values);
        return new MeanInterval(mean, mean - half, mean + half, n, level);
    }

    /// <summary>The interval cut to the values' possible range (accuracy in [0, 1]): cutting loses no coverage.</summary>
    public MeanInterval Within(double min, double max) => this with { Low = Math.Max(min, Low), High = Math.Min(max, High) };

    /// <summary>sd / √n with the n − 1 sample variance.</summary>
    public static double StandardError(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) / values.Count);
    }

    /// <summary>"mean [low, high]" with a formatter for the numbers.</summary>
    public string Format(Func<double, string> number) => $"{number(Mean)} [{number(Low)}, {number(High)}]";
}
