using System.Numerics;
using MathNet.Numerics.LinearAlgebra;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Copying score of one head: positive when its OV circuit copies tokens.</summary>
public sealed record HeadCopyingScore(int Layer, int Head, double Score)
{
    /// <summary>e.g. L1H3.</summary>
    public string Name => HeadMatrices.Name(Layer, Head);
}

/// <summary>Copying score: for the eigenvalues λ of the full OV circuit <c>W_E W_OV W_U</c>
/// ([d_vocab, d_vocab]), <c>sum(λ) / sum(|λ|)</c>.</summary>
/// <remarks>Source: Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits",
/// section on detecting copying with OV-circuit eigenvalues; docs/design.md §4. Eigenvalues of a real
/// matrix come in conjugate pairs, so sum(λ) is real (its real part is taken) and |λ| is the modulus.
/// Eigenvalues are computed with MathNet (dense EVD, float64). The [d_vocab, d_vocab] matrix is never built: the
/// nonzero eigenvalues of <c>W_E (W_OV W_U)</c> are those of <c>(W_OV W_U) W_E</c> ([d_model, d_model]), and zero
/// eigenvalues add nothing to either sum, so the score is the same at any vocabulary size (50k included).</remarks>
public static class CopyingScore
{
    /// <summary>sum(Re λ) / sum(|λ|) of a square matrix (0 for the zero matrix).</summary>
    public static double OfMatrix(Matrix<double> m)
    {
        if (m.RowCount != m.ColumnCount) throw new ArgumentException("the matrix must be square");
        var eigenvalues = m.Evd().EigenValues;
        double real = 0, modulus = 0;
        foreach (var l in eigenvalues)
        {
            real += l.Real;
            modulus += Complex.Abs(l);
        }
        return modulus == 0 ? 0 : real / modulus;
    }

    /// <summary>Score of a square tensor (any dtype/device).</summary>
    public static double OfMatrix(Tensor m) => OfMatrix(ToMatrix(m));

    /// <summary>Score of the circuit <c>W_E W_OV W_U</c>, computed on <c>W_OV W_U W_E</c> ([d_model, d_model]).</summary>
    public static double OfCircuit(Tensor wE, Tensor wOV, Tensor wU)
    {
        using var scope = NewDisposeScope();
        return OfMatrix(HeadMatrices.F64(wOV).matmul(HeadMatrices.F64(wU)).matmul(HeadMatrices.F64(wE)));
    }

    /// <summary>Copying score of every head of a model.</summary>
    /// <remarks>One step further down than <see cref="OfCircuit"/>: W_OV = W_V W_O, so the nonzero eigenvalues of
    /// W_V (W_O W_U W_E) are those of (W_O W_U W_E) W_V, a [d_head, d_head] matrix: the eigen-decomposition costs
    /// d_head³ instead of d_model³ (a test checks both give the same score).</remarks>
    public static IReadOnlyList<HeadCopyingScore> Compute(HookedTransformer model)
    {
        using var scope = NewDisposeScope();
        var unembedEmbed = HeadMatrices.F64(model.W_U).matmul(HeadMatrices.F64(model.W_E)); // [d_model, d_model]
        return HeadMatrices.All(model)
            .Select(x => new HeadCopyingScore(x.Layer, x.Head,
                OfMatrix(HeadMatrices.WO(model, x.Layer, x.Head).matmul(unembedEmbed).matmul(HeadMatrices.WV(model, x.Layer, x.Head)))))
            .ToList();
    }

    /// <summary>A 2-D tensor as a MathNet matrix.</summary>
    public static Matrix<double> ToMatrix(Tensor t)
    {
        using var scope = NewDisposeScope();
        var c = HeadMatrices.F64(t).contiguous();
        int rows = (int)c.shape[0], cols = (int)c.shape[1];
        var data = c.data<double>().ToArray();
        return Matrix<double>.Build.Dense(rows, cols, (i, j) => data[i * cols + j]);
    }
}
