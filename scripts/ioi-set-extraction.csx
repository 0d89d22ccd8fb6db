// IOI and set extraction: one mechanism? (issue 24 §3; the notes' "strange IOI algorithm": remove the duplicated names
// and see which proper name remains, which is set extraction's rule; docs/design.md §4 "IOI"). Every model has the ioi
// script's shape (3 layers, 4 heads, d_model 64, LN, MLPs, d_vocab 64, n_ctx 24). Per seed, three base models are trained
// the same steps with the same seed: ioi (as scripts/ioi.csx), set-extraction made to fit (length 4..10, distinct 2..5)
// and the control, copy (length 4..10): the same sequence-to-sequence shape and vocabulary as set-extraction, moving
// tokens as IOI moves names, but with no duplicate to detect. Then each direction, with the library's fine-tune
// (`Exaptation.FineTune`, the base's own settings and seed, the same steps): IOI base → set-extraction and set-extraction
// base → ioi, each against the control base fine-tuned the same way and against scratch (the new task's own base run:
// the same model, settings, seed and steps, trained from initialization). Per seed and direction: steps to 80%
// evaluation accuracy (fresh sequences of the new task; a censored outcome, "reached in k of n", CensoredComparison's
// exact permutation test) and evaluation accuracy at the end of the budget (paired by seed, 95% t interval), each against
// scratch and against the control. Mechanism: the heads that matter for the base task, found on the base model before
// any fine-tune (IOI: restoring the head's clean output alone into the ABC run recovers ≥ 10% of the logit difference,
// the ioi script's rule; set extraction: mean-ablating the head alone raises the evaluation loss by ≥ 10% of the gap
// between the clean loss and the uniform guess, ln d_vocab), are mean-ablated together on the new task in the fine-tuned
// model, at the same layer and head positions in the scratch model and in the control base's fine-tune (loss increase,
// paired by seed: the control says whether any pre-training makes those positions matter more). Forgetting: the base
// task's accuracy after the fine-tune (the report's verdict). All comparisons are one Holm family; a direction "shares a
// mechanism" only when its base beats both scratch and the control base (sooner to 80% or higher at the end) and the
// inherited heads are needed more than the same heads of scratch and of the control's fine-tune.
// Six seeds by default: the unpaired exact permutation test on steps cannot go below p = 2/252 ≈ 0.008 at 5 against 5,
// above Holm's first threshold 0.05/12 ≈ 0.004; at 6 against 6 it reaches 2/924 ≈ 0.002. 450 steps keeps the default (42
// trainings) near 30 min at --threads 1 on a busy core (it took 31 min there; 5 seeds at 500 steps took 27 min).
//   ./toolkit run scripts/ioi-set-extraction.csx [--fast] [--out DIR] [--seed N] [--seeds 6] [--steps 450] [--prompts 256] [--threads N]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit;
using Toolkit.Analysis;
using Toolkit.Configs;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Verdicts;

var exp = new Experiment("ioi-set-extraction", "IOI and set extraction: does one carry a mechanism the other can use?", Args);
var seeds = exp.Setting("--seeds", 6, 1);
var steps = exp.Setting("--steps", 450, 20);
var count = exp.Setting("--prompts", 256, 16);
var Target = new VerdictSettings().GoodAccuracy; // the verdict's "good enough to judge" (80%)
const double Important = 0.1; // a head matters for its base task at ≥ 10% (of the logit difference recovered, or of the loss gap)
var model = new ModelConfig
{
    NLayers = 3, NHeads = 4, DModel = exp.Fast ? 32 : 64, AttnOnly = false, NormalizationType = Normalization.LN, DVocab = 64, NCtx = 24,
};
var ioi = new TaskSpec { Name = "ioi", Parameters = new() { ["context"] = "24", ["names"] = "16", ["templates"] = "3", ["start"] = "0..4" } };
var set = new TaskSpec { Name = "set-extraction", Parameters = new() { ["context"] = "24", ["vocab"] = "64", ["length"] = "4..10", ["distinct"] = "2..5" } };
var copy = new TaskSpec { Name = "copy", Parameters = new() { ["context"] = "24", ["vocab"] = "64", ["length"] = "4..10" } };
var bases = new (string Name, TaskSpec Task)[] { ("ioi", ioi), ("set-extraction", set), ("copy", copy) };
// Direction: the new task, the base that might carry a mechanism for it, and the control base.
var directions = new (TaskSpec New, string Base, string Control)[] { (set, "ioi", "copy"), (ioi, "set-extraction", "copy") };

