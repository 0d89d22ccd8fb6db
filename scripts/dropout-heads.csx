// Dropout and the number of heads (docs/design.md §1: "why only one pair without dropout, and how does
// dropout change the count?"): variable-period models with and without dropout (on embeddings, attention
// patterns and residual writes), over several seeds. A head is counted twice: *named* when its score is
// above the threshold on an unseen period, *individually needed* when it is named and mean-ablating it alone
// raises held-out loss by at least --needed-loss nats. Single-head ablation cannot tell "not needed" from
// "redundant" (two heads that each cover for the other are each individually unneeded), so each role's named heads
// are also mean-ablated together: the held-out loss increase of the set is what the model needs from the role. The two settings pair by seed (dropout has no weights: the same seed gives both the same
// initialization and data order), so each difference is the mean of per-seed differences with its 95% t interval;
// the four differences are one family of claims under Holm's correction, each from at least 5 seeds
// (docs/design.md §4, statistics over seeds).
//   ./toolkit run scripts/dropout-heads.csx [--fast] [--out DIR] [--seeds 5] [--steps 1000] [--dropout 0.1] [--needed-loss 0.05]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Tasks;
using Toolkit.Training;

var exp = new Experiment("dropout-heads", "Dropout and the number of previous-token and induction heads", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var steps = exp.Setting("--steps", 1000, 10);
var dropout = exp.Double("--dropout", 0.1);
var neededLoss = exp.Double("--needed-loss", 0.05);
var settings = new[] { 0.0, dropout };

sealed record Count(int NamedPrev, int NamedInd, int NeededPrev, int NeededInd, double SetPrev, double SetInd, double Accuracy);
var rows = new List<IReadOnlyList<string>>();
var counts = settings.ToDictionary(p => p, _ => new List<Count>());
// Every run first, side by side where the cores allow (the seed runner), then each is analysed in order.
var trained = exp.TrainAll(settings.SelectMany(p => Enumerable.Range(0, seeds).Select(s =>
    ($"dropout-{p.ToString(System.Globalization.CultureInfo.InvariantCulture)}-seed-{exp.Seed + s}", exp.Model(p), exp.RepeatedCopy(exp.VariablePeriods),
     exp.Training(steps, exp.Seed + s, evalEvery: steps)))));
foreach (var (p, i) in settings.Select((p, i) => (p, i)))
    for (var s = 0; s < seeds; s++)
    {
        var seed = exp.Seed + s;
        var spec = exp.RepeatedCopy(exp.VariablePeriods);
        var result = trained[i * seeds + s];
        var heads = result.FinalHeads;
        using var model = result.Run.LoadModel();
        var examples = Sampling.examples(spec.Create(), Seeds.Derive(seed, Seeds.Stream.Probe, 3), exp.EvalCount);
        using var batch = Batch.ForEvaluation(model.Config, examples, model.Device);
        var effects = Ablation.EveryHead(model, batch, AblationKind.Mean);
        double SetLoss(IEnumerable<HeadScore> named)
        {
            var (clean, ablated) = HeadSetAblation.Evaluate(model, examples, named.Select(h => (h.Layer, h.Head)).ToList(), AblationKind.Mean);
            return ablated.Loss - clean.Loss;
        }
        bool Needed(HeadScore h) => effects.First(e => e.Layer == h.Layer && e.Head == h.Head).LossIncrease >= neededLoss;
        var prev = heads.Named(HeadRole.PreviousToken);
        var ind = heads.Named(HeadRole.Induction);
        var c = new Count(prev.Count, ind.Count, prev.Count(Needed), ind.Count(Needed), SetLoss(prev), SetLoss(ind), result.FinalEval.Accuracy);
        counts[p].Add(c);
        rows.Add(new[] { Fmt.F(p, 2), seed.ToString(), c.NamedPrev.ToString(), c.NeededPrev.ToString(), c.NamedInd.ToString(), c.NeededInd.ToString(),
                         Fmt.Heads(prev.Where(Needed)), Fmt.Heads(ind.Where(Needed)), Fmt.F(c.SetPrev, 3), Fmt.F(c.SetInd, 3), Fmt.F(c.Accuracy, 4) });
        HeadTables.Add(exp.Report, $"dropout {p}, seed {seed}: held-out accuracy {Fmt.P(c.Accuracy)}", heads);
        exp.Report.AddTable($"dropout {p}, seed {seed}: mean ablation of each head (held-out loss increase; needed ≥ {neededLoss})",
            new[] { "head", "loss increase", "accuracy drop" },
            effects.Select(e => (IReadOnlyList<string>)new[] { e.Name, Fmt.F(e.LossIncrease), Fmt.P(e.AccuracyDrop) }));
    }
var columns = new[] { "dropout", "seed", "previous-token named", "previous-token individually needed", "induction named", "induction individually needed", "individually needed previous-token", "individually needed induction", "previous-token set ablation (loss +)", "induction set ablation (loss +)", "held-out accuracy" };
exp.Csv("counts.csv", new[] { "dropout", "seed", "prev_named", "prev_needed", "ind_named", "ind_needed", "prev_needed_names", "ind_needed_names", "prev_set_loss_increase", "ind_set_loss_increase", "accuracy" }, rows);
exp.Report.AddTable($"heads per run ({steps} steps, periods {exp.VariablePeriods}; named: score > 0.4; individually needed: named and mean-ablating it alone raises loss ≥ {neededLoss}; set ablation: the role's named heads mean-ablated together)", columns, rows);

string MeanCi(IReadOnlyList<double> v) => MeanInterval.Of(v).Format(x => Fmt.F(x, 2));
var measures = new (string Name, Func<Count, double> Of)[]
{
    ("named previous-token heads", c => c.NamedPrev), ("individually needed previous-token heads", c => c.NeededPrev),
    ("named induction heads", c => c.NamedInd), ("individually needed induction heads", c => c.NeededInd),
    ("loss increase when the named previous-token heads are ablated together", c => c.SetPrev),
    ("loss increase when the named induction heads are ablated together", c => c.SetInd), ("held-out accuracy", c => c.Accuracy),
};
var compared = measures.Take(6).ToList();
exp.Report.AddBarChart($"mean heads per model over {seeds} seeds", "setting", "heads", settings.Select(p => $"dropout {p}").ToList(),
    compared.Take(4).Select(m => (m.Name, settings.Select(p => counts[p].Average(m.Of)).ToArray())).ToArray());
foreach (var p in settings)
    exp.Result($"dropout {p}, {seeds} seeds: " + string.Join("; ", measures.Select(m => $"{m.Name} per seed [{string.Join(", ", counts[p].Select(c => Fmt.F(m.Of(c), m.Name.Contains("heads") && !m.Name.Contains("loss") ? 0 : 3)))}], mean {MeanCi(counts[p].Select(m.Of).ToList())}")));

var (p0, p1) = (settings[0], settings[1]);
var claims = new ClaimFamily("dropout-heads");
var differences = compared.Select(m => (m.Name, Claim: claims.Add(m.Name, MeanComparison.PairedOf(counts[p1].Select(m.Of).ToList(), counts[p0].Select(m.Of).ToList())))).ToList();
var findings = new List<string>();
foreach (var (name, claim) in differences)
{
    var text = claim.Detail(x => Fmt.F(x, 2));
    exp.Result($"{name}: dropout {p1} minus dropout {p0} = {text}: {claim.Words($"higher with dropout {p1} than with", $"lower with dropout {p1} than with", $"dropout {p0}")}");
    findings.Add(claim.Direction switch
    {
        Difference.Higher => $"{name}: higher with dropout ({text})",
        Difference.Lower => $"{name}: lower with dropout ({text})",
        Difference.TooFewSeeds => $"too few seeds for {name} ({seeds}, need {MeanComparison.MinSeeds})",
        _ => $"no resolved difference in {name} ({text})",
    });
}
exp.Claims(claims);
var learned = counts.Values.SelectMany(v => v).Count(c => c.Accuracy > 0.9);
// Fewer individually needed heads with as large a set-ablation cost is redundancy, not a smaller circuit: say which.
var setInd = differences[5].Claim;
var redundancy = differences[3].Claim.Direction == Difference.Lower && setInd.Direction != Difference.Lower
    ? $" Fewer induction heads are individually needed with dropout while ablating them together costs {(setInd.Direction == Difference.Higher ? "more" : "no resolved less")}: dropout spreads the role over redundant heads; it does not make the model need fewer."
    : "";
exp.Conclude($"dropout {p1} against none over {seeds} seeds each: {string.Join("; ", findings)}; {learned} of {counts.Values.Sum(v => v.Count)} runs reached 90% held-out accuracy.{redundancy}");
exp.Save();
