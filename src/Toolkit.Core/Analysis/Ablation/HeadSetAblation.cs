using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>A set of self-attention heads ablated together, measured on given examples beside the clean model: what
/// the heads do as a set, which ablating one head at a time (<see cref="Ablation"/>) cannot show when they are redundant.</summary>
/// <remarks>Each head's z (hook_z slice) is replaced, as in <see cref="Ablation.Hook"/>: by zero, or by its mean. The mean is
/// taken over every evaluated sequence and position in a first pass, so it does not depend on how the evaluation batches
/// them (<see cref="Ablation"/> means over one batch; for one batch the two agree).</remarks>
public static class HeadSetAblation
{
    /// <summary>The clean and the ablated evaluation of the same examples, with every head of <paramref name="heads"/>
    /// (layer, head) ablated at once. <paramref name="clean"/>: the caller's clean evaluation of exactly these examples,
    /// when it has one (it is not recomputed).</summary>
    public static (EvalResult Clean, EvalResult Ablated) Evaluate(HookedTransformer model, IReadOnlyList<Example> examples,
        IReadOnlyCollection<(int Layer, int Head)> heads, AblationKind kind = AblationKind.Mean, EvalResult? clean = null)
    {
        clean ??= Evaluator.Evaluate(model, examples);
        if (heads.Count == 0) return (clean, clean);
        using var scope = NewDisposeScope();
        var layers = heads.Select(h => h.Layer).Distinct().OrderBy(l => l).ToList();
        var replacement = kind == AblationKind.Mean ? MeanZ(model, examples, layers) : null;
        var hooks = layers.Select(layer =>
        {
            var ablated = heads.Where(h => h.Layer == layer).Select(h => h.Head).ToHashSet();
            var keep = Enumerable.Range(0, model.Config.NHeads).Select(h => ablated.Contains(h) ? 0f : 1f).ToArray();
            var keepMask = tensor(keep, new long[] { 1, 1, keep.Length, 1 }, device: model.Device);
            var mean = replacement?[layer];
            HookFunction hook = (z, _) =>
            {
                var mask = keepMask.to_type(z.dtype);
                var kept = z.mul(mask);
                return mean is null ? kept : kept.add(mean.to_type(z.dtype).mul(ones_like(mask).sub(mask)), Scalars.One);
            };
            return ($"blocks.{layer}.attn.hook_z", hook);
        }).ToArray();
        var result = Evaluator.Evaluate(model, examples, tokens => model.RunWithHooks(tokens, hooks));
        return (clean, result);
    }

    /// <summary>Each layer's z [1, 1, head, d_head] averaged over every sequence and position of the examples.</summary>
    private static Dictionary<int, Tensor> MeanZ(HookedTransformer model, IReadOnlyList<Example> examples, IReadOnlyList<int> layers, int batchSize = 128)
    {
        var names = layers.ToDictionary(l => $"blocks.{l}.attn.hook_z", l => l);
        var sums = layers.ToDictionary(l => l, _ => zeros(new long[] { 1, 1, model.Config.NHeads, model.Config.HeadDim }, ScalarType.Float64, model.Device));
        long count = 0;
        using var evalMode = model.EvalMode();
        for (var start = 0; start < examples.Count; start += batchSize)
        {
            using var inner = NewDisposeScope();
            using var _ = no_grad();
            using var batch = Data.Batch.ForEvaluation(model.Config, examples.Skip(start).Take(batchSize).ToList(), model.Device, firstIndex: start);
            var (_, cache) = model.RunStreamWithCache(batch.Tokens, names.ContainsKey);
            foreach (var (name, layer) in names)
                sums[layer].add_(cache[name].to_type(ScalarType.Float64).sum(new long[] { 0, 1 }, keepdim: true), Scalars.One);
            count += batch.Tokens.shape[0] * batch.Tokens.shape[1];
        }
        using var n = tensor((double)count, ScalarType.Float64, model.Device);
        return sums.ToDictionary(kv => kv.Key, kv => kv.Value.div(n));
    }
}
