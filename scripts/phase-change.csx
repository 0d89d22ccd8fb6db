// The phase change (Olsson et al. 2022; docs/design.md §4): loss on predictable positions and the heads'
// induction / previous-token scores over training of a variable-period model, with the detected
// phase-change step (where the smoothed loss falls fastest). Metrics every 20 steps, eval every 50.
//   ./toolkit run scripts/phase-change.csx [--fast] [--out DIR] [--seed N] [--steps 1500]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Training;

var exp = new Experiment("phase-change", "Phase change: when induction heads form", Args);
var steps = exp.Setting("--steps", 1500, 30);
var observer = new Curves();
var result = exp.Train("variable", exp.Model(), exp.RepeatedCopy(exp.VariablePeriods), exp.Training(steps, evalEvery: exp.Fast ? 10 : 50, logEvery: exp.Fast ? 5 : 20), observer);
var phase = PhaseChange.Detect(result.LossCurve);

double[] X(IEnumerable<int> s) => s.Select(v => (double)v).ToArray();
exp.Report.AddLineChart("training loss on predictable positions (mean per 20 steps)", "step", "loss",
    new[] { ("training loss", X(result.LossCurve.Select(p => p.Step)), result.LossCurve.Select(p => p.Loss).ToArray()),
            ("held-out loss", X(observer.Rows.Select(r => r.Step)), observer.Rows.Select(r => r.Eval.Loss).ToArray()) });
exp.Report.AddLineChart("head scores over training (on an unseen period)", "step", "score",
    new[] { ("best induction score", X(observer.Rows.Select(r => r.Step)), observer.Rows.Select(r => r.Heads.Best(HeadRole.Induction).Induction).ToArray()),
            ("best previous-token score (layer 0)", X(observer.Rows.Select(r => r.Step)), observer.Rows.Select(r => r.Heads.Heads.Where(h => h.Layer == 0).Max(h => h.PreviousToken)).ToArray()),
            ("held-out accuracy", X(observer.Rows.Select(r => r.Step)), observer.Rows.Select(r => r.Eval.Accuracy).ToArray()) });
exp.Report.AddParagraph(phase is { } pc
    ? $"Detected phase change at step {pc.Step}: smoothed loss {Fmt.F(pc.LossBefore, 2)} → {Fmt.F(pc.LossAfter, 2)}."
    : $"No phase change detected ({PhaseChange.Rule}).");
HeadTables.Add(exp.Report, "final head scores", result.FinalHeads);
exp.Csv("loss.csv", new[] { "step", "train_loss" }, result.LossCurve.Select(p => (IReadOnlyList<string>)new[] { p.Step.ToString(), Fmt.F(p.Loss, 5) }));
exp.Csv("eval.csv", new[] { "step", "eval_loss", "eval_accuracy", "best_induction", "best_induction_head", "best_prev_token_l0" },
    observer.Rows.Select(r => (IReadOnlyList<string>)new[] { r.Step.ToString(), Fmt.F(r.Eval.Loss, 5), Fmt.F(r.Eval.Accuracy, 5),
        Fmt.F(r.Heads.Best(HeadRole.Induction).Induction, 4), r.Heads.Best(HeadRole.Induction).Name, Fmt.F(r.Heads.Heads.Where(h => h.Layer == 0).Max(h => h.PreviousToken), 4) }));

// When did an induction head first cross the threshold, and the best score over training.
var firstInduction = observer.Rows.FirstOrDefault(r => r.Heads.Named(HeadRole.Induction).Count > 0);
var bestInduction = observer.Rows.Max(r => r.Heads.Best(HeadRole.Induction).Induction);
exp.Result($"task repeated-copy periods {exp.VariablePeriods}, {steps} steps: loss {Fmt.F(result.LossCurve[0].Loss, 2)} (step {result.LossCurve[0].Step}) -> {Fmt.F(result.LossCurve[^1].Loss)} (step {steps}); held-out accuracy {Fmt.P(result.FinalEval.Accuracy)}");
exp.Result(phase is { } p1 ? $"phase change detected at step {p1.Step} (smoothed loss {Fmt.F(p1.LossBefore, 2)} -> {Fmt.F(p1.LossAfter, 2)})" : "phase change: none detected");
exp.Result($"first eval with an induction head above {result.FinalHeads.Threshold}: {(firstInduction is null ? "never" : "step " + firstInduction.Step)}; best induction score over training {Fmt.F(bestInduction)}");
exp.Result($"final heads: {HeadTables.Summary(result.FinalHeads)}");
string conclusion;
if (phase is { } p2 && firstInduction is not null && p2.Drop > 0.5)
{
    var gap = firstInduction.Step - p2.Step;
    conclusion = $"the loss falls abruptly at step {p2.Step} ({Fmt.F(p2.LossBefore, 2)} -> {Fmt.F(p2.LossAfter, 2)}) and the first induction head above threshold appears at step {firstInduction.Step} " +
                 (Math.Abs(gap) <= 150 ? "— in the same window: the phase change is the formation of the induction circuit." : $"({gap} steps apart): the two are not in the same window here.");
}
else if (firstInduction is null)
    conclusion = "no induction head formed in this run" + (phase is { } p3 ? $" (steepest loss fall at step {p3.Step}, drop {Fmt.F(p3.Drop, 2)})" : "") + ": train longer to see the phase change.";
else
    conclusion = $"induction heads formed (first at step {firstInduction.Step}) but no sharp loss drop was detected (drop {Fmt.F(phase?.Drop ?? 0, 2)}).";
exp.Conclude(conclusion);
exp.Save();

/// <summary>Records held-out evaluation and head scores at each evaluation.</summary>
public sealed class Curves : ITrainingObserver
{
    public sealed record Row(int Step, EvalResult Eval, HeadScoreTable Heads);
    public List<Row> Rows { get; } = new();
    public void OnEvaluation(int step, EvalResult eval, HeadScoreTable heads) => Rows.Add(new Row(step, eval, heads));
}
