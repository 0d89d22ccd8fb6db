using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Tasks;

namespace Toolkit.Verdicts;

/// <summary>Evaluates a model on its task and every probe of it, beside the position-only baseline
/// and chance, runs the shortcut test on each probe, and decides the verdict by <see cref="VerdictRule"/>.</summary>
public static class ProbeSuite
{
    /// <summary>Measures and judges. <paramref name="heads"/> (optional) adds head roles to the evidence, and for a model that
    /// generalizes, whether it does so by induction (<see cref="InductionAttribution"/>); <paramref name="layout"/>
    /// is the run's scoring batch (<c>ScoringBatch.ForRun(model, task, seed)</c>) when the caller already has it, else it is
    /// built here when the offset evidence needs it.</summary>
    public static GeneralizationVerdict Judge(HookedTransformer model, ITask task, long seed, VerdictSettings? settings = null, HeadScoreTable? heads = null,
        ScoringBatch? layout = null)
    {
        settings ??= new VerdictSettings();
        Evaluator.CheckFits(model, task);
        // The memorizing solution, fitted on the training distribution (docs/design.md §4).
        var shortcut = PositionBaseline.Fit(Sampling.examples(task, Seeds.Derive(seed, Seeds.Stream.Baseline), settings.BaselineExamples));
        var chance = PositionBaseline.Chance(task.Vocabulary);

        var inExamples = Sampling.examples(task, Seeds.Derive(seed, Seeds.Stream.Probe), settings.Sequences);
        var inDist = Evaluator.Evaluate(model, inExamples);
        var outcomes = new List<ProbeOutcome>();
        var probeExamples = new List<IReadOnlyList<Example>>();
        var index = 1;
        foreach (var probe in task.Probes)
        {
            var instances = Sampling.instances(probe.Task, Seeds.Derive(seed, Seeds.Stream.Probe, index++), settings.Sequences);
            var examples = instances.Select(probe.Task.Build).ToArray();
            var eval = Evaluator.Evaluate(model, examples);
            probeExamples.Add(examples);
            outcomes.Add(new ProbeOutcome(probe.Name, probe.Kind, probe.Description, eval, shortcut.Score(examples),
                PositionBaseline.Chance(probe.Task.Vocabulary), VerdictRule.Passes(eval, inDist, settings),
                ShortcutAgreement.Measure(model, shortcut, examples, probe.Task.Vocabulary), shortcut.UntrainedShare(examples))
            {
                // Which of the probe's instances training could have drawn: an inside probe counts only when none.
                DrawnInTraining = probe.Kind.IsInside ? ShapeSupport.drawnShare(task, instances) : null,
            });
        }
        var kind = VerdictRule.Decide(inDist, outcomes, settings);

        var evidence = new List<string>();
        foreach (var p in outcomes.Where(p => p.Kind.IsInside && !p.HeldOut))
            evidence.Add($"{p.Name} (inside, {p.Description}): training could draw {p.DrawnInTraining:P1} of its instances, so it is reported only, not evidence of generalization");
        foreach (var p in outcomes.Where(p => !p.Passed))
            evidence.Add($"{p.Name} ({(p.Kind.IsInside ? "inside" : "outside")}, {p.Description}): {p.Shortcut}" +
                         (p.Shortcut.Follows(settings) ? ": follows the shortcut"
                          : p.Shortcut.DoesNotFollow(settings) ? ": does not follow the shortcut"
                          : p.Shortcut.Measurable(settings) ? ": undecided" : ": too few positions to tell"));
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
        // "By induction" is said only by its own rule: named induction heads that the held-out probes need as a set.
        InductionAttribution? mechanism = null;
        if (heads is not null && kind == VerdictKind.Generalizes)
        {
            mechanism = InductionAttribution.Measure(model, heads,
                outcomes.Select((p, i) => (p, i)).Where(x => x.p.HeldOut).Select(x => (x.p.Name, probeExamples[x.i], x.p.Eval)).ToList());
            evidence.Add(mechanism.ToString());
        }
        var offsets = AttentionOffsets.Measure(model, inExamples.Take(64).ToList(), shortcut).Where(h => h.Share >= 0.5).ToList();
        if (offsets.Count > 0)
        {
            using var own = layout is null ? ScoringBatch.ForRun(model, task, seed) : null;
            evidence.AddRange(AttentionOffsets.Summarize(AttentionOffsets.Discriminate(model, offsets, layout ?? own!, shortcut)));
        }
        return new GeneralizationVerdict(kind, inDist, shortcut.Score(inExamples), chance, outcomes, evidence, settings) { Mechanism = mechanism };
    }
}
