// The relational-task mechanism (issue 24 §4; Merullo et al. 2024, "Language Models Implement Simple Word2Vec-style
// Vector Arithmetic"; docs/design.md §4 "The relational mechanism"): models with MLPs trained on `relational`, where a
// relation token r and its argument x stand among filler entities and the answer after "?" is f_r(x) from a fixed random
// table. On held-out prompts of each seed: (1) the stream lens at the query position, after the embeddings and after each
// block's attention and MLP, and the same at the argument's position: where the argument x is the lens top-1, and where
// the answer f_r(x) is; (2) the additive update, at the query and at the argument's position: block L's MLP output there
// in a prompt A (relation r_A, argument x) added to another prompt B (relation r_B ≠ r_A, argument y ≠ x) after block
// L, L the block whose MLP raises the answer's lens top-1 share there the most; does B then answer f_rA(y) (A's function
// on B's argument), f_rA(x) (A's answer) or its own f_rB(y)? Adding (B keeps its own MLP output), swapping (B's own
// output removed) and removing B's own (is it needed). Controls: a random vector of the same norm, and the MLP output
// of a prompt C with A's argument and another relation; (3) saturation: per block the relative norm of the stream's
// update and the share of prompts whose lens top-1 no longer changes after it (early exit). Claims are paired by seed
// (the same model and prompts under treatment and control), 95% Student-t intervals, one Holm family, 5 seeds.
//   ./toolkit run scripts/relational.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 1500] [--layers 4] [--prompts 512] [--threads N]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Configs;
using Toolkit.Analysis;
using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using static TorchSharp.torch;

