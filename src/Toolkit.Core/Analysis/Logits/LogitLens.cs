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
    /// <summary>Logits computed at once, at most: 2^20 (4 MB of float32) stays in cache (2^17 and 2^23 were slower at
    /// GPT-2's vocabulary); there that is 47 positions a chunk, where unembedding 256 sequences of 256 positions at once
    /// took 5.7 GB a layer.</summary>
    public const long ChunkElements = 1L << 20;

    /// <summary>Per layer, the correct-token probability, rank and accuracy at masked positions. Only masked positions are
    /// unembedded, <paramref name="chunkElements"/> logits at a time; the answer does not depend on the chunk size.</summary>
    public static IReadOnlyList<LogitLensLayer> Run(HookedTransformer model, Tensor tokens, Tensor lossMask, long chunkElements = ChunkElements)
    {
        model.RequireNextToken("the logit lens");
        model.RequireSequentialBlocks("logit lens");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        tokens = tokens.to(model.Device);
        var (_, cache) = model.RunStreamWithCache(tokens, n => n.EndsWith("hook_resid_post", StringComparison.Ordinal));
        long p = tokens.shape[1];
        // The masked positions, flattened: position t of a row predicts token t + 1.
        var read = lossMask.to(model.Device).narrow(1, 1, p - 1).reshape(-1).nonzero().squeeze(-1);
        long count = read.shape[0];
        var targets = tokens.narrow(1, 1, p - 1).reshape(-1).index_select(0, read);
        long rowsPerChunk = Math.Max(1, chunkElements / model.Config.DVocab);
        var rows = new List<(int Layer, double Probability, double Rank, double Accuracy)>();
        var tops = new List<Tensor>();                                        // per layer [count], kept for saturation
        for (var l = 0; l < model.Config.NLayers; l++)
        {
            var resid = cache.ResidPost(l).narrow(1, 0, p - 1);
            resid = resid.reshape(-1, resid.shape[2]).index_select(0, read);
            double prob = 0, rank = 0, top = 0;
            var argmaxes = new List<Tensor>();
            for (long at = 0; at < count; at += rowsPerChunk)
            {
                using var chunkScope = NewDisposeScope();
                var n = Math.Min(rowsPerChunk, count - at);
                var x = resid.narrow(0, at, n).unsqueeze(0);                  // [1, n, d]: the shape the model's modules take
                if (model.ln_final is not null) x = model.ln_final.forward(x);
                var logits = model.unembed.forward(x).squeeze(0);             // [n, d_vocab], the model's own precision
                var target = targets.narrow(0, at, n).unsqueeze(-1);
                var correct = logits.gather(1, target);
                // Rank: other tokens scoring at least as high (ties count against the correct token,
                // so an all-equal row ranks it last); accuracy: argmax as MaskedLoss counts it.
                rank += logits.ge(correct).sum().item<long>() - n;
                prob += correct.squeeze(-1).sub(logits.logsumexp(1)).exp().to_type(ScalarType.Float64).sum().item<double>();
                var argmax = logits.argmax(1);
                top += argmax.eq(target.squeeze(-1)).sum().item<long>();
                argmaxes.Add(argmax.MoveToOuterDisposeScope());
            }
            tops.Add(count == 0 ? zeros(0, ScalarType.Int64, model.Device) : cat(argmaxes, 0));
            rows.Add((l, Mean(prob), Mean(rank), Mean(top)));
        }
        // Walk back from the last layer: a position has settled at layer l when layers l..last all agree with the last.
        var settled = new double[rows.Count];
        var agreesFromHere = ones(count, ScalarType.Bool, model.Device);
        for (var l = rows.Count - 1; l >= 0; l--)
        {
            var agreesNow = agreesFromHere.logical_and(tops[l].eq(tops[^1]));
            var firstHere = l == 0 ? agreesNow : agreesNow.logical_and(tops[l - 1].ne(tops[^1]));
            settled[l] = Mean(firstHere.to_type(ScalarType.Float64).sum().item<double>());
            agreesFromHere = agreesNow;
        }
        return rows.Select(r => new LogitLensLayer(r.Layer, r.Probability, r.Rank, r.Accuracy, settled[r.Layer])).ToList();

        double Mean(double sum) => count == 0 ? double.NaN : sum / count;
    }
}
