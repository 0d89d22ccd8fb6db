using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Losses;

/// <summary>Next-token cross-entropy and accuracy measured only at predictable positions; shared by training,
/// evaluation and analysis (ablation), so none of them reaches into another for it.</summary>
/// <remarks>Logits at position i predict token i+1, so position i+1's mask selects logit row i.</remarks>
public static class MaskedLoss
{
    /// <summary>Mean loss over masked targets (a scalar tensor with gradient).</summary>
    public static Tensor Loss(Tensor logits, Tensor tokens, Tensor lossMask)
    {
        var (flatLogits, targets, weights) = Align(logits, tokens, lossMask);
        var perToken = nn.functional.cross_entropy(flatLogits, targets, reduction: nn.Reduction.None);
        return (perToken * weights).sum() / weights.sum().clamp_min(Scalars.One); // kept-alive Scalar (see Scalars)
    }

    /// <summary>Per-target loss and correctness at masked positions, as [batch, pos-1] tensors plus the mask.</summary>
    public static (Tensor Loss, Tensor Correct, Tensor Mask) PerPosition(Tensor logits, Tensor tokens, Tensor lossMask)
    {
        long b = logits.shape[0], p = logits.shape[1], v = logits.shape[2];
        var predictive = logits.narrow(1, 0, p - 1);
        var targets = tokens.narrow(1, 1, p - 1);
        var loss = nn.functional.cross_entropy(predictive.reshape(-1, v), targets.reshape(-1), reduction: nn.Reduction.None)
            .view(b, p - 1);
        var correct = predictive.argmax(-1).eq(targets);
        return (loss, correct, lossMask.narrow(1, 1, p - 1));
    }

    private static (Tensor, Tensor, Tensor) Align(Tensor logits, Tensor tokens, Tensor lossMask)
    {
        long p = logits.shape[1], v = logits.shape[2];
        return (logits.narrow(1, 0, p - 1).reshape(-1, v),
                tokens.narrow(1, 1, p - 1).reshape(-1),
                lossMask.narrow(1, 1, p - 1).reshape(-1).to_type(logits.dtype));
    }
}