var exp = new Experiment("relational", "The relational-task mechanism: argument surfacing, an additive MLP update, saturation", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var steps = exp.Setting("--steps", 1500, 60);
var layers = exp.Setting("--layers", 4, 3);
var promptCount = exp.Setting("--prompts", 512, 32);
var spec = new TaskSpec
{
    Name = "relational",
    Parameters = exp.Fast
        ? new() { ["context"] = "8", ["relations"] = "3", ["entities"] = "8", ["length"] = "3..6" }
        : new() { ["context"] = "16", ["relations"] = "4", ["entities"] = "32", ["length"] = "4..12" },
};
var task = (Relational)Catalog.Create(spec.Name, spec.Parameters);
int relations = task.Vocabulary.Reserved.Length - 2, entities = task.Vocabulary.ContentCount;
var model = new ModelConfig
{
    NLayers = layers, NHeads = exp.Fast ? 2 : 4, DModel = exp.Fast ? 16 : 64, DMlp = exp.Fast ? 64 : 256, AttnOnly = false,
    NormalizationType = Normalization.LN, DVocab = task.Vocabulary.Size, NCtx = ((ITask)task).Context,
};
exp.Result($"settings: task relational {string.Join(" ", task.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))} ({relations} relations over {entities} entities, chance {Fmt.P(1.0 / entities)}); " +
           $"model {layers} layers, {model.NHeads} heads, d_model {model.DModel}, d_mlp {model.DMlp}, LayerNorm; {steps} steps, seeds {exp.Seed}..{exp.Seed + seeds - 1}; {promptCount} held-out prompts per seed");

var results = exp.TrainAll(Enumerable.Range(0, seeds).Select(k => ($"seed{exp.Seed + k}", model, spec, exp.Training(steps, exp.Seed + k))));

// Per seed: what the claims compare (paired by seed).
var accuracy = new List<double>();
var argumentBest = new List<double>();        // the argument's best lens top-1 share at any point, minus chance
var mlpWrites = new Dictionary<string, List<double>>(); // per site: answer top-1 after the answer block's MLP minus after its attention
var updateAfter = new List<double>();         // the mean relative update of the blocks after it (seeds that have some)
var updateAtAnswerPaired = new List<double>();
var outcomes = new Dictionary<string, List<double>>();
void Keep(Dictionary<string, List<double>> into, string key, double value) { if (!into.TryGetValue(key, out var l)) into[key] = l = new(); l.Add(value); }
var lensRows = new List<IReadOnlyList<string>>();
var saturationRows = new List<IReadOnlyList<string>>();
var lensPoints = new Dictionary<string, (List<double> Argument, List<double> Answer)>();
var saturationBlocks = new Dictionary<int, (List<double> Block, List<double> Mlp, List<double> Settled)>();
var firstArgument = new List<string>();
var firstAnswer = new List<string>();
var saturatedBy = new List<string>();

foreach (var (result, k) in results.Select((r, k) => (r, k)))
{
    var seed = exp.Seed + k;
    var verdict = VerdictTables.Judge(result);
    accuracy.Add(verdict.InDistribution.Accuracy);
    exp.Result($"seed {seed}: in distribution {Fmt.P(verdict.InDistribution.Accuracy)} [{Fmt.P(verdict.InDistribution.AccuracyLow)}, {Fmt.P(verdict.InDistribution.AccuracyHigh)}]; " +
               string.Join("; ", verdict.Probes.Select(p => $"{p.Name} [{(p.Kind.IsInside ? "inside" : "outside")}] {Fmt.P(p.Eval.Accuracy)} [{Fmt.P(p.Eval.AccuracyLow)}, {Fmt.P(p.Eval.AccuracyHigh)}]")) +
               $"; verdict: {verdict.Headline}");

    using var scope = NewDisposeScope();
    using var trained = result.Run.LoadModel();
    // Held-out prompts: a sample seed no training batch uses.
    var prompts = Sampling.examples(task, 7_000_000UL + (ulong)seed, promptCount);
    var tokens = Tensor2D(prompts.Select(p => p.Tokens).ToArray());
    var query = prompts.Select(p => (long)p.Meta["query"]).ToArray();
    var argument = prompts.Select(p => (long)p.Meta["argument"]).ToArray();
    var answer = prompts.Select(p => (long)p.Meta["result"]).ToArray();
    var relation = prompts.Select(p => p.Meta["relation"]).ToArray();

    // (1) The stream lens at the query position (where the answer is predicted) and at the argument's position.
    var argumentAt = prompts.Select(p => (long)p.Meta["pair"] + 1).ToArray();
    var sites = new[] { ("query", query), ("argument", argumentAt) };
    var lenses = new Dictionary<string, IReadOnlyList<StreamLensPoint>>();
    foreach (var (site, positions) in sites)
    {
        var lens = lenses[site] = StreamLens.Run(trained, tokens, positions, new[] { ("argument", (IReadOnlyList<long>)argument), ("answer", answer) });
        foreach (var p in lens)
        {
            lensRows.Add(new[] { seed.ToString(), site, p.Point.Name, Fmt.F(p["argument"].Top1, 4), Fmt.F(p["argument"].MeanRank, 2), Fmt.F(p["answer"].Top1, 4), Fmt.F(p["answer"].MeanRank, 2) });
            if (!lensPoints.TryGetValue($"at the {site}, {p.Point.Name}", out var acc)) lensPoints[$"at the {site}, {p.Point.Name}"] = acc = (new(), new());
            acc.Argument.Add(p["argument"].Top1);
            acc.Answer.Add(p["answer"].Top1);
        }
        firstArgument.Add($"seed {seed} at the {site}: {StreamLens.FirstTop(lens, "argument")?.Name ?? "never"}");
        firstAnswer.Add($"seed {seed} at the {site}: {StreamLens.FirstTop(lens, "answer")?.Name ?? "never"}");
        Console.WriteLine($"   seed {seed} lens at the {site}: " + string.Join(", ", lens.Select(p => $"{p.Point.Name} x {Fmt.P(p["argument"].Top1)} f(x) {Fmt.P(p["answer"].Top1)}")));
    }
    argumentBest.Add(lenses["query"].Max(p => p["argument"].Top1) - 1.0 / entities);

    // (3) Saturation at the query position, against the first block after which the answer is the lens top-1 there.
    var saturation = Saturation.Run(trained, tokens, query);
    foreach (var s in saturation)
    {
        saturationRows.Add(new[] { seed.ToString(), s.Block.ToString(), Fmt.F(s.AttentionUpdate, 4), Fmt.F(s.MlpUpdate, 4), Fmt.F(s.BlockUpdate, 4), Fmt.F(s.TopChanged, 4), Fmt.F(s.AgreesWithFinal, 4), Fmt.F(s.SettledBy, 4) });
        if (!saturationBlocks.TryGetValue(s.Block, out var acc)) saturationBlocks[s.Block] = acc = (new(), new(), new());
        acc.Block.Add(s.BlockUpdate);
        acc.Mlp.Add(s.MlpUpdate);
        acc.Settled.Add(s.SettledBy);
    }
    saturatedBy.Add($"seed {seed}: block {saturation.First(s => s.SettledBy >= 0.99).Block}");
    if (StreamLens.FirstTop(lenses["query"], "answer") is { } appears && appears.Block >= 0 && appears.Block < layers - 1)
    {
        updateAtAnswerPaired.Add(saturation[appears.Block].BlockUpdate);
        updateAfter.Add(saturation.Skip(appears.Block + 1).Average(s => s.BlockUpdate));
    }

    // (2) The additive update at each site. B: every prompt; A: the next prompt with another relation and another
    // argument; C: A's tokens with another relation (not A's, and not B's where there are 3 or more). The update is
    // added at the site in B and B's answer read at its query.
    int n = prompts.Length;
    var a = Enumerable.Range(0, n).Select(i => Enumerable.Range(1, n - 1).Select(d => (i + d) % n)
        .First(j => relation[j] != relation[i] && argument[j] != argument[i])).ToArray();
    var cRelation = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, relations)
        .Where(r => r != relation[a[i]] && (relations < 3 || r != relation[i])).First()).ToArray();
    var cTokens = Tensor2D(prompts.Select((_, i) =>
    {
        var t = (int[])prompts[a[i]].Tokens.Clone();
        t[prompts[a[i]].Meta["pair"]] = task.RelationToken(cRelation[i]);
        return t;
    }).ToArray());
    var aIndex = tensor(a.Select(j => (long)j).ToArray());
    var baseTop = lenses["query"][^1].TopTokens;
    var seedLine = new List<string>();
    foreach (var (site, positions) in sites)
    {
        // The answer block at this site: the block whose MLP raises the answer's lens top-1 share there the most.
        var lens = lenses[site];
        double Raise(int b) => lens.First(p => p.Point == new StreamPoint(StreamSite.AfterMlp, b))["answer"].Top1 - lens.First(p => p.Point == new StreamPoint(StreamSite.AfterAttention, b))["answer"].Top1;
        var block = Enumerable.Range(0, layers).MaxBy(Raise);
        Keep(mlpWrites, site, Raise(block));
        var own = AdditiveUpdate.MlpOutputs(trained, tokens, positions, block);
        var fromA = own.index_select(0, aIndex);
        var fromC = AdditiveUpdate.MlpOutputs(trained, cTokens, a.Select(j => positions[j]).ToArray(), block);
        void Measure(string mode, string source, Tensor update, Func<int, int> relationOf)
        {
            var top = AdditiveUpdate.TopAfterAdding(trained, tokens, positions, block, update, query);
            double Share(Func<int, bool> holds) => Enumerable.Range(0, n).Count(holds) / (double)n;
            var key = $"at the {site}, {mode} {source}";
            Keep(outcomes, $"{key}: changed", Share(i => top[i] != baseTop[i]));
            Keep(outcomes, $"{key}: function on B's argument", Share(i => top[i] == task.Answer(relationOf(i), (int)argument[i])));
            Keep(outcomes, $"{key}: A's answer", Share(i => top[i] == task.Answer(relation[a[i]], (int)argument[a[i]])));
            Keep(outcomes, $"{key}: B's own answer", Share(i => top[i] == answer[i]));
            seedLine.Add($"{key}: A's answer {Fmt.P(outcomes[$"{key}: A's answer"][^1])}, function on B's argument " +
                         $"{Fmt.P(outcomes[$"{key}: function on B's argument"][^1])}, B's own {Fmt.P(outcomes[$"{key}: B's own answer"][^1])}");
        }
        foreach (var (mode, baseline) in new[] { ("add", zeros_like(own)), ("swap", own) })
        {
            Measure(mode, "A", fromA.sub(baseline), i => relation[a[i]]);
            Measure(mode, "random", AdditiveUpdate.RandomOfSameNorm(fromA.sub(baseline), 1000 + seed), i => relation[a[i]]);
            Measure(mode, "C", fromC.sub(baseline), i => cRelation[i]);
        }
        // Necessity: B's own MLP output removed, against a random vector of its norm removed.
        Measure("remove", "own", own.neg(), i => relation[i]);
        Measure("remove", "random", AdditiveUpdate.RandomOfSameNorm(own, 2000 + seed).neg(), i => relation[i]);
        seedLine.Insert(seedLine.Count - 8, $"at the {site}: answer block {block}");
    }
    exp.Result($"seed {seed}: " + string.Join("; ", seedLine));
}

