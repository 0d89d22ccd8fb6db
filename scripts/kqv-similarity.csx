// Can circuits be found by comparing heads' K, Q, V projections (docs/design.md §1)? On trained variable-period
// models, for every layer-0 head A and layer-1 head B:
//  - subspace similarity (principal angles) between A's write space (W_O^A) and B's read spaces (W_Q^B, W_K^B, W_V^B),
//    and Q-, K-, V-composition (Elhage et al. 2021), each as a z-score against random matrices of the same shapes;
//    per seed, how far each measure separates the previous-token -> induction pairs from the others;
//  - head-vs-head similarity of Q, K, V (also through W_E) ranking the L0 -> L1 pairs, scored by R-precision against
//    the pairs ACDC keeps (toolkit circuit), against a random ranking.
// The study runs on attention-only models and on the same models with LayerNorm and MLPs (through which a layer-0
// write also reaches layer 1); MLP models train longer (--mlp-steps) because at 1,200 steps none formed a named
// previous-token -> induction pair. Over >= 5 seeds: t intervals, Welch between the two model kinds, all claims one
// Holm family (docs/design.md §4).
//   ./toolkit run scripts/kqv-similarity.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 1200] [--mlp-steps 3000]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Configs;
using Toolkit.Analysis;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Training;

var exp = new Experiment("kqv-similarity", "Do cooperating heads share subspaces? K/Q/V subspaces and composition", Args);
var steps = exp.Setting("--steps", 1200, 20);
var mlpSteps = exp.Setting("--mlp-steps", 3000, 50);
var seeds = exp.Setting("--seeds", 5, 2);
var samples = exp.Fast ? 20 : 200;
var measures = new[] { "Q-comp", "K-comp", "V-comp", "sim W_O/W_Q", "sim W_O/W_K", "sim W_O/W_V" };
var headMeasures = new[] { "Q/Q", "K/K", "V/V", "O/O", "Q/Q via W_E", "K/K via W_E", "V/V via W_E", "O/O via W_U" };
var headSubspaces = new[] { HeadSubspace.Q, HeadSubspace.K, HeadSubspace.V, HeadSubspace.O };
var rankers = measures.Concat(headMeasures).ToArray();
var acdcRows = new List<IReadOnlyList<string>>();
var allPairs = new List<IReadOnlyList<string>>();
var kinds = new (string Name, ModelConfig Model, int Steps)[]
{
    ("attention-only", exp.Model(), steps),
    ("with MLPs", exp.Model() with { AttnOnly = false, NormalizationType = Normalization.LN }, mlpSteps),
};
var studies = kinds.Select(kind => Study(kind.Name, kind.Model, kind.Steps)).ToList();

