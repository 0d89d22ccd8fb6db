// Dropout and the number of heads (docs/design.md §1: "why only one pair without dropout, and how does
// dropout change the count?"): variable-period models with and without dropout (on embeddings,
// attention patterns and residual writes), over several seeds; counts of previous-token and
// induction heads (score > 0.4 on an unseen period).
//   ./toolkit run scripts/dropout-heads.csx [--fast] [--out DIR] [--seeds 3] [--steps 1000] [--dropout 0.1]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Training;

var exp = new Experiment("dropout-heads", "Dropout and the number of previous-token and induction heads", Args);
var seeds = exp.Setting("--seeds", 3, 2);
var steps = exp.Setting("--steps", 1000, 10);
var dropout = exp.Double("--dropout", 0.1);
var settings = new[] { 0.0, dropout };

var rows = new List<IReadOnlyList<string>>();
var counts = new Dictionary<double, List<(int Prev, int Ind, double Acc)>>();
foreach (var p in settings)
{
    counts[p] = new();
    for (var s = 0; s < seeds; s++)
    {
        var seed = exp.Seed + s;
        var result = exp.Train($"dropout-{p.ToString(System.Globalization.CultureInfo.InvariantCulture)}-seed-{seed}", exp.Model(p), exp.RepeatedCopy(exp.VariablePeriods), exp.Training(steps, seed, evalEvery: steps));
        var heads = result.FinalHeads;
        var prev = heads.Named(HeadRole.PreviousToken);
        var ind = heads.Named(HeadRole.Induction);
        counts[p].Add((prev.Count, ind.Count, result.FinalEval.Accuracy));
        rows.Add(new[] { Fmt.F(p, 2), seed.ToString(), prev.Count.ToString(), ind.Count.ToString(), Fmt.Heads(prev), Fmt.Heads(ind), Fmt.F(result.FinalEval.Accuracy, 4) });
        HeadTables.Add(exp.Report, $"dropout {p}, seed {seed}: held-out accuracy {Fmt.P(result.FinalEval.Accuracy)}", heads);
        exp.Csv($"heads-dropout-{p}-seed-{seed}.csv", HeadTables.Columns, HeadTables.Rows(heads));
    }
}
var columns = new[] { "dropout", "seed", "previous-token heads", "induction heads", "previous-token names", "induction names", "held-out accuracy" };
exp.Csv("counts.csv", new[] { "dropout", "seed", "prev_token_heads", "induction_heads", "prev_token_names", "induction_names", "accuracy" }, rows);
exp.Report.AddTable($"heads above 0.4 per run ({steps} steps, periods {exp.VariablePeriods})", columns, rows);
double Mean(double p, Func<(int Prev, int Ind, double Acc), double> f) => counts[p].Average(f);
var categories = settings.Select(p => $"dropout {p}").ToList();
exp.Report.AddBarChart($"mean number of heads above 0.4 over {seeds} seeds", "setting", "heads", categories,
    new[] { ("previous-token", settings.Select(p => Mean(p, c => c.Prev)).ToArray()), ("induction", settings.Select(p => Mean(p, c => c.Ind)).ToArray()) });

foreach (var p in settings)
    exp.Result($"dropout {p}: previous-token heads per seed [{string.Join(", ", counts[p].Select(c => c.Prev))}] (mean {Fmt.F(Mean(p, c => c.Prev), 2)}), " +
               $"induction heads [{string.Join(", ", counts[p].Select(c => c.Ind))}] (mean {Fmt.F(Mean(p, c => c.Ind), 2)}), held-out accuracy [{string.Join(", ", counts[p].Select(c => Fmt.P(c.Acc)))}]");
var (p0, p1) = (settings[0], settings[1]);
double d0 = Mean(p0, c => c.Prev + c.Ind), d1 = Mean(p1, c => c.Prev + c.Ind);
var learned = counts.Values.SelectMany(v => v).Count(c => c.Acc > 0.9);
var total = counts.Values.Sum(v => v.Count);
exp.Conclude((d1 > d0 + 0.5 ? $"with dropout {p1} more heads take a role ({Fmt.F(d1, 1)} vs {Fmt.F(d0, 1)} named heads per model on average): dropout spreads the circuit over redundant heads"
            : d1 < d0 - 0.5 ? $"with dropout {p1} fewer heads take a role ({Fmt.F(d1, 1)} vs {Fmt.F(d0, 1)} per model)"
            : $"dropout {p1} does not change the count much here ({Fmt.F(d1, 1)} vs {Fmt.F(d0, 1)} named heads per model)")
            + $"; {learned} of {total} runs learned the task (held-out accuracy > 90%), over {seeds} seeds — a small sample.");
exp.Save();
