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
        var (_, cache) = model.RunStreamWithCache(batch.Tokens, n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
        var result = new List<HeadOffset>();
        for (var layer = 0; layer < model.Config.NLayers; layer++)
            for (var h = 0; h < model.Config.NHeads; h++)
            {
                var attention = Attention(cache.Pattern(layer).select(1, h));
                result.Add(Share(layer, h, attention, examples, shortcut));
            }
        return result;
    }

    /// <summary>One head's share from its attention (sequence, destination, source): pure, so tests can check it
    /// on hand-built patterns.</summary>
    public static HeadOffset Share(int layer, int head, Func<int, int, int, double> attention, IReadOnlyList<Example> examples, PositionBaseline shortcut)
    {
        var p = examples.Count == 0 ? 0 : examples.Max(e => e.Tokens.Length);
        var perOffset = new double[Math.Max(p, 1)];
        var rows = 0;
        for (var k = 0; k < examples.Count; k++)
            for (var r = 0; r + 1 < examples[k].Tokens.Length; r++)
            {
                // Query row r predicts the masked token r + 1.
                if (!examples[k].LossMask[r + 1]) continue;
                rows++;
                foreach (var o in At(shortcut, r)) perOffset[o] += attention(k, r, r - o);
            }
        if (rows == 0) return new HeadOffset(layer, head, double.NaN, []);
        var main = Enumerable.Range(0, perOffset.Length).Where(o => perOffset[o] / rows >= MainShare).ToList();
        return new HeadOffset(layer, head, perOffset.Sum() / rows, main);
    }

    /// <summary>A head's attention pattern [batch, dest, src] as a lookup (sequence, destination, source).</summary>
    private static Func<int, int, int, double> Attention(Tensor pattern)
    {
        long p = pattern.shape[1];
        var data = pattern.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        return (k, dest, src) => data[(k * p + dest) * p + src];
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

    /// <summary>Tests each head on the scoring layout (a block of length Period repeated once).</summary>
    public static IReadOnlyList<OffsetTest> Discriminate(HookedTransformer model, IReadOnlyList<HeadOffset> heads, ScoringBatch layout, PositionBaseline shortcut)
    {
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var _ = no_grad();
        var (_, cache) = model.RunStreamWithCache(layout.Tokens, n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
        return heads.Select(h => Compare(h, Attention(cache.Pattern(h.Layer).select(1, h.Head)), layout.Period, layout.Starts, (int)layout.Tokens.shape[1], shortcut)).ToList();
    }

    /// <summary>One head on a layout of <paramref name="period"/> from <paramref name="starts"/>: from every position in
    /// the second copy whose next token is predictable, its summed attention at the shortcut's offsets of the predicted
    /// position against its attention at the induction target. Positions whose shortcut offsets include the layout's
    /// induction (period − 1) or duplicate (period) offset cannot tell the two apart and are left out. Pure.</summary>
    public static OffsetTest Compare(HeadOffset head, Func<int, int, int, double> attention, int period, IReadOnlyList<int> starts, int context, PositionBaseline shortcut)
    {
        double atOffsets = 0, atTarget = 0;
        var rows = 0;
        for (var k = 0; k < starts.Count; k++)
        {
            // Dest i in the second copy: its earlier copy is at i − period, the induction target one after it.
            var start = starts[k];
            for (var i = start + period; i <= start + 2 * period - 2 && i < context; i++)
            {
                var offsets = At(shortcut, i);
                if (offsets.Contains(period - 1) || offsets.Contains(period)) continue;
                atTarget += attention(k, i, i - period + 1);
                foreach (var o in offsets) atOffsets += attention(k, i, i - o);
                rows++;
            }
        }
        return new OffsetTest(head, period, rows == 0 ? double.NaN : atOffsets / rows, rows == 0 ? double.NaN : atTarget / rows);
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
