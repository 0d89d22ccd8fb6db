// The memorization trap and its way out (docs/design.md §1): a fixed period (32) against variable periods
// (6..29 with random filler), each judged by the library's rule (`toolkit probe`): every probe of its task
// beside the position-only baseline, and the shortcut test (does the model predict what "copy from a fixed
// offset" predicts where that and the copy rule disagree?), with head tables.
//   ./toolkit run scripts/fixed-vs-variable-period.csx [--fast] [--out DIR] [--seed N] [--fixed-steps 1500] [--variable-steps 1500]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Verdicts;

var exp = new Experiment("fixed-vs-variable-period", "Fixed vs variable period: the memorization trap", Args);
var fixedSteps = exp.Setting("--fixed-steps", 1500, 20);
var variableSteps = exp.Setting("--variable-steps", 1500, 20);

var csv = new List<IReadOnlyList<string>>();
var verdicts = new List<(string Label, GeneralizationVerdict Verdict)>();
foreach (var (label, period, steps) in new[] { ("fixed", exp.FixedPeriod, fixedSteps), ("variable", exp.VariablePeriods, variableSteps) })
{
    var result = exp.Train(label, exp.Model(), exp.RepeatedCopy(period), exp.Training(steps));
    var verdict = VerdictTables.Judge(result);
    verdicts.Add(($"{label} ({(label == "fixed" ? "period " : "periods ")}{period})", verdict));
    exp.Report.AddHeading($"({label}) repeated-copy, period {period}, {steps} steps");
    exp.Report.AddParagraph($"Training loss {Fmt.F(result.LossCurve[0].Loss, 2)} → {Fmt.F(result.LossCurve[^1].Loss)}; held-out: {result.FinalEval}.");
    VerdictTables.Add(exp.Report, $"({label})", verdict);
    HeadTables.Add(exp.Report, $"({label}) head scores", result.FinalHeads);
    exp.Report.AddLineChart($"({label}) training loss", "step", "loss", new[] { ("loss", result.LossCurve.Select(p => (double)p.Step).ToArray(), result.LossCurve.Select(p => p.Loss).ToArray()) });
    csv.AddRange(VerdictTables.CsvRows(label, verdict));
    exp.Csv($"heads-{label}.csv", HeadTables.Columns, HeadTables.Rows(result.FinalHeads));
    exp.Result($"{label} (period {period}): heads {HeadTables.Summary(result.FinalHeads)}");
    VerdictTables.Results(exp, label, verdict);
}
exp.Csv("probes.csv", new[] { "model" }.Concat(VerdictTables.Columns).ToArray(), csv);
exp.Conclude(string.Join("; ", verdicts.Select(v => $"the {v.Label} model {v.Verdict.Headline}")) + ".");
exp.Save();
