namespace Toolkit.Superposition;

/// <summary>One toy model in a line: how many features it represents, how many of those are in superposition, its
/// hidden dimensions per feature, its antipodal pairs and its features grouped by fractional dimensionality.</summary>
public sealed record SuperpositionSummary(int Features, int Represented, int InSuperposition, double DimensionsPerFeature,
    int AntipodalPairs, IReadOnlyList<(string Value, int Count)> Groups)
{
    /// <summary>The share of represented features that are in superposition (NaN when none is represented).</summary>
    public double ShareInSuperposition => Represented == 0 ? double.NaN : (double)InSuperposition / Represented;

    /// <summary>The summary of W (m × n).</summary>
    public static SuperpositionSummary Of(double[,] w)
    {
        var features = FeatureMeasures.Of(w);
        return new SuperpositionSummary(features.Count, features.Count(f => f.Represented), features.Count(f => f.InSuperposition),
            FeatureMeasures.DimensionsPerFeature(w), FeatureGeometry.AntipodalPairs(w).Count, FeatureGeometry.Groups(features));
    }

    /// <summary>"1/2×4 2/5×5 other×1" (represented features per sticky dimensionality), or "none".</summary>
    public string GroupsText => Groups.Count == 0 ? "none" : string.Join(" ", Groups.Select(g => $"{g.Value}×{g.Count}"));
}
