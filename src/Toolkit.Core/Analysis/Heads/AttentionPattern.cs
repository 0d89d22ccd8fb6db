using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>One head's attention pattern on one example, as a plain matrix for heatmaps and tables.</summary>
public static class AttentionPattern
{
    /// <summary>Pattern [dest, src] of head <paramref name="head"/> in layer <paramref name="layer"/> (eval mode,
    /// restored afterwards; no gradient): of its self-attention (<paramref name="attention"/> "attn"), or of an
    /// encoder-decoder's cross-attention ("cross_attn", src = encoder positions).</summary>
    public static double[,] Of(HookedTransformer model, Example example, int layer, int head, string attention = "attn")
    {
        if (layer < 0 || layer >= model.Config.NLayers || head < 0 || head >= model.Config.NHeads)
            throw new ToolkitException($"head L{layer}H{head} does not exist", $"the model has {model.Config.NLayers} layers of {model.Config.NHeads} heads");
        var name = $"blocks.{layer}.{attention}.hook_pattern";
        if (!model.HookPoints.ContainsKey(name))
            throw new ToolkitException($"the model has no {attention} in layer {layer}", "use attn, or cross_attn for an encoder-decoder");
        return Patterns(model, example, [name])[0][head];
    }

    /// <summary>Every self-attention head's pattern on one example from one forward pass: [layer][head] → [dest, src].</summary>
    public static double[][][,] AllHeads(HookedTransformer model, Example example) =>
        Patterns(model, example, Enumerable.Range(0, model.Config.NLayers).Select(l => $"blocks.{l}.attn.hook_pattern").ToList());

    /// <summary>The patterns cached at the named hook points (eval mode, restored afterwards; no gradient), one matrix
    /// [dest, src] per head, in the order of <paramref name="names"/>.</summary>
    private static double[][][,] Patterns(HookedTransformer model, Example example, IReadOnlyList<string> names)
    {
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var noGrad = no_grad();
        using var batch = Batch.From([example], model.Device);
        var (_, cache) = model.RunStreamWithCache(batch.Tokens, names.Contains);
        return names.Select(name =>
        {
            var pattern = cache[name][0].to_type(ScalarType.Float64).cpu(); // [head, dest, src]
            var values = pattern.data<double>().ToArray();
            int heads = (int)pattern.shape[0], n = (int)pattern.shape[1], m = (int)pattern.shape[2];
            return Enumerable.Range(0, heads).Select(h =>
            {
                var z = new double[n, m];
                for (var i = 0; i < n; i++)
                    for (var j = 0; j < m; j++) z[i, j] = values[(h * n + i) * m + j];
                return z;
            }).ToArray();
        }).ToArray();
    }

    /// <summary>"position:token" labels of an example's axes.</summary>
    public static string[] Labels(Vocabulary vocabulary, Example example) =>
        example.Tokens.Select((t, i) => $"{i}:{vocabulary.Show(t)}").ToArray();
}
