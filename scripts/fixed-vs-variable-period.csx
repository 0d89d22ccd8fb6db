// The memorization trap and its way out (docs/design.md §1): a fixed period (32) against variable periods
// (6..29 with random filler), each probed on distribution shifts, with the position-only baseline
// (the memorizing solution, measured) beside the model's accuracy on every probe, and head tables.
//   ./toolkit run scripts/fixed-vs-variable-period.csx [--fast] [--out DIR] [--seed N] [--fixed-steps 600] [--variable-steps 1500]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

var exp = new Experiment("fixed-vs-variable-period", "Fixed vs variable period: the memorization trap", Args);
var fixedSteps = exp.Setting("--fixed-steps", 600, 20);
var variableSteps = exp.Setting("--variable-steps", 1500, 20);

// Probes shared by both models: the other model's distribution and the demo's moved repeat.
var common = new List<(string, string, ITask)>
{
    ($"fixed period {exp.FixedPeriod}", "cross", exp.RepeatedCopy(exp.FixedPeriod).Create()),
    ($"variable periods {exp.VariablePeriods}", "cross", exp.RepeatedCopy(exp.VariablePeriods).Create()),
    (exp.Fast ? "period 5 from position 2" : "period 20 from position 5", "cross", exp.RepeatedCopy(exp.Fast ? "5" : "20", exp.Fast ? "2" : "5").Create()),
};

var rows = new List<IReadOnlyList<string>>();
var summary = new Dictionary<string, (TrainingResult Result, List<Probes.Row> Probes)>();
foreach (var (label, period, steps) in new[] { ("fixed", exp.FixedPeriod, fixedSteps), ("variable", exp.VariablePeriods, variableSteps) })
{
    var spec = exp.RepeatedCopy(period);
    var result = exp.Train(label, exp.Model(), spec, exp.Training(steps));
    var task = spec.Create();
    using var model = result.Run.LoadModel();
    var probes = Probes.Measure(model, task, Probes.Of(task).Concat(common), exp.Seed, exp.EvalCount);
    summary[label] = (result, probes);
    exp.Report.AddHeading($"({label}) repeated-copy, period {period}, {steps} steps");
    exp.Report.AddParagraph($"Training loss {Fmt.F(result.LossCurve[0].Loss, 2)} → {Fmt.F(result.LossCurve[^1].Loss)}; held-out: {result.FinalEval}.");
    exp.Report.AddTable($"({label}) accuracy on predictable positions, beside the position-only baseline fitted on this model's training data",
        Probes.Columns, Probes.Rows(probes));
    HeadTables.Add(exp.Report, $"({label}) head scores", result.FinalHeads);
    exp.Report.AddLineChart($"({label}) training loss", "step", "loss", new[] { ("loss", result.LossCurve.Select(p => (double)p.Step).ToArray(), result.LossCurve.Select(p => p.Loss).ToArray()) });
    foreach (var p in probes)
        rows.Add(new[] { label, p.Name, p.Kind, Fmt.F(p.Eval.Accuracy, 4), Fmt.F(p.Eval.AccuracyLow, 4), Fmt.F(p.Eval.AccuracyHigh, 4), Fmt.F(p.Eval.Loss, 4), Fmt.F(p.Baseline, 4), Fmt.F(p.Chance, 4) });
    exp.Csv($"heads-{label}.csv", HeadTables.Columns, HeadTables.Rows(result.FinalHeads));
}
exp.Csv("probes.csv", new[] { "model", "probe", "kind", "accuracy", "acc_low", "acc_high", "loss", "position_baseline", "chance" }, rows);

foreach (var (label, (result, probes)) in summary)
{
    exp.Result($"{label} ({(label == "fixed" ? "period " + exp.FixedPeriod : "periods " + exp.VariablePeriods)}): heads {HeadTables.Summary(result.FinalHeads)}");
    foreach (var p in probes)
        exp.Result($"{label} on {p.Name} [{p.Kind}]: model {Fmt.P(p.Eval.Accuracy)} (loss {Fmt.F(p.Eval.Loss, 2)}), position-only baseline {Fmt.P(p.Baseline)}, chance {Fmt.P(p.Chance)}");
}

// Conclusion from the measured numbers: the moved repeat (last common probe) decides.
var moved = common[^1].Item1;
string Verdict(string label)
{
    var (result, probes) = summary[label];
    var inDist = probes[0].Eval.Accuracy;
    var m = probes.First(p => p.Name == moved);
    if (inDist < 0.9) return $"the {label}-period model did not learn its own task ({Fmt.P(inDist)}), so nothing can be said";
    if (m.Eval.Accuracy < 0.5)
        return $"the {label}-period model fits its training data ({Fmt.P(inDist)}) but scores {Fmt.P(m.Eval.Accuracy)} on the {moved} probe " +
               $"(position-only baseline {Fmt.P(m.Baseline)}): it memorized positions" + (result.FinalHeads.Named(HeadRole.Induction).Count == 0 ? ", with no induction head" : "");
    return $"the {label}-period model fits its data ({Fmt.P(inDist)}) and copies the {moved} probe ({Fmt.P(m.Eval.Accuracy)}, baseline {Fmt.P(m.Baseline)}): " +
           $"a general rule ({HeadTables.Summary(result.FinalHeads)})";
}
exp.Conclude(Verdict("fixed") + "; " + Verdict("variable") + ".");
exp.Save();
