using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>How much one block changes the stream at the read positions, and whether its lens top-1 still changes.</summary>
/// <param name="Block">The block.</param>
/// <param name="AttentionUpdate">Mean over sequences of ‖resid_mid − resid_pre‖ / ‖resid_pre‖ (the attention's write).</param>
/// <param name="MlpUpdate">Mean of ‖resid_post − resid_mid‖ / ‖resid_mid‖ (the MLP's write).</param>
/// <param name="BlockUpdate">Mean of ‖resid_post − resid_pre‖ / ‖resid_pre‖ (the whole block).</param>
/// <param name="TopChanged">Share of sequences whose lens top-1 after this block differs from before it.</param>
/// <param name="AgreesWithFinal">Share whose lens top-1 after this block is the model's final top-1: the accuracy, against
/// the full model, of exiting after this block.</param>
/// <param name="SettledBy">Share whose lens top-1 no longer changes after this block: it equals the final top-1 here and
/// after every later block ("saturation", Merullo et al. 2024; Geva et al. 2022).</param>
public sealed record SaturationLayer(int Block, double AttentionUpdate, double MlpUpdate, double BlockUpdate, double TopChanged, double AgreesWithFinal, double SettledBy);

/// <summary>Saturation at one read position per sequence: per block, the relative size of the stream's update and
/// where the lens top-1 stops changing (docs/design.md §4, the relational mechanism).</summary>
public static class Saturation
{
    /// <summary>Per block, the updates' relative norms and the top-1 changes at <paramref name="positions"/> (one per
    /// sequence of <paramref name="tokens"/> [batch, pos]).</summary>
    public static IReadOnlyList<SaturationLayer> Run(HookedTransformer model, Tensor tokens, IReadOnlyList<long> positions)
    {
        StreamLens.RequireSerialBlocksWithMlp(model, "saturation");
        StreamLens.CheckRows(tokens, positions);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        tokens = tokens.to(model.Device);
        int layers = model.Config.NLayers;
        var (_, cache) = model.RunWithCache(tokens, n => n.EndsWith("hook_resid_pre", StringComparison.Ordinal)
            || n.EndsWith("hook_resid_mid", StringComparison.Ordinal) || n.EndsWith("hook_resid_post", StringComparison.Ordinal));
        Tensor Rows(string hook) => PositionRows.At(cache[hook], positions);
        long[] Top(Tensor rows) => model.Unembed(rows).argmax(1).data<long>().ToArray();
        double Relative(Tensor after, Tensor before)
        {
            var b = before.to_type(ScalarType.Float64);
            return after.to_type(ScalarType.Float64).sub(b).norm(1).div(b.norm(1)).mean().item<double>();
        }

        var tops = new List<long[]> { Top(Rows("blocks.0.hook_resid_pre")) }; // tops[l + 1]: after block l
        var updates = new List<(double Attention, double Mlp, double Block)>();
        for (var l = 0; l < layers; l++)
        {
            Tensor pre = Rows($"blocks.{l}.hook_resid_pre"), mid = Rows($"blocks.{l}.hook_resid_mid"), post = Rows($"blocks.{l}.hook_resid_post");
            updates.Add((Relative(mid, pre), Relative(post, mid), Relative(post, pre)));
            tops.Add(Top(post));
        }
        var final = tops[^1];
        int n = final.Length;
        // A sequence has settled by block l when its top-1 after blocks l..last is the final one.
        var settledBy = new int[n];
        for (var i = 0; i < n; i++)
        {
            var l = layers - 1;
            while (l > 0 && tops[l][i] == final[i]) l--; // tops[l] is after block l − 1
            settledBy[i] = l;
        }
        return Enumerable.Range(0, layers).Select(l => new SaturationLayer(l, updates[l].Attention, updates[l].Mlp, updates[l].Block,
            Share(i => tops[l + 1][i] != tops[l][i]), Share(i => tops[l + 1][i] == final[i]), Share(i => settledBy[i] <= l))).ToList();

        double Share(Func<int, bool> holds) => n == 0 ? double.NaN : Enumerable.Range(0, n).Count(holds) / (double)n;
    }
}
