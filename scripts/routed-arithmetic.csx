// Routed layer pools on arithmetic (docs/design.md §1 and §9): does letting a router choose which block of a pool
// runs at each step help, at an equal parameter count? Five arms, each over several seeds, on a+b and on the
// chained a+b+c:
//   standard     a standard transformer whose n_layers/d_model ParameterBudget matches to the routed pool's count
//   schedule     closed choice without a router: learned per-step logits, the same layer sequence for every input
//   per-sequence closed choice with a router: one choice per sequence and step, read from position 0
//   per-token    the routed pool: every position chooses its own layer at every step
//   per-token+ACT the routed pool with adaptive computation time (Graves 2016), at most --route-steps steps
// Accuracy on held-out predictable positions (95% bootstrap over sequences per run; over seeds, the mean with its
// 95% t interval and the difference from the standard arm, Welch's interval: the arms differ in architecture, so their
// seeds do not pair), compute per token (blocks run per position, and blocks chosen per position), wall time of the
// sparse evaluation against running every block, and the router statistics. A sixth arm, the routed pool without
// identity layers, answers "does adding identity layers help?". The script's claims (each arm against the standard one,
// and identity layers, per task: 12) are one family under Holm's correction (docs/design.md §4, statistics over seeds),
// each claimed only from at least 5 seeds.
//   ./toolkit run scripts/routed-arithmetic.csx [--fast] [--out DIR] [--seeds 5] [--steps 800] [--batch-size 32] [--pool 3] [--route-identity-layers 1] [--route-steps 4]
#load "toolkit.csx"
#load "lib/experiment.csx"
using System.Diagnostics;
using System.Globalization;
using Toolkit.Configs;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using static TorchSharp.torch;

