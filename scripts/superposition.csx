// Toy models of superposition (Elhage et al. 2022, issue 24 §2; docs/design.md §4 "Toy models of superposition"):
// n sparse features (0 with probability S, else uniform in [0, 1]) compressed into m < n dimensions, h = W x, and read
// back through ReLU(Wᵀ h + b), trained at the paper's settings (AdamW at torch's defaults, lr 1e-3, batch 1024, 10,000
// steps), every sparsity of one seed in one tensor. Three parts, each over 5 seeds:
//  1. the paper's headline sweep: n = 20, m = 5, importance 0.9^i, S = 0, 0.7, 0.9, 0.97, 0.99, 0.999: features
//     represented, in superposition, dimensions per feature m / ‖W‖_F², antipodal pairs, and the represented features by
//     fractional dimensionality; "superposition grows with sparsity" as a Holm family of 10 claims (represented features
//     up and dimensions per feature down from each sparsity to the next, Welch's t);
//  2. equal importance (the paper's setting for the sticky dimensionalities), n = 20, m = 5, 1/(1 − S) from 1 to 20;
//  3. the phase diagram of n = 2, m = 1: feature 0 of importance 1, an extra feature of relative importance r
//     (0.1 to 10), at densities 1 − S from 1 to 0.01: is the extra feature not represented, alone, or in superposition?
// Every number comes with its 95% Student-t interval over seeds; the lines say where the numbers differ from the paper.
//   ./toolkit run scripts/superposition.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 10000] [--threads N]
#load "toolkit.csx"
#load "lib/experiment.csx"
using System.Globalization;
using Toolkit.Evaluation;
using Toolkit.Superposition;

var exp = new Experiment("superposition", "Toy models of superposition (Elhage et al. 2022): features, superposition and geometry against sparsity", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var steps = exp.Setting("--steps", 10_000, 200);
var training = new ToyModelConfig { Steps = steps, BatchSize = exp.Fast ? 128 : 1024, Threads = exp.Threads };
exp.Result($"settings: AdamW lr {training.LearningRate}, weight decay {training.WeightDecay}, batch {training.BatchSize}, {steps} steps, seeds {exp.Seed}..{exp.Seed + seeds - 1}, {exp.Threads} threads; " +
           $"represented: ‖W_i‖ ≥ {FeatureMeasures.RepresentedNorm}; in superposition: represented and Σ_j≠i (Ŵ_i·W_j)² ≥ {FeatureMeasures.SuperpositionThreshold}; " +
           $"antipodal: cosine ≤ {FeatureGeometry.AntipodalCosine}; D_i to the nearest sticky value within {FeatureGeometry.StickyTolerance}");

string S(double x) => x.ToString("0.####", CultureInfo.InvariantCulture);
// The mean over seeds with its 95% t interval, cut to the values' possible range (counts, shares, losses).
string Mean(IReadOnlyList<double> v, int digits = 2, double max = double.PositiveInfinity) => MeanInterval.Of(v).Within(0, max).Format(x => Fmt.F(x, digits));
// The nearest sticky dimensionality of a value, and how far it is.
string Nearest(double x)
{
    var (name, value) = FeatureGeometry.StickyValues.MinBy(s => Math.Abs(s.Value - x));
    return $"nearest sticky value {name} ({Fmt.F(Math.Abs(x - value), 3)} {(x < value ? "below" : "above")})";
}

// ---- one sweep over sparsities, trained per seed; its summaries per sparsity and seed ----
(List<SuperpositionSummary>[] Summaries, List<double>[] Losses, List<int[]> Represented) Sweep(string name, int n, int m, double ratio, IReadOnlyList<double> sparsities)
{
    var summaries = sparsities.Select(_ => new List<SuperpositionSummary>()).ToArray();
    var losses = sparsities.Select(_ => new List<double>()).ToArray();
    var representedAtDense = new List<int[]>();
    var rows = new List<IReadOnlyList<string>>();
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var config = training with { Features = n, Hidden = m, Seed = seed, Instances = sparsities.Select(s => ToyInstance.Decaying(n, s, ratio)).ToList() };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = ToyModelTrainer.Train(config);
        Console.WriteLine($"-- {name}, seed {seed}: {clock.Elapsed.TotalSeconds:F0} s; loss {string.Join(", ", result.FinalLoss.Select(l => l.ToString("G3", CultureInfo.InvariantCulture)))}");
        for (var i = 0; i < sparsities.Count; i++)
        {
            var s = SuperpositionSummary.Of(result.Weights[i]);
            summaries[i].Add(s);
            losses[i].Add(result.FinalLoss[i]);
            var features = FeatureMeasures.Of(result.Weights[i]);
            if (i == 0) representedAtDense.Add(features.Where(f => f.Represented).Select(f => f.Index).ToArray());
            rows.Add(new[] { S(sparsities[i]), seed.ToString(CultureInfo.InvariantCulture), Fmt.F(result.FinalLoss[i], 5), s.Represented.ToString(CultureInfo.InvariantCulture),
                             s.InSuperposition.ToString(CultureInfo.InvariantCulture), Fmt.F(s.DimensionsPerFeature, 3), s.AntipodalPairs.ToString(CultureInfo.InvariantCulture), s.GroupsText,
                             string.Join(" ", features.Select(f => Fmt.F(f.Norm, 2))) });
        }
    }
    var columns = new[] { "sparsity", "seed", "loss", "represented", "in superposition", "dims per feature", "antipodal pairs", "dimensionality groups", "norms ‖W_i‖" };
    exp.Csv($"{name}.csv", columns, rows);
    exp.Report.AddTable($"{name}: n = {n}, m = {m}, importance {S(ratio)}^i, per sparsity and seed", columns, rows);
    exp.Report.AddLineChart($"{name}: dimensions per feature against 1/(1 − S) (mean over seeds)", "1/(1 − S)", "m / ‖W‖_F²",
        [("dimensions per feature", sparsities.Select(s => 1 / (1 - s)).ToArray(), summaries.Select(v => v.Average(x => x.DimensionsPerFeature)).ToArray())]);
    return (summaries, losses, representedAtDense);
}