// What one kind of model gives: per seed, per measure the separation of the circuit pairs from the others (random
// sds) and per ranker the R-precision against ACDC's pairs, beside a random ranking's.
(List<double[]> Separations, List<double[]> Precision, List<double> RandomPrecision, List<double> Accuracy) Study(string kind, ModelConfig modelConfig, int steps)
{
    var accuracy = new List<double>(); // per seed: held-out accuracy
    var precision = new List<double[]>(); // per seed, per ranker: R-precision against ACDC's pairs
    var randomPrecision = new List<double>();
    var separations = new List<double[]>();   // per seed, per measure: (circuit mean - other mean) / random sd
    var tag = kind == kinds[0].Name ? "" : "mlp-";
    // The seeds side by side where the cores allow (the seed runner), then each is measured in order.
    var trained = exp.TrainAll(Enumerable.Range(0, seeds).Select(k =>
        ($"{tag}variable-seed{exp.Seed + k}", modelConfig, exp.RepeatedCopy(exp.VariablePeriods), exp.Training(steps, exp.Seed + k))));
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var result = trained[k];
        accuracy.Add(result.FinalEval.Accuracy);
        using var model = result.Run.LoadModel();
        var heads = result.FinalHeads;
        var cfg = model.Config;
        int nHeads = cfg.NHeads, dModel = cfg.DModel, dHead = cfg.HeadDim;
        var composition = Composition.Compute(model, samples, (ulong)seed + 17);
        var overlaps = Subspaces.Compute(model);
        var randomComposition = Composition.BaselineDistribution(dModel, dHead, samples, (ulong)seed + 17);
        var randomSimilarity = Subspaces.BaselineDistribution(dModel, dHead, samples, (int)seed + 23);
        var prevNamed = heads.Named(HeadRole.PreviousToken).Where(h => h.Layer == 0).Select(h => h.Head).ToHashSet();
        var indNamed = heads.Named(HeadRole.Induction).Where(h => h.Layer == 1).Select(h => h.Head).ToHashSet();
        double Overlap(int a, int b, HeadSubspace read) => overlaps.First(o => o.LayerA == 0 && o.HeadA == a && o.LayerB == 1 && o.HeadB == b && o.Read == read).MeanCos2;
        var pairs = new List<(bool Circuit, double[] Z, double[] Raw, string Name)>();
        for (var a = 0; a < nHeads; a++)
            for (var b = 0; b < nHeads; b++)
            {
                var raw = new[] { composition.Get(0, a, 1, b, CompositionKind.Q), composition.Get(0, a, 1, b, CompositionKind.K), composition.Get(0, a, 1, b, CompositionKind.V),
                                  Overlap(a, b, HeadSubspace.Q), Overlap(a, b, HeadSubspace.K), Overlap(a, b, HeadSubspace.V) };
                var z = raw.Select((x, i) => i < 3 ? (x - randomComposition.Mean) / randomComposition.Sd : (x - randomSimilarity.Mean) / randomSimilarity.Sd).ToArray();
                pairs.Add((prevNamed.Contains(a) && indNamed.Contains(b), z, raw, $"L0H{a}->L1H{b}"));
                allPairs.Add(new[] { kind, seed.ToString(), $"L0H{a}", $"L1H{b}", prevNamed.Contains(a) && indNamed.Contains(b) ? "1" : "0" }
                    .Concat(raw.Select(x => Fmt.F(x, 5))).Concat(z.Select(x => Fmt.F(x, 2))).ToArray());
            }

        // ACDC's circuit: the L0 -> L1 pairs it keeps an edge between (through Q, K or V), found without any role or measure.
        var task = exp.RepeatedCopy(exp.VariablePeriods).Create();
        var acdc = CircuitDiscovery.Find(model, PatchingInputs.FromTask(task, (ulong)seed + 31, exp.Fast ? 8 : 16, model.Device), CircuitMethod.Acdc);
        var connected = acdc.Circuit.Where(e => e.Edge.Sender.Kind == GraphNodeKind.Head && e.Edge.Receiver.Kind == GraphNodeKind.Head
                                               && e.Edge.Sender.Layer == 0 && e.Edge.Receiver.Layer == 1)
            .Select(e => (e.Edge.Sender.Head, e.Edge.Receiver.Head)).ToHashSet();
        acdcRows.Add(new[] { kind, seed.ToString(), string.Join(" ", acdc.Circuit.Where(e => e.Edge.Sender.Kind == GraphNodeKind.Head && e.Edge.Receiver.Kind == GraphNodeKind.Head).Select(e => $"{e.Name}({Fmt.F(e.Effect, 3)})")), Fmt.P(acdc.Faithfulness) });
        // Each head-vs-head similarity against random heads of the same shapes (in token space: through W_E for what a
        // head reads, through W_U for what it writes).
        var headBaseline = Subspaces.HeadSimilarityBaseline(model, throughTokens: false, samples, (int)seed + 41);
        var readBaseline = Subspaces.HeadSimilarityBaseline(model, throughTokens: true, samples, (int)seed + 43, HeadSubspace.Q);
        var writeBaseline = Subspaces.HeadSimilarityBaseline(model, throughTokens: true, samples, (int)seed + 47, HeadSubspace.O);
        double HeadZ(int a, int b, HeadSubspace which, bool viaTokens)
        {
            var (mean, sd) = !viaTokens ? headBaseline : which == HeadSubspace.O ? writeBaseline : readBaseline;
            return (Subspaces.HeadSimilarity(model, (0, a), (1, b), which, viaTokens) - mean) / sd;
        }
        var rankings = new List<(int A, int B, double[] Z)>();
        for (var a = 0; a < nHeads; a++)
            for (var b = 0; b < nHeads; b++)
            {
                var z = pairs.First(p => p.Name == $"L0H{a}->L1H{b}").Z
                    .Concat(headSubspaces.Select(x => HeadZ(a, b, x, false)))
                    .Concat(headSubspaces.Select(x => HeadZ(a, b, x, true))).ToArray();
                rankings.Add((a, b, z));
            }
        if (connected.Count == 0 || connected.Count == rankings.Count)
            exp.Result($"{kind}, seed {seed}: ACDC connects {connected.Count} of {rankings.Count} L0 -> L1 pairs: no ranking to score");
        else
        {
            var top = connected.Count;
            var perRanker = rankers.Select((_, i) => (double)rankings.OrderByDescending(r => r.Z[i]).Take(top).Count(r => connected.Contains((r.A, r.B))) / top).ToArray();
            precision.Add(perRanker);
            randomPrecision.Add((double)top / rankings.Count);
            exp.Result($"{kind}, seed {seed}: ACDC connects {string.Join(", ", connected.Select(c => $"L0H{c.Item1}->L1H{c.Item2}"))} (faithfulness {Fmt.P(acdc.Faithfulness)}); " +
                       $"precision of the top {top} pairs: " + string.Join(", ", rankers.Select((m, i) => $"{m} {Fmt.P(perRanker[i])}")) + $" (random ranking {Fmt.P((double)top / rankings.Count)})");
        }

        var circuit = pairs.Where(p => p.Circuit).ToList();
        var others = pairs.Where(p => !p.Circuit).ToList();
        exp.Report.AddHeading($"{kind}, seed {seed}: {HeadTables.Summary(heads)}; held-out accuracy {Fmt.P(result.FinalEval.Accuracy)}");
        exp.Report.AddTable($"{kind}, seed {seed}: every L0 -> L1 pair as z-scores against random (composition random {Fmt.F(randomComposition.Mean)} ± {Fmt.F(randomComposition.Sd)}, subspace similarity random {Fmt.F(randomSimilarity.Mean)} ± {Fmt.F(randomSimilarity.Sd)})",
            new[] { "pair", "circuit pair" }.Concat(measures).ToArray(),
            pairs.Select(p => (IReadOnlyList<string>)new[] { p.Name, p.Circuit ? "yes" : "" }.Concat(p.Z.Select(x => Fmt.F(x, 1))).ToArray()));
        if (circuit.Count == 0 || others.Count == 0)
        {
            exp.Result($"{kind}, seed {seed}: {circuit.Count} circuit pairs and {others.Count} other pairs: no separation measurable ({HeadTables.Summary(heads)})");
            continue;
        }
        var sep = Enumerable.Range(0, measures.Length).Select(i => circuit.Average(p => p.Z[i]) - others.Average(p => p.Z[i])).ToArray();
        separations.Add(sep);
        exp.Result($"{kind}, seed {seed}: {circuit.Count} circuit pairs, {others.Count} other pairs; separation in random-sd units: " +
                   string.Join(", ", measures.Select((m, i) => $"{m} {Fmt.F(sep[i], 1)}")));
    }
    return (separations, precision, randomPrecision, accuracy);
}
exp.Csv("acdc.csv", new[] { "model", "seed", "head-to-head edges kept (effect)", "faithfulness" }, acdcRows);
exp.Csv("pairs.csv", new[] { "model", "seed", "a", "b", "circuit" }.Concat(measures.Select(m => "raw " + m)).Concat(measures.Select(m => "z " + m)).ToArray(), allPairs);

