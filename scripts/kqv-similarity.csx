// Do cooperating heads share subspaces? (docs/design.md §1: "do the red and blue heads project tokens into
// a shared subspace ... can we find circuits simply by comparing the heads' K, Q, V projections?")
// On a trained variable-period model, for every layer-0 head A and layer-1 head B:
//  - subspace similarity (mean squared cosine of principal angles) between A's write space (row space
//    of W_O^A) and B's read spaces (column spaces of W_Q^B, W_K^B, W_V^B), with its random baseline;
//  - Q-, K-, V-composition scores ||W_OV^A R|| / (||W_OV^A|| ||R||) (Elhage et al. 2021), with theirs.
// The induction circuit is previous-token head → induction head by K-composition; the question is
// whether the K-subspace similarity alone picks that pair out.
//   ./toolkit run scripts/kqv-similarity.csx [--fast] [--out DIR] [--seed N] [--steps 1200]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Training;

var exp = new Experiment("kqv-similarity", "Do cooperating heads share subspaces? K/Q/V subspaces and composition", Args);
var steps = exp.Setting("--steps", 1200, 20);
var result = exp.Train("variable", exp.Model(), exp.RepeatedCopy(exp.VariablePeriods), exp.Training(steps));
var model = result.Run.LoadModel(); // (a top-level `using var` is not allowed in scripts)
var heads = result.FinalHeads;
var cfg = model.Config;
int nHeads = cfg.NHeads, dModel = cfg.DModel, dHead = cfg.HeadDim;
var samples = exp.Fast ? 20 : 200;
var composition = Composition.Compute(model, samples, (ulong)exp.Seed + 17);
var overlaps = Subspaces.Compute(model);
var randomComposition = composition.Baseline;
var randomSimilarity = Subspaces.Baseline(dModel, dHead, samples, (int)exp.Seed + 23);

var prevNamed = heads.Named(HeadRole.PreviousToken).Where(h => h.Layer == 0).Select(h => h.Head).ToHashSet();
var indNamed = heads.Named(HeadRole.Induction).Where(h => h.Layer == 1).Select(h => h.Head).ToHashSet();
double Overlap(int a, int b, HeadSubspace read) => overlaps.First(o => o.LayerA == 0 && o.HeadA == a && o.LayerB == 1 && o.HeadB == b && o.Read == read).MeanCos2;
var pairs = new List<Pair>();
for (var a = 0; a < nHeads; a++)
    for (var b = 0; b < nHeads; b++)
        pairs.Add(new Pair(a, b, prevNamed.Contains(a) && indNamed.Contains(b),
            composition.Get(0, a, 1, b, CompositionKind.Q), composition.Get(0, a, 1, b, CompositionKind.K), composition.Get(0, a, 1, b, CompositionKind.V),
            Overlap(a, b, HeadSubspace.Q), Overlap(a, b, HeadSubspace.K), Overlap(a, b, HeadSubspace.V)));

var columns = new[] { "L0 head (writes)", "L1 head (reads)", "circuit pair", "Q-comp", "K-comp", "V-comp", "sim W_O/W_Q", "sim W_O/W_K", "sim W_O/W_V" };
var rows = pairs.Select(p => (IReadOnlyList<string>)new[] { $"L0H{p.A}", $"L1H{p.B}", p.Circuit ? "yes" : "", Fmt.F(p.QComp), Fmt.F(p.KComp), Fmt.F(p.VComp), Fmt.F(p.SimQ), Fmt.F(p.SimK), Fmt.F(p.SimV) }).ToList();
exp.Csv("pairs.csv", new[] { "a", "b", "circuit", "q_comp", "k_comp", "v_comp", "sim_q", "sim_k", "sim_v" },
    pairs.Select(p => (IReadOnlyList<string>)new[] { $"L0H{p.A}", $"L1H{p.B}", p.Circuit ? "1" : "0", Fmt.F(p.QComp, 5), Fmt.F(p.KComp, 5), Fmt.F(p.VComp, 5), Fmt.F(p.SimQ, 5), Fmt.F(p.SimK, 5), Fmt.F(p.SimV, 5) }));
HeadTables.Add(exp.Report, "head scores (circuit pair = named previous-token head in L0 × named induction head in L1)", heads);
exp.Report.AddTable($"every L0 → L1 pair; random baselines: composition {Fmt.F(randomComposition)}, subspace similarity {Fmt.F(randomSimilarity)} (≈ d_head/d_model = {Fmt.F((double)dHead / dModel)})", columns, rows);
var labelsA = Enumerable.Range(0, nHeads).Select(a => $"L0H{a}").ToArray();
var labelsB = Enumerable.Range(0, nHeads).Select(b => $"L1H{b}").ToArray();
double[,] Grid(Func<Pair, double> f) { var z = new double[nHeads, nHeads]; foreach (var p in pairs) z[p.A, p.B] = f(p); return z; }
exp.Report.AddHeatmap("K-composition (rows: L0 writer, columns: L1 reader)", Grid(p => p.KComp), labelsB, labelsA);
exp.Report.AddHeatmap("subspace similarity W_O (L0) vs W_K (L1)", Grid(p => p.SimK), labelsB, labelsA);
exp.Report.AddBarChart("mean over pairs: circuit pairs vs the others vs random", "measure", "score", new[] { "Q-comp", "K-comp", "V-comp", "sim Q", "sim K", "sim V" },
    new[] { ("circuit pairs", Means(pairs.Where(p => p.Circuit))), ("other pairs", Means(pairs.Where(p => !p.Circuit))),
            ("random", new[] { randomComposition, randomComposition, randomComposition, randomSimilarity, randomSimilarity, randomSimilarity }) });