// Represented features by sticky dimensionality, summed over seeds: "1/2×48 2/5×3 other×2".
string GroupsOverSeeds(IEnumerable<SuperpositionSummary> summaries)
{
    var counts = summaries.SelectMany(s => s.Groups).GroupBy(g => g.Value).ToDictionary(g => g.Key, g => g.Sum(x => x.Count));
    var order = FeatureGeometry.StickyValues.Select(s => s.Name).Append(FeatureGeometry.Other).Where(counts.ContainsKey).ToList();
    return order.Count == 0 ? "none" : string.Join(" ", order.Select(k => $"{k}×{counts[k]}"));
}

// ---- 1. the headline sweep ----
const int N = 20, M = 5;
var sparsities = new[] { 0, 0.7, 0.9, 0.97, 0.99, 0.999 };
var (main, mainLoss, dense) = Sweep("importance-0.9", N, M, 0.9, sparsities);
for (var i = 0; i < sparsities.Length; i++)
{
    var v = main[i];
    exp.Result($"n {N}, m {M}, importance 0.9^i, S {S(sparsities[i])}, {v.Count} seeds: represented {Mean(v.Select(s => (double)s.Represented).ToList(), 1, N)} of {N}; " +
               $"in superposition {Mean(v.Select(s => (double)s.InSuperposition).ToList(), 1, N)}; share of represented in superposition {Mean(v.Select(s => s.ShareInSuperposition).ToList(), 2, 1)}; " +
               $"dimensions per feature {Mean(v.Select(s => s.DimensionsPerFeature).ToList(), 3)}, {Nearest(v.Average(s => s.DimensionsPerFeature))}; " +
               $"antipodal pairs {Mean(v.Select(s => (double)s.AntipodalPairs).ToList(), 1)}; represented features by dimensionality over seeds: {GroupsOverSeeds(v)}; loss {Mean(mainLoss[i], 4)}");
}
var pca = dense.Count(r => r.SequenceEqual(Enumerable.Range(0, M)));
var denseSuperposed = main[0].Sum(s => s.InSuperposition);
exp.Result($"paper, dense features (S 0): the model represents the {M} most important features, each in a dimension of its own, as PCA would. Here: " +
           $"exactly features 0..{M - 1} represented in {pca} of {dense.Count} seeds, {denseSuperposed} features in superposition over all seeds");