// Every claim of the script is one family under Holm's correction (docs/design.md §4, statistics over seeds): per kind of
// model, each ranker's R-precision above a random ranking (paired by seed), the W_O/W_K similarity's and K-composition's
// separation from 0 and their paired difference; and, models with MLPs against attention-only (Welch: different models),
// each measure's separation and each ranker's R-precision above random. All are added before any decision is read.
var claims = new ClaimFamily("kqv-similarity");
int K = Array.IndexOf(measures, "K-comp"), S = Array.IndexOf(measures, "sim W_O/W_K");
List<double> Column(List<double[]> rows, int i) => rows.Select(r => r[i]).ToList();
List<double> Excess((List<double[]> Separations, List<double[]> Precision, List<double> RandomPrecision, List<double> Accuracy) study, int i) =>
    study.Precision.Select((p, seed) => p[i] - study.RandomPrecision[seed]).ToList();
var aboveRandom = studies.Select((st, s) => rankers.Select((_, i) => claims.Add($"{kinds[s].Name}: R-precision of {rankers[i]} above random", MeanComparison.FromZero(Excess(st, i)) with { Paired = true })).ToList()).ToList();
var separationClaims = studies.Select((st, s) => (
    Sim: claims.Add($"{kinds[s].Name}: W_O/W_K similarity separation", MeanComparison.FromZero(Column(st.Separations, S))),
    KVsSim: claims.Add($"{kinds[s].Name}: K-composition against W_O/W_K similarity separation", MeanComparison.PairedOf(Column(st.Separations, K), Column(st.Separations, S))),
    K: claims.Add($"{kinds[s].Name}: K-composition separation", MeanComparison.FromZero(Column(st.Separations, K))))).ToList();