var exp = new Experiment("routed-arithmetic", "Routed layer pools against a standard transformer of equal size on arithmetic", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var steps = exp.Setting("--steps", 800, 60);
var batch = exp.Setting("--batch-size", 32, 32);
var poolSize = exp.Setting("--pool", 3, 2);
var identities = exp.Setting("--route-identity-layers", 1, 1);
var routeSteps = exp.Setting("--route-steps", 4, 3);
var context = exp.Fast ? 16 : 32;
var digits = exp.Fast ? "1" : "1..2";
var evalCount = exp.Fast ? 64 : 512;

var pool = new ModelConfig
{
    NLayers = poolSize, NHeads = exp.Fast ? 2 : 4, DModel = exp.Fast ? 16 : 64, DVocab = 16, NCtx = context, AttnOnly = false,
    NormalizationType = Normalization.LN, RouteIdentityLayers = identities, RouteSteps = routeSteps,
};
var routedArms = new (string Name, ModelConfig Config)[]
{
    ("schedule", pool with { Routing = RoutingMode.Schedule }),
    ("per-sequence", pool with { Routing = RoutingMode.PerSequence }),
    ("per-token", pool with { Routing = RoutingMode.PerToken }),
    ("per-token+ACT", pool with { Routing = RoutingMode.PerToken, RouteAct = true }),
    ("per-token, no identity", pool with { Routing = RoutingMode.PerToken, RouteIdentityLayers = 0 }),
};
var (baseline, baselineCount) = ParameterBudget.MatchedBaseline(routedArms[2].Config, [routeSteps, poolSize]);
var arms = routedArms.Prepend(("standard", baseline)).ToList();
foreach (var (name, config) in arms) exp.Result(ParameterBudget.Describe(name, config));

var taskSpecs = new List<(string Name, TaskSpec Spec)> { ("a+b", Spec(2)) };
try { Spec(3).Create(); taskSpecs.Add(("a+b+c", Spec(3))); }
catch (TaskParameterException e) { exp.Result($"chained form skipped: {e.Message}"); }
TaskSpec Spec(int terms) => new() { Name = "arithmetic", Parameters = new() { ["context"] = context.ToString(CultureInfo.InvariantCulture), ["digits"] = digits, ["terms"] = terms.ToString(CultureInfo.InvariantCulture) } };

sealed record Outcome(string Task, string Arm, long Seed, EvalResult Eval, double Spent, double Chosen, double IdentityShare, double SparseMs, double DenseMs, RouterStatistics? Stats);
var outcomes = new List<Outcome>();
foreach (var (taskName, spec) in taskSpecs)
    foreach (var (arm, config) in arms)
        for (var s = 0; s < seeds; s++)
        {
            var seed = exp.Seed + s;
            var training = exp.Training(steps, seed, evalEvery: steps) with { BatchSize = batch, EvalSequences = exp.Fast ? 32 : 128 };
            var result = exp.Train($"{taskName}-{arm}-seed-{seed}", config, spec, training);
            using var model = result.Run.LoadModel();
            var examples = Sampling.examples(spec.Create(), Seeds.Derive(seed, Seeds.Stream.Probe, 11), evalCount);
            var eval = Evaluator.Evaluate(model, examples);
            if (!model.Config.Routed)
            {
                outcomes.Add(new Outcome(taskName, arm, seed, eval, model.Config.NLayers, model.Config.NLayers, double.NaN, double.NaN, double.NaN, null));
                continue;
            }
            var stats = RouterStatistics.Measure(model, examples);
            // What sparse execution saves: the same evaluation with a listener on a block, which makes every block run
            // on every position at every step (the numbers are identical; tests check it).
            double Time(bool dense)
            {
                using var listen = dense ? model.AddHook("blocks.0.hook_resid_pre", (x, _) => null) : null;
                Evaluator.Evaluate(model, examples); // warm-up
                var clock = Stopwatch.StartNew();
                Evaluator.Evaluate(model, examples);
                return clock.Elapsed.TotalMilliseconds;
            }
            var identityShare = (double)stats.IdentityDecisions.Sum() / stats.Decisions.Sum();
            outcomes.Add(new Outcome(taskName, arm, seed, eval, stats.Compute.SpentPerToken, stats.Compute.ChosenPerToken, identityShare, Time(false), Time(true), stats));
        }

List<double> Accuracies(string task, string arm) => outcomes.Where(o => o.Task == task && o.Arm == arm).Select(o => o.Eval.Accuracy).ToList();
var perRun = outcomes.Select(o => (IReadOnlyList<string>)new[]
{
    o.Task, o.Arm, o.Seed.ToString(CultureInfo.InvariantCulture), Fmt.F(o.Eval.Accuracy, 4), Fmt.F(o.Eval.AccuracyLow, 4), Fmt.F(o.Eval.AccuracyHigh, 4),
    Fmt.F(o.Spent, 3), Fmt.F(o.Chosen, 3), Fmt.F(o.IdentityShare, 3), Fmt.F(o.SparseMs, 1), Fmt.F(o.DenseMs, 1),
}).ToList();
exp.Csv("runs.csv", new[] { "task", "arm", "seed", "accuracy", "accuracy_low", "accuracy_high", "blocks_run_per_token", "blocks_chosen_per_token", "identity_share", "eval_ms_sparse", "eval_ms_dense" }, perRun);
exp.Report.AddTable("every run: held-out accuracy on predictable positions (95% bootstrap over sequences), compute per token (blocks run; blocks chosen), identity share, evaluation time sparse vs every block",
    new[] { "task", "arm", "seed", "accuracy", "low", "high", "blocks run / token", "blocks chosen / token", "identity share", "eval ms (sparse)", "eval ms (all blocks)" }, perRun);

// Every claim of the script, decided together (Holm): each routed arm against the standard one, and identity layers.
var claims = new ClaimFamily("routed-arithmetic");
var againstStandard = new Dictionary<(string Task, string Arm), Claim>();
var identityClaims = new Dictionary<string, Claim>();
foreach (var (taskName, _) in taskSpecs)
{
    foreach (var (arm, _) in arms.Skip(1))
        againstStandard[(taskName, arm)] = claims.Add($"{taskName}: {arm} against standard", MeanComparison.Of(Accuracies(taskName, arm), Accuracies(taskName, "standard")));
    if (Accuracies(taskName, "per-token").Count > 0 && Accuracies(taskName, "per-token, no identity").Count > 0)
        identityClaims[taskName] = claims.Add($"{taskName}: identity layers", MeanComparison.Of(Accuracies(taskName, "per-token"), Accuracies(taskName, "per-token, no identity")));
}
string Decision(Claim c, string reference) => c.Sentence("better than", "worse than", reference);

foreach (var (taskName, _) in taskSpecs)
{
    var summary = new List<IReadOnlyList<string>>();
    foreach (var (arm, _) in arms)
    {
        var runs = outcomes.Where(o => o.Task == taskName && o.Arm == arm).ToList();
        var accuracy = runs.Select(o => o.Eval.Accuracy).ToList();
        var interval = MeanInterval.Of(accuracy).Within(0, 1);
        var claim = arm == "standard" ? null : againstStandard[(taskName, arm)];
        var difference = claim is null ? "" : claim.Comparison.Format(Fmt.P);
        var spent = runs.Average(o => o.Spent);
        var chosen = runs.Average(o => o.Chosen);
        var verdict = claim is null ? "baseline" : Decision(claim, "standard");
        summary.Add(new[] { arm, Fmt.P(interval.Mean), $"[{Fmt.P(interval.Low)}, {Fmt.P(interval.High)}]", difference, verdict, Fmt.F(spent, 2), Fmt.F(chosen, 2),
            runs.All(o => double.IsNaN(o.IdentityShare)) ? "" : Fmt.P(runs.Average(o => o.IdentityShare)),
            runs.All(o => double.IsNaN(o.SparseMs)) ? "" : $"{Fmt.F(runs.Average(o => o.SparseMs), 0)} / {Fmt.F(runs.Average(o => o.DenseMs), 0)}" });
        exp.Result($"{taskName} {arm}: accuracy {interval.Format(Fmt.P)} over {runs.Count} seeds" +
                   (claim is null ? "" : $"; minus standard {difference} ({verdict})") +
                   $"; blocks run per token {Fmt.F(spent, 2)}, chosen {Fmt.F(chosen, 2)}");
    }
    exp.Report.AddTable($"{taskName}: mean over seeds with 95% t intervals; difference from standard (Welch); result after Holm's correction over the script's {claims.Size} claims; compute per token in block applications (standard: its n_layers)",
        new[] { "arm", "accuracy", "95% interval", "minus standard (95%, p)", "result (Holm)", "blocks run / token", "blocks chosen / token", "identity share", "eval ms sparse / all blocks" }, summary);

    // Router statistics of the first seed of each routed arm, as heatmaps.
    foreach (var o in outcomes.Where(o => o.Task == taskName && o.Stats is not null && o.Seed == exp.Seed))
    {
        var st = o.Stats!;
        var sel = new double[st.Options.Count, st.Decisions.Length];
        for (var a = 0; a < st.Options.Count; a++)
            for (var t = 0; t < st.Decisions.Length; t++) sel[a, t] = st.Decisions[t] == 0 ? double.NaN : (double)st.Selection[a, t] / st.Decisions[t];
        var steps_ = Enumerable.Range(0, st.Decisions.Length).Select(t => $"step {t}").ToArray();
        exp.Report.AddHeatmap($"{taskName}, {o.Arm}, seed {o.Seed}: share of each step's decisions (rows: option)", sel, steps_, st.Options.ToArray(), zmin: 0, zmax: 1);
        var co = new double[st.Options.Count, st.Options.Count];
        for (var a = 0; a < st.Options.Count; a++)
            for (var b = 0; b < st.Options.Count; b++) co[a, b] = st.CoSelection[a, b];
        exp.Report.AddHeatmap($"{taskName}, {o.Arm}, seed {o.Seed}: co-selection (diagonal removed)", co, st.Options.ToArray(), st.Options.ToArray());
    }
}

// Conclusions from the numbers: which arms differ from the standard transformer, and what routing costs or saves.
var conclusions = new List<string>();
foreach (var (taskName, _) in taskSpecs)
{
    var verdicts = arms.Skip(1).Select(a => (Arm: a.Item1, Claim: againstStandard[(taskName, a.Item1)])).ToList();
    var better = verdicts.Where(v => v.Claim.Direction == Difference.Higher).Select(v => v.Arm).ToList();
    var worse = verdicts.Where(v => v.Claim.Direction == Difference.Lower).Select(v => v.Arm).ToList();
    conclusions.Add($"on {taskName}, " + (seeds < MeanComparison.MinSeeds
        ? $"too few seeds ({seeds}, need {MeanComparison.MinSeeds}) to compare the arms"
        : better.Count + worse.Count == 0
        ? $"no routed arm differs from the equal-size standard transformer over {seeds} seeds (after Holm's correction over {claims.Size} claims)"
        : $"{(better.Count > 0 ? "better than the equal-size standard transformer: " + string.Join(", ", better) : "none is better")}; " +
          $"{(worse.Count > 0 ? "worse: " + string.Join(", ", worse) : "none is worse")}"));
    if (identityClaims.TryGetValue(taskName, out var identity))
        conclusions.Add($"identity layers: the per-token pool with {identities} identity layer(s) against the same pool without: {Decision(identity, "the pool without")} " +
                        $"({Fmt.P(Accuracies(taskName, "per-token").Average())} against {Fmt.P(Accuracies(taskName, "per-token, no identity").Average())}, difference {identity.Comparison.Format(Fmt.P)})");
    var routed = outcomes.Where(o => o.Task == taskName && o.Arm == "per-token").ToList();
    var act = outcomes.Where(o => o.Task == taskName && o.Arm == "per-token+ACT").ToList();
    if (routed.Count > 0 && act.Count > 0)
        conclusions.Add($"ACT chose {Fmt.F(act.Average(o => o.Chosen), 2)} blocks per token against {Fmt.F(routed.Average(o => o.Chosen), 2)} without it (of {routeSteps} steps)");
    var perSequence = outcomes.Where(o => o.Task == taskName && o.Arm == "per-sequence").ToList();
    if (perSequence.Count > 0)
        conclusions.Add($"per-sequence routing gathers each block's sequences: {Fmt.F(perSequence.Average(o => o.Spent), 2)} blocks run per token " +
                        $"of {routeSteps} steps (identities and nothing else skipped), {Fmt.F(perSequence.Average(o => o.SparseMs), 0)} ms against {Fmt.F(perSequence.Average(o => o.DenseMs), 0)} ms running every block");
    if (routed.Count > 0)
        conclusions.Add($"per-token identity share {Fmt.P(routed.Average(o => o.IdentityShare))}; sparse evaluation ran {Fmt.F(routed.Average(o => o.Spent), 2)} blocks per token " +
                        $"against {poolSize * routeSteps} for every block at every step, {Fmt.F(routed.Average(o => o.SparseMs), 0)} ms against {Fmt.F(routed.Average(o => o.DenseMs), 0)} ms");
}
exp.Claims(claims);
exp.Conclude(string.Join("; ", conclusions) + (exp.Fast ? " (fast mode: tiny settings, the numbers mean nothing)" : ""));
exp.Save();
