using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Attention-pattern scores of one head on the scoring batch (docs/design.md §4).</summary>
/// <param name="PreviousToken">Mean attention from each dest i to src i−1.</param>
/// <param name="DuplicateToken">Mean attention from dest i in the second copy to i−L (its earlier occurrence).</param>
/// <param name="Induction">Mean attention from dest i in the second copy to i−L+1 (the token after the earlier occurrence).</param>
public sealed record HeadScore(int Layer, int Head, double PreviousToken, double DuplicateToken, double Induction)
{
    /// <summary>TransformerLens-style head name, e.g. L1H3.</summary>
    public string Name => $"L{Layer}H{Head}";
}

/// <summary>The kinds of head named by their attention scores.</summary>
public enum HeadRole { PreviousToken, DuplicateToken, Induction }

/// <summary>Scores of every head, and the heads named for each role above a threshold.</summary>
/// <param name="Layout">The scoring layout chosen and the predictive offsets it avoids (<see cref="ScoringBatch.Layout"/>).</param>
/// <param name="Measurable">False when the layout could not avoid the offsets training makes predictive: no head is named.</param>
public sealed record HeadScoreTable(IReadOnlyList<HeadScore> Heads, double Threshold, int ScoringPeriod, string Layout = "", bool Measurable = true)
{
    /// <summary>The ARENA teaching convention: a head "is" of a kind above 0.4.</summary>
    public const double DefaultThreshold = 0.4;

    /// <summary>Score of a head for a role.</summary>
    public static double Score(HeadScore h, HeadRole role) => role switch
    {
        HeadRole.PreviousToken => h.PreviousToken,
        HeadRole.DuplicateToken => h.DuplicateToken,
        _ => h.Induction,
    };

    /// <summary>Heads whose score for the role exceeds the threshold, best first.</summary>
    public IReadOnlyList<HeadScore> Named(HeadRole role) =>
        Heads.Where(h => Measurable && Score(h, role) > Threshold).OrderByDescending(h => Score(h, role)).ToList();

    /// <summary>The best-scoring head for a role (named or not).</summary>
    public HeadScore Best(HeadRole role) => Heads.MaxBy(h => Score(h, role))!;
}

/// <summary>Computes previous-token, duplicate-token and induction scores.</summary>
public static class HeadScores
{
    /// <summary>Scores every head of a model on a scoring batch.</summary>
    public static HeadScoreTable Compute(HookedTransformer model, ScoringBatch batch, double threshold = HeadScoreTable.DefaultThreshold)
    {
        using var evalMode = model.EvalMode();
        using var scope = NewDisposeScope();
        var tokens = batch.Tokens.to(model.Device);
        var (_, cache) = model.RunStreamWithCache(tokens, name => name.EndsWith("hook_pattern", StringComparison.Ordinal));
        var heads = new List<HeadScore>();
        for (var layer = 0; layer < model.Config.NLayers; layer++)
            heads.AddRange(FromPattern(cache.Pattern(layer), layer, batch.Period, batch.Starts));
        return new HeadScoreTable(heads, threshold, batch.Period, batch.Layout, batch.Measurable);
    }

    /// <summary>Scores from one layer's pattern [batch, head, dest, src] of sequences that repeat a
    /// block of length <paramref name="period"/> from the given starts.</summary>
    public static IReadOnlyList<HeadScore> FromPattern(Tensor pattern, int layer, int period, IReadOnlyList<int> starts)
    {
        using var scope = NewDisposeScope();
        long b = pattern.shape[0], h = pattern.shape[1], p = pattern.shape[2];
        var prev = pattern.diagonal(-1, -2, -1).mean(new long[] { 0, 2 }).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var dup = new float[b * p * p];
        var ind = new float[b * p * p];
        for (var s = 0; s < b; s++)
            for (var i = starts[s] + period; i < starts[s] + 2 * period; i++)
            {
                dup[(s * p + i) * p + i - period] = 1;
                ind[(s * p + i) * p + i - period + 1] = 1;
            }
        double[] Share(float[] detection)
        {
            var d = tensor(detection, new long[] { b, 1, p, p }, device: pattern.device);
            return ((pattern * d).sum(new long[] { 0, 2, 3 }) / d.sum()).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        }
        var dupScores = Share(dup);
        var indScores = Share(ind);
        return Enumerable.Range(0, (int)h)
            .Select(head => new HeadScore(layer, head, prev[head], dupScores[head], indScores[head]))
            .ToList();
    }
}
