// Exaptation (docs/design.md §1; the notes: "a random token sequence, extract the set"): does an induction
// circuit, learned on repeated copies, help a model learn a new task it could serve? The induction model
// (variable periods) is fine-tuned on set-extraction and on unique-token, and the same model size is
// trained from scratch on each with the same steps, learning rate and seed. Two control bases, trained as long
// with the same seed, are fine-tuned the same way: the memorizer (a fixed period: the same data family, no
// induction) and a model pre-trained on another task (arithmetic): a head start is credited to induction only when
// the induction model beats both controls, not only scratch. Whether the new task needs the inherited induction
// heads is compared matched by layer and head: the same heads ablated together in the induction-based fine-tune
// and in the scratch model (paired by seed, 95% t interval), and one inherited head against the other heads of its
// own layer when that layer has any. Per seed: steps to 80% held-out
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

// Base models per seed: the induction model and the two controls, each trained baseSteps with the seed.
var bases = new (string Name, TaskSpec Task)[]
{
    ("induction", exp.RepeatedCopy(exp.VariablePeriods)),
    ("memorizer", exp.RepeatedCopy(exp.FixedPeriod)),
    ("arithmetic", new TaskSpec { Name = "arithmetic", Parameters = new() { ["context"] = exp.Context.ToString(), ["digits"] = exp.Fast ? "1..2" : "1..3" } }),
};
var baseRuns = bases.ToDictionary(b => b.Name, _ => new List<string>());
for (var k = 0; k < seeds; k++)
{
    var seed = exp.Seed + k;
    foreach (var (name, task) in bases)
        baseRuns[name].Add(exp.Train($"{name}-seed{seed}", exp.Model(), task, exp.Training(baseSteps, seed, evalEvery: 50)).Run.Path);
}

/// <summary>Mean accuracy drop of a set of heads ablated together (mean ablation) on the examples.</summary>
double SetDrop(Toolkit.Model.HookedTransformer model, IReadOnlyList<Example> examples, IReadOnlyCollection<(int Layer, int Head)> heads)
{
    var (clean, ablated) = HeadSetAblation.Evaluate(model, examples, heads, AblationKind.Mean);
    return clean.Accuracy - ablated.Accuracy;
}

