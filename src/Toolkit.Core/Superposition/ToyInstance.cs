namespace Toolkit.Superposition;

/// <summary>One toy model of a batch trained together: how sparse its features are and how much each one's error
/// counts (Elhage et al. 2022, "Toy Models of Superposition"; docs/design.md §4 "Toy models of superposition").</summary>
/// <param name="Sparsity">S: each feature is 0 with probability S, else uniform in [0, 1], independently.</param>
/// <param name="Importance">I_i: the weight of feature i's squared error in the loss, one per feature.</param>
public sealed record ToyInstance(double Sparsity, IReadOnlyList<double> Importance)
{
    /// <summary>1 − S: the probability that a feature is non-zero.</summary>
    public double Density => 1 - Sparsity;

    /// <summary>The paper's importance curve I_i = r^i (i = 0..n−1) at sparsity S.</summary>
    public static ToyInstance Decaying(int features, double sparsity, double ratio) =>
        new(sparsity, Enumerable.Range(0, features).Select(i => Math.Pow(ratio, i)).ToArray());
}
