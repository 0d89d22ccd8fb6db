using System.Globalization;

namespace Toolkit.Evaluation;

/// <summary>Which way two groups of per-seed outcomes differ, if the outcomes show it.</summary>
public enum Difference { Higher, Lower, NotShown, TooFewSeeds }

/// <summary>A test of "A differs from B" over seeds (<see cref="MeanComparison"/>, <see cref="CensoredComparison"/>):
/// its two-sided p-value, the sign of the observed difference and its decision at <see cref="Alpha"/> taken alone
/// (a family of claims decides with <see cref="ClaimFamily"/> instead).</summary>
public interface IComparison
{
    /// <summary>Fewest seeds per group (pairs, when paired) from which any claim is made.</summary>
    const int MinSeeds = 5;

    /// <summary>The level of one claim; a family of k claims holds its family-wise error at this level (Holm).</summary>
    const double Alpha = 0.05;

    /// <summary>The decision at <see cref="Alpha"/> for this comparison alone.</summary>
    Difference Direction { get; }

    /// <summary>Two-sided p-value (NaN with too few seeds).</summary>
    double P { get; }

    /// <summary>+1 when the first group's outcome is higher (later), −1 lower, 0 no difference observed.</summary>
    int Sign { get; }

    /// <summary>Seeds in the smaller group (pairs when paired).</summary>
    int Seeds { get; }

    /// <summary>The estimate as text, numbers through <paramref name="number"/> ("3.1% [0.4%, 5.8%]"); the p-value is the claim's.</summary>
    string Format(Func<double, string> number);

    /// <summary>The decision for a p-value at a level: too few seeds, not shown, or the observed sign.</summary>
    static Difference Decide(int seeds, double p, int sign, double level = Alpha) =>
        seeds < MinSeeds ? Difference.TooFewSeeds : p <= level && sign != 0 ? (sign > 0 ? Difference.Higher : Difference.Lower) : Difference.NotShown;

    /// <summary>A decision as words: <paramref name="higher"/> / <paramref name="lower"/> name the directions ("better than",
    /// "later than"); the reference is what the first group was compared with.</summary>
    static string Words(Difference direction, int seeds, string higher, string lower, string reference) => direction switch
    {
        Difference.Higher => $"{higher} {reference}".Trim(),
        Difference.Lower => $"{lower} {reference}".Trim(),
        Difference.NotShown => $"not distinguishable from {reference}".Trim(),
        _ => $"too few seeds ({seeds}, need {MinSeeds}) to compare with {reference}".Trim(),
    };

    /// <summary>"p = 0.012" (three significant decimals; "p &lt; 0.001" below).</summary>
    static string FormatP(double p) =>
        double.IsNaN(p) ? "p n/a" : p < 0.001 ? "p < 0.001" : "p = " + p.ToString("0.###", CultureInfo.InvariantCulture);
}
