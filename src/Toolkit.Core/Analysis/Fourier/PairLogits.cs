using Toolkit.Data;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>A model's logits for every pair of modular addition: row a·p + b holds the logits of the tokens 0..p−1 read at
/// the "=" position of "a b =" (the position that predicts c = (a + b) mod p). Losses over them are the cross-entropy over
/// those p numbers, as Nanda et al. 2023 measure (the "=" token's own logit left out).</summary>
public sealed class PairLogits
{
    /// <summary>The modulus.</summary>
    public int P { get; }
    /// <summary>[p²][p]: row a·p + b, column c.</summary>
    public double[][] Rows { get; }

    public PairLogits(int p, double[][] rows)
    {
        if (rows.Length != p * p || rows.Any(r => r.Length != p))
            throw new ArgumentException($"pair logits of modulus {p} are {p * p} rows of {p}");
        (P, Rows) = (p, rows);
    }

    /// <summary>The answer of row i: (a + b) mod p.</summary>
    public int Label(int row) => (row / P + row % P) % P;

    /// <summary>The model's logits on every pair (tokens a, b, then the "=" token <paramref name="equalsToken"/>).</summary>
    public static PairLogits Of(HookedTransformer model, int p, int equalsToken)
    {
        model.RequireNextToken("pair logits");
        using var eval = model.EvalMode();
        using var scope = NewDisposeScope();
        var flat = new long[p * p * 3];
        for (var a = 0; a < p; a++)
            for (var b = 0; b < p; b++)
                (flat[(a * p + b) * 3], flat[(a * p + b) * 3 + 1], flat[(a * p + b) * 3 + 2]) = (a, b, equalsToken);
        using var _ = no_grad();
        var tokens = tensor(flat, new long[] { p * p, 3 }, device: model.Device);
        var logits = model.forward(tokens).select(1, 2).narrow(1, 0, p).cpu().to_type(ScalarType.Float64);
        var values = logits.data<double>().ToArray();
        return new PairLogits(p, Enumerable.Range(0, p * p).Select(i => values.AsSpan(i * p, p).ToArray()).ToArray());
    }

    /// <summary>The mean cross-entropy of <paramref name="rows"/> (logits [p²][p]) over the pairs where <paramref name="include"/> holds.</summary>
    public double Loss(double[][] rows, Func<int, bool> include)
    {
        double sum = 0;
        var n = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            if (!include(i)) continue;
            var r = rows[i];
            var max = r.Max();
            var logSum = max + Math.Log(r.Sum(v => Math.Exp(v - max)));
            sum += logSum - r[Label(i)];
            n++;
        }
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>The model's own loss over the pairs where <paramref name="include"/> holds.</summary>
    public double Loss(Func<int, bool> include) => Loss(Rows, include);

    /// <summary>The share of the pairs where <paramref name="include"/> holds whose largest logit is the answer (ties: the lowest).</summary>
    public double Accuracy(Func<int, bool> include)
    {
        int hit = 0, n = 0;
        for (var i = 0; i < Rows.Length; i++)
        {
            if (!include(i)) continue;
            var r = Rows[i];
            var best = 0;
            for (var c = 1; c < P; c++) if (r[c] > r[best]) best = c;
            if (best == Label(i)) hit++;
            n++;
        }
        return n == 0 ? double.NaN : (double)hit / n;
    }
}
