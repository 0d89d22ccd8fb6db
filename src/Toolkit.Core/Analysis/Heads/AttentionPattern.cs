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
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var noGrad = no_grad();
        using var batch = Batch.From([example], model.Device);
        var (_, cache) = model.RunWithCache(batch.Tokens, n => n == name);
        var pattern = cache[name][0, head].to_type(ScalarType.Float64).cpu();
        var n = (int)pattern.shape[0];
        var values = pattern.data<double>().ToArray();
        var z = new double[n, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++) z[i, j] = values[i * n + j];
        return z;
    }

    /// <summary>Every self-attention head's pattern on one example from one forward pass: [layer][head] → [dest, src].</summary>
    public static double[][][,] AllHeads(HookedTransformer model, Example example)
    {
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var noGrad = no_grad();
        using var batch = Batch.From([example], model.Device);
        var names = Enumerable.Range(0, model.Config.NLayers).Select(l => $"blocks.{l}.attn.hook_pattern").ToHashSet();
        var (_, cache) = model.RunWithCache(batch.Tokens, names.Contains);
        return Enumerable.Range(0, model.Config.NLayers).Select(l =>
        {
            var all = cache[$"blocks.{l}.attn.hook_pattern"][0].to_type(ScalarType.Float64).cpu(); // [head, dest, src]
            var values = all.data<double>().ToArray();
            var n = (int)all.shape[1];
            return Enumerable.Range(0, (int)all.shape[0]).Select(h =>
            {
                var z = new double[n, n];
                for (var i = 0; i < n; i++)
                    for (var j = 0; j < n; j++) z[i, j] = values[(h * n + i) * n + j];
                return z;
            }).ToArray();
        }).ToArray();
    }

    /// <summary>"position:token" labels of an example's axes.</summary>
    public static string[] Labels(Vocabulary vocabulary, Example example) =>
        example.Tokens.Select((t, i) => $"{i}:{vocabulary.Show(t)}").ToArray();
}
