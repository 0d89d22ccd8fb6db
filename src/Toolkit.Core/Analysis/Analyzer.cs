using System.Diagnostics;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Tasks;

namespace Toolkit.Analysis;

/// <summary>The standard analysis of a model: head roles, the circuit by composition, copying
/// scores and per-head ablations.</summary>
public static class Analyzer
{
    /// <summary>Analyses a model on a task: scores heads on the scoring batch (a period the task
    /// never used), finds the best previous-token → induction K-composition link, computes copying
    /// scores, the path expansion (attention-only models) and the zero/mean ablation effect of every head on <paramref name="sequences"/> task examples.
    /// <paramref name="seed"/> is the run seed; the batches come from its scoring and eval streams.</summary>
    public static CircuitReport Analyze(HookedTransformer model, ITask task, long seed, int sequences = 64,
        double threshold = HeadScoreTable.DefaultThreshold)
    {
        Evaluator.CheckFits(model, task);
        var watch = Stopwatch.StartNew();
        HeadScoreTable heads;
        using (var scoring = ScoringBatch.ForRun(model, task, seed))
            heads = HeadScores.Compute(model, scoring, threshold);
        var composition = Composition.Compute(model);
        var subspaces = Subspaces.Compute(model);
        var copying = CopyingScore.Compute(model);
        IReadOnlyList<AblationEffect> ablations;
        var examples = Sampling.examples(task, Seeds.Derive(seed, Seeds.Stream.Eval), sequences);
        using (var batch = Batch.ForEvaluation(model.Config, examples, model.Device))
            ablations = Ablation.EveryHead(model, batch);
        var cross = model.Config.EncoderDecoder ? CrossAttentionScores.Compute(model, examples) : null;
        // Path expansion follows the stream from W_E to W_U through the blocks as a fixed sequence of layers: not an
        // encoder-decoder's, nor a routed pool's.
        var paths = model.Config.AttnOnly && !model.Config.EncoderDecoder && !model.Config.Routed ? PathExpansion.Compute(model) : null;
        return new CircuitReport(heads, composition, subspaces, copying, ablations,
            FindCircuit(heads, composition, subspaces), watch.Elapsed, paths, cross) { Mlps = MlpDirections.Of(model) };
    }

    /// <summary>How far above random a K-composition link must be before it is reported as a circuit, in random
    /// standard deviations (random scores of the model's shapes; docs/design.md §4).</summary>
    public const double CircuitMinZ = 3.0;

    /// <summary>The strongest K-composition link from a named previous-token head to a named induction head in a
    /// later layer, reported only when it lies at least <see cref="CircuitMinZ"/> random sds above the random mean;
    /// otherwise null ("no circuit found"): a pair of named heads whose composition random matrices also reach is
    /// not a circuit.</summary>
    public static Circuit? FindCircuit(HeadScoreTable heads, CompositionTable composition, IReadOnlyList<SubspaceOverlap> subspaces)
    {
        var previous = heads.Named(HeadRole.PreviousToken).Select(h => (h.Layer, h.Head)).ToHashSet();
        var induction = heads.Named(HeadRole.Induction).Select(h => (h.Layer, h.Head)).ToHashSet();
        var link = composition.Ranked(CompositionKind.K)
            .FirstOrDefault(c => previous.Contains((c.LayerA, c.HeadA)) && induction.Contains((c.LayerB, c.HeadB)));
        if (link is null || !(composition.ZScore(link.Score) >= CircuitMinZ)) return null;
        var overlap = subspaces.FirstOrDefault(o => o.LayerA == link.LayerA && o.HeadA == link.HeadA && o.LayerB == link.LayerB
            && o.HeadB == link.HeadB && o.Read == HeadSubspace.K)?.MeanCos2 ?? double.NaN;
        return new Circuit(link, composition.Baseline, composition.ZScore(link.Score), overlap);
    }
}
