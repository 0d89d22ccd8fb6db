// The memorization trap and its way out (docs/design.md §1): a fixed period (32) against variable periods
// (6..29 with random filler), each judged by the library's rule (`toolkit probe`): every probe of its task
// beside the position-only baseline, and the shortcut test (does the model predict what "copy from a fixed
// offset" predicts where that and the copy rule disagree?), with head tables, over several seeds.
//   ./toolkit run scripts/fixed-vs-variable-period.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--fixed-steps 1500] [--variable-steps 1500]
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

var seeds = exp.Setting("--seeds", 5, 2);
var csv = new List<IReadOnlyList<string>>();
var verdicts = new List<(string Label, List<GeneralizationVerdict> PerSeed)>();
var arms = new[] { ("fixed", exp.FixedPeriod, fixedSteps), ("variable", exp.VariablePeriods, variableSteps) };
// Every run first, side by side where the cores allow (the seed runner), then each is judged in order.
var trained = exp.TrainAll(arms.SelectMany(a => Enumerable.Range(0, seeds).Select(k =>
    ($"{a.Item1}-seed{exp.Seed + k}", exp.Model(), exp.RepeatedCopy(a.Item2), exp.Training(a.Item3, exp.Seed + k)))));
foreach (var (arm, (label, period, steps)) in arms.Select((a, i) => (i, a)))
{
    var perSeed = new List<GeneralizationVerdict>();
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var name = $"{label}-seed{seed}";
        var result = trained[arm * seeds + k];
        var verdict = VerdictTables.Judge(result);
        perSeed.Add(verdict);
        exp.Report.AddHeading($"({label}) repeated-copy, period {period}, {steps} steps, seed {seed}");
        exp.Report.AddParagraph($"Training loss {Fmt.F(result.LossCurve[0].Loss, 2)} → {Fmt.F(result.LossCurve[^1].Loss)}; {result.EvalLabel}: {result.FinalEval}.");
        VerdictTables.Add(exp.Report, $"({name})", verdict);
        HeadTables.Add(exp.Report, $"({name}) head scores", result.FinalHeads);
        csv.AddRange(VerdictTables.CsvRows(name, verdict));
        exp.Csv($"heads-{name}.csv", HeadTables.Columns, HeadTables.Rows(result.FinalHeads));
        exp.Result($"{name} (period {period}): heads {HeadTables.Summary(result.FinalHeads)}");
        VerdictTables.Results(exp, name, verdict);
    }
    VerdictTables.Measures(exp, $"{label} period", perSeed);
    verdicts.Add(($"{label}-period ({(label == "fixed" ? "period " : "periods ")}{period})", perSeed));
}
exp.Csv("probes.csv", new[] { "model" }.Concat(VerdictTables.Columns).ToArray(), csv);
exp.Conclude(string.Join("; ", verdicts.Select(v => $"the {v.Label} model {VerdictKinds.Tally(v.PerSeed.Select(x => x.Kind).ToList())}")) + " (library rule, printed with each verdict).");
exp.Save();