Tensor Tensor2D(int[][] rows)
{
    var flat = rows.SelectMany(r => r.Select(t => (long)t)).ToArray();
    return tensor(flat, new long[] { rows.Length, rows[0].Length });
}

exp.Csv("lens.csv", new[] { "seed", "site", "point", "argument_top1", "argument_mean_rank", "answer_top1", "answer_mean_rank" }, lensRows);
exp.Csv("saturation.csv", new[] { "seed", "block", "attention_update", "mlp_update", "block_update", "top_changed", "agrees_with_final", "settled_by" }, saturationRows);
exp.Csv("update.csv", new[] { "measure", "per_seed" }, outcomes.Select(o => (IReadOnlyList<string>)new[] { o.Key, string.Join(" ", o.Value.Select(v => Fmt.F(v, 4))) }));

string Mean(IReadOnlyList<double> v) => MeanInterval.Of(v).Within(0, 1).Format(Fmt.P);
exp.Result($"accuracy in distribution over {seeds} seeds: {Mean(accuracy)} (per seed {string.Join(", ", accuracy.Select(Fmt.P))})");
exp.Result("lens top-1 share, mean over seeds [95% t]: " + string.Join("; ", lensPoints.Select(p => $"{p.Key}: x {Mean(p.Value.Argument)}, f(x) {Mean(p.Value.Answer)}")));
exp.Result($"first point where x is the lens top-1 for half the prompts: {string.Join(", ", firstArgument)}; where f(x) is: {string.Join(", ", firstAnswer)}");
exp.Result("saturation per block, mean over seeds: " + string.Join("; ", saturationBlocks.Select(b =>
    $"block {b.Key}: update ‖Δ‖/‖x‖ {MeanInterval.Of(b.Value.Block).Format(x => Fmt.F(x, 3))} (MLP {MeanInterval.Of(b.Value.Mlp).Format(x => Fmt.F(x, 3))}), top-1 settled by it {Mean(b.Value.Settled)}")));
