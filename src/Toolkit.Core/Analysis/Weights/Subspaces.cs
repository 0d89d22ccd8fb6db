using System.Text.Json.Serialization;
using MathNet.Numerics.LinearAlgebra;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>The subspaces of the residual stream a head reads (Q, K, V) or writes (O) through.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HeadSubspace>))]
public enum HeadSubspace { Q, K, V, O }

/// <summary>Similarity of a writer's output subspace and a reader's input subspace.</summary>
/// <param name="LayerA">Layer of the writer.</param>
/// <param name="HeadA">Index of the writer.</param>
/// <param name="LayerB">Layer of the reader (later than the writer's).</param>
/// <param name="HeadB">Index of the reader.</param>
/// <param name="Read">Which of the reader's input subspaces is compared with the writer's W_O row space.</param>
/// <param name="MeanCos2">Mean squared cosine of the principal angles, in [0, 1] (1: one space contains the other).</param>
public sealed record SubspaceOverlap(int LayerA, int HeadA, int LayerB, int HeadB, HeadSubspace Read, double MeanCos2)
{
    /// <summary>The writer, e.g. L0H2.</summary>
    public string Writer => HeadMatrices.Name(LayerA, HeadA);
    /// <summary>The reader, e.g. L1H1.</summary>
    public string Reader => HeadMatrices.Name(LayerB, HeadB);
}

/// <summary>Subspaces heads read and write, compared by principal angles.</summary>
/// <remarks>Source: docs/design.md §4 ("subspaces"): a head reads the residual stream through the column
/// spaces of W_Q, W_K, W_V ([d_model, d_head]) and writes through the row space of W_O
/// ([d_head, d_model]), all in R^d_model. Principal angles (Björck &amp; Golub 1973): with
/// orthonormal bases Q1, Q2, the singular values of Q1ᵀQ2 are cos θ_i; the reported similarity is
/// the mean of cos² θ_i over min(dim1, dim2) angles. Bases come from the SVD (MathNet), keeping
/// singular vectors above a relative tolerance, so rank-deficient heads are handled.</remarks>
public static class Subspaces
{
    /// <summary>An orthonormal basis (as columns, [d_model, rank]) of a head's subspace.</summary>
    public static Matrix<double> Basis(HookedTransformer model, int layer, int head, HeadSubspace which)
    {
        using var scope = NewDisposeScope();
        var m = which switch
        {
            HeadSubspace.Q => HeadMatrices.WQ(model, layer, head),
            HeadSubspace.K => HeadMatrices.WK(model, layer, head),
            HeadSubspace.V => HeadMatrices.WV(model, layer, head),
            _ => HeadMatrices.WO(model, layer, head).t(), // row space of W_O = column space of W_O^T
        };
        return ColumnBasis(CopyingScore.ToMatrix(m));
    }

    /// <summary>Orthonormal basis of the column space of a matrix (relative tolerance 1e-10).</summary>
    public static Matrix<double> ColumnBasis(Matrix<double> m, double tolerance = 1e-10)
    {
        var svd = m.Svd(computeVectors: true);
        var s = svd.S;
        var max = s.Count == 0 ? 0 : s.Maximum();
        var rank = s.Count(x => x > tolerance * Math.Max(max, double.Epsilon));
        return svd.U.SubMatrix(0, m.RowCount, 0, Math.Max(rank, 0));
    }

    /// <summary>Mean cos² of the principal angles between the column spaces of two orthonormal bases.</summary>
    public static double MeanCos2(Matrix<double> basis1, Matrix<double> basis2)
    {
        var k = Math.Min(basis1.ColumnCount, basis2.ColumnCount);
        if (k == 0) return 0;
        var cosines = basis1.TransposeThisAndMultiply(basis2).Svd(computeVectors: false).S;
        var sum = 0.0;
        for (var i = 0; i < Math.Min(k, cosines.Count); i++) sum += Math.Min(1, cosines[i]) * Math.Min(1, cosines[i]);
        return sum / k;
    }

    /// <summary>The similarity two random <paramref name="dHead"/>-dimensional subspaces of
    /// R^<paramref name="dModel"/> have on average (Gaussian bases; about d_head / d_model): the
    /// baseline subspace overlaps are read against.</summary>
    public static double Baseline(int dModel, int dHead, int draws = 200, int seed = 0) => BaselineDistribution(dModel, dHead, draws, seed).Mean;

