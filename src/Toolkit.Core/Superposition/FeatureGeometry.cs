namespace Toolkit.Superposition;

/// <summary>The geometry of a toy model's represented features: antipodal pairs, and features grouped by their
/// fractional dimensionality D_i, which sticks at the values of regular arrangements (Elhage et al. 2022: 1 for a
/// dedicated dimension, 3/4 tetrahedron, 2/3 triangle, 1/2 antipodal pair, 2/5 pentagon, 3/8 square antiprism, 1/3).
/// docs/design.md §4 "Toy models of superposition".</summary>
public static class FeatureGeometry
{
    /// <summary>Two represented features form an antipodal pair when their cosine is at most this (a pentagon's closest
    /// neighbours are at −0.81, so it is not one).</summary>
    public const double AntipodalCosine = -0.9;

    /// <summary>A represented feature belongs to a sticky value when its D_i lies within this of it (half the gap
    /// between 2/5 and 3/8 is 0.0125; the nearest value wins).</summary>
    public const double StickyTolerance = 0.02;

    /// <summary>The sticky dimensionalities, largest first.</summary>
    public static readonly IReadOnlyList<(string Name, double Value)> StickyValues =
        [("1", 1.0), ("3/4", 3.0 / 4), ("2/3", 2.0 / 3), ("1/2", 1.0 / 2), ("2/5", 2.0 / 5), ("3/8", 3.0 / 8), ("1/3", 1.0 / 3)];

    /// <summary>The group of a feature that fits no sticky value.</summary>
    public const string Other = "other";

    /// <summary>Every pair i &lt; j of represented features whose cosine is at most <see cref="AntipodalCosine"/>.</summary>
    public static IReadOnlyList<(int A, int B, double Cosine)> AntipodalPairs(double[,] w)
    {
        var represented = FeatureMeasures.Of(w).Where(f => f.Represented).Select(f => f.Index).ToList();
        return (from a in represented
                from b in represented
                where a < b
                let cosine = FeatureMeasures.Cosine(w, a, b)
                where cosine <= AntipodalCosine
                select (a, b, cosine)).ToList();
    }

    /// <summary>The sticky value nearest <paramref name="dimensionality"/> when within <see cref="StickyTolerance"/>,
    /// else <see cref="Other"/>.</summary>
    public static string StickyValue(double dimensionality)
    {
        var nearest = StickyValues.MinBy(s => Math.Abs(s.Value - dimensionality));
        return Math.Abs(nearest.Value - dimensionality) <= StickyTolerance ? nearest.Name : Other;
    }

    /// <summary>The represented features counted by sticky value, in <see cref="StickyValues"/> order then
    /// <see cref="Other"/>; values with no feature are left out.</summary>
    public static IReadOnlyList<(string Value, int Count)> Groups(IEnumerable<FeatureMeasures.Feature> features)
    {
        var counts = features.Where(f => f.Represented).GroupBy(f => StickyValue(f.Dimensionality)).ToDictionary(g => g.Key, g => g.Count());
        return StickyValues.Select(s => s.Name).Append(Other).Where(counts.ContainsKey).Select(name => (name, counts[name])).ToList();
    }
}
