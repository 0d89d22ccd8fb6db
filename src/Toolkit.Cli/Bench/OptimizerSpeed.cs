using System.Diagnostics;
using Toolkit.Data;
using Toolkit.Experiments;
using Toolkit.Losses;
using Toolkit.Model;
using Toolkit.Runs;
using static TorchSharp.torch;

namespace Toolkit.Cli.Bench;

/// <summary><c>toolkit bench optimizer</c>: the project's <see cref="Training.AdamW"/> (written because
/// TorchSharp 0.107's <c>optim.AdamW.step</c> makes temporary Scalars that the finalizer can free under
/// native code) against TorchSharp's own <c>AdamW</c>, on the demo model's parameters with the same
/// gradients, in alternating rounds; and the largest weight difference after the same steps, which shows
/// the two make the same update.</summary>
public static class OptimizerSpeed
{
    public sealed record Result(List<double> OursMs, List<double> TorchSharpMs, double MaxWeightDifference);

    public static Result Measure(int steps, int rounds, int threads)
    {
        set_num_threads(threads);
        var config = MemorizationDemo.Config(MemorizationDemo.VariablePeriods, steps, seed: 1, threads: threads);
        var t = config.Training;
        HookedTransformer Model()
        {
            manual_seed(t.Seed);
            var model = new HookedTransformer(config.Model);
            // One backward pass gives every parameter a gradient; the optimizers never clear it, so every
            // timed step updates with the same gradients on both sides.
            using var scope = NewDisposeScope();
            using var batch = Batch.Sample(config.Task.Create(), 3, t.BatchSize, model.Device);
            MaskedLoss.Loss(model.forward(batch.Tokens), batch.Tokens, batch.LossMask).backward();
            return model;
        }
        using var oursModel = Model();
        using var theirsModel = Model();
        using var ours = new Training.AdamW(oursModel.named_parameters().Select(p => (p.name, p.parameter)), t.LearningRate, t.Beta1, t.Beta2, 1e-8, t.WeightDecay);
        using var theirs = optim.AdamW(theirsModel.parameters(), t.LearningRate, t.Beta1, t.Beta2, 1e-8, t.WeightDecay);

        var result = new Result([], [], 0);
        var watch = new Stopwatch();
        for (var round = 0; round <= rounds; round++) // round 0 is warm-up
        {
            watch.Restart();
            for (var i = 0; i < steps; i++) ours.StepOnce();
            var oursMs = watch.Elapsed.TotalMilliseconds / steps;
            watch.Restart();
            for (var i = 0; i < steps; i++)
            {
                // TorchSharp's step creates the Scalars this project avoids; a scope per step bounds them.
                using var scope = NewDisposeScope();
                theirs.step();
            }
            var theirsMs = watch.Elapsed.TotalMilliseconds / steps;
            if (round == 0) continue;
            result.OursMs.Add(oursMs);
            result.TorchSharpMs.Add(theirsMs);
        }
        using var _ = no_grad();
        var difference = oursModel.parameters().Zip(theirsModel.parameters())
            .Max(p => { using var d = (p.First - p.Second).abs().max(); return d.item<float>(); });
        return result with { MaxWeightDifference = difference };
    }
}
