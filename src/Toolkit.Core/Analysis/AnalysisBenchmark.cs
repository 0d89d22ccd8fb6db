using System.Diagnostics;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Times the standard analysis, exactly what <c>toolkit analyze</c> runs (<see cref="Analyzer.Analyze"/>:
/// head scores, composition with its random baseline, subspaces, copying scores, zero and mean ablation of
/// every head on 64 sequences), on a 2-layer 4-head attention-only model with random weights from a fixed
/// seed, for <c>toolkit bench analysis</c>.</summary>
public static class AnalysisBenchmark
{
    /// <summary>Seconds of one analysis at the given width and vocabulary (context 64), after one untimed
    /// warm-up run so the figure excludes one-off native initialization.</summary>
    public static double Run(int dModel, int dVocab)
    {
        using var scope = NewDisposeScope();
        using var state = get_rng_state(); // fixed weights without disturbing the caller's generator
        manual_seed(1234);
        using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 4, DModel = dModel, DVocab = dVocab, NCtx = 64, AttnOnly = true });
        set_rng_state(state);
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string>
        {
            ["period"] = "6..29", ["context"] = "64", ["vocab"] = dVocab.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        Analyzer.Analyze(model, task, seed: 7);
        var watch = Stopwatch.StartNew();
        Analyzer.Analyze(model, task, seed: 7);
        return watch.Elapsed.TotalSeconds;
    }
}
