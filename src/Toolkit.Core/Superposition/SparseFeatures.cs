using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Superposition;

/// <summary>The toy models' data: every feature is 0 with probability S (its instance's sparsity) and otherwise uniform
/// in [0, 1], independently of every other feature and example.</summary>
public static class SparseFeatures
{
    /// <summary>A batch x of shape [instances, batch, features]; <paramref name="density"/> [instances] holds 1 − S.
    /// Draws the values, then the masks, from <paramref name="generator"/>, so a seed fixes every batch.</summary>
    public static Tensor Draw(Generator generator, Tensor density, int batch, int features)
    {
        var shape = new[] { density.shape[0], batch, features };
        var values = rand(shape, generator: generator);
        var present = rand(shape, generator: generator).lt(density.view(-1, 1, 1));
        return values.mul(present.to_type(values.dtype));
    }
}
