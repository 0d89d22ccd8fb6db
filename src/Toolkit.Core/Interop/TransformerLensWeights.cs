using Toolkit.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Interop;

/// <summary>The state-dict names and shapes of a TransformerLens <c>HookedTransformer</c>, which are also the
/// toolkit's parameter names (docs/design.md §3): the mapping is the identity, checked here name by name.</summary>
public static class TransformerLensWeights
{
    /// <summary>Every parameter of a model with this config, TransformerLens name and shape, in state-dict order.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> Parameters(ModelConfig config)
    {
        var m = config.Resolve();
        long d = m.DModel, h = m.NHeads, e = m.HeadDim, v = m.DVocab;
        var list = new List<(string, long[])> { ("embed.W_E", [v, d]), ("pos_embed.W_pos", [m.NCtx, d]) };
        var affine = m.NormalizationType == Normalization.LN; // LNPre and none have no weights
        for (var l = 0; l < m.NLayers; l++)
        {
            var b = $"blocks.{l}";
            if (affine) list.AddRange([($"{b}.ln1.w", [d]), ($"{b}.ln1.b", [d])]);
            if (affine && !m.AttnOnly) list.AddRange([($"{b}.ln2.w", [d]), ($"{b}.ln2.b", [d])]);
            list.AddRange(
            [
                ($"{b}.attn.W_Q", [h, d, e]), ($"{b}.attn.W_K", [h, d, e]), ($"{b}.attn.W_V", [h, d, e]), ($"{b}.attn.W_O", [h, e, d]),
                ($"{b}.attn.b_Q", [h, e]), ($"{b}.attn.b_K", [h, e]), ($"{b}.attn.b_V", [h, e]), ($"{b}.attn.b_O", [d]),
            ]);
            if (!m.AttnOnly)
            {
                long f = m.DMlp!.Value;
                list.AddRange([($"{b}.mlp.W_in", [d, f]), ($"{b}.mlp.b_in", [f]), ($"{b}.mlp.W_out", [f, d]), ($"{b}.mlp.b_out", [d])]);
            }
        }
        if (affine) list.AddRange([("ln_final.w", [d]), ("ln_final.b", [d])]);
        list.AddRange([("unembed.W_U", [d, v]), ("unembed.b_U", [v])]);
        return list;
    }

    /// <summary>The per-layer buffers TransformerLens's state_dict carries (not weights): the causal mask
    /// <c>blocks.{l}.attn.mask</c> [n_ctx, n_ctx] (bool, true on and below the diagonal) and <c>blocks.{l}.attn.IGNORE</c>
    /// (the −∞ written over masked scores).</summary>
    public static IReadOnlyList<string> Buffers(ModelConfig config) =>
        Enumerable.Range(0, config.NLayers).SelectMany(l => new[] { $"blocks.{l}.attn.mask", $"blocks.{l}.attn.IGNORE" }).ToList();

    /// <summary>Checks a state dict against a config and throws one error listing every unknown, missing,
    /// misshaped, non-float and non-finite tensor, and any attention mask that is not causal.</summary>
    public static void Check(IReadOnlyDictionary<string, Tensor> tensors, ModelConfig config, string source)
    {
        var expected = Parameters(config);
        var names = expected.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var buffers = Buffers(config).ToHashSet(StringComparer.Ordinal);
        var unknown = tensors.Keys.Where(k => !names.Contains(k) && !buffers.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var missing = expected.Where(p => !tensors.ContainsKey(p.Name)).Select(p => p.Name).ToList();
        var misshaped = new List<string>();
        var notFloat = new List<string>();
        var notFinite = new List<string>();
        using (var scope = NewDisposeScope())
        {
            foreach (var (name, shape) in expected)
            {
                if (!tensors.TryGetValue(name, out var t)) continue;
                if (!t.shape.SequenceEqual(shape)) misshaped.Add($"{name} {Dims(t.shape)} (expected {Dims(shape)})");
                else if (!t.is_floating_point()) notFloat.Add($"{name} ({t.dtype})");
                else if (!t.isfinite().all().item<bool>()) notFinite.Add(name);
            }
            foreach (var name in buffers.Where(b => b.EndsWith(".mask", StringComparison.Ordinal) && tensors.ContainsKey(b)).Order(StringComparer.Ordinal))
            {
                var mask = tensors[name];
                if (!mask.shape.SequenceEqual([config.NCtx, config.NCtx]))
                    misshaped.Add($"{name} {Dims(mask.shape)} (expected {Dims([config.NCtx, config.NCtx])})");
                else if (!mask.to_type(ScalarType.Bool).eq(ones(config.NCtx, config.NCtx, ScalarType.Bool).tril_()).all().item<bool>())
                    misshaped.Add($"{name} is not the causal mask (local or bidirectional attention is not supported)");
            }
        }
        var problems = new List<string>();
        if (unknown.Count > 0) problems.Add($"unknown: {string.Join(", ", unknown)}");
        if (missing.Count > 0) problems.Add($"missing: {string.Join(", ", missing)}");
        if (misshaped.Count > 0) problems.Add($"wrong shape: {string.Join(", ", misshaped)}");
        if (notFloat.Count > 0) problems.Add($"not floating point: {string.Join(", ", notFloat)}");
        if (notFinite.Count > 0) problems.Add($"not finite (NaN or infinity): {string.Join(", ", notFinite)}");
        if (problems.Count == 0) return;
        static bool IsNorm(string n) => n.StartsWith("ln_final.", StringComparison.Ordinal) || n.Contains(".ln1.", StringComparison.Ordinal) || n.Contains(".ln2.", StringComparison.Ordinal);
        var normalizationHint =
            config.NormalizationType == Normalization.LN && missing.Any(IsNorm) && !tensors.Keys.Any(IsNorm)
                ? "; normalization_type is LN (TransformerLens's default when absent): for folded LayerNorms without weights use LNPre, for none null"
            : config.NormalizationType != Normalization.LN && unknown.Any(IsNorm) ? "; LayerNorm weights are present, so normalization_type should be LN"
            : "";
        throw new ToolkitException($"{source} does not match its config: {string.Join("; ", problems)}",
            $"the file must be the state_dict of a HookedTransformer with this cfg.json (names and shapes in docs/design.md §3){normalizationHint}");
    }

    private static string Dims(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";
}
