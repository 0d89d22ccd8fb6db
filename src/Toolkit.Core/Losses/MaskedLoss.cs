using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Losses;

/// <summary>Cross-entropy and accuracy measured only at the scored positions; shared by training, evaluation and
/// analysis (ablation), so none of them reaches into another for it.</summary>
/// <remarks>Next-token: logits at position i predict token i+1, so position i+1's mask selects logit row i. Masked LM
/// (a <see cref="Data.Batch"/> that is not <see cref="Data.Batch.NextToken"/>): row i predicts the uncorrupted token i
/// where position i was corrupted.</remarks>
public static class MaskedLoss
{
    /// <summary>Mean loss over a batch's scored positions, for either kind of batch.</summary>
    public static Tensor Loss(Tensor logits, Data.Batch batch)
    {
        if (batch.NextToken) return Loss(logits, batch.Tokens, batch.LossMask);
        var (loss, _, mask) = PerPosition(logits, batch);
        var weights = mask.to_type(logits.dtype);
        return loss.mul(weights).sum().div(weights.sum().clamp_min(Scalars.One));
    }

    /// <summary>Per-position loss and correctness with the mask of the positions scored, for either kind of batch:
    /// [batch, pos-1] tensors for next-token (row i scores token i+1), [batch, pos] for masked LM.</summary>
    public static (Tensor Loss, Tensor Correct, Tensor Mask) PerPosition(Tensor logits, Data.Batch batch)
    {
        if (batch.NextToken) return PerPosition(logits, batch.Tokens, batch.LossMask);
        long b = logits.shape[0], p = logits.shape[1], v = logits.shape[2];
        var loss = nn.functional.cross_entropy(logits.reshape(-1, v), batch.Targets.reshape(-1), reduction: nn.Reduction.None).view(b, p);
        return (loss, logits.argmax(-1).eq(batch.Targets), batch.LossMask);
    }

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

    /// <summary>The rows of a flattened [batch·pos, ·] stream whose logits are scored, and the token each must predict:
    /// what an analysis needs to unembed only those rows (at a 50k vocabulary the unembedding is most of the cost).
    /// Next-token: row b·pos + i predicts token i+1 where the mask selects position i+1; masked LM: row b·pos + i predicts
    /// the uncorrupted token i where position i was corrupted.</summary>
    public static (Tensor Rows, Tensor Targets) ScoredRows(Data.Batch batch)
    {
        if (batch.NextToken) return ScoredRows(batch.Tokens, batch.LossMask);
        var rows = batch.LossMask.reshape(-1).nonzero().squeeze(1);
        return (rows, batch.Targets.reshape(-1).index_select(0, rows));
    }

    /// <summary>Next-token scored rows of tokens [batch, pos] under a loss mask (see <see cref="ScoredRows(Data.Batch)"/>).</summary>
    public static (Tensor Rows, Tensor Targets) ScoredRows(Tensor tokens, Tensor lossMask)
    {
        long p = tokens.shape[1];
        // Row (b, i) is read when position i+1 is scored: shift the mask left by one and never read the last position.
        var read = torch.cat(new[] { lossMask.narrow(1, 1, p - 1).to_type(ScalarType.Bool), torch.zeros(new[] { tokens.shape[0], 1L }, ScalarType.Bool, tokens.device) }, 1);
        var rows = read.reshape(-1).nonzero().squeeze(1);
        var next = torch.cat(new[] { tokens.narrow(1, 1, p - 1), tokens.narrow(1, 0, 1) }, 1); // the last column is never read
        return (rows, next.reshape(-1).index_select(0, rows));
    }

    private static (Tensor, Tensor, Tensor) Align(Tensor logits, Tensor tokens, Tensor lossMask)
    {
        long p = logits.shape[1], v = logits.shape[2];
        return (logits.narrow(1, 0, p - 1).reshape(-1, v),
                tokens.narrow(1, 1, p - 1).reshape(-1),
                lossMask.narrow(1, 1, p - 1).reshape(-1).to_type(logits.dtype));
    }
}
