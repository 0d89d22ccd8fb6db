using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Rotary position embedding (Su et al. 2021, RoFormer), as TransformerLens applies it (GPT-NeoX's
/// "rotate half" layout): the first <c>rotary_dim</c> dimensions of each query and key are split in two halves
/// (x₁, x₂) and rotated by an angle t·θᵢ, θᵢ = base^(−2i/rotary_dim): x·cos + (−x₂, x₁)·sin. The score of a
/// query at t and a key at s then depends on t − s only, and no position enters the residual stream.</summary>
internal sealed class Rotary
{
    private readonly int dim;
    private readonly double rotaryBase;
    // cos and sin [pos, 1, dim] per (length, device), computed once and kept outside every dispose scope.
    private readonly Dictionary<(long, string), (Tensor Cos, Tensor Sin)> tables = new();

    public Rotary(int dim, double rotaryBase) => (this.dim, this.rotaryBase) = (dim, rotaryBase);

    /// <summary>x: [batch, pos, head, d_head] → the same with its first <c>dim</c> dimensions rotated.</summary>
    public Tensor Apply(Tensor x)
    {
        var (cos, sin) = Table(x.shape[1], x.device);
        long dHead = x.shape[3], half = dim / 2;
        var rotated = x.narrow(3, 0, dim);
        var rotateHalf = cat(new[] { rotated.narrow(3, half, half).neg(), rotated.narrow(3, 0, half) }, 3);
        var result = rotated.mul(cos).add(rotateHalf.mul(sin), Scalars.One); // kept-alive alpha (see Scalars)
        return dim == dHead ? result : cat(new[] { result, x.narrow(3, dim, dHead - dim) }, 3);
    }

    /// <summary>Rows x: [n, head, d_head] at the given positions [n] (of sequences of <paramref name="length"/>) → the same,
    /// rotated as <see cref="Apply"/> rotates those positions.</summary>
    public Tensor ApplyAt(Tensor x, Tensor positions, long length)
    {
        var (cosTable, sinTable) = Table(length, x.device);
        var cos = cosTable.index_select(0, positions);
        var sin = sinTable.index_select(0, positions);
        long dHead = x.shape[2], half = dim / 2;
        var rotated = x.narrow(2, 0, dim);
        var rotateHalf = cat(new[] { rotated.narrow(2, half, half).neg(), rotated.narrow(2, 0, half) }, 2);
        var result = rotated.mul(cos).add(rotateHalf.mul(sin), Scalars.One);
        return dim == dHead ? result : cat(new[] { result, x.narrow(2, dim, dHead - dim) }, 2);
    }

    private (Tensor Cos, Tensor Sin) Table(long length, Device device)
    {
        lock (tables)
        {
            if (tables.TryGetValue((length, device.ToString()), out var table)) return table;
            var half = dim / 2;
            var angles = new float[length * dim];
            for (var t = 0; t < length; t++)
                for (var i = 0; i < half; i++)
                {
                    var angle = (float)(t * Math.Pow(rotaryBase, -2.0 * i / dim));
                    angles[t * dim + i] = angles[t * dim + i + half] = angle;
                }
            using var scope = NewDisposeScope();
            var a = tensor(angles, new long[] { length, 1, dim }, device: device);
            table = (a.cos().DetachFromDisposeScope(), a.sin().DetachFromDisposeScope());
            tables[(length, device.ToString())] = table;
            return table;
        }
    }
}
