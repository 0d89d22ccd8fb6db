namespace Toolkit.Evaluation;

/// <summary>Which way two groups of per-seed numbers differ, if the numbers show it.</summary>
public enum Difference { Higher, Lower, NotShown, TooFewSeeds }

/// <summary>The one rule every experiment uses to say "A differs from B" over seeds: the 95% bootstrap interval of
/// mean(a) − mean(b) (<see cref="Bootstrap.MeanDifferenceInterval"/>) excludes 0, and each group has at least
/// <see cref="MinSeeds"/> values (below that the bootstrap interval is a point, or nearly, and shows nothing).</summary>
public sealed record MeanComparison(Difference Direction, double MeanDifference, double Low, double High, int Seeds)
{
    public const int MinSeeds = 3;

    public static MeanComparison Of(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var seeds = Math.Min(a.Count, b.Count);
        var (low, high) = Bootstrap.MeanDifferenceInterval(a, b);
        var mean = seeds == 0 ? double.NaN : a.Average() - b.Average();
        var direction = seeds < MinSeeds ? Difference.TooFewSeeds : low > 0 ? Difference.Higher : high < 0 ? Difference.Lower : Difference.NotShown;
        return new MeanComparison(direction, mean, low, high, seeds);
    }

    /// <summary>The comparison as words: <paramref name="higher"/> / <paramref name="lower"/> name the two directions
    /// ("better than", "later than"); the reference is what a was compared with.</summary>
    public string Words(string higher, string lower, string reference) => Direction switch
    {
        Difference.Higher => $"{higher} {reference}",
        Difference.Lower => $"{lower} {reference}",
        Difference.NotShown => $"not distinguishable from {reference}",
        _ => $"too few seeds ({Seeds}, need {MinSeeds}) to compare with {reference}",
    };
}