    /// <summary>Mean and standard deviation of the similarity of random subspaces (see <see cref="Baseline"/>), so an
    /// overlap can be read as a z-score against random and compared with measures on other scales.</summary>
    public static (double Mean, double Sd) BaselineDistribution(int dModel, int dHead, int draws = 200, int seed = 0)
    {
        var rng = new Random(seed);
        var normal = new MathNet.Numerics.Distributions.Normal(0, 1, rng);
        var values = new double[draws];
        for (var i = 0; i < draws; i++)
            values[i] = MeanCos2(ColumnBasis(Matrix<double>.Build.Random(dModel, dHead, normal)),
                                 ColumnBasis(Matrix<double>.Build.Random(dModel, dHead, normal)));
        var mean = values.Average();
        return (mean, draws < 2 ? double.NaN : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (draws - 1)));
    }

    /// <summary>Overlap of the writer's W_O row space with the reader's Q, K and V column spaces, for
    /// every writer in an earlier layer than the reader.</summary>
    public static IReadOnlyList<SubspaceOverlap> Compute(HookedTransformer model)
    {
        var all = HeadMatrices.All(model).ToList();
        var bases = new Dictionary<(int, int, HeadSubspace), Matrix<double>>();
        foreach (var (l, h) in all)
            foreach (var s in Enum.GetValues<HeadSubspace>())
                bases[(l, h, s)] = Basis(model, l, h, s);
        var result = new List<SubspaceOverlap>();
        foreach (var (la, ha) in all)
            foreach (var (lb, hb) in all.Where(x => x.Layer > la))
                foreach (var read in new[] { HeadSubspace.Q, HeadSubspace.K, HeadSubspace.V })
                    result.Add(new(la, ha, lb, hb, read, MeanCos2(bases[(la, ha, HeadSubspace.O)], bases[(lb, hb, read)])));
        return result;
    }
    /// <summary>The research notes' circuit finder: how similar two heads' own projections are, the mean cos² of the
    /// principal angles between the column spaces of W_X of head A and W_X of head B (X = Q, K, V; O compares W_O row
    /// spaces). With <paramref name="throughTokens"/> both are first mapped into token space, which shows what the
    /// embedding and unembedding do to the comparison: what a head reads (Q, K, V) through W_E (the spaces W_E W_X),
    /// what it writes (O) through W_U (the spaces W_Uᵀ W_Oᵀ, the tokens its output pushes).</summary>
    public static double HeadSimilarity(HookedTransformer model, (int Layer, int Head) a, (int Layer, int Head) b, HeadSubspace which, bool throughTokens = false)
    {
        if (!throughTokens) return MeanCos2(Basis(model, a.Layer, a.Head, which), Basis(model, b.Layer, b.Head, which));
        var tokens = TokenMap(model, which);
        return MeanCos2(ColumnBasis(tokens * Projection(model, a, which)), ColumnBasis(tokens * Projection(model, b, which)));
    }

    /// <summary>Mean and sd of <see cref="HeadSimilarity"/> for random heads of the model's shapes (Gaussian W_X; through
    /// the model's own token map for <paramref name="which"/> when asked), the baseline each similarity is read against.</summary>
    public static (double Mean, double Sd) HeadSimilarityBaseline(HookedTransformer model, bool throughTokens, int draws = 200, int seed = 0, HeadSubspace which = HeadSubspace.Q)
    {
        var rng = new Random(seed);
        var normal = new MathNet.Numerics.Distributions.Normal(0, 1, rng);
        int dModel = model.Config.DModel, dHead = model.Config.HeadDim;
        var tokens = throughTokens ? TokenMap(model, which) : null;
        Matrix<double> Space() { var m = Matrix<double>.Build.Random(dModel, dHead, normal); return ColumnBasis(tokens is null ? m : tokens * m); }
        var values = Enumerable.Range(0, draws).Select(_ => MeanCos2(Space(), Space())).ToArray();
        var mean = values.Average();
        return (mean, draws < 2 ? double.NaN : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (draws - 1)));
    }

    /// <summary>[d_vocab, d_model]: W_E for what a head reads, W_Uᵀ for what it writes (O).</summary>
    private static Matrix<double> TokenMap(HookedTransformer model, HeadSubspace which)
    {
        using var scope = NewDisposeScope();
        return CopyingScore.ToMatrix(HeadMatrices.F64(which == HeadSubspace.O ? model.W_U.t() : model.W_E));
    }

    private static Matrix<double> Projection(HookedTransformer model, (int Layer, int Head) x, HeadSubspace which)
    {
        using var scope = NewDisposeScope();
        return CopyingScore.ToMatrix(which switch
        {
            HeadSubspace.Q => HeadMatrices.WQ(model, x.Layer, x.Head),
            HeadSubspace.K => HeadMatrices.WK(model, x.Layer, x.Head),
            HeadSubspace.V => HeadMatrices.WV(model, x.Layer, x.Head),
            _ => HeadMatrices.WO(model, x.Layer, x.Head).t(),
        });
    }
}