/// <summary>Evaluation accuracy at every evaluation of a run.</summary>
sealed class AccuracyCurve : ITrainingObserver
{
    public List<(int Step, double Accuracy)> Points { get; } = new();
    public void OnEvaluation(int step, EvalResult eval, HeadScoreTable heads) => Points.Add((step, eval.Accuracy));
    /// <summary>First evaluated step at or above the target, or null when never reached.</summary>
    public int? StepsTo(double target) => Points.FirstOrDefault(p => p.Accuracy >= target) is { Step: > 0 } hit ? hit.Step : null;
    /// <summary>The same curve read back from a finished run's metrics (a run trained by the seed runner, unobserved).</summary>
    public static AccuracyCurve Of(RunDirectory run)
    {
        var metrics = run.ReadMetrics(run.ReadConfig()) ?? throw new ToolkitException($"{run.Path} has no metrics", "train it again");
        var column = metrics.Column("eval_accuracy");
        var curve = new AccuracyCurve();
        foreach (var row in metrics.Rows)
            if (MetricsFile.Number(row, column) is var a && double.IsFinite(a)) curve.Points.Add((row.Step, a));
        return curve;
    }
}

string Steps(int? s) => TimeToEvent.Of(s, steps).ToString();
List<TimeToEvent> Censored(IReadOnlyList<int?> xs) => xs.Select(x => TimeToEvent.Of(x, steps)).ToList();
string MeanCi(IReadOnlyList<double> v, Func<double, string> f) => v.Count == 0 ? "n/a" : MeanInterval.Of(v).Format(f);
string HeadList(IEnumerable<(int Layer, int Head)> heads) { var l = heads.Select(h => HeadMatrices.Name(h.Layer, h.Head)).ToList(); return l.Count == 0 ? "none" : string.Join(" ", l); }

// Base models: every task, every seed, the same model, settings and steps. The new task's own base is its scratch run.
var jobs = Enumerable.Range(0, seeds).SelectMany(k => bases.Select(b => ($"{b.Name}-seed{exp.Seed + k}", model, b.Task, exp.Training(steps, exp.Seed + k, evalEvery: 50)))).ToList();
var trained = exp.TrainAll(jobs);
var baseRuns = bases.ToDictionary(b => b.Name, b => Enumerable.Range(0, seeds).Select(k => trained[k * bases.Length + Array.FindIndex(bases, x => x.Name == b.Name)].Run).ToList());

// The heads each base task needs, found on the base model before any fine-tune.
List<(int Layer, int Head)> IoiHeads(Toolkit.Model.HookedTransformer m, long seed, out string detail)
{
    var promptSeed = Seeds.Derive(seed, Seeds.Stream.Probe, 24);
    var clean = IoiPrompts.FromTask(ioi.Create(), promptSeed, count);
    using var inputs = clean.Against(clean.ThirdName(promptSeed + 1), m.Device);
    var sweep = ActivationPatching.Sweep(m, inputs, PatchingMetricKind.LogitDiff);
    var heads = Enumerable.Range(0, model.NLayers).SelectMany(l => Enumerable.Range(0, model.NHeads).Select(h => (Layer: l, Head: h)))
        .Where(x => sweep.Heads[x.Layer][x.Head] >= Important).ToList();
    detail = $"logit diff clean {Fmt.F(sweep.Clean, 2)}, ABC {Fmt.F(sweep.Corrupted, 2)}; recovery " + string.Join(", ", heads.Select(x => $"{HeadMatrices.Name(x.Layer, x.Head)} {Fmt.F(sweep.Heads[x.Layer][x.Head], 2)}"));
    return heads;
}
List<(int Layer, int Head)> SetHeads(Toolkit.Model.HookedTransformer m, long seed, out string detail)
{
    var examples = Sampling.examples(set.Create(), Seeds.Derive(seed, Seeds.Stream.Probe, 25), exp.EvalCount);
    using var batch = Batch.ForEvaluation(m.Config, examples, m.Device);
    var effects = Ablation.EveryHead(m, batch, AblationKind.Mean);
    double Share(AblationEffect e) => e.LossIncrease / Math.Max(1e-9, Math.Log(model.DVocab) - e.CleanLoss);
    var heads = effects.Where(e => Share(e) >= Important).Select(e => (e.Layer, e.Head)).ToList();
    detail = $"clean loss {Fmt.F(effects[0].CleanLoss, 3)}; share of the loss gap " + string.Join(", ", effects.Where(e => Share(e) >= Important).Select(e => $"{e.Name} {Fmt.F(Share(e), 2)}"));
    return heads;
}