double Pearson(IEnumerable<(double X, double Y)> xy)
{
    var l = xy.ToList(); double mx = l.Average(v => v.X), my = l.Average(v => v.Y);
    double sxy = l.Sum(v => (v.X - mx) * (v.Y - my)), sxx = l.Sum(v => (v.X - mx) * (v.X - mx)), syy = l.Sum(v => (v.Y - my) * (v.Y - my));
    return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
}
var circuit = pairs.Where(p => p.Circuit).ToList();
var others = pairs.Where(p => !p.Circuit).ToList();
var topK = pairs.MaxBy(p => p.KComp)!;
var topSimK = pairs.MaxBy(p => p.SimK)!;
exp.Result($"model: variable periods {exp.VariablePeriods}, {steps} steps, held-out accuracy {Fmt.P(result.FinalEval.Accuracy)}; heads {HeadTables.Summary(heads)}");
exp.Result($"random baselines: composition {Fmt.F(randomComposition)}, subspace similarity {Fmt.F(randomSimilarity)} (d_head/d_model {Fmt.F((double)dHead / dModel)})");
var m = Means(circuit); var o = Means(others);
exp.Result(circuit.Count == 0 ? "circuit pairs: none (no named previous-token head in L0 with a named induction head in L1)"
    : $"circuit pairs ({circuit.Count}): K-comp {Fmt.F(m[1])}, Q-comp {Fmt.F(m[0])}, V-comp {Fmt.F(m[2])}; similarity W_O/W_K {Fmt.F(m[4])}, W_O/W_Q {Fmt.F(m[3])}, W_O/W_V {Fmt.F(m[5])}");
exp.Result($"other pairs ({others.Count}): K-comp {Fmt.F(o[1])}, Q-comp {Fmt.F(o[0])}, V-comp {Fmt.F(o[2])}; similarity W_O/W_K {Fmt.F(o[4])}, W_O/W_Q {Fmt.F(o[3])}, W_O/W_V {Fmt.F(o[5])}");
exp.Result($"top pair by K-composition L0H{topK.A}->L1H{topK.B} ({Fmt.F(topK.KComp)}{(topK.Circuit ? ", a circuit pair" : "")}); top pair by W_O/W_K similarity L0H{topSimK.A}->L1H{topSimK.B} ({Fmt.F(topSimK.SimK)}{(topSimK.Circuit ? ", a circuit pair" : "")})");
var r = Pearson(pairs.Select(p => (p.KComp, p.SimK)));
exp.Result($"correlation over the {pairs.Count} pairs between K-composition and W_O/W_K subspace similarity: {Fmt.F(r, 2)}");
string conclusion;
if (circuit.Count == 0)
    conclusion = "no induction circuit formed in this run, so the question cannot be answered here (train longer).";
else
{
    var simSeparates = m[4] > o[4] + 0.05 && m[4] > randomSimilarity + 0.05;
    var compSeparates = m[1] > o[1] + 0.05;
    conclusion = (compSeparates ? $"K-composition singles out the circuit pairs ({Fmt.F(m[1])} vs {Fmt.F(o[1])} for other pairs, random {Fmt.F(randomComposition)}); "
                                : $"K-composition does not clearly separate the circuit pairs ({Fmt.F(m[1])} vs {Fmt.F(o[1])}); ")
               + (simSeparates ? $"the write/read subspaces of the circuit pairs are more aligned than other pairs' ({Fmt.F(m[4])} vs {Fmt.F(o[4])}, random {Fmt.F(randomSimilarity)}): \"heads with similar projections work together\" holds here"
                               : $"but the plain W_O/W_K subspace similarity of the circuit pairs ({Fmt.F(m[4])}) is not clearly above the other pairs ({Fmt.F(o[4])}) or random ({Fmt.F(randomSimilarity)}): comparing projection subspaces alone does not find the circuit here; what matters is how W_OV maps into W_QK, not whether the spaces overlap")
               + ".";
}
exp.Conclude(conclusion);
exp.Save();

static double[] Means(IEnumerable<Pair> ps)
{
    var l = ps.ToList();
    if (l.Count == 0) return Enumerable.Repeat(double.NaN, 6).ToArray();
    return new[] { l.Average(p => p.QComp), l.Average(p => p.KComp), l.Average(p => p.VComp), l.Average(p => p.SimQ), l.Average(p => p.SimK), l.Average(p => p.SimV) };
}

public sealed record Pair(int A, int B, bool Circuit, double QComp, double KComp, double VComp, double SimQ, double SimK, double SimV);