var rows = new List<IReadOnlyList<string>>();
var claims = new ClaimFamily("exaptation");
var perTask = new List<(string Task, Claim Speed, Claim Gain, Claim OverMemorizer, Claim OverOtherTask, Claim HeadsNeeded, int Faster, int Slower, int NoPressure)>();
foreach (var spec in newTasks)
{
    var fineTuned = new List<int?>();
    var scratch = new List<int?>();
    var final = bases.ToDictionary(b => b.Name, _ => new List<double>());
    var scratchFinal = new List<double>();
    var kept = new List<string>();
    var setDrop = new List<(double FineTuned, double Scratch)>();
    var layerMatched = new List<double>();
    var noPressure = 0;
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        ExaptationReport? report = null;
        AccuracyCurve? inductionCurve = null;
        foreach (var (name, _) in bases)
        {
            var curve = new AccuracyCurve();
            var r = Exaptation.FineTune(baseRuns[name][k], spec, steps, exp.RunPath($"{spec.Name}-from-{name}-seed{seed}"), observer: curve);
            final[name].Add(curve.Points[^1].Accuracy);
            if (name == "induction") { report = r; inductionCurve = curve; }
        }
        if (report!.NoPressure) noPressure++;
        var scratchCurve = new AccuracyCurve();
        var baseConfig = RunDirectory.Open(baseRuns["induction"][k]).ReadConfig();
        var scratchRun = exp.Train($"{spec.Name}-scratch-seed{seed}", baseConfig.Model, spec, baseConfig.Training with { Steps = steps }, scratchCurve);
        fineTuned.Add(inductionCurve!.StepsTo(Target));
        scratch.Add(scratchCurve.StepsTo(Target));
        scratchFinal.Add(scratchCurve.Points[^1].Accuracy);

        // Inherited induction heads: do they keep the role, and does the new task need them more than the same heads
        // of a model that never had induction (scratch), and more than the other heads of their own layer?
        var inherited = report.HeadsBefore.Named(HeadRole.Induction).Select(h => (h.Layer, h.Head)).ToList();
        var stillInduction = report.HeadsAfter.Named(HeadRole.Induction).Select(h => (h.Layer, h.Head)).ToHashSet();
        kept.Add($"{inherited.Count(stillInduction.Contains)}/{inherited.Count}");
        var examples = Sampling.examples(spec.Create(), Seeds.Derive(seed, Seeds.Stream.Probe, 7), exp.EvalCount);
        using var tunedModel = RunDirectory.Open(report.NewRun).LoadModel();
        using var scratchModel = scratchRun.Run.LoadModel();
        var drops = (FineTuned: SetDrop(tunedModel, examples, inherited), Scratch: SetDrop(scratchModel, examples, inherited));
        if (inherited.Count > 0) setDrop.Add(drops);
        using var batch = Batch.ForEvaluation(tunedModel.Config, examples, tunedModel.Device);
        var single = Ablation.EveryHead(tunedModel, batch, AblationKind.Mean);
        var byLayer = inherited.Select(h => h.Layer).Distinct()
            .Select(layer => (Inherited: single.Where(e => e.Layer == layer && inherited.Contains((e.Layer, e.Head))).Select(e => e.AccuracyDrop).ToList(),
                              Others: single.Where(e => e.Layer == layer && !inherited.Contains((e.Layer, e.Head))).Select(e => e.AccuracyDrop).ToList()))
            .Where(l => l.Others.Count > 0).ToList();
        var matched = byLayer.Count == 0 ? double.NaN : byLayer.Average(l => l.Inherited.Average() - l.Others.Average());
        if (double.IsFinite(matched)) layerMatched.Add(matched);
        rows.Add(new[] { spec.Name, seed.ToString(), Steps(fineTuned[^1]), Steps(scratch[^1]),
                         Fmt.P(final["induction"][^1]), Fmt.P(final["memorizer"][^1]), Fmt.P(final["arithmetic"][^1]), Fmt.P(scratchFinal[^1]), kept[^1],
                         Fmt.F(drops.FineTuned, 4), Fmt.F(drops.Scratch, 4), Fmt.F(matched, 4),
                         Fmt.F(report.NewTaskLossBefore, 3), Fmt.F(report.NewTaskLossAfter, 3), report.NewAfter.Headline });
        exp.Report.AddParagraph($"{spec.Name}, seed {seed}: " + report.Render().Replace("\n", " "));
    }
    var faster = fineTuned.Zip(scratch).Count(p => (p.First ?? int.MaxValue) < (p.Second ?? int.MaxValue));
    var slower = fineTuned.Zip(scratch).Count(p => (p.First ?? int.MaxValue) > (p.Second ?? int.MaxValue));
    exp.Result($"{spec.Name}: {Fmt.P(Target)} held-out accuracy, fine-tuned from the induction model: {TimeToEventSummary.Of(Censored(fineTuned))}; from scratch: {TimeToEventSummary.Of(Censored(scratch))} (within {steps} steps); " +
               $"fine-tuned faster in {faster} of {seeds} seeds, slower in {slower}");
    exp.Result($"{spec.Name}: held-out accuracy after {steps} steps, mean over seeds: fine-tuned from the induction model {Fmt.P(final["induction"].Average())}, from the memorizer {Fmt.P(final["memorizer"].Average())}, " +
               $"from the arithmetic model {Fmt.P(final["arithmetic"].Average())}, from scratch {Fmt.P(scratchFinal.Average())}");
    exp.Result($"{spec.Name}: inherited induction heads keeping the role after fine-tuning, per seed: {string.Join(", ", kept)}; " +
               $"accuracy drop when mean-ablating the inherited induction heads together, fine-tuned per seed [{string.Join(", ", setDrop.Select(d => Fmt.P(d.FineTuned)))}], the same heads of the scratch model [{string.Join(", ", setDrop.Select(d => Fmt.P(d.Scratch)))}]; " +
               (layerMatched.Count == 0 ? "no inherited head has another head in its layer to compare with" : $"one inherited head minus one other head of its layer, per seed [{string.Join(", ", layerMatched.Select(Fmt.P))}]") +
               (noPressure > 0 ? $"; {noPressure} of {seeds} fine-tunes had no pressure to change (new task already solved)" : ""));
    perTask.Add((spec.Name,
        claims.Add($"{spec.Name}: steps to {Fmt.P(Target)}, fine-tuned against scratch", CensoredComparison.Of(Censored(fineTuned), Censored(scratch))),
        claims.Add($"{spec.Name}: final accuracy, fine-tuned minus scratch", MeanComparison.PairedOf(final["induction"], scratchFinal)),
        claims.Add($"{spec.Name}: final accuracy, fine-tuned from the induction model minus from the memorizer", MeanComparison.PairedOf(final["induction"], final["memorizer"])),
        claims.Add($"{spec.Name}: final accuracy, fine-tuned from the induction model minus from the arithmetic model", MeanComparison.PairedOf(final["induction"], final["arithmetic"])),
        claims.Add($"{spec.Name}: set-ablation drop of the inherited heads, fine-tuned minus the same heads from scratch", MeanComparison.PairedOf(setDrop.Select(d => d.FineTuned).ToList(), setDrop.Select(d => d.Scratch).ToList())),
        faster, slower, noPressure));
}
// Decisions after every claim is in the family.
var summary = new List<string>();
foreach (var t in perTask)
{
    var gain = $"held-out accuracy after {steps} steps, fine-tuned minus scratch: {t.Gain.Detail(Fmt.P)}";
    var speed = $"steps to {Fmt.P(Target)}: {t.Speed.Words("the fine-tuned model later than", "the fine-tuned model sooner than", "scratch")} ({t.Speed.Detail(Fmt.P)})";
    var controls = $"over the memorizer base: {t.OverMemorizer.Detail(Fmt.P)}; over the arithmetic base: {t.OverOtherTask.Detail(Fmt.P)}";
    var needed = $"inherited heads' set-ablation drop, fine-tuned minus the same heads from scratch: {t.HeadsNeeded.Detail(Fmt.P)}";
    exp.Result($"{t.Task}: {gain}; {speed}; {controls}; {needed}");
    var beatsControls = t.OverMemorizer.Direction == Difference.Higher && t.OverOtherTask.Direction == Difference.Higher;
    var headStart = t.NoPressure == seeds ? "no pressure to change (the induction model already solved it)"
        : t.Gain.Direction == Difference.Higher && beatsControls ? $"a head start from the induction model beyond both control bases ({gain}; {controls})"
        : t.Gain.Direction == Difference.Higher ? $"a head start over scratch that the control bases do not separate from pre-training in general, so it is not credited to induction ({gain}; {controls})"
        : t.Gain.Direction == Difference.Lower ? $"the induction model is a handicap ({gain})"
        : $"no resolved head start ({gain})";
    var use = t.HeadsNeeded.Direction == Difference.Higher
        ? "the fine-tuned model needs its inherited heads more than scratch needs the same heads"
        : "the inherited heads are not shown to be needed more than the same heads of a scratch model (so not shown to be repurposed)";
    summary.Add($"{t.Task}: {headStart}; {use}");
}
exp.Claims(claims);
exp.Report.AddTable($"per seed: steps to {Fmt.P(Target)} held-out accuracy (fine-tuned from induction / scratch), final held-out accuracy (fine-tuned from induction / memorizer / arithmetic; scratch), inherited induction heads keeping their role, accuracy drop when the inherited heads are mean-ablated together (fine-tuned / same heads of scratch), one inherited head minus one other head of its layer (single-head mean ablation), held-out loss on the new task before → after fine-tuning, verdict after",
    new[] { "task", "seed", "fine-tuned steps to target", "scratch steps to target", "final (from induction)", "final (from memorizer)", "final (from arithmetic)", "final (scratch)", "induction heads kept", "set drop (fine-tuned)", "set drop (scratch)", "layer-matched drop difference", "loss before", "loss after", "verdict after" }, rows);
exp.Csv("exaptation.csv", new[] { "task", "seed", "finetuned_steps_to_target", "scratch_steps_to_target", "final_from_induction", "final_from_memorizer", "final_from_arithmetic", "final_scratch", "induction_heads_kept", "set_drop_finetuned", "set_drop_scratch", "layer_matched_drop_difference", "new_task_loss_before", "new_task_loss_after", "verdict_after" }, rows);
exp.Conclude(string.Join("; ", summary) + ".");
exp.Save();