/// <summary>Loss increase and accuracy drop of a set of heads mean-ablated together on the examples.</summary>
(double Loss, double Accuracy) SetDrop(Toolkit.Model.HookedTransformer m, IReadOnlyList<Example> examples, IReadOnlyCollection<(int Layer, int Head)> heads)
{
    var (clean, ablated) = HeadSetAblation.Evaluate(m, examples, heads, AblationKind.Mean);
    return (ablated.Loss - clean.Loss, clean.Accuracy - ablated.Accuracy);
}

var baseHeads = bases.ToDictionary(b => b.Name, _ => new List<List<(int Layer, int Head)>>());
for (var k = 0; k < seeds; k++)
{
    var seed = exp.Seed + k;
    string ioiDetail, setDetail;
    using (var m = baseRuns["ioi"][k].LoadModel()) baseHeads["ioi"].Add(IoiHeads(m, seed, out ioiDetail));
    exp.Result($"seed {seed}: IOI base heads (activation patching against ABC, recovery ≥ {Important:P0}): {HeadList(baseHeads["ioi"][^1])} ({ioiDetail})");
    using (var m = baseRuns["set-extraction"][k].LoadModel()) baseHeads["set-extraction"].Add(SetHeads(m, seed, out setDetail));
    exp.Result($"seed {seed}: set-extraction base heads (mean ablation, ≥ {Important:P0} of the loss gap to ln {model.DVocab}): {HeadList(baseHeads["set-extraction"][^1])} ({setDetail})");
}

