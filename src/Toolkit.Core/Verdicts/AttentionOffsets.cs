using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Verdicts;

/// <summary>Where each head looks in relative terms: the share of its attention, from predicting positions, that
/// lands at the position-only shortcut's offsets (docs/design.md §4, "offset evidence"). On fixed-period data a
/// real induction head also looks at those offsets (one period minus one back), so a high share alone proves
/// nothing: <see cref="Discriminate"/> tests the same head on a layout where the shortcut's offsets and "the token
/// after the earlier copy of the current token" differ.</summary>
public static class AttentionOffsets
{
    /// <summary>A head's attention on the shortcut's offsets.</summary>
    /// <param name="Share">Share of its attention, from positions that predict a masked token, that lands at the
    /// shortcut's offsets of the predicted position.</param>
    /// <param name="Main">The offsets holding at least <see cref="MainShare"/> of its attention from those positions
    /// (each while it is a shortcut offset there), in increasing order.</param>
    public sealed record HeadOffset(int Layer, int Head, double Share, IReadOnlyList<int> Main)
    {
        public string Name => $"L{Layer}H{Head}";
    }

    /// <summary>An offset is named among a head's main offsets when it holds at least this share of the head's attention.</summary>
    public const double MainShare = 0.1;

    /// <summary>The attention offsets at which a head reads the shortcut from query row <paramref name="row"/>
    /// (it predicts token row + 1): for each shortcut offset d of that position, d − 1 (the earlier copy of the
    /// answer) and d (the earlier copy of the current token); offsets 0 and 1 (the token itself, the previous
    /// token) are left out, since every copying circuit uses them.</summary>
    public static int[] At(PositionBaseline shortcut, int row) =>
        shortcut.OffsetSetAt(row + 1).SelectMany(d => new[] { d - 1, d }).Where(o => o >= 2 && o <= row).Distinct().Order().ToArray();

