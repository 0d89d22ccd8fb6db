using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>In-context learning score: loss at a late token minus loss at an early token.</summary>
/// <param name="Score">Late − early loss (negative: the model uses its context).</param>
/// <param name="EarlyLoss">Mean loss of the early token.</param>
/// <param name="LateLoss">Mean loss of the late token.</param>
/// <param name="EarlyPosition">0-based index of the early token.</param>
/// <param name="LatePosition">0-based index of the late token.</param>
public sealed record IclScore(double Score, double EarlyLoss, double LateLoss, int EarlyPosition, int LatePosition);

/// <summary>In-context learning score of Olsson et al. 2022.</summary>
/// <remarks>Source: Olsson et al. 2022, "In-context Learning and Induction Heads": loss of the 500th
/// token minus loss of the 50th token, averaged over sequences; docs/design.md §4 for short contexts:
/// the last token versus the token at one tenth of the context. Every position counts (no loss
/// mask): the score is about the context, not the task's rule. A token's loss is read from the
/// logits at the position before it.</remarks>
public static class InContextLearningScore
{
    /// <summary>The score of a model on tokens [batch, pos].</summary>
    public static IclScore Compute(HookedTransformer model, Tensor tokens)
    {
        model.RequireNextToken("the in-context learning score");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long n = tokens.shape[1];
        if (n < 3) throw new ToolkitException($"sequences of {n} tokens are too short for an in-context learning score", "use at least 3 tokens");
        int late, early;
        if (n >= 500) { late = 499; early = 49; }
        else { late = (int)n - 1; early = Math.Max(1, (int)(n / 10)); }
        using var evalMode = model.EvalMode();
        tokens = tokens.to(model.Device);
        var logits = model.forward(tokens).to_type(ScalarType.Float64);
        var logProbs = logits.log_softmax(-1);
        double Loss(int position) => -logProbs.select(1, position - 1)
            .gather(1, tokens.select(1, position).unsqueeze(-1)).mean().item<double>();
        double lateLoss = Loss(late), earlyLoss = Loss(early);
        return new IclScore(lateLoss - earlyLoss, earlyLoss, lateLoss, early, late);
    }
}