var rows = new List<IReadOnlyList<string>>();
var claims = new ClaimFamily("ioi-set-extraction");
var perDirection = new List<(string Name, Claim SpeedScratch, Claim SpeedControl, Claim GainScratch, Claim GainControl, Claim HeadsNeeded, Claim HeadsOverControl, int NoPressure, int WithHeads)>();
foreach (var (spec, baseName, control) in directions)
{
    var name = $"{baseName} → {spec.Name}";
    var stepsTo = new Dictionary<string, List<int?>> { [baseName] = new(), [control] = new(), ["scratch"] = new() };
    var final = new Dictionary<string, List<double>> { [baseName] = new(), [control] = new(), ["scratch"] = new() };
    var drops = new List<(double FineTuned, double Scratch, double Control, double FineTunedAccuracy, double ScratchAccuracy, double ControlAccuracy)>();
    var forgetting = new List<(double Before, double After)>();
    var noPressure = 0;
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        ExaptationReport? report = null;
        string? controlRun = null;
        foreach (var b in new[] { baseName, control })
        {
            var curve = new AccuracyCurve();
            var r = Exaptation.FineTune(baseRuns[b][k].Path, spec, steps, exp.RunPath($"{spec.Name}-from-{b}-seed{seed}"), observer: curve);
            stepsTo[b].Add(curve.StepsTo(Target));
            final[b].Add(curve.Points[^1].Accuracy);
            if (b == baseName) report = r; else controlRun = r.NewRun;
        }
        if (report!.NoPressure) noPressure++;
        var scratchRun = baseRuns[spec.Name][k];
        var scratchCurve = AccuracyCurve.Of(scratchRun);
        stepsTo["scratch"].Add(scratchCurve.StepsTo(Target));
        final["scratch"].Add(scratchCurve.Points[^1].Accuracy);
        forgetting.Add((report.OriginalBefore.InDistribution.Accuracy, report.OriginalAfter.InDistribution.Accuracy));

        // The base task's heads, ablated together on the new task: in the fine-tuned model and at the same positions in scratch.
        var inherited = baseHeads[baseName][k];
        var examples = Sampling.examples(spec.Create(), Seeds.Derive(seed, Seeds.Stream.Probe, 7), exp.EvalCount);
        using var tunedModel = RunDirectory.Open(report.NewRun).LoadModel();
        using var scratchModel = scratchRun.LoadModel();
        using var controlModel = RunDirectory.Open(controlRun!).LoadModel();
        var tunedDrop = SetDrop(tunedModel, examples, inherited);
        var scratchDrop = SetDrop(scratchModel, examples, inherited);
        var controlDrop = SetDrop(controlModel, examples, inherited);
        if (inherited.Count > 0) drops.Add((tunedDrop.Loss, scratchDrop.Loss, controlDrop.Loss, tunedDrop.Accuracy, scratchDrop.Accuracy, controlDrop.Accuracy));
        rows.Add(new[] { name, seed.ToString(), Steps(stepsTo[baseName][^1]), Steps(stepsTo[control][^1]), Steps(stepsTo["scratch"][^1]),
                         Fmt.P(final[baseName][^1]), Fmt.P(final[control][^1]), Fmt.P(final["scratch"][^1]), HeadList(inherited),
                         Fmt.F(tunedDrop.Loss, 3), Fmt.F(scratchDrop.Loss, 3), Fmt.F(controlDrop.Loss, 3), Fmt.P(tunedDrop.Accuracy), Fmt.P(scratchDrop.Accuracy), Fmt.P(controlDrop.Accuracy),
                         Fmt.P(forgetting[^1].Before), Fmt.P(forgetting[^1].After), report.NewAfter.Headline });
        exp.Report.AddParagraph($"{name}, seed {seed}: " + report.Render().Replace("\n", " "));
    }
    exp.Result($"{name}: steps to {Fmt.P(Target)} evaluation accuracy (within {steps}): fine-tuned from {baseName} {TimeToEventSummary.Of(Censored(stepsTo[baseName]))}; " +
               $"from {control} (control) {TimeToEventSummary.Of(Censored(stepsTo[control]))}; scratch {TimeToEventSummary.Of(Censored(stepsTo["scratch"]))}");
    exp.Result($"{name}: evaluation accuracy after {steps} steps, mean [95% CI] over {seeds} seeds: from {baseName} {MeanCi(final[baseName], Fmt.P)}, from {control} {MeanCi(final[control], Fmt.P)}, scratch {MeanCi(final["scratch"], Fmt.P)}");
    exp.Result($"{name}: {baseName}'s heads mean-ablated together on {spec.Name}, loss increase per seed: fine-tuned [{string.Join(", ", drops.Select(d => Fmt.F(d.FineTuned, 3)))}], " +
               $"the same heads of scratch [{string.Join(", ", drops.Select(d => Fmt.F(d.Scratch, 3)))}], of the fine-tune from {control} [{string.Join(", ", drops.Select(d => Fmt.F(d.Control, 3)))}]; " +
               $"accuracy drop fine-tuned [{string.Join(", ", drops.Select(d => Fmt.P(d.FineTunedAccuracy)))}], scratch [{string.Join(", ", drops.Select(d => Fmt.P(d.ScratchAccuracy)))}], " +
               $"from {control} [{string.Join(", ", drops.Select(d => Fmt.P(d.ControlAccuracy)))}] ({drops.Count} of {seeds} seeds have such heads)");
    exp.Result($"{name}: forgetting, {baseName} accuracy before → after the fine-tune, mean [95% CI]: {MeanCi(forgetting.Select(f => f.Before).ToList(), Fmt.P)} → {MeanCi(forgetting.Select(f => f.After).ToList(), Fmt.P)}; " +
               $"still ≥ {Fmt.P(Target)} in {forgetting.Count(f => f.After >= Target)} of {seeds}" + (noPressure > 0 ? $"; {noPressure} of {seeds} fine-tunes had no pressure to change" : ""));
    perDirection.Add((name,
        claims.Add($"{name}: steps to {Fmt.P(Target)}, from {baseName} against scratch", CensoredComparison.Of(Censored(stepsTo[baseName]), Censored(stepsTo["scratch"]))),
        claims.Add($"{name}: steps to {Fmt.P(Target)}, from {baseName} against from {control}", CensoredComparison.Of(Censored(stepsTo[baseName]), Censored(stepsTo[control]))),
        claims.Add($"{name}: final accuracy, from {baseName} minus scratch", MeanComparison.PairedOf(final[baseName], final["scratch"])),
        claims.Add($"{name}: final accuracy, from {baseName} minus from {control}", MeanComparison.PairedOf(final[baseName], final[control])),
        claims.Add($"{name}: loss increase when {baseName}'s heads are mean-ablated, fine-tuned minus the same heads of scratch",
            MeanComparison.PairedOf(drops.Select(d => d.FineTuned).ToList(), drops.Select(d => d.Scratch).ToList())),
        claims.Add($"{name}: loss increase when {baseName}'s heads are mean-ablated, fine-tuned minus the same heads of the fine-tune from {control}",
            MeanComparison.PairedOf(drops.Select(d => d.FineTuned).ToList(), drops.Select(d => d.Control).ToList())),
        noPressure, drops.Count));
}

