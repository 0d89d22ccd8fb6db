using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Tasks;

namespace Toolkit.Verdicts;

/// <summary>Evaluates a model on its task and every probe of it, beside the position-only baseline
/// and chance, and decides the generalization verdict of docs/design.md §4.</summary>
public static class ProbeSuite
{
    /// <summary>Measures and judges. <paramref name="heads"/> (optional) adds head roles to the evidence.</summary>
    public static GeneralizationVerdict Judge(HookedTransformer model, ITask task, long seed, VerdictSettings? settings = null, HeadScoreTable? heads = null)
    {
        settings ??= new VerdictSettings();
        Evaluator.CheckFits(model, task);
        // The memorizing solution, fitted on the training distribution (docs/design.md §4).
        var baseline = PositionBaseline.Fit(Sampling.examples(task, Seeds.Derive(seed, Seeds.Stream.Baseline), settings.BaselineExamples));
        var chance = PositionBaseline.Chance(task.Vocabulary);

        var inExamples = Sampling.examples(task, Seeds.Derive(seed, Seeds.Stream.Probe), settings.Sequences);
        var inDist = Evaluator.Evaluate(model, inExamples);
        var outcomes = new List<ProbeOutcome>();
        var index = 1;
        foreach (var probe in task.Probes)
        {
            var examples = Sampling.examples(probe.Task, Seeds.Derive(seed, Seeds.Stream.Probe, index++), settings.Sequences);
            var eval = Evaluator.Evaluate(model, examples);
            var passed = eval.Accuracy >= inDist.Accuracy - settings.Tolerance;
            outcomes.Add(new ProbeOutcome(probe.Name, probe.Kind, probe.Description, eval, baseline.Score(examples),
                PositionBaseline.Chance(probe.Task.Vocabulary), passed));
        }

        var failingInside = outcomes.Where(o => o.Kind.IsInside && !o.Passed).ToList();
        var anyInside = outcomes.Any(o => o.Kind.IsInside);
        VerdictKind kind;
        if (inDist.Accuracy >= settings.GoodAccuracy && anyInside && failingInside.Count == 0)
            kind = VerdictKind.Generalizes;
        else if (inDist.Accuracy >= settings.GoodAccuracy && failingInside.Count > 0 && failingInside.All(o => o.NearBaselineOrChance(settings.NearMargin)))
            kind = VerdictKind.MemorizesPositions;
        else
            kind = VerdictKind.Partial;

        var evidence = new List<string>();
        if (heads is not null)
        {
            string Roles(HeadRole role, string label)
            {
                var named = heads.Named(role);
                return named.Count == 0 ? $"no {label} head (best {heads.Best(role).Name} {HeadScoreTable.Score(heads.Best(role), role):F2})"
                    : $"{label} heads {string.Join(", ", named.Select(h => $"{h.Name} ({HeadScoreTable.Score(h, role):F2})"))}";
            }
            evidence.Add($"{Roles(HeadRole.PreviousToken, "previous-token")}; {Roles(HeadRole.Induction, "induction")} (scored on period {heads.ScoringPeriod}, unseen in training)");
        }
        foreach (var h in AttentionOffsets.Measure(model, inExamples.Take(64).ToList()).Where(h => h.Offset >= 2 && h.Share >= 0.5))
            evidence.Add($"{h.Name} attends at a fixed offset of {h.Offset} ({h.Share:P0} of its attention from predicting positions)");
        return new GeneralizationVerdict(kind, inDist, baseline.Score(inExamples), chance, outcomes, evidence, settings);
    }
}