exp.Result($"first block after which the lens top-1 stops changing for 99% of prompts (an early exit losing at most 1%): {string.Join(", ", saturatedBy)}");
foreach (var o in outcomes) exp.Result($"{o.Key}: {Mean(o.Value)} over {o.Value.Count} seeds");

// One Holm family: every causal word against its control, paired by seed.
var claims = new ClaimFamily("relational mechanism");
var surfaced = claims.Add("the argument is the lens top-1 at the query at some point, above chance", MeanComparison.FromZero(argumentBest));
var writes = mlpWrites.ToDictionary(w => w.Key, w => claims.Add($"at the {w.Key}, the answer block's MLP raises the answer's lens top-1 share", MeanComparison.FromZero(w.Value)));
var saturates = updateAfter.Count > 0 ? claims.Add("blocks after the answer appears at the query update the stream less than that block", MeanComparison.PairedOf(updateAfter, updateAtAnswerPaired)) : null;
var versus = new List<(string Site, string Mode, string What, Claim Claim)>();
foreach (var site in new[] { "query", "argument" })
    foreach (var mode in new[] { "add", "swap" })
        foreach (var (what, measure, control) in new[] { ("A's answer, A against random", "A's answer", "random"), ("A's function on B's argument, A against random", "function on B's argument", "random"), ("A's answer, A against C", "A's answer", "C") })
            if (outcomes.TryGetValue($"at the {site}, {mode} A: {measure}", out var t) && outcomes.TryGetValue($"at the {site}, {mode} {control}: {measure}", out var c))
                versus.Add((site, mode, what, claims.Add($"at the {site}, {mode}: {what}", MeanComparison.PairedOf(t, c))));
