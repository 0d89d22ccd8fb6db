namespace Toolkit.Analysis;

/// <summary>Nanda et al. 2023's progress measures of modular addition, on the logits of every pair (docs/design.md §4,
/// grokking). Over the p² inputs (a, b) the directions cos(w(a+b)) and sin(w(a+b)), w = 2πk/p, are unit vectors
/// (√2/p · cos(w(a+b)), likewise sin); each output column of the logits is projected on them.
/// <list type="bullet">
/// <item><b>Restricted loss</b>: the logits kept only along the key frequencies' directions, plus each column's mean over
/// the inputs (the constant term); its loss over all p² pairs. Falls as the Fourier circuit forms.</item>
/// <item><b>Excluded loss</b>: the logits with the key frequencies' directions removed; its loss over the training pairs.
/// Rises as the training loss comes to rest on the circuit rather than on memorization.</item>
/// </list></summary>
public static class ProgressMeasures
{
    /// <summary>The component of the logits along cos(w(a+b)) and sin(w(a+b)) of the frequencies <paramref name="frequencies"/>,
    /// per output column: [p²][p].</summary>
    public static double[][] Component(PairLogits logits, IEnumerable<int> frequencies)
    {
        var p = logits.P;
        var result = Enumerable.Range(0, p * p).Select(_ => new double[p]).ToArray();
        var scale = Math.Sqrt(2) / p;
        foreach (var k in frequencies)
        {
            var cos = new double[p * p];
            var sin = new double[p * p];
            for (var i = 0; i < p * p; i++)
            {
                var angle = 2 * Math.PI * k * ((i / p + i % p) % p) / p;
                (cos[i], sin[i]) = (scale * Math.Cos(angle), scale * Math.Sin(angle));
            }
            foreach (var direction in new[] { cos, sin })
                for (var c = 0; c < p; c++)
                {
                    double coefficient = 0;
                    for (var i = 0; i < p * p; i++) coefficient += direction[i] * logits.Rows[i][c];
                    for (var i = 0; i < p * p; i++) result[i][c] += coefficient * direction[i];
                }
        }
        return result;
    }

    /// <summary>The loss over all pairs of the logits restricted to the key frequencies (and each column's mean).</summary>
    public static double RestrictedLoss(PairLogits logits, IReadOnlyList<int> keyFrequencies)
    {
        var p = logits.P;
        var restricted = Component(logits, keyFrequencies);
        for (var c = 0; c < p; c++)
        {
            var mean = logits.Rows.Average(r => r[c]);
            foreach (var row in restricted) row[c] += mean;
        }
        return logits.Loss(restricted, _ => true);
    }

    /// <summary>The loss over the training pairs (<paramref name="isTrain"/>, by row a·p + b) of the logits without the key frequencies.</summary>
    public static double ExcludedLoss(PairLogits logits, IReadOnlyList<int> keyFrequencies, Func<int, bool> isTrain)
    {
        var component = Component(logits, keyFrequencies);
        var excluded = logits.Rows.Select((r, i) => r.Select((v, c) => v - component[i][c]).ToArray()).ToArray();
        return logits.Loss(excluded, isTrain);
    }
}
