// Dropout and the number of heads (docs/design.md §1: "why only one pair without dropout, and how does
// dropout change the count?"): variable-period models with and without dropout (on embeddings, attention
// patterns and residual writes), over several seeds. A head is counted twice: *named* when its score is
// above the threshold on an unseen period, *needed* when it is named and mean-ablating it alone raises
// held-out loss by at least --needed-loss nats (so four redundant heads that each do not matter are not
// "four heads"). The two settings pair by seed (dropout has no weights: the same seed gives both the same
// initialization and data order), so each difference is the mean of per-seed differences with its 95% t interval;
// the four differences are one family of claims under Holm's correction, each from at least 5 seeds
// (docs/design.md §4, statistics over seeds).
//   ./toolkit run scripts/dropout-heads.csx [--fast] [--out DIR] [--seeds 5] [--steps 1000] [--dropout 0.1] [--needed-loss 0.05]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Training;

var exp = new Experiment("dropout-heads", "Dropout and the number of previous-token and induction heads", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var steps = exp.Setting("--steps", 1000, 10);
var dropout = exp.Double("--dropout", 0.1);
var neededLoss = exp.Double("--needed-loss", 0.05);
var settings = new[] { 0.0, dropout };

sealed record Count(int NamedPrev, int NamedInd, int NeededPrev, int NeededInd, double Accuracy);
var rows = new List<IReadOnlyList<string>>();
var counts = settings.ToDictionary(p => p, _ => new List<Count>());
foreach (var p in settings)
    for (var s = 0; s < seeds; s++)
    {
        var seed = exp.Seed + s;
        var spec = exp.RepeatedCopy(exp.VariablePeriods);
        var result = exp.Train($"dropout-{p.ToString(System.Globalization.CultureInfo.InvariantCulture)}-seed-{seed}", exp.Model(p), spec, exp.Training(steps, seed, evalEvery: steps));
        var heads = result.FinalHeads;
        using var model = result.Run.LoadModel();
        using var batch = Batch.Sample(spec.Create(), Seeds.Derive(seed, Seeds.Stream.Probe, 3), exp.EvalCount, model.Device);
        var effects = Ablation.EveryHead(model, batch.Tokens, batch.LossMask, AblationKind.Mean);
        bool Needed(HeadScore h) => effects.First(e => e.Layer == h.Layer && e.Head == h.Head).LossIncrease >= neededLoss;
        var prev = heads.Named(HeadRole.PreviousToken);
        var ind = heads.Named(HeadRole.Induction);
        var c = new Count(prev.Count, ind.Count, prev.Count(Needed), ind.Count(Needed), result.FinalEval.Accuracy);
        counts[p].Add(c);
        rows.Add(new[] { Fmt.F(p, 2), seed.ToString(), c.NamedPrev.ToString(), c.NeededPrev.ToString(), c.NamedInd.ToString(), c.NeededInd.ToString(),
                         Fmt.Heads(prev.Where(Needed)), Fmt.Heads(ind.Where(Needed)), Fmt.F(c.Accuracy, 4) });
        HeadTables.Add(exp.Report, $"dropout {p}, seed {seed}: held-out accuracy {Fmt.P(c.Accuracy)}", heads);
        exp.Report.AddTable($"dropout {p}, seed {seed}: mean ablation of each head (held-out loss increase; needed ≥ {neededLoss})",
            new[] { "head", "loss increase", "accuracy drop" },
            effects.Select(e => (IReadOnlyList<string>)new[] { e.Name, Fmt.F(e.LossIncrease), Fmt.P(e.AccuracyDrop) }));
    }
var columns = new[] { "dropout", "seed", "previous-token named", "previous-token needed", "induction named", "induction needed", "needed previous-token", "needed induction", "held-out accuracy" };
exp.Csv("counts.csv", new[] { "dropout", "seed", "prev_named", "prev_needed", "ind_named", "ind_needed", "prev_needed_names", "ind_needed_names", "accuracy" }, rows);
exp.Report.AddTable($"heads per run ({steps} steps, periods {exp.VariablePeriods}; named: score > 0.4; needed: named and mean ablation raises loss ≥ {neededLoss})", columns, rows);

string MeanCi(IReadOnlyList<double> v) => MeanInterval.Of(v).Format(x => Fmt.F(x, 2));
var measures = new (string Name, Func<Count, double> Of)[]
{
    ("named previous-token heads", c => c.NamedPrev), ("needed previous-token heads", c => c.NeededPrev),
    ("named induction heads", c => c.NamedInd), ("needed induction heads", c => c.NeededInd), ("held-out accuracy", c => c.Accuracy),
};
exp.Report.AddBarChart($"mean heads per model over {seeds} seeds", "setting", "heads", settings.Select(p => $"dropout {p}").ToList(),
    measures.Take(4).Select(m => (m.Name, settings.Select(p => counts[p].Average(m.Of)).ToArray())).ToArray());
foreach (var p in settings)
    exp.Result($"dropout {p}, {seeds} seeds: " + string.Join("; ", measures.Select(m => $"{m.Name} per seed [{string.Join(", ", counts[p].Select(c => Fmt.F(m.Of(c), m.Name.Contains("accuracy") ? 3 : 0)))}], mean {MeanCi(counts[p].Select(m.Of).ToList())}")));

var (p0, p1) = (settings[0], settings[1]);
var claims = new ClaimFamily("dropout-heads");
var differences = measures.Take(4).Select(m => (m.Name, Claim: claims.Add(m.Name, MeanComparison.PairedOf(counts[p1].Select(m.Of).ToList(), counts[p0].Select(m.Of).ToList())))).ToList();
var findings = new List<string>();
foreach (var (name, claim) in differences)
{
    var text = claim.Detail(x => Fmt.F(x, 2));
    exp.Result($"{name}: dropout {p1} minus dropout {p0} = {text}: {claim.Words($"higher with dropout {p1} than with", $"lower with dropout {p1} than with", $"dropout {p0}")}");
    findings.Add(claim.Direction switch
    {
        Difference.Higher => $"more {name} with dropout ({text})",
        Difference.Lower => $"fewer {name} with dropout ({text})",
        Difference.TooFewSeeds => $"too few seeds for {name} ({seeds}, need {MeanComparison.MinSeeds})",
        _ => $"no resolved difference in {name} ({text})",
    });
}
exp.Claims(claims);
var learned = counts.Values.SelectMany(v => v).Count(c => c.Accuracy > 0.9);
exp.Conclude($"dropout {p1} against none over {seeds} seeds each: {string.Join("; ", findings)}; {learned} of {counts.Values.Sum(v => v.Count)} runs reached 90% held-out accuracy.");
exp.Save();
