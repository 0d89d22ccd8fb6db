using System.Text.Json.Serialization;
using Toolkit.Losses;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>What replaces an ablated head's output.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AblationKind>))]
public enum AblationKind
{
    /// <summary>The head's z (hook_z slice) is set to zero.</summary>
    Zero,
    /// <summary>The head's z is replaced by its mean over the batch and positions.</summary>
    Mean,
}

/// <summary>Which attention a head belongs to.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttentionSite>))]
public enum AttentionSite
{
    /// <summary>A (decoder) block's self-attention, <c>blocks.{l}.attn</c>: named L1H3.</summary>
    Self,
    /// <summary>An encoder-decoder's cross-attention, <c>blocks.{l}.cross_attn</c>: named L1X3.</summary>
    Cross,
    /// <summary>An encoder block's self-attention, <c>encoder.blocks.{l}.attn</c>: named E1H3.</summary>
    Encoder,
}

/// <summary>Masked loss and accuracy of a batch with one head ablated, beside the clean values.</summary>
public sealed record AblationEffect(int Layer, int Head, AblationKind Kind, double Loss, double Accuracy, double CleanLoss, double CleanAccuracy,
    AttentionSite Site = AttentionSite.Self)
{
    /// <summary>e.g. L1H3 (self-attention), L1X3 (cross-attention), E1H3 (encoder).</summary>
    public string Name => Site switch
    {
        AttentionSite.Cross => $"L{Layer}X{Head}",
        AttentionSite.Encoder => $"E{Layer}H{Head}",
        _ => HeadMatrices.Name(Layer, Head),
    };

    /// <summary>The hook point of a head's z at a site and layer.</summary>
    public static string HookZ(AttentionSite site, int layer) => site switch
    {
        AttentionSite.Cross => $"blocks.{layer}.cross_attn.hook_z",
        AttentionSite.Encoder => $"encoder.blocks.{layer}.attn.hook_z",
        _ => $"blocks.{layer}.attn.hook_z",
    };
    /// <summary>Loss increase caused by the ablation.</summary>
    public double LossIncrease => Loss - CleanLoss;
    /// <summary>Accuracy lost by the ablation.</summary>
    public double AccuracyDrop => CleanAccuracy - Accuracy;
}

/// <summary>Zero and mean ablation of attention heads through their <c>hook_z</c> slice.</summary>
/// <remarks>Source: standard head ablation as in TransformerLens's tutorials (zero ablation) and
/// Wang et al. 2022 (mean ablation): the head's z [batch, pos, head, d_head] is replaced before
/// W_O, so only that head's write to the residual stream changes. The mean is over batch and
/// position of the same batch. Loss and accuracy are measured on masked (predictable) positions
/// only, as <see cref="MaskedLoss"/> defines them.</remarks>
public static class Ablation
{
    /// <summary>Masked next-token loss and accuracy of logits [batch, pos, vocab].</summary>
    public static (double Loss, double Accuracy) Measure(Tensor logits, Tensor tokens, Tensor lossMask)
    {
        using var scope = NewDisposeScope();
        return Mean(MaskedLoss.PerPosition(logits, tokens, lossMask));
    }

    /// <summary>Loss and accuracy of logits on a batch's scored positions (next-token or masked LM).</summary>
    public static (double Loss, double Accuracy) Measure(Tensor logits, Data.Batch batch)
    {
        using var scope = NewDisposeScope();
        return Mean(MaskedLoss.PerPosition(logits, batch));
    }

    private static (double Loss, double Accuracy) Mean((Tensor Loss, Tensor Correct, Tensor Mask) scored)
    {
        var (loss, correct, mask) = scored;
        var m = mask.to_type(ScalarType.Float64);
        var count = m.sum().item<double>();
        if (count == 0) return (double.NaN, double.NaN);
        return ((loss.to_type(ScalarType.Float64) * m).sum().item<double>() / count,
                (correct.to_type(ScalarType.Float64) * m).sum().item<double>() / count);
    }

    /// <summary>A hook for <c>blocks.{layer}.attn.hook_z</c> that ablates one head.</summary>
    public static HookFunction Hook(int head, AblationKind kind) => (z, _) =>
    {
        long heads = z.shape[2];
        var keep = new float[heads];
        Array.Fill(keep, 1f);
        keep[head] = 0;
        var keepMask = tensor(keep, new long[] { 1, 1, heads, 1 }, device: z.device).to_type(z.dtype);
        if (kind == AblationKind.Zero) return z.mul(keepMask);
        var mean = z.mean(new long[] { 0, 1 }, keepdim: true); // [1, 1, head, d_head]
        return z.mul(keepMask).add(mean.mul(ones_like(keepMask).sub(keepMask)), Scalars.One);
    };

    /// <summary>The effect of ablating one head on a batch.</summary>
    public static AblationEffect Run(HookedTransformer model, Tensor tokens, Tensor lossMask, int layer, int head, AblationKind kind)
    {
        model.RequireNextToken("ablation on tokens and a loss mask (pass a Batch)");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        var (cleanLoss, cleanAccuracy) = Measure(model.forward(tokens), tokens, lossMask);
        var (loss, accuracy) = Measure(model.RunWithHooks(tokens, ($"blocks.{layer}.attn.hook_z", Hook(head, kind))), tokens, lossMask);
        return new AblationEffect(layer, head, kind, loss, accuracy, cleanLoss, cleanAccuracy);
    }