// Decisions after every claim is in the family. Steps: Higher = later (more steps), Lower = sooner.
exp.Claims(claims);
var summary = new List<string>();
foreach (var d in perDirection)
{
    bool Beats(Claim speed, Claim gain) => speed.Direction == Difference.Lower || gain.Direction == Difference.Higher;
    bool Loses(Claim speed, Claim gain) => speed.Direction == Difference.Higher || gain.Direction == Difference.Lower;
    exp.Result($"{d.Name}: against scratch, steps {d.SpeedScratch.Words("later than", "sooner than", "scratch")} ({d.SpeedScratch.Detail(Fmt.P)}), final accuracy {d.GainScratch.Detail(Fmt.P)}; " +
               $"against the control base, steps {d.SpeedControl.Words("later than", "sooner than", "the control")} ({d.SpeedControl.Detail(Fmt.P)}), final accuracy {d.GainControl.Detail(Fmt.P)}; " +
               $"inherited heads' loss increase, fine-tuned minus scratch: {d.HeadsNeeded.Detail(x => Fmt.F(x, 3))}, fine-tuned minus the control's fine-tune: {d.HeadsOverControl.Detail(x => Fmt.F(x, 3))}");
    var overScratch = Beats(d.SpeedScratch, d.GainScratch);
    var overControl = Beats(d.SpeedControl, d.GainControl);
    var needed = d.HeadsNeeded.Direction == Difference.Higher && d.HeadsOverControl.Direction == Difference.Higher;
    var failed = new List<string>();
    if (!overScratch) failed.Add(Loses(d.SpeedScratch, d.GainScratch) ? "the base is a handicap against scratch" : "no resolved head start over scratch");
    if (!overControl) failed.Add(Loses(d.SpeedControl, d.GainControl) ? "the control base (copy) does better" : "no resolved head start over the control base (copy)");
    if (!needed) failed.Add(d.WithHeads == 0 ? "the base had no heads that matter by the rule" : $"the inherited heads are not shown to be needed more than the same heads of scratch ({d.HeadsNeeded.Words("more than", "less than", "scratch")}) and of the control's fine-tune ({d.HeadsOverControl.Words("more than", "less than", "the control")})");
    summary.Add(d.NoPressure == seeds ? $"{d.Name}: no pressure to change (the base already solved it)"
        : failed.Count == 0 ? $"{d.Name}: shares a mechanism (a head start beyond scratch and the control base, and the inherited heads are needed more than in scratch and in the control's fine-tune)"
        : $"{d.Name}: not shown to share a mechanism: {string.Join("; ", failed)}");
}
exp.Report.AddTable($"per direction and seed: steps to {Fmt.P(Target)} evaluation accuracy (from the base / from the control / scratch), evaluation accuracy at the end, the base task's heads, their loss increase and accuracy drop when mean-ablated together on the new task (fine-tuned / same heads of scratch / of the control's fine-tune), base-task accuracy before → after the fine-tune, verdict on the new task after",
    new[] { "direction", "seed", "steps (base)", "steps (control)", "steps (scratch)", "final (base)", "final (control)", "final (scratch)", "base heads", "loss increase (fine-tuned)", "loss increase (scratch)", "loss increase (control)", "accuracy drop (fine-tuned)", "accuracy drop (scratch)", "accuracy drop (control)", "base task before", "base task after", "verdict after" }, rows);
exp.Csv("ioi-set-extraction.csv", new[] { "direction", "seed", "steps_base", "steps_control", "steps_scratch", "final_base", "final_control", "final_scratch", "base_heads", "loss_increase_finetuned", "loss_increase_scratch", "loss_increase_control", "accuracy_drop_finetuned", "accuracy_drop_scratch", "accuracy_drop_control", "base_task_before", "base_task_after", "verdict_after" }, rows);
exp.Conclude($"{seeds} seeds, {steps} steps per base and fine-tune; " + string.Join("; ", summary) + ".");
exp.Save();
