using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Direct contributions to the correct next token's logit, averaged over the batch.</summary>
/// <param name="Components">"embed+pos", then every head ("L0H0", ...).</param>
/// <param name="PerPosition">[component, position]: contribution at position p to the logit of token p+1.</param>
public sealed record LogitAttribution(IReadOnlyList<string> Components, double[,] PerPosition)
{
    /// <summary>Mean over positions of a component's contribution.</summary>
    public double Mean(int component)
    {
        var sum = 0.0;
        var n = PerPosition.GetLength(1);
        for (var p = 0; p < n; p++) sum += PerPosition[component, p];
        return n == 0 ? double.NaN : sum / n;
    }
}

/// <summary>Direct logit attribution: what each head, and the direct (embedding) path, writes
/// straight into the correct next token's logit.</summary>
/// <remarks>Source: Elhage et al. 2021 and TransformerLens's <c>ActivationCache.logit_attrs</c> /
/// <c>stack_head_results</c>. Contribution of component c at position p: c[p] · W_U[:, tok_{p+1}].
/// Without LayerNorm the logits are exactly the sum of these terms plus b_O of every layer and
/// b_U (biases are not attributed). With ln_final, LayerNorm is linear once its scale is fixed:
/// each component is centred (minus its mean over d_model), divided by the final LayerNorm scale
/// of the actual run — sqrt(var + eps) of the cached last resid_post, as TransformerLens's
/// apply_ln_to_stack does with the cached ln_final.hook_scale — and multiplied by ln_final.w (when it has one: LNPre does not).</remarks>
public static class DirectLogitAttribution
{
    /// <summary>Attributions on tokens [batch, pos].</summary>
    public static LogitAttribution Compute(HookedTransformer model, Tensor tokens)
    {
        model.RequireNextToken("direct logit attribution");
        model.RequireSequentialBlocks("direct logit attribution");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        tokens = tokens.to(model.Device);
        int layers = model.Config.NLayers, heads = model.Config.NHeads;
        var last = $"blocks.{layers - 1}.hook_resid_post";
        if (model.Config.NormalizationPosition == LayerNormPosition.Post)
            throw new ToolkitException("direct logit attribution needs a residual stream that is a sum of its parts, and post-norm normalizes it after every block",
                "use it on pre-norm models (the default)");
        // What enters the first block: token embeddings plus positions and Conv-Attn's smear, whichever the model has.
        var (_, cache) = model.RunStreamWithCache(tokens, n => n == "blocks.0.hook_resid_pre" || n == last
            || n.EndsWith("attn.hook_result", StringComparison.Ordinal));
        long p = tokens.shape[1];
        var parts = new List<Tensor> { cache["blocks.0.hook_resid_pre"].unsqueeze(2) }; // [b, pos, 1, d]
        for (var l = 0; l < layers; l++) parts.Add(cache[$"blocks.{l}.attn.hook_result"]);
        var stack = cat(parts, 2).narrow(1, 0, p - 1).to_type(ScalarType.Float64); // [b, pos-1, comp, d]
        if (model.ln_final is not null)
        {
            var final = cache[last].narrow(1, 0, p - 1).to_type(ScalarType.Float64);
            var scale = final.var(-1, unbiased: false, keepdim: true).add(Scalars.LayerNormEpsilon, Scalars.One).sqrt().unsqueeze(2); // [b, pos-1, 1, 1]
            stack = stack.sub(stack.mean(new long[] { -1 }, keepdim: true)).div(scale);
            if (model.ln_final.w is not null) stack = stack.mul(model.ln_final.w.detach().to_type(ScalarType.Float64)); // LNPre has none
        }
        // Unembedding columns of the correct next tokens: [b, pos-1, d].
        var wU = model.W_U.detach().to_type(ScalarType.Float64);
        var targets = tokens.narrow(1, 1, p - 1);
        var directions = wU.t().index_select(0, targets.reshape(-1)).view(targets.shape[0], p - 1, -1);
        var contributions = stack.mul(directions.unsqueeze(2)).sum(-1).mean(new long[] { 0 }); // [pos-1, comp]
        var data = contributions.t().contiguous().cpu().data<double>().ToArray();
        var components = new List<string> { "embed+pos" };
        components.AddRange(HeadMatrices.All(model).Select(x => HeadMatrices.Name(x.Layer, x.Head)));
        var result = new double[components.Count, p - 1];
        for (var c = 0; c < components.Count; c++)
            for (var i = 0; i < p - 1; i++) result[c, i] = data[c * (p - 1) + i];
        return new LogitAttribution(components, result);
    }
}