var claims = new ClaimFamily("superposition");
var sparsitySteps = new List<(string What, Claim Claim, bool Up)>();
for (var i = 0; i + 1 < sparsities.Length; i++)
{
    var (a, b) = (main[i + 1], main[i]);
    sparsitySteps.Add(($"represented features, S {S(sparsities[i + 1])} against S {S(sparsities[i])}",
        claims.Add($"represented features at S {S(sparsities[i + 1])} minus at S {S(sparsities[i])}", MeanComparison.Of(a.Select(s => (double)s.Represented).ToList(), b.Select(s => (double)s.Represented).ToList())), true));
    sparsitySteps.Add(($"dimensions per feature, S {S(sparsities[i + 1])} against S {S(sparsities[i])}",
        claims.Add($"dimensions per feature at S {S(sparsities[i + 1])} minus at S {S(sparsities[i])}", MeanComparison.Of(a.Select(s => s.DimensionsPerFeature).ToList(), b.Select(s => s.DimensionsPerFeature).ToList())), false));
}
foreach (var (what, claim, up) in sparsitySteps)
    exp.Result($"{what}: difference {claim.Detail(x => Fmt.F(x, up ? 1 : 3))}: {claim.Words("higher at the sparser setting than", "lower at the sparser setting than", "the denser one")}");
exp.Claims(claims);
var rises = sparsitySteps.Where(c => c.Up && c.Claim.Direction == Difference.Higher).Select(c => c.What).ToList();
var falls = sparsitySteps.Where(c => !c.Up && c.Claim.Direction == Difference.Lower).Select(c => c.What).ToList();
var firstAll = Enumerable.Range(0, sparsities.Length).FirstOrDefault(i => main[i].All(x => x.Represented == N), -1);

// ---- 2. equal importance: where dimensions per feature stick ----
var inverse = new[] { 1.0, 2, 3, 4, 5, 7, 10, 20 };
var (uniform, _, _) = Sweep("equal-importance", N, M, 1.0, inverse.Select(x => 1 - 1 / x).ToArray());
for (var i = 0; i < inverse.Length; i++)
{
    var v = uniform[i];
    exp.Result($"n {N}, m {M}, equal importance, 1/(1 − S) {S(inverse[i])}: dimensions per feature {Mean(v.Select(s => s.DimensionsPerFeature).ToList(), 3)}, " +
               $"{Nearest(v.Average(s => s.DimensionsPerFeature))}; represented {Mean(v.Select(s => (double)s.Represented).ToList(), 1, N)}; antipodal pairs {Mean(v.Select(s => (double)s.AntipodalPairs).ToList(), 1)}; " +
               $"represented features by dimensionality over seeds: {GroupsOverSeeds(v)}");
}
var half = inverse.Where((_, i) => Math.Abs(uniform[i].Average(s => s.DimensionsPerFeature) - 0.5) <= FeatureGeometry.StickyTolerance).ToList();

// ---- 3. the phase diagram of n = 2, m = 1 ----
var densities = new[] { 1, 0.3, 0.1, 0.03, 0.01 };
var importances = Enumerable.Range(-4, 9).Select(k => Math.Pow(10, k / 4.0)).ToArray();
var counts = new int[densities.Length, importances.Length, 3];
for (var k = 0; k < seeds; k++)
{
    var seed = exp.Seed + k;
    var clock = System.Diagnostics.Stopwatch.StartNew();
    var result = ToyModelTrainer.Train(PhaseDiagram.Config(densities, importances, training with { Seed = seed }));
    Console.WriteLine($"-- phase diagram, seed {seed}: {clock.Elapsed.TotalSeconds:F0} s");
    var regions = PhaseDiagram.Regions(result, densities.Length, importances.Length);
    for (var d = 0; d < densities.Length; d++)
        for (var r = 0; r < importances.Length; r++) counts[d, r, (int)regions[d, r]]++;
}
var letters = new[] { ".", "D", "S" };
// The region most seeds put a cell in (ties: the later region in not represented < dedicated < superposition).
PhaseDiagram.Region Majority(int d, int r) => (PhaseDiagram.Region)Enumerable.Range(0, 3).MaxBy(k => (counts[d, r, k], k));
var phaseRows = new List<IReadOnlyList<string>>();
for (var d = 0; d < densities.Length; d++)
{
    phaseRows.Add(new[] { S(densities[d]) }.Concat(Enumerable.Range(0, importances.Length).Select(r =>
        $"{letters[(int)Majority(d, r)]} ({counts[d, r, 0]}/{counts[d, r, 1]}/{counts[d, r, 2]})")).ToArray());
    exp.Result($"phase diagram n 2, m 1, density {S(densities[d])}: extra feature by relative importance " +
               string.Join(", ", Enumerable.Range(0, importances.Length).Select(r => $"{Fmt.F(importances[r], 2)} {letters[(int)Majority(d, r)]}")) +
               $" (. not represented, D dedicated dimension, S superposition; majority of {seeds} seeds)");
}
exp.Report.AddTable($"phase diagram, n = 2, m = 1: the extra feature's region in most seeds (seeds not represented / dedicated / superposition), by density (rows) and relative importance (columns)",
    new[] { "density" }.Concat(importances.Select(r => Fmt.F(r, 2))).ToArray(), phaseRows);
