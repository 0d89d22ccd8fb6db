using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>How <see cref="DetectHead"/> compares an attention pattern with a detection pattern.</summary>
public enum DetectionMeasure
{
    /// <summary><c>sum(A ⊙ D) / sum(A)</c>: the share of attention on the detection pattern.</summary>
    Mul,
    /// <summary><c>1 − sum|A − D| / seq_len</c>.</summary>
    Abs,
}

/// <summary>TransformerLens's <c>detect_head</c>: how well each head's attention matches a detection pattern.</summary>
/// <remarks>Source: TransformerLens <c>transformer_lens/head_detector.py</c> (detect_head,
/// compute_head_attention_similarity_score and the get_*_detection_pattern builders), with the
/// measures exactly as docs/design.md §4 states them. Unlike TransformerLens the "abs" score is not
/// rounded to 3 decimals. Per sequence: exclude_bos zeroes column 0 and exclude_current_token
/// zeroes the diagonal (of A for "mul", of |A − D| for "abs"); scores are averaged over the batch.</remarks>
public static class DetectHead
{
    /// <summary>Scores of every head of one layer: pattern [batch, head, dest, src], detection
    /// [dest, src] or [batch, dest, src] → [head].</summary>
    public static double[] Score(Tensor pattern, Tensor detection, DetectionMeasure measure = DetectionMeasure.Mul,
        bool excludeBos = false, bool excludeCurrentToken = false)
    {
        using var scope = NewDisposeScope();
        if (pattern.dim() != 4 || pattern.shape[2] != pattern.shape[3])
            throw new ToolkitException($"an attention pattern must be [batch, head, dest, src] and square, not [{string.Join(", ", pattern.shape)}]",
                "pass cache.Pattern(layer)");
        long b = pattern.shape[0], n = pattern.shape[2];
        var a = pattern.detach().to_type(ScalarType.Float64);
        var d = detection.to(a.device).to_type(ScalarType.Float64);
        d = d.dim() == 2 ? d.view(1, 1, n, n) : d.view(d.shape[0], 1, n, n);
        if (d.shape[2] != n || d.shape[3] != n)
            throw new ToolkitException($"the detection pattern does not match sequences of length {n}", "build it from the same tokens");
        // keep[i, j] = 0 where a column or entry is excluded.
        // (Built on the host: no implicit double→Scalar conversions, which would leak native handles.)
        var keepData = new double[n * n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                keepData[i * n + j] = (excludeBos && j == 0) || (excludeCurrentToken && i == j) ? 0 : 1;
        var keep = tensor(keepData, new[] { n, n }, device: a.device);
        Tensor perSequence; // [batch, head]
        if (measure == DetectionMeasure.Mul)
        {
            var masked = a.mul(keep);
            perSequence = masked.mul(d).sum(new long[] { 2, 3 }).div(masked.sum(new long[] { 2, 3 }));
        }
        else
        {
            var diff = a.sub(d).abs().mul(keep);
            perSequence = ones_like(diff.select(2, 0).select(2, 0)).sub(diff.sum(new long[] { 2, 3 }).div(tensor((double)n, ScalarType.Float64, device: a.device)));
        }
        return perSequence.mean(new long[] { 0 }).cpu().data<double>().ToArray();
    }

    /// <summary>Scores of every head of a model on tokens [batch, pos] → [layer, head].</summary>
    public static double[,] Run(HookedTransformer model, Tensor tokens, Tensor detection, DetectionMeasure measure = DetectionMeasure.Mul,
        bool excludeBos = false, bool excludeCurrentToken = false)
    {
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        var (_, cache) = model.RunStreamWithCache(tokens.to(model.Device), n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
        var result = new double[model.Config.NLayers, model.Config.NHeads];
        for (var l = 0; l < model.Config.NLayers; l++)
        {
            var s = Score(cache.Pattern(l), detection, measure, excludeBos, excludeCurrentToken);
            for (var h = 0; h < s.Length; h++) result[l, h] = s[h];
        }
        return result;
    }

    /// <summary>Previous-token detection pattern: ones on the −1 subdiagonal, [pos, pos].</summary>
    public static Tensor PreviousTokenPattern(long positions)
    {
        var d = new double[positions * positions];
        for (var i = 1; i < positions; i++) d[i * positions + i - 1] = 1;
        return tensor(d, new[] { positions, positions });
    }

    /// <summary>Duplicate-token pattern of tokens [pos] or [batch, pos]: <c>D[i, j] = 1</c> where
    /// <c>tok_i == tok_j</c>, <c>j &lt; i</c>; [pos, pos] or [batch, pos, pos].</summary>
    public static Tensor DuplicateTokenPattern(Tensor tokens) => Build(tokens, shift: 0);

    /// <summary>Induction pattern: the duplicate pattern shifted one column right
    /// (<c>D[i, j+1] = 1</c> where <c>tok_j == tok_i</c>, <c>j &lt; i</c>).</summary>
    public static Tensor InductionPattern(Tensor tokens) => Build(tokens, shift: 1);

    private static Tensor Build(Tensor tokens, int shift)
    {
        var batched = tokens.dim() == 2;
        var t = tokens.cpu().to_type(ScalarType.Int64);
        long b = batched ? t.shape[0] : 1, n = t.shape[^1];
        var ids = t.data<long>().ToArray();
        var d = new double[b * n * n];
        for (var s = 0; s < b; s++)
            for (var i = 0; i < n; i++)
                for (var j = 0; j < i; j++)
                    if (ids[s * n + i] == ids[s * n + j] && j + shift < n && j + shift <= i)
                        d[(s * n + i) * n + j + shift] = 1;
        return batched ? tensor(d, new[] { b, n, n }) : tensor(d, new[] { n, n });
    }
}
