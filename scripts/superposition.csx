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
(List<SuperpositionSummary>[] Summaries, List<double>[] Losses, List<int[]> Represented, List<FeatureMeasures.Feature>[] Features) Sweep(
    string name, int n, int m, double ratio, IReadOnlyList<double> sparsities)
{
    var summaries = sparsities.Select(_ => new List<SuperpositionSummary>()).ToArray();
    var measured = sparsities.Select(_ => new List<FeatureMeasures.Feature>()).ToArray();
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
            measured[i].AddRange(features);
            if (i == 0) representedAtDense.Add(features.Where(f => f.Represented).Select(f => f.Index).ToArray());
            rows.Add(new[] { S(sparsities[i]), seed.ToString(CultureInfo.InvariantCulture), Fmt.F(result.FinalLoss[i], 5), s.Represented.ToString(CultureInfo.InvariantCulture),
                             s.InSuperposition.ToString(CultureInfo.InvariantCulture), Fmt.F(s.DimensionsPerFeature, 3), s.AntipodalPairs.ToString(CultureInfo.InvariantCulture), s.GroupsText,
                             string.Join(" ", features.Select(f => Fmt.F(f.Norm, 2))), string.Join(" ", features.Select(f => Fmt.F(f.Superposition, 2))) });
        }
    }
    var columns = new[] { "sparsity", "seed", "loss", "represented", "in superposition", "dims per feature", "antipodal pairs", "dimensionality groups", "norms ‖W_i‖", "superposition Σ_j≠i (Ŵ_i·W_j)²" };
    exp.Csv($"{name}.csv", columns, rows);
    exp.Report.AddTable($"{name}: n = {n}, m = {m}, importance {S(ratio)}^i, per sparsity and seed", columns, rows);
    exp.Report.AddLineChart($"{name}: dimensions per feature against 1/(1 − S) (mean over seeds)", "1/(1 − S)", "m / ‖W‖_F²",
        [("dimensions per feature", sparsities.Select(s => 1 / (1 - s)).ToArray(), summaries.Select(v => v.Average(x => x.DimensionsPerFeature)).ToArray())]);
    return (summaries, losses, representedAtDense, measured);
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
var (main, mainLoss, dense, mainFeatures) = Sweep("importance-0.9", N, M, 0.9, sparsities);
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
// How far the measured values sit from the two thresholds (the definitions' gaps, docs/design.md §4).
var all = mainFeatures.SelectMany(f => f).ToList();
var sparseRepresented = mainFeatures.Skip(1).SelectMany(f => f).Where(f => f.Represented).ToList();
exp.Result($"thresholds against the measured values (every feature of every seed and sparsity above): represented features' norms {Fmt.F(all.Where(f => f.Represented).Select(f => f.Norm).DefaultIfEmpty(double.NaN).Min(), 2)}..{Fmt.F(all.Where(f => f.Represented).Select(f => f.Norm).DefaultIfEmpty(double.NaN).Max(), 2)}, " +
           $"the others' {Fmt.F(all.Where(f => !f.Represented).Select(f => f.Norm).DefaultIfEmpty(double.NaN).Max(), 2)} at most (threshold {FeatureMeasures.RepresentedNorm}); " +
           $"represented features' superposition at most {Fmt.F(mainFeatures[0].Where(f => f.Represented).Select(f => f.Superposition).DefaultIfEmpty(double.NaN).Max(), 3)} at S 0 and " +
           $"at least {Fmt.F(sparseRepresented.Select(f => f.Superposition).DefaultIfEmpty(double.NaN).Min(), 3)} at every other sparsity (threshold {FeatureMeasures.SuperpositionThreshold})");
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
// The first sparsity at which the mean over seeds represents every feature but half of one: no room left to rise.
var saturated = Enumerable.Range(0, sparsities.Length).FirstOrDefault(i => main[i].Average(x => x.Represented) >= N - 0.5, sparsities.Length);
var beforeSaturation = sparsitySteps.Where((c, k) => k / 2 + 1 <= saturated).ToList();

