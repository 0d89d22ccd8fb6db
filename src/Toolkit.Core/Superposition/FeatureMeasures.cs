namespace Toolkit.Superposition;

/// <summary>Per-feature measures of a toy model's W (m × n, column i = W_i, feature i's direction), as Elhage et al.
/// 2022 define them; docs/design.md §4 "Toy models of superposition" states each one.</summary>
public static class FeatureMeasures
{
    /// <summary>A feature is represented when ‖W_i‖ reaches this (a trained model's features sit near 0 or near 1).</summary>
    public const double RepresentedNorm = 0.5;

    /// <summary>A represented feature is in superposition when Σ_{j≠i} (Ŵ_i·W_j)² reaches this: other features put at
    /// least a tenth of a unit feature's squared norm along its direction.</summary>
    public const double SuperpositionThreshold = 0.1;

    /// <summary>Feature <paramref name="Index"/>'s norm ‖W_i‖, superposition Σ_{j≠i} (Ŵ_i·W_j)² and dimensionality
    /// D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² (both 0 for a zero column).</summary>
    public sealed record Feature(int Index, double Norm, double Superposition, double Dimensionality)
    {
        /// <summary>‖W_i‖ ≥ <see cref="RepresentedNorm"/>.</summary>
        public bool Represented => Norm >= RepresentedNorm;

        /// <summary>Represented, with superposition ≥ <see cref="SuperpositionThreshold"/>.</summary>
        public bool InSuperposition => Represented && Superposition >= SuperpositionThreshold;
    }

    /// <summary>Every feature's measures, in feature order.</summary>
    public static IReadOnlyList<Feature> Of(double[,] w) =>
        Enumerable.Range(0, w.GetLength(1)).Select(i => new Feature(i, Norm(w, i), Superposition(w, i), Dimensionality(w, i))).ToList();

    /// <summary>‖W_i‖.</summary>
    public static double Norm(double[,] w, int i) => Math.Sqrt(Dot(w, i, i));

    /// <summary>Σ_{j≠i} (Ŵ_i·W_j)²: how much of the other features lies along feature i's direction; 0 when W_i = 0.</summary>
    public static double Superposition(double[,] w, int i)
    {
        var squaredNorm = Dot(w, i, i);
        if (squaredNorm == 0) return 0;
        var sum = 0.0;
        for (var j = 0; j < w.GetLength(1); j++)
            if (j != i) sum += Dot(w, i, j) * Dot(w, i, j) / squaredNorm;
        return sum;
    }

    /// <summary>D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² (the sum includes j = i): 1 for a feature with a dimension of its own,
    /// 1/2 for one of an antipodal pair, 0 when W_i = 0.</summary>
    public static double Dimensionality(double[,] w, int i)
    {
        var squaredNorm = Dot(w, i, i);
        return squaredNorm == 0 ? 0 : squaredNorm / (squaredNorm + Superposition(w, i));
    }

    /// <summary>m / ‖W‖_F²: the hidden dimensions per represented feature (‖W‖_F² counts features of norm 1); infinite
    /// for W = 0.</summary>
    public static double DimensionsPerFeature(double[,] w)
    {
        var frobenius = 0.0;
        foreach (var v in w) frobenius += v * v;
        return w.GetLength(0) / frobenius;
    }

    /// <summary>cos(W_i, W_j); 0 when either is 0.</summary>
    public static double Cosine(double[,] w, int i, int j)
    {
        var norms = Math.Sqrt(Dot(w, i, i) * Dot(w, j, j));
        return norms == 0 ? 0 : Dot(w, i, j) / norms;
    }

    /// <summary>W_i · W_j.</summary>
    public static double Dot(double[,] w, int i, int j)
    {
        var sum = 0.0;
        for (var k = 0; k < w.GetLength(0); k++) sum += w[k, i] * w[k, j];
        return sum;
    }
}
