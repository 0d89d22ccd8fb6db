using System.Text.Json.Serialization;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Which input of the later head the earlier head's output feeds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CompositionKind>))]
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
    /// <remarks>Computed through d_head: every matrix here is a product X Y of a [d_model, d_head] and a [d_head, d_model]
    /// factor (W_OV = W_V W_O, W_QK = W_Q W_Kᵀ), and ‖X₁ Y₁ X₂ Y₂‖²_F = tr(G(X₁) M (Y₂ Y₂ᵀ) Mᵀ) with M = Y₁ X₂ and the
    /// Gram matrix G(X) = XᵀX, all [d_head, d_head]: the cost is d_model·d_head² per pair instead of d_model³
    /// (a test checks the scores against the explicit products).</remarks>
    public static CompositionTable Compute(HookedTransformer model, int draws = DefaultBaselineDraws, ulong seed = 0)
    {
        using var scope = NewDisposeScope();
        int layers = model.Config.NLayers, heads = model.Config.NHeads;
        // Per head: the factors of W_OV (left V, right O) and of W_QK (left Q, right Kᵀ) and of W_QKᵀ (left K, right Qᵀ).
        var factors = new (Tensor Left, Tensor Right)[layers, heads, 3];
        for (var l = 0; l < layers; l++)
            for (var h = 0; h < heads; h++)
            {
                Tensor q = HeadMatrices.WQ(model, l, h), k = HeadMatrices.WK(model, l, h);
                factors[l, h, 0] = (HeadMatrices.WV(model, l, h), HeadMatrices.WO(model, l, h));
                factors[l, h, 1] = (q, k.t());
                factors[l, h, 2] = (k, q.t());
            }
        var scores = new List<CompositionScore>();
        for (var la = 0; la < layers; la++)
            for (var ha = 0; ha < heads; ha++)
                for (var lb = la + 1; lb < layers; lb++)
                    for (var hb = 0; hb < heads; hb++)
                    {
                        var ov = factors[la, ha, 0];
                        scores.Add(new(la, ha, lb, hb, CompositionKind.Q, FactoredScore(ov, factors[lb, hb, 1])));
                        scores.Add(new(la, ha, lb, hb, CompositionKind.K, FactoredScore(ov, factors[lb, hb, 2])));
                        scores.Add(new(la, ha, lb, hb, CompositionKind.V, FactoredScore(ov, factors[lb, hb, 0])));
                    }
        var (mean, sd) = BaselineDistribution(model.Config.DModel, model.Config.HeadDim, draws, seed);
        return new CompositionTable(scores, mean, sd);
    }

    /// <summary>‖L R‖_F / (‖L‖_F ‖R‖_F) for L = X₁ Y₁ and R = X₂ Y₂, batched over any leading dimensions, through
    /// [d_head, d_head] matrices only.</summary>
    private static Tensor FactoredRatio(Tensor x1, Tensor y1, Tensor x2, Tensor y2)
    {
        static Tensor Gram(Tensor x) => x.transpose(-1, -2).matmul(x);          // XᵀX
        static Tensor RowGram(Tensor y) => y.matmul(y.transpose(-1, -2));       // YYᵀ
        static Tensor Trace(Tensor a, Tensor b) => a.mul(b.transpose(-1, -2)).sum(new long[] { -1, -2 }); // tr(A B)
        var m = y1.matmul(x2);
        var product = Trace(Gram(x1).matmul(m), RowGram(y2).matmul(m.transpose(-1, -2)));
        var left = Trace(Gram(x1), RowGram(y1));
        var right = Trace(Gram(x2), RowGram(y2));
        return product.clamp_min(Scalars.Zero).sqrt().div(left.mul(right).sqrt());
    }

    private static double FactoredScore((Tensor Left, Tensor Right) a, (Tensor Left, Tensor Right) b)
    {
        using var scope = NewDisposeScope();
        var ratio = FactoredRatio(a.Left, a.Right, b.Left, b.Right).item<double>();
        return double.IsFinite(ratio) ? ratio : 0; // a zero matrix composes with nothing
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
        Tensor Draw(long rows, long cols) => randn(new long[] { draws, rows, cols }, ScalarType.Float64, generator: generator);
        // The same draws, in the same order, as forming L = X₁Y₁ and R = X₂Y₂ explicitly would use.
        var (x1, y1) = (Draw(dModel, dHead), Draw(dHead, dModel));
        var (x2, y2) = (Draw(dModel, dHead), Draw(dHead, dModel));
        var scores = FactoredRatio(x1, y1, x2, y2);
        return (scores.mean().item<double>(), draws < 2 ? double.NaN : scores.std().item<double>());
    }
}