    /// <summary>The effect of ablating each head in turn on a next-token model's tokens, scored at the loss mask's
    /// positions, with each of the given kinds (default: zero and mean).</summary>
    public static IReadOnlyList<AblationEffect> EveryHead(HookedTransformer model, Tensor tokens, Tensor lossMask, params AblationKind[] kinds)
    {
        model.RequireNextToken("ablation on tokens and a loss mask (pass a Batch)");
        return EveryHead(model, tokens, () => MaskedLoss.ScoredRows(tokens, lossMask), kinds);
    }

    /// <summary>The effect of ablating each head in turn on a batch (next-token, or a masked LM's corrupted batch),
    /// with each of the given kinds (default: zero and mean).</summary>
    /// <remarks>Every run unembeds only the scored positions (<see cref="MaskedLoss.ScoredRows(Data.Batch)"/>, a block
    /// of rows at a time, <see cref="RowLoss"/>): at a 50k vocabulary the unembedding is most of the cost. For
    /// sequential pre-norm attention-only models (the demo's and most toy models) the clean run's cache also makes the
    /// blocks cheap and exact: a head's write to the stream is its <c>hook_result</c> slice, linear in its z, so zeroing
    /// z removes that slice and mean-ablating z replaces it with its mean over batch and positions; the stream after the
    /// head's layer changes by exactly that difference, and only the later layers run again
    /// (<see cref="HookedTransformer.StreamFrom"/>). Other models take the hooked pass per head; tests check both paths
    /// against the hooked full forward pass (<see cref="Run"/>).</remarks>
    public static IReadOnlyList<AblationEffect> EveryHead(HookedTransformer model, Data.Batch batch, params AblationKind[] kinds) =>
        EveryHead(model, batch.Tokens, () => MaskedLoss.ScoredRows(batch), kinds);

    private static IReadOnlyList<AblationEffect> EveryHead(HookedTransformer model, Tensor input, Func<(Tensor Rows, Tensor Targets)> scoredRows, AblationKind[] kinds)
    {
        if (kinds.Length == 0) kinds = new[] { AblationKind.Zero, AblationKind.Mean };
        var c = model.Config;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        var (rows, targets) = scoredRows();
        (double, double) Measure(Tensor stream) => RowLoss.Mean(model, stream, rows, targets);
        return c.AttnOnly && c.NormalizationPosition == LayerNormPosition.Pre && c.Routing == RoutingMode.None && !c.EncoderDecoder
            ? EveryHeadFromCache(model, input, Measure, kinds)
            : EveryHeadHooked(model, input, Measure, kinds);
    }

    private static IReadOnlyList<AblationEffect> EveryHeadFromCache(HookedTransformer model, Tensor input, Func<Tensor, (double, double)> measure, AblationKind[] kinds)
    {
        var (stream, cache) = model.RunStreamWithCache(input, n => n.EndsWith("attn.hook_result", StringComparison.Ordinal) || n.EndsWith("hook_resid_post", StringComparison.Ordinal));
        var (cleanLoss, cleanAccuracy) = measure(stream);
        var result = new List<AblationEffect>();
        foreach (var (layer, head) in HeadMatrices.All(model))
        {
            var write = cache[$"blocks.{layer}.attn.hook_result"].select(2, head); // [b, pos, d_model]
            var residPost = cache[$"blocks.{layer}.hook_resid_post"];
            foreach (var kind in kinds)
            {
                using var inner = NewDisposeScope();
                var replacement = kind == AblationKind.Zero ? zeros_like(write) : write.mean(new long[] { 0, 1 }, keepdim: true).expand_as(write);
                var (loss, accuracy) = measure(model.StreamFrom(layer + 1, residPost.add(replacement.sub(write), Scalars.One)));
                result.Add(new AblationEffect(layer, head, kind, loss, accuracy, cleanLoss, cleanAccuracy));
            }
        }
        return result;
    }

    private static IReadOnlyList<AblationEffect> EveryHeadHooked(HookedTransformer model, Tensor input, Func<Tensor, (double, double)> measure, AblationKind[] kinds)
    {
        var (cleanLoss, cleanAccuracy) = measure(model.Stream(input));
        var result = new List<AblationEffect>();
        foreach (var (site, layer, head) in Heads(model))
            foreach (var kind in kinds)
            {
                using var inner = NewDisposeScope();
                var (loss, accuracy) = measure(model.RunStreamWithHooks(input, (AblationEffect.HookZ(site, layer), Hook(head, kind))));
                result.Add(new AblationEffect(layer, head, kind, loss, accuracy, cleanLoss, cleanAccuracy, site));
            }
        return result;
    }

    /// <summary>Every attention head: the blocks' self-attention heads, then an encoder-decoder's cross-attention and
    /// encoder heads.</summary>
    private static IEnumerable<(AttentionSite Site, int Layer, int Head)> Heads(HookedTransformer model)
    {
        var c = model.Config;
        foreach (var (layer, head) in HeadMatrices.All(model)) yield return (AttentionSite.Self, layer, head);
        if (!c.EncoderDecoder) yield break;
        for (var layer = 0; layer < c.NLayers; layer++)
            for (var head = 0; head < c.NHeads; head++) yield return (AttentionSite.Cross, layer, head);
        for (var layer = 0; layer < c.NEncoderLayers; layer++)
            for (var head = 0; head < c.NHeads; head++) yield return (AttentionSite.Encoder, layer, head);
    }
}