// ---- 2. equal importance: where dimensions per feature stick ----
var inverse = new[] { 1.0, 2, 2.5, 3, 3.5, 4, 5, 7, 10, 20 };
var (uniform, _, _, _) = Sweep("equal-importance", N, M, 1.0, inverse.Select(x => 1 - 1 / x).ToArray());
for (var i = 0; i < inverse.Length; i++)
{
    var v = uniform[i];
    exp.Result($"n {N}, m {M}, equal importance, 1/(1 − S) {S(inverse[i])}: dimensions per feature {Mean(v.Select(s => s.DimensionsPerFeature).ToList(), 3)}, " +
               $"{Nearest(v.Average(s => s.DimensionsPerFeature))}; represented {Mean(v.Select(s => (double)s.Represented).ToList(), 1, N)}; antipodal pairs {Mean(v.Select(s => (double)s.AntipodalPairs).ToList(), 1)}; " +
               $"represented features by dimensionality over seeds: {GroupsOverSeeds(v)}");
}
var half = inverse.Where((_, i) => Math.Abs(uniform[i].Average(s => s.DimensionsPerFeature) - 0.5) <= FeatureGeometry.StickyTolerance).ToList();

// ---- 3. the phase diagram of n = 2, m = 1 ----
// Relative importances symmetric about 1 on a log scale, without 1 itself (there the two features tie).
var densities = new[] { 1, 0.3, 0.1, 0.03, 0.01 };
var importances = new[] { 0.1, 0.2, 0.5, 0.8, 1.25, 2, 5, 10 };
var trainings = new List<ToyModelResult>();
for (var k = 0; k < seeds; k++)
{
    var clock = System.Diagnostics.Stopwatch.StartNew();
    trainings.Add(ToyModelTrainer.Train(PhaseDiagram.Config(densities, importances, training with { Seed = exp.Seed + k })));
    Console.WriteLine($"-- phase diagram, seed {exp.Seed + k}: {clock.Elapsed.TotalSeconds:F0} s");
}
// Each cell takes its lowest-loss seed's region (the best of the restarts: PhaseDiagram.Cell) and counts the seeds
// that ended there.
var cells = PhaseDiagram.Cells(trainings, densities.Length, importances.Length);
PhaseDiagram.Region Best(int d, int r) => cells[d, r].Best;
int Agree(int d, int r) => cells[d, r].Agreeing;
var letters = new[] { ".", "D", "S" };
var phaseRows = new List<IReadOnlyList<string>>();
for (var d = 0; d < densities.Length; d++)
{
    phaseRows.Add(new[] { S(densities[d]) }.Concat(Enumerable.Range(0, importances.Length).Select(r =>
        $"{letters[(int)Best(d, r)]} ({Agree(d, r)} of {seeds})")).ToArray());
    exp.Result($"phase diagram n 2, m 1, density {S(densities[d])}: the extra feature at relative importance " +
               string.Join(", ", Enumerable.Range(0, importances.Length).Select(r => $"{S(importances[r])} {letters[(int)Best(d, r)]} {Agree(d, r)}/{seeds}")) +
               $" (. not represented, D dedicated dimension, S superposition: the lowest-loss seed's region, and how many of the {seeds} seeds ended there)");
}
exp.Report.AddTable("phase diagram, n = 2, m = 1: the extra feature's region in the lowest-loss seed (and how many seeds ended there), by density (rows) and relative importance (columns); . not represented, D dedicated, S superposition",
    new[] { "density" }.Concat(importances.Select(S)).ToArray(), phaseRows);
exp.Csv("phase-diagram.csv", new[] { "density", "importance", "seed", "region", "loss" },
    from d in Enumerable.Range(0, densities.Length) from r in Enumerable.Range(0, importances.Length) from k in Enumerable.Range(0, seeds)
    select (IReadOnlyList<string>)new[] { S(densities[d]), S(importances[r]), (exp.Seed + k).ToString(CultureInfo.InvariantCulture), cells[d, r].Trainings[k].Region.ToString(), cells[d, r].Trainings[k].Loss.ToString("G6", CultureInfo.InvariantCulture) });
// Where the boundaries fall: at density 1, between the last importance at which the extra feature is not represented
// and the first at which it is; per density, the importances at which it is in superposition.
var denseRepresented = Enumerable.Range(0, importances.Length).Where(r => Best(0, r) != PhaseDiagram.Region.NotRepresented).ToList();
var denseBoundaryAtOne = denseRepresented.Count > 0 && denseRepresented.SequenceEqual(Enumerable.Range(denseRepresented[0], importances.Length - denseRepresented[0]))
                         && denseRepresented[0] > 0 && importances[denseRepresented[0] - 1] < 1 && importances[denseRepresented[0]] > 1;
