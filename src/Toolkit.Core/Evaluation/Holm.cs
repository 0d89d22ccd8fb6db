namespace Toolkit.Evaluation;

/// <summary>Holm's step-down correction (Holm 1979) of a family of p-values: the smallest p is compared with α/k, the
/// next with α/(k−1), and so on until one fails; it holds the family-wise error rate (any false claim) at α for any
/// dependence between the claims.</summary>
public static class Holm
{
    /// <summary>Holm-adjusted p-values, in the input order: claim i is shown at level α exactly when its adjusted p ≤ α.
    /// NaN stays NaN and does not count in the family.</summary>
    public static double[] Adjust(IReadOnlyList<double> p)
    {
        var adjusted = p.Select(_ => double.NaN).ToArray();
        var order = Enumerable.Range(0, p.Count).Where(i => !double.IsNaN(p[i])).OrderBy(i => p[i]).ThenBy(i => i).ToList();
        var k = order.Count;
        var running = 0.0;
        for (var rank = 0; rank < k; rank++)
        {
            running = Math.Max(running, Math.Min(1, (k - rank) * p[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }
}
