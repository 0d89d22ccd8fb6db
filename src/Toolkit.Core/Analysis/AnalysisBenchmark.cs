using System.Diagnostics;
using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Times the standard analysis on a fixed model and batch (for <c>toolkit bench analysis</c>).</summary>
public static class AnalysisBenchmark
{
    /// <summary>Seconds for head scores, composition (with the 200-draw baseline), copying scores and
    /// zero + mean ablation of every head, on a 2-layer 4-head model (d_model 64, d_vocab 64,
    /// n_ctx 64, random weights from a fixed seed) and a 64 × 64 batch of repeated-copy sequences.
    /// One untimed warm-up run comes first, so the figure excludes one-off native initialization.</summary>
    public static double Run()
    {
        using var scope = NewDisposeScope();
        using var state = get_rng_state(); // fixed weights without disturbing the caller's generator
        manual_seed(1234);
        using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 4, DModel = 64, DVocab = 64, NCtx = 64 });
        set_rng_state(state);
        model.eval();
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string> { ["period"] = "6..29" });
        using var batch = Batch.Sample(task, 7, 64, model.Device);
        using var scoring = ScoringBatch.Create(model.Config, [task], 11, count: 64, device: model.Device);
        double Once()
        {
            var watch = Stopwatch.StartNew();
            HeadScores.Compute(model, scoring);
            Composition.Compute(model);
            CopyingScore.Compute(model);
            Ablation.EveryHead(model, batch.Tokens, batch.LossMask);
            return watch.Elapsed.TotalSeconds;
        }
        Once();
        return Once();
    }
}
