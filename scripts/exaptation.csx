// Exaptation (docs/design.md §1; the notes: "a random token sequence, extract the set"): does an induction
// circuit, learned on repeated copies, help a model learn a new task it could serve? The induction model
// (variable periods) is fine-tuned on set-extraction and on unique-token, and the same model size is
// trained from scratch on each with the same steps, learning rate and seed. Per seed: steps to 80% held-out
// accuracy (the verdict's "good enough to judge"; first evaluation at or above it; a censored outcome: a run that
// never reaches it is "not by the budget", reported as "reached in k of n" and compared with CensoredComparison's exact
// permutation test, unpaired: the paired one cannot reach 5% at 5 seeds), held-out accuracy at the end of the budget
// (fine-tuned minus scratch, paired by seed, with a 95% t interval); the two comparisons per task are one family under
// Holm's correction (docs/design.md §4), whether the inherited induction heads keep their role (head
// scores on one layout for before and after), and whether mean-ablating them hurts the new task more than
// ablating the other heads. Fine-tuning is the library's (`Exaptation.FineTune`); its report says
// "no pressure to change" when the new task was already solved before fine-tuning.
//   ./toolkit run scripts/exaptation.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--base-steps 1500] [--steps 3000]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Verdicts;

var exp = new Experiment("exaptation", "Exaptation: an induction model fine-tuned on set-extraction and unique-token, against training from scratch", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var baseSteps = exp.Setting("--base-steps", 1500, 20);
var steps = exp.Setting("--steps", 3000, 20);
// The accuracy the library's verdict needs before it judges a model at all (VerdictSettings.GoodAccuracy).
var Target = new VerdictSettings().GoodAccuracy;
var newTasks = new[]
{
    exp.Task("set-extraction", exp.Fast ? new() { ["length"] = "4..6", ["distinct"] = "2..3" } : new()),
    exp.Task("unique-token", exp.Fast ? new() { ["length"] = "3..6" } : new()),
};

/// <summary>Held-out accuracy at every evaluation of a run.</summary>
sealed class AccuracyCurve : ITrainingObserver
{
    public List<(int Step, double Accuracy)> Points { get; } = new();
    public void OnEvaluation(int step, EvalResult eval, HeadScoreTable heads) => Points.Add((step, eval.Accuracy));
    /// <summary>First evaluated step at or above the target, or null when never reached.</summary>
    public int? StepsTo(double target) => Points.FirstOrDefault(p => p.Accuracy >= target) is { Step: > 0 } hit ? hit.Step : null;
}

string Steps(int? s) => TimeToEvent.Of(s, steps).ToString();
List<TimeToEvent> Censored(IReadOnlyList<int?> xs) => xs.Select(x => TimeToEvent.Of(x, steps)).ToList();

var rows = new List<IReadOnlyList<string>>();
var claims = new ClaimFamily("exaptation");
var perTask = new List<(string Task, Claim Speed, Claim Gain, int Faster, int Slower, int NoPressure, List<int?> FineTuned, List<int?> Scratch)>();
var baseRuns = new List<string>();
for (var k = 0; k < seeds; k++)
{
    var seed = exp.Seed + k;
    var result = exp.Train($"induction-seed{seed}", exp.Model(), exp.RepeatedCopy(exp.VariablePeriods), exp.Training(baseSteps, seed, evalEvery: 50));
    baseRuns.Add(result.Run.Path);
}
foreach (var spec in newTasks)
{
    var fineTuned = new List<int?>();
    var finalGain = new List<double>();
    var scratch = new List<int?>();
    var kept = new List<string>();
    var ablation = new List<(double Inherited, double Others)>();
    var noPressure = 0;
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var tuneCurve = new AccuracyCurve();
        var report = Exaptation.FineTune(baseRuns[k], spec, steps, exp.RunPath($"{spec.Name}-finetuned-seed{seed}"), observer: tuneCurve);
        if (report.NoPressure) noPressure++;
        var scratchCurve = new AccuracyCurve();
        var baseConfig = RunDirectory.Open(baseRuns[k]).ReadConfig();
        exp.Train($"{spec.Name}-scratch-seed{seed}", baseConfig.Model, spec, baseConfig.Training with { Steps = steps }, scratchCurve);
        fineTuned.Add(tuneCurve.StepsTo(Target));
        finalGain.Add(tuneCurve.Points[^1].Accuracy - scratchCurve.Points[^1].Accuracy);
        scratch.Add(scratchCurve.StepsTo(Target));

        // Inherited induction heads: do they keep the role, and does the new task need them?
        var inherited = report.HeadsBefore.Named(HeadRole.Induction).Select(h => (h.Layer, h.Head)).ToList();
        var stillInduction = report.HeadsAfter.Named(HeadRole.Induction).Select(h => (h.Layer, h.Head)).ToHashSet();
        kept.Add($"{inherited.Count(stillInduction.Contains)}/{inherited.Count}");
        using var model = RunDirectory.Open(report.NewRun).LoadModel();
        using var batch = Batch.Sample(spec.Create(), Seeds.Derive(seed, Seeds.Stream.Probe, 7), exp.EvalCount, model.Device);
        var effects = Ablation.EveryHead(model, batch.Tokens, batch.LossMask, AblationKind.Mean);
        var drop = effects.Where(e => inherited.Contains((e.Layer, e.Head))).Select(e => e.AccuracyDrop).DefaultIfEmpty(double.NaN).Average();
        var others = effects.Where(e => !inherited.Contains((e.Layer, e.Head))).Select(e => e.AccuracyDrop).DefaultIfEmpty(double.NaN).Average();
        ablation.Add((drop, others));
        rows.Add(new[] { spec.Name, seed.ToString(), Steps(fineTuned[^1]), Steps(scratch[^1]),
                         Fmt.P(tuneCurve.Points[^1].Accuracy), Fmt.P(scratchCurve.Points[^1].Accuracy), kept[^1], Fmt.F(drop, 4), Fmt.F(others, 4),
                         Fmt.F(report.NewTaskLossBefore, 3), Fmt.F(report.NewTaskLossAfter, 3), report.NewAfter.Headline });
        exp.Report.AddParagraph($"{spec.Name}, seed {seed}: " + report.Render().Replace("\n", " "));
    }
    var faster = fineTuned.Zip(scratch).Count(p => (p.First ?? int.MaxValue) < (p.Second ?? int.MaxValue));
    var slower = fineTuned.Zip(scratch).Count(p => (p.First ?? int.MaxValue) > (p.Second ?? int.MaxValue));
    exp.Result($"{spec.Name}: {Fmt.P(Target)} held-out accuracy, fine-tuned from the induction model: {TimeToEventSummary.Of(Censored(fineTuned))}; from scratch: {TimeToEventSummary.Of(Censored(scratch))} (within {steps} steps); " +
               $"fine-tuned faster in {faster} of {seeds} seeds, slower in {slower}");
    var inheritedDrop = ablation.Select(a => a.Inherited).Where(double.IsFinite).ToList();
    var otherDrop = ablation.Select(a => a.Others).Where(double.IsFinite).ToList();
    exp.Result($"{spec.Name}: inherited induction heads keeping the role after fine-tuning, per seed: {string.Join(", ", kept)}; " +
               $"mean accuracy drop when mean-ablating one of them {(inheritedDrop.Count == 0 ? "n/a" : Fmt.P(inheritedDrop.Average()))}, one of the other heads {(otherDrop.Count == 0 ? "n/a" : Fmt.P(otherDrop.Average()))}" +
               (noPressure > 0 ? $"; {noPressure} of {seeds} fine-tunes had no pressure to change (new task already solved)" : ""));
    perTask.Add((spec.Name,
        claims.Add($"{spec.Name}: steps to {Fmt.P(Target)}, fine-tuned against scratch", CensoredComparison.Of(Censored(fineTuned), Censored(scratch))),
        claims.Add($"{spec.Name}: final accuracy, fine-tuned minus scratch", MeanComparison.FromZero(finalGain) with { Paired = true }),
        faster, slower, noPressure, fineTuned, scratch));
}
// Decisions after every claim is in the family.
var summary = new List<string>();
foreach (var t in perTask)
{
    var gain = $"held-out accuracy after {steps} steps, fine-tuned minus scratch: {t.Gain.Detail(Fmt.P)}";
    var speed = $"steps to {Fmt.P(Target)}: {t.Speed.Words("the fine-tuned model later than", "the fine-tuned model sooner than", "scratch")} ({t.Speed.Detail(Fmt.P)})";
    exp.Result($"{t.Task}: {gain}; {speed}");
    var reached = $"{Fmt.P(Target)} reached first by the fine-tuned model in {t.Faster} of {seeds} seeds, by scratch in {t.Slower}";
    summary.Add(t.NoPressure == seeds ? $"{t.Task}: no pressure to change (the induction model already solved it)"
        : t.Gain.Direction == Difference.Higher ? $"{t.Task}: the induction model gives a head start ({gain}; {speed}; {reached})"
        : t.Gain.Direction == Difference.Lower ? $"{t.Task}: the induction model is a handicap ({gain}; {speed}; {reached})"
        : $"{t.Task}: no resolved head start from induction ({gain}; {speed}; {reached})");
}
exp.Claims(claims);
exp.Report.AddTable($"per seed: steps to {Fmt.P(Target)} held-out accuracy (fine-tuned / scratch), final held-out accuracy (fine-tuned / scratch), inherited induction heads keeping their role, mean accuracy drop under mean ablation (inherited induction heads / other heads), held-out loss on the new task before → after fine-tuning, verdict after",
    new[] { "task", "seed", "fine-tuned steps to target", "scratch steps to target", "fine-tuned final accuracy", "scratch final accuracy", "induction heads kept", "ablation drop (inherited)", "ablation drop (others)", "loss before", "loss after", "verdict after" }, rows);
exp.Csv("exaptation.csv", new[] { "task", "seed", "finetuned_steps_to_target", "scratch_steps_to_target", "finetuned_final_accuracy", "scratch_final_accuracy", "induction_heads_kept", "ablation_drop_inherited", "ablation_drop_others", "new_task_loss_before", "new_task_loss_after", "verdict_after" }, rows);
exp.Conclude(string.Join("; ", summary) + ".");
exp.Save();
