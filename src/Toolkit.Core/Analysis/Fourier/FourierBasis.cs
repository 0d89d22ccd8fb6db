namespace Toolkit.Analysis;

/// <summary>The real Fourier basis over Z_p for an odd modulus p (Nanda et al. 2023): row 0 the constant 1/√p, then for
/// each frequency k = 1..(p−1)/2 the rows cos(2πkx/p) and sin(2πkx/p), each scaled to unit norm. Its p rows are an
/// orthonormal basis of functions on 0..p−1.</summary>
public sealed class FourierBasis
{
    /// <summary>The modulus.</summary>
    public int P { get; }
    /// <summary>The number of frequencies, (p−1)/2.</summary>
    public int Frequencies => (P - 1) / 2;
    /// <summary>The rows [p][p]: row 0 constant, row 2k−1 cos k, row 2k sin k.</summary>
    public double[][] Rows { get; }

    public FourierBasis(int p)
    {
        if (p < 3 || p % 2 == 0)
            throw new ToolkitException($"the Fourier basis over Z_p needs an odd modulus of 3 or more, not {p}", "use the task's prime p");
        P = p;
        Rows = new double[p][];
        Rows[0] = Enumerable.Repeat(1 / Math.Sqrt(p), p).ToArray();
        var scale = Math.Sqrt(2.0 / p); // Σ_x cos²(2πkx/p) = p/2 for 1 ≤ k ≤ (p−1)/2
        for (var k = 1; k <= Frequencies; k++)
        {
            Rows[2 * k - 1] = Enumerable.Range(0, p).Select(x => scale * Math.Cos(2 * Math.PI * k * x / p)).ToArray();
            Rows[2 * k] = Enumerable.Range(0, p).Select(x => scale * Math.Sin(2 * Math.PI * k * x / p)).ToArray();
        }
    }

    /// <summary>The coefficients of a function on 0..p−1 given as the rows of <paramref name="values"/> [p][d]: [p][d], row j the
    /// projection on basis row j (each of the d columns transformed on its own).</summary>
    public double[][] Transform(IReadOnlyList<double[]> values)
    {
        if (values.Count != P) throw new ArgumentException($"expected {P} rows, got {values.Count}");
        var d = values[0].Length;
        var result = new double[P][];
        for (var j = 0; j < P; j++)
        {
            var row = new double[d];
            for (var x = 0; x < P; x++)
            {
                var w = Rows[j][x];
                var v = values[x];
                for (var c = 0; c < d; c++) row[c] += w * v[c];
            }
            result[j] = row;
        }
        return result;
    }

    /// <summary>The name of basis row j: "const", "cos k" or "sin k".</summary>
    public static string RowName(int j) => j == 0 ? "const" : (j % 2 == 1 ? $"cos {(j + 1) / 2}" : $"sin {j / 2}");
}
