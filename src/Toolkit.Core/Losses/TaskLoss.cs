using Toolkit.Data;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Losses;

/// <summary>The training objective of a model on a batch, without the architecture's auxiliary loss
/// (<see cref="HookedTransformer.AuxiliaryLoss"/>).</summary>
public static class TaskLoss
{
    /// <summary>Cross-entropy at the batch's scored positions (next-token, or the corrupted positions of a masked LM); for
    /// ACT with per-step loss, the halting-weighted mean of every routed step's loss.</summary>
    public static Tensor Of(HookedTransformer model, Batch batch)
    {
        var logits = model.forward(batch.Tokens);
        if (model.router?.StepStates is not { } states) return MaskedLoss.Loss(logits, batch);
        Tensor? total = null, mask = null;
        foreach (var (state, weight) in states)
        {
            var (loss, _, scored) = MaskedLoss.PerPosition(model.Unembed(state), batch);
            mask ??= scored.to_type(logits.dtype);
            // A next-token row i predicts token i + 1, so it is weighted by position i's halting weight.
            var w = weight.expand(batch.Tokens.shape[0], batch.Tokens.shape[1]).narrow(1, 0, loss.shape[1]);
            var weighted = loss.mul(w).mul(mask).sum();
            total = total is null ? weighted : total.add(weighted, Scalars.One);
        }
        return total!.div(mask!.sum().clamp_min(Scalars.One));
    }
}
