using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Verdicts;

/// <summary>Where each head looks in relative terms: the share of its attention, from predicting positions,
/// that lands at each fixed offset back. On fixed-period data a real induction head also looks one offset
/// back (P − 1), so a dominant offset alone proves nothing: <see cref="Discriminate"/> tests the same head on
/// a layout where "the fixed offset" and "the token after the earlier copy of the current token" differ.</summary>
public static class AttentionOffsets
{
    /// <summary>A head's dominant offset and the share of attention on it.</summary>
    public sealed record HeadOffset(int Layer, int Head, int Offset, double Share)
    {
        public string Name => $"L{Layer}H{Head}";
    }

    /// <summary>The dominant offset of every head on examples of a task, measured from the positions
    /// that predict a masked target (where the task's rule applies).</summary>
    public static IReadOnlyList<HeadOffset> Measure(HookedTransformer model, IReadOnlyList<Example> examples)
    {
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var noGrad = no_grad();
        using var batch = Batch.From(examples, model.Device);
        var (_, cache) = model.RunWithCache(batch.Tokens, n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
        long b = batch.Tokens.shape[0], p = batch.Tokens.shape[1];
        // Query rows i that predict a masked token i+1.
        var predicting = zeros(b, p, dtype: ScalarType.Bool, device: model.Device);
        predicting.narrow(1, 0, p - 1).copy_(batch.LossMask.narrow(1, 1, p - 1));
        var rows = predicting.to_type(ScalarType.Float32).unsqueeze(1);           // [b, 1, p]
        var rowCount = rows.sum().item<float>();
        var result = new List<HeadOffset>();
        if (rowCount == 0) return result;
        for (var layer = 0; layer < model.Config.NLayers; layer++)
        {
            var pattern = cache.Pattern(layer);                                     // [b, h, dest, src]
            var shares = new double[model.Config.NHeads, p];
            for (var offset = 0; offset < p; offset++)
            {
                // Attention from each predicting row i to src i - offset.
                var diagonal = pattern.diagonal(-offset, -2, -1);                   // [b, h, p - offset]
                var weight = rows.narrow(2, offset, p - offset);
                var share = (diagonal * weight).sum(new long[] { 0, 2 }).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
                for (var h = 0; h < share.Length; h++) shares[h, offset] = share[h] / rowCount;
            }
            for (var h = 0; h < model.Config.NHeads; h++)
            {
                var best = Enumerable.Range(0, (int)p).MaxBy(o => shares[h, o]);
                result.Add(new HeadOffset(layer, h, best, shares[h, best]));
            }
        }
        return result;
    }

    /// <summary>A head's attention on a layout where its training offset and the induction target differ.</summary>
    /// <param name="AtOffset">Mean attention from second-copy positions to the head's training offset back.</param>
    /// <param name="AtInductionTarget">Mean attention from the same positions to the token after the earlier copy
    /// of the current token (offset Period − 1).</param>
    public sealed record OffsetTest(HeadOffset Head, int Period, double AtOffset, double AtInductionTarget)
    {
        /// <summary>The layout cannot tell the two apart (the head's offset is the layout's induction offset).</summary>
        public bool Indistinguishable => Head.Offset == Period - 1;

        /// <summary>What the head follows: "fixed offset", "induction target" or "neither".</summary>
        public string Follows => Indistinguishable ? "either: on this layout the two coincide"
            : AtOffset >= 0.5 && AtOffset > AtInductionTarget ? "a fixed offset relative to the position"
            : AtInductionTarget >= 0.5 && AtInductionTarget > AtOffset ? "the induction target (the copy, not the offset)"
            : "neither (no half of its attention on either)";
    }

    /// <summary>Tests each head on the scoring layout (a block of length Period repeated once): from every
    /// position in the second copy, attention at the head's own offset against attention at the induction target.</summary>
    public static IReadOnlyList<OffsetTest> Discriminate(HookedTransformer model, IReadOnlyList<HeadOffset> heads, ScoringBatch layout)
    {
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var _ = no_grad();
        var (_, cache) = model.RunWithCache(layout.Tokens, n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
        var period = layout.Period;
        var result = new List<OffsetTest>();
        foreach (var h in heads)
        {
            var pattern = cache.Pattern(h.Layer).select(1, h.Head).to_type(ScalarType.Float64).cpu();  // [b, dest, src]
            long b = pattern.shape[0], p = pattern.shape[1];
            var data = pattern.data<double>().ToArray();
            double atOffset = 0, atTarget = 0;
            var rows = 0;
            for (var k = 0; k < b; k++)
            {
                // Dest i in the second copy whose next token is predictable: its earlier copy is at i − Period,
                // the induction target one after it.
                var start = layout.Starts[k];
                for (var i = start + period; i <= start + 2 * period - 2 && i < p; i++)
                {
                    var row = (k * p + i) * p;
                    atTarget += data[row + i - period + 1];
                    if (i - h.Offset >= 0) atOffset += data[row + i - h.Offset];
                    rows++;
                }
            }
            result.Add(new OffsetTest(h, period, rows == 0 ? double.NaN : atOffset / rows, rows == 0 ? double.NaN : atTarget / rows));
        }
        return result;
    }

    /// <summary>The tests in a few lines: heads with the same offset and the same reading share one line.</summary>
    public static IEnumerable<string> Summarize(IReadOnlyList<OffsetTest> tests) =>
        tests.GroupBy(t => (t.Head.Offset, t.Period, t.Follows)).Select(g =>
        {
            static string Range(IEnumerable<double> values)
            {
                var v = values.Select(x => Math.Round(100 * x)).ToList();
                return v.Min() == v.Max() ? $"{v.Min()}%" : $"{v.Min()}–{v.Max()}%";
            }
            var (offset, period, follows) = g.Key;
            var one = g.Count() == 1;
            return $"{string.Join(", ", g.Select(t => t.Head.Name))} attend{(one ? "s" : "")} at a fixed offset of {offset} on training data " +
                   $"({Range(g.Select(t => t.Head.Share))} of {(one ? "its" : "their")} attention from predicting positions); on a period-{period} layout, where that offset " +
                   $"and the induction target (offset {period - 1}) differ: {Range(g.Select(t => t.AtOffset))} on offset {offset}, " +
                   $"{Range(g.Select(t => t.AtInductionTarget))} on the induction target: {(one ? "it follows" : "they follow")} {follows}";
        });
}
