using System.Diagnostics;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Results of an activation-patching sweep: normalized logit-difference recovery per cell.</summary>
/// <param name="ResidPre">[layer, position]: clean resid_pre patched into the corrupted run at one position.</param>
/// <param name="Heads">[layer, head]: one head's clean z (all positions) patched into the corrupted run.</param>
/// <param name="CleanLogitDiff">Logit difference of the clean run.</param>
/// <param name="CorruptedLogitDiff">Logit difference of the corrupted run.</param>
/// <param name="Elapsed">Wall time of the sweep.</param>
public sealed record PatchingResult(double[,] ResidPre, double[,] Heads, double CleanLogitDiff, double CorruptedLogitDiff, TimeSpan Elapsed);

/// <summary>An activation-patching sweep with any metric: recovery per cell, (patched − corrupted) / (clean − corrupted).</summary>
/// <param name="Metric">The metric measured at the read positions.</param>
/// <param name="ResidPre">[layer][position]: clean resid_pre patched into the corrupted run at one position.</param>
/// <param name="Heads">[layer][head]: one head's clean z (all positions) patched into the corrupted run.</param>
/// <param name="Clean">The metric of the clean run.</param>
/// <param name="Corrupted">The metric of the corrupted run.</param>
/// <param name="Corruption">What the corruption did.</param>
/// <param name="Sequences">Sequences measured.</param>
/// <param name="Elapsed">Wall time of the sweep.</param>
public sealed record PatchingSweep(PatchingMetricKind Metric, double[][] ResidPre, double[][] Heads, double Clean, double Corrupted,
    string Corruption, int Sequences, TimeSpan Elapsed);

/// <summary>Activation patching (denoising): run the corrupted input, restore one clean activation,
/// measure how much of the clean metric comes back.</summary>
/// <remarks>Source: Meng et al. 2022 (causal tracing) and Wang et al. 2022 (IOI), as in
/// TransformerLens's <c>patching</c> module (get_act_patch_resid_pre, get_act_patch_attn_head_out_all_pos):
/// recovery = (patched − corrupted) / (clean − corrupted) of the metric (docs/design.md §4 "Patching").</remarks>
public static class ActivationPatching
{
    /// <summary>Sweeps resid_pre per layer × position and hook_z per layer × head with the mean logit difference.</summary>
    public static PatchingResult Run(HookedTransformer model, PatchingProblem problem)
    {
        using var inputs = PatchingInputs.FromProblem(problem);
        var sweep = Sweep(model, inputs, PatchingMetricKind.LogitDiff);
        return new PatchingResult(ToMatrix(sweep.ResidPre), ToMatrix(sweep.Heads), sweep.Clean, sweep.Corrupted, sweep.Elapsed);
    }

    /// <summary>Sweeps resid_pre per layer × position and hook_z per layer × head with any metric.</summary>
    public static PatchingSweep Sweep(HookedTransformer model, PatchingInputs inputs, PatchingMetricKind metric)
    {
        model.RequireNextToken("activation patching");
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        using var onDevice = inputs.To(model.Device);
        var clean = onDevice.Clean;
        var corrupted = onDevice.Corrupted;
        var (cleanLogits, cache) = model.RunWithCache(clean,
            n => n.EndsWith("hook_resid_pre", StringComparison.Ordinal) || n.EndsWith("attn.hook_z", StringComparison.Ordinal));
        using var measure = new PatchingMetric(metric, onDevice, cleanLogits);
        var cleanValue = measure.Measure(cleanLogits);
        var corruptedValue = measure.Measure(model.forward(corrupted));
        int layers = model.Config.NLayers, heads = model.Config.NHeads, positions = (int)clean.shape[1];
        var resid = new double[layers][];
        var headResult = new double[layers][];
        for (var l = 0; l < layers; l++)
        {
            resid[l] = new double[positions];
            headResult[l] = new double[heads];
            var cleanResid = cache.ResidPre(l);
            for (var p = 0; p < positions; p++)
            {
                using var inner = NewDisposeScope();
                var position = p;
                var logits = model.RunWithHooks(corrupted, ($"blocks.{l}.hook_resid_pre", (x, _) =>
                {
                    var patched = x.clone();
                    patched.select(1, position).copy_(cleanResid.select(1, position));
                    return patched;
                }));
                resid[l][p] = PatchingProblem.Recovery(measure.Measure(logits), cleanValue, corruptedValue);
            }
            var cleanZ = cache[$"blocks.{l}.attn.hook_z"];
            for (var h = 0; h < heads; h++)
            {
                using var inner = NewDisposeScope();
                var head = h;
                var logits = model.RunWithHooks(corrupted, ($"blocks.{l}.attn.hook_z", (z, _) =>
                {
                    var patched = z.clone();
                    patched.select(2, head).copy_(cleanZ.select(2, head));
                    return patched;
                }));
                headResult[l][h] = PatchingProblem.Recovery(measure.Measure(logits), cleanValue, corruptedValue);
            }
        }
        return new PatchingSweep(metric, resid, headResult, cleanValue, corruptedValue, inputs.Corruption, inputs.Sequences, watch.Elapsed);
    }

    private static double[,] ToMatrix(double[][] rows)
    {
        var m = new double[rows.Length, rows.Length == 0 ? 0 : rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < rows[i].Length; j++) m[i, j] = rows[i][j];
        return m;
    }
}
