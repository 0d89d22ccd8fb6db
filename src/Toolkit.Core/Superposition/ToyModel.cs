using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Superposition;

/// <summary>The ReLU output model of Elhage et al. 2022, one per instance: h = W x with W of shape [m, n], and
/// x' = ReLU(Wᵀ h + b). W has shape [instances, m, n] (column i of an instance's W is feature i's direction) and
/// b [instances, n].</summary>
public sealed class ToyModel : IDisposable
{
    /// <summary>[instances, m, n]: the embedding, read back through its transpose.</summary>
    public Parameter W { get; }
    /// <summary>[instances, n]: the output bias.</summary>
    public Parameter B { get; }

    /// <summary>Xavier-normal W (std √(2 / (m + n)), the paper's notebook) drawn from <paramref name="generator"/>, b = 0.</summary>
    public ToyModel(int instances, int hidden, int features, Generator generator)
    {
        using var _ = no_grad();
        using var std = Math.Sqrt(2.0 / (hidden + features)).ToScalar();
        W = new Parameter(randn(new long[] { instances, hidden, features }, generator: generator).mul_(std));
        B = new Parameter(zeros(instances, features));
    }

    /// <summary>The named parameters, for the optimizer.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => [("W", W), ("b_final", B)];

    /// <summary>x' = ReLU(Wᵀ W x + b) for x of shape [instances, batch, n].</summary>
    public Tensor Forward(Tensor x)
    {
        var hidden = x.matmul(W.transpose(1, 2));                       // [instances, batch, m]
        return nn.functional.relu(hidden.matmul(W).add(B.unsqueeze(1), Scalars.One));
    }

    /// <summary>Per instance, the batch mean of Σ_i I_i (x_i − x'_i)²; <paramref name="importance"/> is [instances, n].</summary>
    public Tensor Loss(Tensor x, Tensor importance)
    {
        var error = x - Forward(x);
        return (error * error * importance.unsqueeze(1)).sum(-1).mean(new long[] { -1 });
    }

    public void Dispose()
    {
        W.Dispose();
        B.Dispose();
    }
}