var mlpSeparation = measures.Select((name, i) => claims.Add($"MLP effect on {name} separation", MeanComparison.Of(Column(studies[1].Separations, i), Column(studies[0].Separations, i)))).ToList();
var mlpPrecision = rankers.Select((name, i) => claims.Add($"MLP effect on {name} R-precision above random", MeanComparison.Of(Excess(studies[1], i), Excess(studies[0], i)))).ToList();

var conclusions = kinds.Select((kind, i) => $"{kind.Name}: " + Conclusion(kind.Name, i)).ToList();
conclusions.Add(MlpEffect());
exp.Claims(claims);
exp.Conclude(string.Join(" ", conclusions));
exp.Save();

// The MLP's effect: each measure's separation and R-precision above its random ranking, models with MLPs minus
// attention-only, over seeds. R-precision is compared as its excess over the random ranking of the same seed (k / pairs
// depends on how many pairs ACDC connects, which the MLP changes), never raw.
string MlpEffect()
{
    var (a, m) = (studies[0], studies[1]);
    var effects = new List<string>();
    // Whether the MLP models formed the circuit the measures look for at all: without it, a difference says as much
    // about the circuit as about the measures.
    var formation = $"named previous-token -> induction pairs formed in {m.Separations.Count} of {seeds} seeds with MLPs and {a.Separations.Count} of {seeds} " +
                    $"attention-only (held-out accuracy {Fmt.P(m.Accuracy.Average())} against {Fmt.P(a.Accuracy.Average())})";
    exp.Result($"MLP effect on the circuit: {formation}");
    foreach (var (name, c) in measures.Zip(mlpSeparation))
    {
        exp.Result($"MLP effect on {name} separation: " + (c.Direction == Difference.TooFewSeeds ? c.Words("", "", "attention-only")
            : $"with MLPs minus attention-only {c.Detail(x => Fmt.F(x, 1))} sds: {c.Words("larger than", "smaller than", "attention-only")}"));
        if (c.Shown) effects.Add($"{name} separation {c.Words("larger", "smaller", "")}");
    }
    foreach (var (name, c) in rankers.Zip(mlpPrecision))
    {
        exp.Result($"MLP effect on {name} R-precision above a random ranking: " + (c.Direction == Difference.TooFewSeeds ? c.Words("", "", "attention-only")
            : $"with MLPs minus attention-only {c.Detail(Fmt.P)}: {c.Words("higher than", "lower than", "attention-only")}"));
        if (c.Shown) effects.Add($"{name} R-precision above random {c.Words("higher", "lower", "")}");
    }
    return $"The MLP: {formation}" + (m.Separations.Count < MeanComparison.MinSeeds ? ", so with MLPs the task is solved without the circuit these measures look for in most seeds, and the comparison below is between different circuits" : "") +
           "; with MLPs against attention-only (after Holm's correction over the script's claims): " +
           (effects.Count == 0 ? "no measure's separation or R-precision above random differs resolvably." : string.Join(", ", effects) + ".");
}

