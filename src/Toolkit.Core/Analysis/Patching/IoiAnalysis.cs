using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Where one head attends on IOI prompts, averaged over prompts (docs/design.md §4 "IOI").</summary>
/// <param name="Layer">Layer.</param>
/// <param name="Head">Head.</param>
/// <param name="EndToIo">Attention from the last "to" to the indirect object's mention.</param>
/// <param name="EndToS1">From the last "to" to the subject's first mention.</param>
/// <param name="EndToS2">From the last "to" to the subject's second mention.</param>
/// <param name="S2ToS1">From the subject's second mention to its first (a duplicate-token pattern).</param>
/// <param name="S2ToS1Next">From the second mention to the token after the first (an induction pattern).</param>
public sealed record IoiAttention(int Layer, int Head, double EndToIo, double EndToS1, double EndToS2, double S2ToS1, double S2ToS1Next)
{
    /// <summary>e.g. "L2H1".</summary>
    public string Name => HeadMatrices.Name(Layer, Head);
}

/// <summary>A patched IOI run: the logit difference logit[IO] − logit[S] of the target prompts and the attention of every
/// head in it.</summary>
/// <param name="LogitDiff">Mean logit[IO] − logit[S] at End.</param>
/// <param name="Attention">[layer][head] attention on the target prompts' positions.</param>
public sealed record IoiRun(double LogitDiff, IoiAttention[][] Attention);

/// <summary>IOI measurements on a model: logit difference, attention to the prompts' roles, and runs with head outputs at
/// End patched from other prompts (the value-versus-pointer test, after Wang et al. 2022, appendix on S-inhibition).</summary>
public static class IoiAnalysis
{
    /// <summary>The model's run on the prompts, unpatched.</summary>
    public static IoiRun Measure(HookedTransformer model, IoiPrompts prompts) => PatchEnd(model, prompts, prompts, Array.Empty<(int, int)>());

    /// <summary>Runs <paramref name="target"/> with the listed heads' outputs (hook_z) at End taken from the same heads on
    /// <paramref name="source"/>; measures the target's logit difference and every head's attention. Source and target
    /// must share End positions (prompts built from one another do).</summary>
    public static IoiRun PatchEnd(HookedTransformer model, IoiPrompts target, IoiPrompts source, IReadOnlyList<(int Layer, int Head)> heads)
    {
        model.RequireNextToken("IOI patching");
        if (source.Count != target.Count || source.End.Where((e, b) => e != target.End[b]).Any())
            throw new ToolkitException("the source IOI prompts do not line up with the target's", "build them from the target prompts (ThirdName, NewNames, SwappedOrder)");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        var device = model.Device;
        var (rows, end) = PositionRows.Index(target.End.Select(e => (long)e).ToList(), device);
        var layers = heads.Select(h => h.Layer).Distinct().ToList();
        var (_, sourceCache) = model.RunWithCache(source.Tensor(device), n => layers.Any(l => n == $"blocks.{l}.attn.hook_z"));
        var attached = new List<IDisposable>();
        try
        {
            foreach (var layer in layers)
            {
                var sourceZ = sourceCache[$"blocks.{layer}.attn.hook_z"]; // [batch, pos, head, d_head]
                var mine = heads.Where(h => h.Layer == layer).Select(h => (long)h.Head).ToArray();
                var headIndex = tensor(mine, device: device);
                attached.Add(model.AddHook($"blocks.{layer}.attn.hook_z", (z, _) =>
                {
                    var patched = z.clone();
                    var atEnd = patched[rows, end]; // [batch, head, d_head]
                    atEnd.index_copy_(1, headIndex, sourceZ[rows, end].index_select(1, headIndex));
                    patched[rows, end] = atEnd;
                    return patched;
                }));
            }
            var (logits, cache) = model.RunWithCache(target.Tensor(device), n => n.EndsWith("attn.hook_pattern", StringComparison.Ordinal));
            return new IoiRun(LogitDiff(logits, target), Attention(model, cache, target));
        }
        finally
        {
            foreach (var a in attached) a.Dispose();
        }
    }

    /// <summary>Mean logit[IO] − logit[S] at End of logits [batch, pos, vocab].</summary>
    public static double LogitDiff(Tensor logits, IoiPrompts prompts)
    {
        using var scope = NewDisposeScope();
        var device = logits.device;
        var atEnd = PositionRows.At(logits, prompts.End.Select(e => (long)e).ToList()).to_type(ScalarType.Float64); // [batch, vocab]
        var io = atEnd.gather(1, tensor(prompts.IoName, device: device).view(-1, 1));
        var s = atEnd.gather(1, tensor(prompts.SName, device: device).view(-1, 1));
        return io.sub(s).mean().item<double>();
    }

    private static IoiAttention[][] Attention(HookedTransformer model, Model.ActivationCache cache, IoiPrompts p)
    {
        int layers = model.Config.NLayers, heads = model.Config.NHeads, n = p.Count;
        var result = new IoiAttention[layers][];
        for (var l = 0; l < layers; l++)
        {
            var pattern = cache.Pattern(l).to_type(ScalarType.Float64).cpu(); // [batch, head, dest, src]
            var a = pattern.data<double>().ToArray();
            long H = pattern.shape[1], D = pattern.shape[2], S = pattern.shape[3];
            double At(int b, int h, int dest, int src) => a[((b * H + h) * D + dest) * S + src];
            result[l] = new IoiAttention[heads];
            for (var h = 0; h < heads; h++)
            {
                double io = 0, s1 = 0, s2 = 0, dup = 0, ind = 0;
                for (var b = 0; b < n; b++)
                {
                    io += At(b, h, p.End[b], p.Io[b]);
                    s1 += At(b, h, p.End[b], p.S1[b]);
                    s2 += At(b, h, p.End[b], p.S2[b]);
                    dup += At(b, h, p.S2[b], p.S1[b]);
                    ind += At(b, h, p.S2[b], p.S1[b] + 1);
                }
                result[l][h] = new IoiAttention(l, h, io / n, s1 / n, s2 / n, dup / n, ind / n);
            }
        }
        return result;
    }
}