    /// <summary>Every head's share of attention at the shortcut's offsets on examples of a task, measured from the
    /// positions that predict a masked target (where the task's rule applies).</summary>
    public static IReadOnlyList<HeadOffset> Measure(HookedTransformer model, IReadOnlyList<Example> examples, PositionBaseline shortcut)
    {
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var noGrad = no_grad();
        using var batch = Batch.From(examples, model.Device);
        var (_, cache) = model.RunWithCache(batch.Tokens, n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
        int b = (int)batch.Tokens.shape[0], p = (int)batch.Tokens.shape[1], heads = model.Config.NHeads;
        var offsets = Enumerable.Range(0, p).Select(r => At(shortcut, r)).ToArray();
        // Query rows r that predict a masked token r + 1.
        var predicting = Enumerable.Range(0, b).SelectMany(k => Enumerable.Range(0, p - 1).Where(r => examples[k].LossMask[r + 1]).Select(r => (k, r))).ToList();
        var result = new List<HeadOffset>();
        if (predicting.Count == 0) return result;
        for (var layer = 0; layer < model.Config.NLayers; layer++)
        {
            var pattern = cache.Pattern(layer).to_type(ScalarType.Float64).cpu().data<double>().ToArray();   // [b, h, dest, src]
            for (var h = 0; h < heads; h++)
            {
                var perOffset = new double[p];
                foreach (var (k, r) in predicting)
                {
                    var row = ((long)(k * heads + h) * p + r) * p;
                    foreach (var o in offsets[r]) perOffset[o] += pattern[row + r - o];
                }
                var rows = predicting.Count;
                var main = Enumerable.Range(0, p).Where(o => perOffset[o] / rows >= MainShare).ToList();
                result.Add(new HeadOffset(layer, h, perOffset.Sum() / rows, main));
            }
        }
        return result;
    }

    /// <summary>A head's attention on a layout where the shortcut's offsets and the induction target differ.</summary>
    /// <param name="AtOffsets">Mean summed attention from second-copy positions to the shortcut's offsets of the
    /// predicted position (NaN when the layout has no position where they avoid the copy's offsets).</param>
    /// <param name="AtInductionTarget">Mean attention from the same positions to the token after the earlier copy
    /// of the current token (offset Period − 1).</param>
    public sealed record OffsetTest(HeadOffset Head, int Period, double AtOffsets, double AtInductionTarget)
    {
        /// <summary>The layout cannot tell the two apart (at every position the shortcut's offsets include the layout's copy offsets).</summary>
        public bool Indistinguishable => double.IsNaN(AtOffsets);

        /// <summary>What the head follows: "fixed offset", "induction target" or "neither".</summary>
        public string Follows => Indistinguishable ? "either: on this layout the two coincide"
            : AtOffsets >= 0.5 && AtOffsets > AtInductionTarget ? "a fixed offset relative to the position"
            : AtInductionTarget >= 0.5 && AtInductionTarget > AtOffsets ? "the induction target (the copy, not the offset)"
            : "neither (no half of its attention on either)";
    }

    /// <summary>Tests each head on the scoring layout (a block of length Period repeated once): from every position
    /// in the second copy, its summed attention at the shortcut's offsets of the predicted position against its
    /// attention at the induction target. Positions whose shortcut offsets include the layout's induction (Period − 1)
    /// or duplicate (Period) offset cannot tell the two apart and are left out.</summary>
    public static IReadOnlyList<OffsetTest> Discriminate(HookedTransformer model, IReadOnlyList<HeadOffset> heads, ScoringBatch layout, PositionBaseline shortcut)
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
            double atOffsets = 0, atTarget = 0;
            var rows = 0;
            for (var k = 0; k < b; k++)
            {
                // Dest i in the second copy whose next token is predictable: its earlier copy is at i − Period,
                // the induction target one after it.
                var start = layout.Starts[k];
                for (var i = start + period; i <= start + 2 * period - 2 && i < p; i++)
                {
                    var offsets = At(shortcut, i);
                    if (offsets.Contains(period - 1) || offsets.Contains(period)) continue;
                    var row = (k * p + i) * p;
                    atTarget += data[row + i - period + 1];
                    foreach (var o in offsets) atOffsets += data[row + i - o];
                    rows++;
                }
            }
            result.Add(new OffsetTest(h, period, rows == 0 ? double.NaN : atOffsets / rows, rows == 0 ? double.NaN : atTarget / rows));
        }
        return result;
    }

    /// <summary>The tests in a few lines: heads with the same main offsets and the same reading share one line.</summary>
    public static IEnumerable<string> Summarize(IReadOnlyList<OffsetTest> tests) =>
        tests.GroupBy(t => (Main: string.Join(", ", t.Head.Main), t.Period, t.Follows)).Select(g =>
        {
            static string Range(IEnumerable<double> values)
            {
                var v = values.Where(x => !double.IsNaN(x)).Select(x => Math.Round(100 * x)).ToList();
                return v.Count == 0 ? "n/a" : v.Min() == v.Max() ? $"{v.Min()}%" : $"{v.Min()}–{v.Max()}%";
            }
            var (main, period, follows) = g.Key;
            var one = g.Count() == 1;
            var mostly = main.Length == 0 ? "spread over them" : $"mostly {main}";
            return $"{string.Join(", ", g.Select(t => t.Head.Name))} attend{(one ? "s" : "")} at the position-only shortcut's offsets on training data " +
                   $"({Range(g.Select(t => t.Head.Share))} of {(one ? "its" : "their")} attention from predicting positions, {mostly}); on a period-{period} layout, where those offsets " +
                   $"and the induction target (offset {period - 1}) differ: {Range(g.Select(t => t.AtOffsets))} on those offsets, " +
                   $"{Range(g.Select(t => t.AtInductionTarget))} on the induction target: {(one ? "it follows" : "they follow")} {follows}";
        });
}
