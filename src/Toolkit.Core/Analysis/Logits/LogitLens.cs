using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>What the residual stream after one layer already predicts.</summary>
/// <param name="Layer">The block whose resid_post is read.</param>
/// <param name="Probability">Mean probability of the correct next token at masked positions.</param>
/// <param name="MeanRank">Mean rank of the correct next token (0 = strictly above every other token; ties count against it).</param>
/// <param name="Accuracy">Share of masked positions where the argmax is the correct token.</param>
/// <param name="Settled">Share of masked positions whose top-1 prediction settles at this layer: the earliest layer
/// from which every later layer's top-1 equals the model's final one ("saturation", Geva et al. 2022).</param>
public sealed record LogitLensLayer(int Layer, double Probability, double MeanRank, double Accuracy, double Settled);

/// <summary>Logit lens: unembed every resid_post (through ln_final when the model has one).</summary>
/// <remarks>Source: nostalgebraist 2020, "interpreting GPT: the logit lens"; TransformerLens's
/// <c>ActivationCache.accumulated_resid(apply_ln=True)</c>. Each layer's resid_post goes through the
/// final LayerNorm with its own statistics, then W_U and b_U.</remarks>
public static class LogitLens
{
    /// <summary>Per layer, the correct-token probability, rank and accuracy at masked positions.</summary>
    public static IReadOnlyList<LogitLensLayer> Run(HookedTransformer model, Tensor tokens, Tensor lossMask)
    {
        model.RequireNextToken("the logit lens");
        model.RequireSequentialBlocks("logit lens");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        tokens = tokens.to(model.Device);
        var (_, cache) = model.RunStreamWithCache(tokens, n => n.EndsWith("hook_resid_post", StringComparison.Ordinal));
        long p = tokens.shape[1];
        var targets = tokens.narrow(1, 1, p - 1).unsqueeze(-1);
        var mask = lossMask.to(model.Device).narrow(1, 1, p - 1).to_type(ScalarType.Float64);
        var count = mask.sum().item<double>();
        var rows = new List<(int Layer, double Probability, double Rank, double Accuracy)>();
        var tops = new List<Tensor>();                                        // per layer [b, p-1], kept for saturation
        for (var l = 0; l < model.Config.NLayers; l++)
        {
            var resid = cache.ResidPost(l).narrow(1, 0, p - 1);
            if (model.ln_final is not null) resid = model.ln_final.forward(resid);
            var logits = model.unembed.forward(resid).to_type(ScalarType.Float64);
            var correct = logits.gather(2, targets);                          // [b, p-1, 1]
            // Rank: other tokens scoring at least as high (ties count against the correct token,
            // so an all-equal row ranks it last); accuracy: argmax as MaskedLoss counts it.
            var rank = logits.ge(correct).to_type(ScalarType.Float64).sum(2).sub(ones_like(mask));
            var prob = logits.softmax(2).gather(2, targets).squeeze(-1);
            var argmax = logits.argmax(2);
            tops.Add(argmax);
            var top = argmax.eq(targets.squeeze(-1)).to_type(ScalarType.Float64);
            rows.Add((l, Mean(prob), Mean(rank), Mean(top)));
        }
        // Walk back from the last layer: a position has settled at layer l when layers l..last all agree with the last.
        var settled = new double[rows.Count];
        var agreesFromHere = ones_like(mask);
        for (var l = rows.Count - 1; l >= 0; l--)
        {
            var agreesNow = agreesFromHere.mul(tops[l].eq(tops[^1]).to_type(ScalarType.Float64));
            var firstHere = l == 0 ? agreesNow : agreesNow.mul(ones_like(mask).sub(tops[l - 1].eq(tops[^1]).to_type(ScalarType.Float64)));
            settled[l] = Mean(firstHere);
            agreesFromHere = agreesNow;
        }
        return rows.Select(r => new LogitLensLayer(r.Layer, r.Probability, r.Rank, r.Accuracy, settled[r.Layer])).ToList();

        double Mean(Tensor t) => count == 0 ? double.NaN : t.mul(mask).sum().item<double>() / count;
    }
}