foreach (var site in new[] { "query", "argument" })
    if (outcomes.TryGetValue($"at the {site}, remove own: B's own answer", out var t) && outcomes.TryGetValue($"at the {site}, remove random: B's own answer", out var c))
        versus.Add((site, "remove", "B's own answer, the MLP output against random", claims.Add($"at the {site}, remove: B's own answer, the MLP output against random", MeanComparison.PairedOf(t, c))));
exp.Result($"argument surfaced at the query (best lens top-1 share minus chance): {surfaced.Detail(Fmt.P)}: {surfaced.Words("above", "below", "chance")}");
foreach (var (site, claim) in writes)
    exp.Result($"at the {site}, answer written by the answer block's MLP (lens top-1 after its MLP minus after its attention, {mlpWrites[site].Count} seeds): {claim.Detail(Fmt.P)}: {claim.Words("higher than", "lower than", "after its attention")}");
if (saturates is not null)
    exp.Result($"saturation at the query (mean update of the blocks after the answer appears minus that block's, {updateAfter.Count} seeds with later blocks): {saturates.Detail(x => Fmt.F(x, 3))}: {saturates.Words("more than", "less than", "the block where the answer appears")}");
foreach (var v in versus)
    exp.Result($"at the {v.Site}, {v.Mode}: {v.What}: {v.Claim.Detail(Fmt.P)}: {v.Claim.Words("higher than", "lower than", "the control")}");
exp.Claims(claims);

bool Shown(Claim? c, Difference direction = Difference.Higher) => c is not null && c.Direction == direction;
string Transfer(string site)
{
    bool Higher(string mode, string what) => versus.Any(v => v.Site == site && v.Mode == mode && v.What == what && Shown(v.Claim));
    string Mode(string mode) =>
        Higher(mode, "A's function on B's argument, A against random") ? $"{mode}: B answers A's function of its own argument f_rA(y) (a function moved)"
        : Higher(mode, "A's answer, A against random") ? $"{mode}: B answers A's answer f_rA(x) (a looked-up answer moved)" + (Higher(mode, "A's answer, A against C") ? ", more than from the same argument under another relation" : "")
        : $"{mode}: no change beyond a random vector shown";
    var needed = versus.Any(v => v.Site == site && v.Mode == "remove" && Shown(v.Claim, Difference.Lower)) ? "removing it costs B its answer beyond a random vector" : "removing it is not shown to cost more than a random vector";
    return !mlpWrites.ContainsKey(site) ? $"at the {site}: no answer block" : $"at the {site}, {Mode("add")}; {Mode("swap")}; {needed}";
}
exp.Conclude($"{layers}-layer models with MLPs reach {Mean(accuracy)} on held-out prompts of the relational task. " +
    (Shown(surfaced) ? "The argument surfaces at the query position" : "The argument is not shown to surface at the query position (it is never the lens top-1 there beyond chance)") +
    $"; the answer first appears {string.Join(", ", firstAnswer)}. " +
    string.Join("; ", writes.Select(w => $"at the {w.Key}, the answer block's MLP {(Shown(w.Value) ? "writes the answer" : "is not shown to write the answer")}")) + ". " +
    $"The answer block's MLP output moved to another prompt ({Transfer("query")}; {Transfer("argument")}). " +
    (Shown(saturates, Difference.Lower) ? "After the answer appears, later blocks update the stream less (saturation)" : "Saturation after the answer appears is not shown") +
    $"; the lens top-1 stops changing for 99% of prompts after {string.Join(", ", saturatedBy)}.");
exp.Save();
