using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Which input of the later head the earlier head's output feeds.</summary>
public enum CompositionKind { Q, K, V }

/// <summary>Composition score of an earlier head A (writer) with a later head B (reader).</summary>
public sealed record CompositionScore(int LayerA, int HeadA, int LayerB, int HeadB, CompositionKind Kind, double Score)
{
    /// <summary>The writer, e.g. L0H2.</summary>
    public string Sender => HeadMatrices.Name(LayerA, HeadA);
    /// <summary>The reader, e.g. L1H1.</summary>
    public string Receiver => HeadMatrices.Name(LayerB, HeadB);
}

/// <summary>Q-, K- and V-composition scores of every head pair, beside the random baseline.</summary>
/// <param name="Scores">One entry per (A in an earlier layer, B, kind).</param>
/// <param name="Baseline">Mean score of random matrices with the model's factored shapes.</param>
/// <param name="BaselineSd">Standard deviation of those random scores: a score's distance from random is read in these units.</param>
public sealed record CompositionTable(IReadOnlyList<CompositionScore> Scores, double Baseline, double BaselineSd)
{
    /// <summary>How many random standard deviations a score lies above the random mean.</summary>
    public double ZScore(double score) => (score - Baseline) / BaselineSd;

    /// <summary>Scores of one kind, best first.</summary>
    public IReadOnlyList<CompositionScore> Ranked(CompositionKind kind) =>
        Scores.Where(s => s.Kind == kind).OrderByDescending(s => s.Score).ToList();

    /// <summary>The score of one pair and kind (NaN when A is not earlier than B).</summary>
    public double Get(int layerA, int headA, int layerB, int headB, CompositionKind kind) =>
        Scores.FirstOrDefault(s => s.LayerA == layerA && s.HeadA == headA && s.LayerB == layerB && s.HeadB == headB && s.Kind == kind)?.Score ?? double.NaN;
}

/// <summary>Composition scores (Elhage et al. 2021) in the row-vector convention.</summary>
/// <remarks>
/// Source: Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits" (composition
/// scores), and TransformerLens <c>HookedTransformer.all_composition_scores</c>; docs/design.md §4.
/// score = ||L R||_F / (||L||_F ||R||_F) with L = W_OV^A.
/// Row-vector order, checked term by term: head A turns a residual row x into x W_OV^A.
/// • Q-composition: B's query row is y = x W_OV^A, its score with key row r is y W_QK^B r^T =
///   x (W_OV^A W_QK^B) r^T, so R = W_QK^B.
/// • K-composition: B's key row is r = x W_OV^A; the score q W_QK^B (x W_OV^A)^T = q (W_QK^B W_OV^A^T) x^T,
///   whose Frobenius norm equals that of its transpose W_OV^A (W_QK^B)^T, so R = (W_QK^B)^T.
/// • V-composition: B copies x W_OV^A W_OV^B, so R = W_OV^B.
/// The paper writes column vectors (W_QK^T W_OV order); transposing every product gives the same norms.
/// </remarks>
public static class Composition
{
    /// <summary>Default number of random draws for the baseline.</summary>
    public const int DefaultBaselineDraws = 200;

    /// <summary>||L R||_F / (||L||_F ||R||_F) of two [d_model, d_model] matrices.</summary>
    public static double Score(Tensor left, Tensor right)
    {
        using var scope = NewDisposeScope();
        var l = HeadMatrices.F64(left);
        var r = HeadMatrices.F64(right);
        var denominator = HeadMatrices.Frobenius(l) * HeadMatrices.Frobenius(r);
        return denominator == 0 ? 0 : HeadMatrices.Frobenius(l.matmul(r)) / denominator;
    }

    /// <summary>Every Q-, K-, V-composition score of heads in earlier layers with heads in later
    /// layers, with the random baseline (<paramref name="draws"/> draws with a fixed seed).</summary>
    public static CompositionTable Compute(HookedTransformer model, int draws = DefaultBaselineDraws, ulong seed = 0)
    {
        using var scope = NewDisposeScope();
        int layers = model.Config.NLayers, heads = model.Config.NHeads;
        var ov = new Tensor[layers, heads];
        var qk = new Tensor[layers, heads];
        var norms = new double[layers, heads, 2];
        for (var l = 0; l < layers; l++)
            for (var h = 0; h < heads; h++)
            {
                ov[l, h] = HeadMatrices.OV(model, l, h);
                qk[l, h] = HeadMatrices.QK(model, l, h);
                norms[l, h, 0] = HeadMatrices.Frobenius(ov[l, h]);
                norms[l, h, 1] = HeadMatrices.Frobenius(qk[l, h]);
            }
        var scores = new List<CompositionScore>();
        for (var la = 0; la < layers; la++)
            for (var ha = 0; ha < heads; ha++)
                for (var lb = la + 1; lb < layers; lb++)
                    for (var hb = 0; hb < heads; hb++)
                    {
                        double Ratio(Tensor product, double normRight)
                        {
                            var d = norms[la, ha, 0] * normRight;
                            return d == 0 ? 0 : HeadMatrices.Frobenius(product) / d;
                        }
                        var left = ov[la, ha];
                        scores.Add(new(la, ha, lb, hb, CompositionKind.Q, Ratio(left.matmul(qk[lb, hb]), norms[lb, hb, 1])));
                        scores.Add(new(la, ha, lb, hb, CompositionKind.K, Ratio(left.matmul(qk[lb, hb].t()), norms[lb, hb, 1])));
                        scores.Add(new(la, ha, lb, hb, CompositionKind.V, Ratio(left.matmul(ov[lb, hb]), norms[lb, hb, 0])));
                    }
        var (mean, sd) = BaselineDistribution(model.Config.DModel, model.Config.HeadDim, draws, seed);
        return new CompositionTable(scores, mean, sd);
    }

    /// <summary>Mean composition score of random matrices with the factored shapes of two heads:
    /// L = X1 Y1 and R = X2 Y2 with X [d_model, d_head], Y [d_head, d_model] of i.i.d. normal entries.</summary>
    /// <remarks>Every kind (Q, K, V) multiplies two such rank-d_head products, so one baseline serves all three.</remarks>
    public static double Baseline(int dModel, int dHead, int draws = DefaultBaselineDraws, ulong seed = 0) =>
        BaselineDistribution(dModel, dHead, draws, seed).Mean;

    /// <summary>Mean and standard deviation of the random composition score, so a score can be read as its distance
    /// from random in random's own units (a z-score) and compared with measures on other scales.</summary>
    public static (double Mean, double Sd) BaselineDistribution(int dModel, int dHead, int draws = DefaultBaselineDraws, ulong seed = 0)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed);
        Tensor Factored() => randn(new long[] { draws, dModel, dHead }, ScalarType.Float64, generator: generator)
            .bmm(randn(new long[] { draws, dHead, dModel }, ScalarType.Float64, generator: generator));
        var l = Factored();
        var r = Factored();
        Tensor Norm(Tensor t) => t.mul(t).sum(new long[] { 1, 2 }).sqrt();
        var scores = Norm(l.bmm(r)).div(Norm(l).mul(Norm(r)));
        return (scores.mean().item<double>(), draws < 2 ? double.NaN : scores.std().item<double>());
    }
}