exp.Csv("phase-diagram.csv", new[] { "density", "importance", "not_represented", "dedicated", "superposition" },
    from d in Enumerable.Range(0, densities.Length) from r in Enumerable.Range(0, importances.Length)
    select (IReadOnlyList<string>)new[] { S(densities[d]), Fmt.F(importances[r], 4), counts[d, r, 0].ToString(CultureInfo.InvariantCulture), counts[d, r, 1].ToString(CultureInfo.InvariantCulture), counts[d, r, 2].ToString(CultureInfo.InvariantCulture) });
// Where the boundaries fall: at density 1, the first importance at which the extra feature is represented; per
// density, the importances at which it is in superposition.
var denseBoundary = Enumerable.Range(0, importances.Length).FirstOrDefault(r => Majority(0, r) != PhaseDiagram.Region.NotRepresented, -1);
string Band(int d)
{
    var inBand = Enumerable.Range(0, importances.Length).Where(r => Majority(d, r) == PhaseDiagram.Region.Superposition).ToList();
    return inBand.Count == 0 ? "none" : $"{Fmt.F(importances[inBand[0]], 2)}..{Fmt.F(importances[inBand[^1]], 2)} ({inBand.Count} of {importances.Length})";
}
exp.Result($"phase diagram boundaries: at density 1 the extra feature is first represented at relative importance {(denseBoundary < 0 ? "none" : Fmt.F(importances[denseBoundary], 2))} " +
           $"(paper: 1, where it takes the one dimension from feature 0); superposition at " + string.Join("; ", Enumerable.Range(0, densities.Length).Select(d => $"density {S(densities[d])}: {Band(d)}")));
var bands = Enumerable.Range(0, densities.Length).Select(d => Enumerable.Range(0, importances.Length).Count(r => Majority(d, r) == PhaseDiagram.Region.Superposition)).ToList();
var widening = bands.Zip(bands.Skip(1), (a, b) => b >= a).All(x => x);

var differences = new List<string>();
if (pca < dense.Count || denseSuperposed > 0) differences.Add($"at S 0 only {pca} of {dense.Count} seeds represent exactly the {M} most important features alone");
if (rises.Count < sparsities.Length - 1) differences.Add($"represented features rise at {rises.Count} of {sparsities.Length - 1} steps of sparsity (shown after Holm)");
if (falls.Count < sparsities.Length - 1) differences.Add($"dimensions per feature fall at {falls.Count} of {sparsities.Length - 1} steps (shown after Holm)");
if (half.Count == 0) differences.Add("with equal importance dimensions per feature never sits within the tolerance of 1/2");
if (denseBoundary < 0 || Math.Abs(importances[denseBoundary] - 1) > 1e-9) differences.Add("at density 1 the extra feature's boundary is not at relative importance 1");
if (bands[0] > 0) differences.Add("dense features already show superposition in the phase diagram");
if (!widening) differences.Add("the superposition band does not widen monotonically as density falls");
exp.Conclude($"over {seeds} seeds: {(firstAll < 0 ? "no sparsity tried represents every feature" : $"all {N} features are represented from S {S(sparsities[firstAll])} on")}; " +
             $"represented features rise with sparsity at {rises.Count} of {sparsities.Length - 1} steps and dimensions per feature fall at {falls.Count} of {sparsities.Length - 1} (Holm); " +
             $"with equal importance dimensions per feature sits at 1/2 for 1/(1 − S) in {{{string.Join(", ", half.Select(S))}}}; " +
             $"in the n 2, m 1 phase diagram superposition covers {string.Join(", ", bands)} of {importances.Length} importances from density 1 to {S(densities[^1])}. " +
             (differences.Count == 0 ? "Each matches the paper qualitatively." : "Differences from the paper: " + string.Join("; ", differences) + "."));
exp.Save();
