using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>One position per sequence of a batch (the query of a relational prompt, the END of an IOI prompt): the index
/// pair that reads or writes a [batch, pos, ..] tensor there.</summary>
public static class PositionRows
{
    /// <summary>Row indices 0..n−1 and the positions, as int64 tensors on <paramref name="device"/>, for
    /// <c>x[rows, at]</c> or <c>index_put_</c>.</summary>
    public static (Tensor Rows, Tensor At) Index(IReadOnlyList<long> positions, Device device)
    {
        using var n = ((long)positions.Count).ToScalar(); // explicit and disposed after use (see Scalars)
        return (arange(n, dtype: ScalarType.Int64, device: device), tensor(positions.ToArray(), device: device));
    }

    /// <summary>x[b, positions[b]] for every sequence b: [batch, ..] from [batch, pos, ..].</summary>
    public static Tensor At(Tensor x, IReadOnlyList<long> positions)
    {
        var (rows, at) = Index(positions, x.device);
        return x.index(new TensorIndex[] { TensorIndex.Tensor(rows), TensorIndex.Tensor(at) });
    }
}