var bandCounts = Enumerable.Range(0, densities.Length).Select(d => Enumerable.Range(0, importances.Length).Count(r => Best(d, r) == PhaseDiagram.Region.Superposition)).ToList();
string Band(int d)
{
    var inBand = Enumerable.Range(0, importances.Length).Where(r => Best(d, r) == PhaseDiagram.Region.Superposition).ToList();
    return inBand.Count == 0 ? "none" : $"{string.Join(", ", inBand.Select(r => S(importances[r])))} ({inBand.Count} of {importances.Length})";
}
var elsewhere = (from d in Enumerable.Range(0, densities.Length) from r in Enumerable.Range(0, importances.Length)
                 from c in cells[d, r].Trainings where c.Region != Best(d, r) select c.Loss / cells[d, r].Trainings.Min(x => x.Loss)).ToList();
exp.Result($"phase diagram boundaries: at density 1 the extra feature is " +
           (denseRepresented.Count == 0 ? "never represented" : $"represented from relative importance {S(importances[denseRepresented[0]])} on{(denseRepresented[0] > 0 ? $" and not at {S(importances[denseRepresented[0] - 1])}" : "")}") +
           $" (paper: the boundary at 1, where the extra feature takes the one dimension from feature 0); superposition at " +
           string.Join("; ", Enumerable.Range(0, densities.Length).Select(d => $"density {S(densities[d])}: {Band(d)}")) +
           $"; {elsewhere.Count} of {densities.Length * importances.Length * seeds} trainings ended in another region than their cell's best seed" +
           (elsewhere.Count == 0 ? "" : $", at a median {Fmt.F(elsewhere.Order().ElementAt(elsewhere.Count / 2), 1)} times its loss (local minima)"));
var widening = bandCounts.Zip(bandCounts.Skip(1), (a, b) => b >= a).All(x => x);

var differences = new List<string>();
if (pca < dense.Count || denseSuperposed > 0) differences.Add($"at S 0 only {pca} of {dense.Count} seeds represent exactly the {M} most important features alone");
var notRising = beforeSaturation.Where(c => c.Up && c.Claim.Direction != Difference.Higher).Select(c => c.What).ToList();
var notFalling = beforeSaturation.Where(c => !c.Up && c.Claim.Direction != Difference.Lower).Select(c => c.What).ToList();
if (notRising.Count > 0) differences.Add($"not shown to rise before every feature is represented: {string.Join(", ", notRising)}");
if (notFalling.Count > 0) differences.Add($"not shown to fall before every feature is represented: {string.Join(", ", notFalling)}");
if (half.Count == 0) differences.Add("with equal importance dimensions per feature never sits within the tolerance of 1/2");
if (!denseBoundaryAtOne) differences.Add("at density 1 the extra feature's boundary does not fall between the importances either side of 1");
if (bandCounts[0] > 0) differences.Add("dense features already show superposition in the phase diagram");
if (!widening) differences.Add("the superposition band does not widen monotonically as density falls");
var represented = sparsities.Select((_, i) => Fmt.F(main[i].Average(x => x.Represented), 1)).ToList();
exp.Conclude($"over {seeds} seeds, n {N}, m {M}, importance 0.9^i: represented features {string.Join(" → ", represented)} of {N} and dimensions per feature " +
             $"{string.Join(" → ", sparsities.Select((_, i) => Fmt.F(main[i].Average(x => x.DimensionsPerFeature), 3)))} for S {string.Join(", ", sparsities.Select(S))} " +
             $"({rises.Count} rises and {falls.Count} falls of {sparsities.Length - 1} shown after Holm{(saturated < sparsities.Length ? $"; every feature is represented from S {S(sparsities[saturated])}, so none can rise after it" : "")}); " +
             $"with equal importance dimensions per feature sits at 1/2 for 1/(1 − S) in {{{string.Join(", ", half.Select(S))}}}; " +
             $"in the n 2, m 1 phase diagram superposition covers {string.Join(", ", bandCounts)} of {importances.Length} importances from density 1 to {S(densities[^1])}. " +
             (differences.Count == 0 ? "Each matches the paper qualitatively." : "Differences from the paper: " + string.Join("; ", differences) + "."));
exp.Save();
