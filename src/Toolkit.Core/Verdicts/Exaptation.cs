using System.Text;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

namespace Toolkit.Verdicts;

/// <summary>Before and after a fine-tune: head roles, composition, and the verdicts on both the
/// original task and the new one, measured rather than assumed.</summary>
public sealed record ExaptationReport(
    string SourceRun, string NewRun, TaskSpec OriginalTask, TaskSpec NewTask,
    HeadScoreTable HeadsBefore, HeadScoreTable HeadsAfter, CompositionTable CompositionBefore, CompositionTable CompositionAfter,
    GeneralizationVerdict OriginalBefore, GeneralizationVerdict OriginalAfter, GeneralizationVerdict NewBefore, GeneralizationVerdict NewAfter,
    double NewTaskLossBefore, double NewTaskLossAfter)
{
    /// <summary>Below this loss on the new task before fine-tuning (held-out, predictable positions), there is next to
    /// no gradient: whatever the heads do afterwards was not tested by the fine-tune.</summary>
    public const double NoPressureLoss = 0.05;

    /// <summary>The fine-tune began with the new task already solved: "no pressure to change", never "survival".</summary>
    public bool NoPressure => NewTaskLossBefore <= NoPressureLoss;

    /// <summary>For each role, the named heads before and after and whether they kept it.</summary>
    public IEnumerable<string> RoleChanges()
    {
        foreach (var (role, label) in new[] { (HeadRole.PreviousToken, "previous-token"), (HeadRole.Induction, "induction") })
        {
            var before = HeadsBefore.Named(role).Select(h => h.Name).ToList();
            var after = HeadsAfter.Named(role).Select(h => h.Name).ToList();
            var kept = before.Intersect(after).ToList();
            yield return $"{label} heads: before {(before.Count == 0 ? "none" : string.Join(", ", before))}; after {(after.Count == 0 ? "none" : string.Join(", ", after))}" +
                         (before.Count == 0 ? "" : kept.Count == before.Count ? " — all kept their role" : $" — kept {kept.Count} of {before.Count}");
        }
    }

    /// <summary>The strongest K-composition pair before and after.</summary>
    public string CompositionChange()
    {
        static string Top(CompositionTable t) => t.Ranked(CompositionKind.K).FirstOrDefault() is { } s
            ? $"{s.Sender} → {s.Receiver} K-composition {s.Score:F2} (baseline {t.Baseline:F2})" : "none";
        return $"strongest K-composition: before {Top(CompositionBefore)}; after {Top(CompositionAfter)}";
    }

    /// <summary>A plain-words summary of what happened.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"fine-tuned {SourceRun} on {Describe(NewTask)} → {NewRun}");
        foreach (var line in RoleChanges()) sb.AppendLine(line);
        sb.AppendLine(CompositionChange());
        sb.AppendLine($"original task ({Describe(OriginalTask)}): before {OriginalBefore.Headline} (accuracy {OriginalBefore.InDistribution.Accuracy:P0}); after {OriginalAfter.Headline} (accuracy {OriginalAfter.InDistribution.Accuracy:P0})");
        sb.AppendLine($"new task ({Describe(NewTask)}): before {NewBefore.Headline} (accuracy {NewBefore.InDistribution.Accuracy:P0}); after {NewAfter.Headline} (accuracy {NewAfter.InDistribution.Accuracy:P0})");
        sb.AppendLine($"held-out loss on the new task: {NewTaskLossBefore:F3} before fine-tuning → {NewTaskLossAfter:F3} after");
        var inductionBefore = HeadsBefore.Named(HeadRole.Induction).Count > 0;
        var inductionAfter = HeadsAfter.Named(HeadRole.Induction).Count > 0;
        sb.AppendLine("what happened: " + (NoPressure
            ? $"no pressure to change: the model already solved the new task (held-out loss {NewTaskLossBefore:F3} ≤ {NoPressureLoss} before fine-tuning), so the fine-tune tested nothing about its circuit."
            : (inductionBefore, inductionAfter) switch
        {
            (true, true) => "the induction heads kept their scores through the narrower task (whether the new task uses them is an ablation's question, not the scores').",
            (true, false) => "the induction circuit was lost: fine-tuning replaced it.",
            (false, true) => "an induction circuit formed during fine-tuning.",
            _ => "no induction circuit before or after: "
                 + (OriginalAfter.Kind == VerdictKind.MemorizesPositions || NewAfter.Kind == VerdictKind.MemorizesPositions
                     ? "it re-memorized positions, which shows it never had induction."
                     : "see the verdicts above."),
        }));
        return sb.ToString();
    }

    private static string Describe(TaskSpec t) =>
        $"{t.Name} {string.Join(" ", t.Parameters.Where(kv => kv.Key is "period" or "start").Select(kv => $"{kv.Key}={kv.Value}"))}".Trim();
}

/// <summary>Fine-tunes a copy of a run on another task and measures what carried over (docs/design.md §1, exaptation).</summary>
public static class Exaptation
{
    /// <summary>Trains <paramref name="newRun"/> from the source run's final weights on <paramref name="newTask"/>, with the
    /// source run's training settings unless <paramref name="learningRate"/>, <paramref name="seed"/> or
    /// <paramref name="threads"/> replace them.</summary>
    public static ExaptationReport FineTune(string sourceRun, TaskSpec newTask, int steps, string newRun,
        double? learningRate = null, ITrainingObserver? observer = null, VerdictSettings? settings = null,
        long? seed = null, int? threads = null)
    {
        var source = RunDirectory.Open(sourceRun);
        var config = source.ReadConfig();
        var (_, checkpoint) = source.LatestCheckpoint();
        var tuned = config with
        {
            Task = newTask,
            InitFrom = checkpoint,
            Provenance = null,
            Training = config.Training with
            {
                Steps = steps, LearningRate = learningRate ?? config.Training.LearningRate, CheckpointEvery = 0,
                Seed = seed ?? config.Training.Seed, Threads = threads ?? config.Training.Threads,
            },
        };
        // Measure "before" first: the new run must not exist yet, and failing early costs nothing.
        var originalTask = config.Task.Create();
        var task = newTask.Create();
        var measureSeed = tuned.Training.Seed;
        ITask[] seen = [originalTask, task];
        Measurement before;
        using (var model = source.LoadModel(Devices.Resolve(config.Training.Device)))
            before = Measure(model, originalTask, task, seen, measureSeed, settings);
        var result = Trainer.Train(tuned, newRun, observer);
        using var after = result.Run.LoadModel(Devices.Resolve(config.Training.Device));
        var afterM = Measure(after, originalTask, task, seen, measureSeed, settings);
        return new ExaptationReport(sourceRun, newRun, config.Task, TaskSpec.Of(task), before.Heads, afterM.Heads,
            before.Composition, afterM.Composition, before.Original, afterM.Original, before.New, afterM.New,
            before.New.InDistribution.Loss, afterM.New.InDistribution.Loss);
    }

    private sealed record Measurement(HeadScoreTable Heads, CompositionTable Composition, GeneralizationVerdict Original, GeneralizationVerdict New);

    private static Measurement Measure(HookedTransformer model, ITask original, ITask task, IReadOnlyList<ITask> seen, long seed, VerdictSettings? settings)
    {
        // One scoring period for before and after, unseen by either task, so the head tables compare.
        using var scoring = ScoringBatch.ForRun(model, seen, seed);
        var heads = HeadScores.Compute(model, scoring);
        return new Measurement(heads, Composition.Compute(model),
            ProbeSuite.Judge(model, original, seed, settings, heads), ProbeSuite.Judge(model, task, seed, settings, heads));
    }
}
