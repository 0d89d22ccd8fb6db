// IOI, and value versus pointer (issue 24 §3; Wang et al. 2022, "Interpretability in the Wild"; docs/design.md §4 "IOI").
// Trains a 3-layer model with MLPs on the ioi task (names 16, templates 3, every start that fits, about one name pair in
// seven held out), one run per seed, judged by the library's verdict (the held-out-pairs probe is the inside probe). Then,
// per seed and without naming roles in advance: per-head activation patching of the logit difference logit[IO] − logit[S]
// against the ABC corruption (the subject's second mention becomes a third name), ACDC over the edge graph, and where each
// important head attends (END→IO, END→S1/S2, S2→S1, S2→S1+1); only then are the heads compared with the published roles
// (name movers, S-inhibition, duplicate-token, induction), counted over seeds. Value versus pointer: every important head
// has its output at END patched from (a) the same prompts with both names replaced (positions kept: only a value
// changes) and (b) the same names in the other order (ABBA ↔ BABA: only positions change), beside (c) the ABC prompt (the
// control: does the signal travel through these heads at all). Effects on the logit difference, paired over seeds, one
// Holm family; name movers' attention is printed when there are any. --reuse analyses the runs already in OUT/runs.
//   ./toolkit run scripts/ioi.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 2000] [--prompts 256] [--threads N] [--reuse]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit;
using Toolkit.Analysis;
using Toolkit.Configs;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Verdicts;