string Ranking(int study, string kind)
{
    var (precision, randomPrecision) = (studies[study].Precision, studies[study].RandomPrecision);
    if (precision.Count < MeanComparison.MinSeeds) return $" ACDC gave a scoreable set of pairs in {precision.Count} of {seeds} seeds: too few to rank the measures (need {MeanComparison.MinSeeds}).";
    var lines = rankers.Select((m, i) => (m, Mean: MeanInterval.Of(precision.Select(p => p[i]).ToList()), Claim: aboveRandom[study][i])).ToList();
    foreach (var (m, mean, claim) in lines)
        exp.Result($"{kind}, {m}: precision of its top pairs against ACDC's over {precision.Count} seeds {mean.Format(Fmt.P)}; minus a random ranking's {Fmt.P(randomPrecision.Average())}: {claim.Detail(Fmt.P)}: {claim.Words("above", "below", "random")}");
    var beat = lines.Where(l => l.Claim.Direction == Difference.Higher).Select(l => l.m).ToList();
    var headOnes = lines.Where(l => headMeasures.Contains(l.m)).ToList();
    return $" Against ACDC's circuit (R-precision over {precision.Count} seeds; a random ranking scores {Fmt.P(randomPrecision.Average())}): " +
           (beat.Count == 0 ? "no measure ranks ACDC's pairs resolvably above random" : $"{string.Join(", ", beat)} rank ACDC's pairs resolvably above random") +
           $"; the notes' head-vs-head similarities score {string.Join(", ", headOnes.Select(l => $"{l.m} {Fmt.P(l.Mean.Mean)}"))}" +
           (headOnes.Any(l => l.Claim.Direction == Difference.Higher) ? "." : ", none resolvably above random: similar projections do not find this circuit.");
}
string MeanCi(IReadOnlyList<double> v) => MeanInterval.Of(v).Format(x => Fmt.F(x, 1));

string Conclusion(string kind, int study)
{
    var separations = studies[study].Separations;
    if (separations.Count < MeanComparison.MinSeeds)
        return $"only {separations.Count} of {seeds} seeds formed both named previous-token and induction heads: too few to compare the measures (need {MeanComparison.MinSeeds}; train longer or use more seeds)." + Ranking(study, kind);
    foreach (var (m, i) in measures.Select((m, i) => (m, i)))
        exp.Result($"{kind}, {m}: separation of circuit pairs from the other pairs over {separations.Count} seeds, in random-sd units: {MeanCi(Column(separations, i))}");
    var (sim, kVsSim, k) = separationClaims[study];
    string F1(double x) => Fmt.F(x, 1);
    return $"over {separations.Count} seeds, K-composition separates the circuit pairs by {MeanCi(Column(separations, K))} random sds and W_O/W_K subspace similarity by {MeanCi(Column(separations, S))}; " +
        (sim.Direction == Difference.Higher ? "the subspace similarity does single the circuit pairs out" : sim.Direction == Difference.Lower ? "the subspace similarity ranks the circuit pairs below the others" : "the subspace similarity does not resolve the circuit pairs from the others") +
        $" ({sim.Evidence})" +
        (kVsSim.Direction == Difference.Higher ? $", and K-composition separates them better (paired difference {kVsSim.Detail(F1)} sds): what finds the circuit is how W_OV maps into W_QK, more than whether the spaces overlap"
         : kVsSim.Direction == Difference.Lower ? $", and better than K-composition (paired difference {kVsSim.Detail(F1)} sds)"
         : $"; the two measures' separations do not differ resolvably (paired difference {kVsSim.Detail(F1)} sds)") +
        (k.Direction == Difference.Higher ? $" ({k.Evidence} for K-composition's own separation)." : $"; K-composition itself does not resolve them either ({k.Evidence}).") + Ranking(study, kind);
}