var exp = new Experiment("ioi", "IOI: which heads matter, what they attend to, and value versus pointer", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var steps = exp.Setting("--steps", 2000, 60);
var count = exp.Setting("--prompts", 256, 16);
const double Important = 0.1; // a head matters when restoring it alone recovers ≥ 10% of the logit difference
const double Attends = 0.4;   // a head "attends" to a role at ≥ 0.4 of its attention (the library's head threshold)
var model = new ModelConfig
{
    NLayers = 3, NHeads = 4, DModel = exp.Fast ? 32 : 64, AttnOnly = false, NormalizationType = Normalization.LN, DVocab = 64, NCtx = 24,
};
var spec = new TaskSpec { Name = "ioi", Parameters = new() { ["context"] = "24", ["names"] = "16", ["templates"] = "3", ["start"] = "0..4" } };
var task = spec.Create();
var runNames = Enumerable.Range(0, seeds).Select(i => i == 0 ? "ioi" : $"ioi-seed{exp.Seed + i}").ToList();
// --reuse analyses the runs an earlier call left in OUT/runs (same settings: each run's config is checked) instead of training.
var runs = Args.Contains("--reuse")
    ? runNames.Select((n, i) => Reused(Path.Combine(exp.Out, "runs", n), exp.Training(steps, exp.Seed + i))).ToList()
    : exp.TrainAll(runNames.Select((n, i) => (n, model, spec, exp.Training(steps, exp.Seed + i)))).Select(r => r.Run).ToList();

RunDirectory Reused(string path, Toolkit.Configs.TrainingConfig training)
{
    var run = RunDirectory.Open(path);
    var config = run.ReadConfig();
    if (config.Model.NLayers != model.NLayers || config.Model.DModel != model.DModel || config.Task.Name != spec.Name
        || config.Training.Steps != training.Steps || config.Training.Seed != training.Seed)
        throw new ToolkitException($"{path} was trained with other settings", "run without --reuse to train it again");
    return run;
}

string Names(IEnumerable<IoiAttention> heads) { var l = heads.Select(h => h.Name).ToList(); return l.Count == 0 ? "none" : string.Join(", ", l); }
string MeanCi(IReadOnlyList<double> v) => MeanInterval.Of(v).Format(x => Fmt.F(x, 2));

var rows = new List<IReadOnlyList<string>>();
var perSeed = new List<(long Seed, double Clean, double Abc, double NewNames, double Swapped, double MoverClean, double MoverNewNames, double MoverSwapped, double MoverAbc)>();
var roleCounts = new Dictionary<string, int> { ["END→IO (name mover)"] = 0, ["END→S (S-inhibition)"] = 0, ["S2→S1 (duplicate-token)"] = 0, ["S2→S1+1 (induction)"] = 0, ["ordered"] = 0 };
var accuracies = new List<string>();
foreach (var (run, i) in runs.Select((r, i) => (r, i)))
{
    var seed = exp.Seed + i;
    var verdict = SeedStudy.Judge(run.Path).Verdict;
    VerdictTables.Add(exp.Report, $"seed {seed}", verdict);
    var heldOut = verdict.Probes.Single(p => p.Name == "held-out-pairs");
    var templates = verdict.Probes.Single(p => p.Name == "unseen-templates");
    var names = verdict.Probes.Single(p => p.Name == "unseen-names");
    accuracies.Add($"seed {seed}: in-distribution {Fmt.P(verdict.InDistribution.Accuracy)}, held-out-pairs {Fmt.P(heldOut.Eval.Accuracy)}, unseen-templates {Fmt.P(templates.Eval.Accuracy)}, unseen-names {Fmt.P(names.Eval.Accuracy)}; {verdict.Kind}");

    using var trained = run.LoadModel();
    var promptSeed = Seeds.Derive(seed, Seeds.Stream.Probe, 24);
    var clean = IoiPrompts.FromTask(task, promptSeed, count);
    var abc = clean.ThirdName(promptSeed + 1);
    using var inputs = clean.Against(abc, trained.Device);
    var sweep = ActivationPatching.Sweep(trained, inputs, PatchingMetricKind.LogitDiff);
    var circuit = CircuitDiscovery.Find(trained, inputs, CircuitMethod.Acdc, PatchingMetricKind.LogitDiff);
    var attention = IoiAnalysis.Measure(trained, clean).Attention.SelectMany(a => a).ToList();
    var important = attention.Where(a => sweep.Heads[a.Layer][a.Head] >= Important).ToList();
    foreach (var a in attention)
        rows.Add(new[] { seed.ToString(), a.Name, Fmt.F(sweep.Heads[a.Layer][a.Head]), Fmt.F(a.EndToIo), Fmt.F(a.EndToS1), Fmt.F(a.EndToS2), Fmt.F(a.S2ToS1), Fmt.F(a.S2ToS1Next),
            circuit.Heads.Contains(a.Name) ? "yes" : "no" });

    // Roles read off the measurements, after the fact.
    var movers = important.Where(a => a.EndToIo >= Attends && a.EndToIo > a.EndToS1 + a.EndToS2).ToList();
    var inhibitors = important.Where(a => a.EndToS1 + a.EndToS2 >= Attends && a.EndToS1 + a.EndToS2 > a.EndToIo).ToList();
    var duplicates = important.Where(a => a.S2ToS1 >= Attends).ToList();
    var inductions = important.Where(a => a.S2ToS1Next >= Attends).ToList();
    if (movers.Count > 0) roleCounts["END→IO (name mover)"]++;
    if (inhibitors.Count > 0) roleCounts["END→S (S-inhibition)"]++;
    if (duplicates.Count > 0) roleCounts["S2→S1 (duplicate-token)"]++;
    if (inductions.Count > 0) roleCounts["S2→S1+1 (induction)"]++;
    var ordered = movers.Count > 0 && inhibitors.Count > 0 && duplicates.Concat(inductions).Any()
        && duplicates.Concat(inductions).Min(a => a.Layer) < inhibitors.Min(a => a.Layer) && inhibitors.Min(a => a.Layer) < movers.Max(a => a.Layer);
    if (ordered) roleCounts["ordered"]++;
    exp.Result($"seed {seed}: logit diff clean {Fmt.F(sweep.Clean, 2)}, ABC {Fmt.F(sweep.Corrupted, 2)}; heads recovering ≥ {Important:P0}: " +
               string.Join(", ", important.Select(a => $"{a.Name} {Fmt.F(sweep.Heads[a.Layer][a.Head], 2)}")) +
               $"; ACDC (τ {CircuitDiscovery.DefaultThreshold}) keeps {circuit.Circuit.Count} of {circuit.Edges.Count} edges, heads {string.Join(", ", circuit.Heads)}, faithfulness {Fmt.P(circuit.Faithfulness)}");
    exp.Result($"seed {seed} attention (≥ {Attends}) of those heads: END→IO {Names(movers)}; END→S {Names(inhibitors)}; S2→S1 {Names(duplicates)}; S2→S1+1 {Names(inductions)}");

    // Value or pointer: patch the output at END of every important head (whatever its pattern) from prompts that change
    // only the names or only their positions; name movers, when found, are watched for their END→IO − END→S1.
    var senders = important.Select(a => (a.Layer, a.Head)).ToList();
    double MoverPreference(IoiRun run) => movers.Count == 0 ? double.NaN : movers.Average(m => run.Attention[m.Layer][m.Head] is var a ? a.EndToIo - a.EndToS1 : 0);
    var baseRun = IoiAnalysis.Measure(trained, clean);
    var newNames = IoiAnalysis.PatchEnd(trained, clean, clean.NewNames(promptSeed + 2), senders);
    var swapped = IoiAnalysis.PatchEnd(trained, clean, clean.SwappedOrder(), senders);
    var fromAbc = IoiAnalysis.PatchEnd(trained, clean, abc, senders);
    perSeed.Add((seed, baseRun.LogitDiff, fromAbc.LogitDiff, newNames.LogitDiff, swapped.LogitDiff,
        MoverPreference(baseRun), MoverPreference(newNames), MoverPreference(swapped), MoverPreference(fromAbc)));
    exp.Result($"seed {seed} value/pointer: important heads {string.Join(", ", senders.Select(s => HeadMatrices.Name(s.Layer, s.Head)))} patched at END: " +
               $"logit diff clean {Fmt.F(baseRun.LogitDiff, 2)}, from new names {Fmt.F(newNames.LogitDiff, 2)}, from swapped order {Fmt.F(swapped.LogitDiff, 2)}, from ABC {Fmt.F(fromAbc.LogitDiff, 2)}" +
               (movers.Count == 0 ? "; no name mover to watch" : $"; name movers' ({Names(movers)}) END→IO − END→S1: {Fmt.F(MoverPreference(baseRun), 2)}, {Fmt.F(MoverPreference(newNames), 2)}, {Fmt.F(MoverPreference(swapped), 2)}, {Fmt.F(MoverPreference(fromAbc), 2)}"));
}
exp.Csv("heads.csv", new[] { "seed", "head", "recovery", "end_to_io", "end_to_s1", "end_to_s2", "s2_to_s1", "s2_to_s1_next", "in_acdc_circuit" }, rows);
exp.Report.AddTable("every head: recovery of the logit difference when restored alone into the ABC run, and its attention on clean prompts",
    new[] { "seed", "head", "recovery", "END→IO", "END→S1", "END→S2", "S2→S1", "S2→S1+1", "in ACDC circuit" }, rows);
foreach (var a in accuracies) exp.Result(a);
exp.Result($"roles over {seeds} seeds (seeds with at least one important head of the pattern): " + string.Join("; ", roleCounts.Where(kv => kv.Key != "ordered").Select(kv => $"{kv.Key} {kv.Value}")) +
           $"; layers in the published order (duplicate/induction < S-inhibition < name mover) in {roleCounts["ordered"]}");

// Claims, paired by seed: each patch against the clean run (logit difference, movers' preference), and names against order.
List<double> Of(Func<(long Seed, double Clean, double Abc, double NewNames, double Swapped, double MoverClean, double MoverNewNames, double MoverSwapped, double MoverAbc), double> f) => perSeed.Select(f).ToList();
var claims = new ClaimFamily("ioi");
var abcClaim = claims.Add("logit diff: important heads from ABC minus clean", MeanComparison.PairedOf(Of(s => s.Abc), Of(s => s.Clean)));
var valueClaim = claims.Add("logit diff: important heads from new names minus clean", MeanComparison.PairedOf(Of(s => s.NewNames), Of(s => s.Clean)));
var pointerClaim = claims.Add("logit diff: important heads from swapped order minus clean", MeanComparison.PairedOf(Of(s => s.Swapped), Of(s => s.Clean)));
var versus = claims.Add("logit diff: swapped order minus new names", MeanComparison.PairedOf(Of(s => s.Swapped), Of(s => s.NewNames)));
foreach (var c in claims.Claims)
    exp.Result($"{c.What} = {c.Detail(x => Fmt.F(x, 2))}: {c.Words("above", "below", "zero")}");
exp.Claims(claims);
exp.Result($"logit diff over {seeds} seeds, mean [95% CI]: clean {MeanCi(Of(s => s.Clean))}, important heads from ABC {MeanCi(Of(s => s.Abc))}, from new names {MeanCi(Of(s => s.NewNames))}, from swapped order {MeanCi(Of(s => s.Swapped))}");

string Says(Claim c) => c.Direction switch { Difference.Lower => "lowers it", Difference.Higher => "raises it", Difference.TooFewSeeds => "too few seeds", _ => "no resolved change" };
var answer = abcClaim.Direction != Difference.Lower ? "not decided: the control (the ABC patch) does not show that these heads carry the signal" : (valueClaim.Direction, pointerClaim.Direction) switch
{
    (Difference.Lower, Difference.NotShown or Difference.Higher) => "by value (the names' identity): changing the names hurts, moving them does not",
    (Difference.NotShown or Difference.Higher, Difference.Lower) => "by pointer (position): moving the names hurts, changing them does not",
    (Difference.Lower, Difference.Lower) => "both: changing the names and moving them each lower the logit difference",
    (Difference.TooFewSeeds, _) or (_, Difference.TooFewSeeds) => "not decided: too few seeds",
    _ => "neither shown: the heads' END output carries no resolved name or position signal",
};
exp.Conclude($"{seeds} seeds; the important heads' output at END (control, from ABC: {Says(abcClaim)}); patched from new names {Says(valueClaim)}, from swapped order {Says(pointerClaim)}: {answer}. " +
             $"Roles: {string.Join("; ", roleCounts.Where(kv => kv.Key != "ordered").Select(kv => $"{kv.Key} in {kv.Value} of {seeds}"))}; published layer order in {roleCounts["ordered"]} of {seeds}.");
exp.Save();
