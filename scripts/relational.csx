// The relational-task mechanism (issue 24 §4; Merullo et al. 2024, "Language Models Implement Simple Word2Vec-style
// Vector Arithmetic"; docs/design.md §4 "The relational mechanism"): models with MLPs trained on `relational`, where a
// relation token r and its argument x stand among filler entities and the answer after "?" is f_r(x) from a fixed random
// table. On held-out prompts of each seed: (1) the stream lens at the query position, after the embeddings and after each
// block's attention and MLP: where the argument x is the lens top-1, and where the answer f_r(x) is; (2) the additive
// update: block L's MLP output at a prompt A (relation r_A, argument x) added to another prompt B (relation r_B ≠ r_A,
// argument y ≠ x) after block L, L the first block whose MLP output leaves the answer top-1 for half the prompts; does B
// then answer f_rA(y) (A's function on B's argument), f_rA(x) (A's answer) or its own f_rB(y)? Both adding (B keeps its
// own MLP output) and swapping (B's own output removed). Controls: a random vector of the same norm, and the MLP output
// of a prompt C with A's argument and another relation; (3) saturation: per block the relative norm of the stream's
// update and the share of prompts whose lens top-1 no longer changes after it (early exit). Claims are paired by seed
// (the same model and prompts under treatment and control), 95% Student-t intervals, one Holm family, 5 seeds.
//   ./toolkit run scripts/relational.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 3000] [--layers 4] [--prompts 512] [--threads N]
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
var steps = exp.Setting("--steps", 3000, 60);
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
var mlpWrites = new List<double>();           // answer top-1 after the answer block's MLP minus after its attention
var updateAfter = new List<double>();         // the mean relative update of the blocks after it (seeds that have some)
var updateAtAnswerPaired = new List<double>();
var outcomes = new Dictionary<string, List<double>>();
void Keep(string key, double value) { if (!outcomes.TryGetValue(key, out var l)) outcomes[key] = l = new(); l.Add(value); }
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

    // (1) The stream lens at the query position.
    var lens = StreamLens.Run(trained, tokens, query, new[] { ("argument", (IReadOnlyList<long>)argument), ("answer", answer) });
    foreach (var p in lens)
    {
        lensRows.Add(new[] { seed.ToString(), p.Point.Name, Fmt.F(p["argument"].Top1, 4), Fmt.F(p["argument"].MeanRank, 2), Fmt.F(p["answer"].Top1, 4), Fmt.F(p["answer"].MeanRank, 2) });
        if (!lensPoints.TryGetValue(p.Point.Name, out var acc)) lensPoints[p.Point.Name] = acc = (new(), new());
        acc.Argument.Add(p["argument"].Top1);
        acc.Answer.Add(p["answer"].Top1);
    }
    var argumentPoint = StreamLens.FirstTop(lens, "argument");
    var answerPoint = lens.FirstOrDefault(p => p.Point.Site == StreamSite.AfterMlp && p["answer"].Top1 >= 0.5)?.Point;
    firstArgument.Add($"seed {seed}: {argumentPoint?.Name ?? "never"}");
    firstAnswer.Add($"seed {seed}: {StreamLens.FirstTop(lens, "answer")?.Name ?? "never"}");
    argumentBest.Add(lens.Max(p => p["argument"].Top1) - 1.0 / entities);
    Console.WriteLine($"   seed {seed} lens: " + string.Join(", ", lens.Select(p => $"{p.Point.Name} x {Fmt.P(p["argument"].Top1)} f(x) {Fmt.P(p["answer"].Top1)}")));

    // (3) Saturation at the query position.
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

    if (answerPoint is null)
    {
        exp.Result($"seed {seed}: no block's MLP output leaves the answer top-1 for half the prompts: no additive-update test");
        continue;
    }
    var block = answerPoint.Block;
    mlpWrites.Add(lens.First(p => p.Point == answerPoint)["answer"].Top1 - lens.First(p => p.Point == new StreamPoint(StreamSite.AfterAttention, block))["answer"].Top1);
    if (block < layers - 1)
    {
        updateAtAnswerPaired.Add(saturation[block].BlockUpdate);
        updateAfter.Add(saturation.Skip(block + 1).Average(s => s.BlockUpdate));
    }

    // (2) The additive update. B: every prompt; A: the next prompt with another relation and another argument;
    // C: A's tokens with another relation (not A's, and not B's where there are 3 or more).
    int n = prompts.Length;
    var a = Enumerable.Range(0, n).Select(i => Enumerable.Range(1, n - 1).Select(d => (i + d) % n)
        .First(j => relation[j] != relation[i] && argument[j] != argument[i])).ToArray();
    var cRelation = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, relations)
        .Where(r => r != relation[a[i]] && (relations < 3 || r != relation[i])).First()).ToArray();
    var cTokens = prompts.Select((_, i) =>
    {
        var t = (int[])prompts[a[i]].Tokens.Clone();
        t[prompts[a[i]].Meta["pair"]] = task.RelationToken(cRelation[i]);
        return t;
    }).ToArray();
    var aIndex = tensor(a.Select(j => (long)j).ToArray());
    var own = AdditiveUpdate.MlpOutputs(trained, tokens, query, block);
    var fromA = own.index_select(0, aIndex);
    var fromC = AdditiveUpdate.MlpOutputs(trained, Tensor2D(cTokens), a.Select(j => query[j]).ToArray(), block);
    var baseTop = lens[^1].TopTokens;
    var seedLine = new List<string>();
    void Measure(string mode, string source, Tensor update, Func<int, (int Relation, long Argument)> sourceOf)
    {
        var top = AdditiveUpdate.TopAfterAdding(trained, tokens, query, block, update);
        double Share(Func<int, bool> holds) => Enumerable.Range(0, n).Count(holds) / (double)n;
        Keep($"{mode} {source}: changed", Share(i => top[i] != baseTop[i]));
        Keep($"{mode} {source}: function on B's argument", Share(i => top[i] == task.Answer(sourceOf(i).Relation, (int)argument[i])));
        Keep($"{mode} {source}: A's answer", Share(i => top[i] == task.Answer(relation[a[i]], (int)argument[a[i]])));
        Keep($"{mode} {source}: B's own answer", Share(i => top[i] == answer[i]));
        seedLine.Add($"{mode} {source}: A's answer {Fmt.P(outcomes[$"{mode} {source}: A's answer"][^1])}, function on B's argument " +
                     $"{Fmt.P(outcomes[$"{mode} {source}: function on B's argument"][^1])}, B's own {Fmt.P(outcomes[$"{mode} {source}: B's own answer"][^1])}");
    }
    (int, long) A(int i) => (relation[a[i]], argument[a[i]]);
    (int, long) C(int i) => (cRelation[i], argument[a[i]]);
    foreach (var (mode, baseline) in new[] { ("add", zeros_like(own)), ("swap", own) })
    {
        Tensor Minus(Tensor u) => u.sub(baseline);
        Measure(mode, "A", Minus(fromA), A);
        Measure(mode, "random", AdditiveUpdate.RandomOfSameNorm(Minus(fromA), 1000 + seed), A);
        Measure(mode, "C", Minus(fromC), C);
    }
    exp.Result($"seed {seed}: answer block {block} ({answerPoint.Name}); " + string.Join("; ", seedLine));
}

Tensor Tensor2D(int[][] rows)
{
    var flat = rows.SelectMany(r => r.Select(t => (long)t)).ToArray();
    return tensor(flat, new long[] { rows.Length, rows[0].Length });
}

exp.Csv("lens.csv", new[] { "seed", "point", "argument_top1", "argument_mean_rank", "answer_top1", "answer_mean_rank" }, lensRows);
exp.Csv("saturation.csv", new[] { "seed", "block", "attention_update", "mlp_update", "block_update", "top_changed", "agrees_with_final", "settled_by" }, saturationRows);
exp.Csv("update.csv", new[] { "measure", "per_seed" }, outcomes.Select(o => (IReadOnlyList<string>)new[] { o.Key, string.Join(" ", o.Value.Select(v => Fmt.F(v, 4))) }));

string Mean(IReadOnlyList<double> v) => MeanInterval.Of(v).Within(0, 1).Format(Fmt.P);
exp.Result($"accuracy in distribution over {seeds} seeds: {Mean(accuracy)} (per seed {string.Join(", ", accuracy.Select(Fmt.P))})");
exp.Result("lens top-1 share at the query position, mean over seeds [95% t]: " + string.Join("; ", lensPoints.Select(p => $"{p.Key}: x {Mean(p.Value.Argument)}, f(x) {Mean(p.Value.Answer)}")));
exp.Result($"first point where x is the lens top-1 for half the prompts: {string.Join(", ", firstArgument)}; where f(x) is: {string.Join(", ", firstAnswer)}");
exp.Result("saturation per block, mean over seeds: " + string.Join("; ", saturationBlocks.Select(b =>
    $"block {b.Key}: update ‖Δ‖/‖x‖ {MeanInterval.Of(b.Value.Block).Format(x => Fmt.F(x, 3))} (MLP {MeanInterval.Of(b.Value.Mlp).Format(x => Fmt.F(x, 3))}), top-1 settled by it {Mean(b.Value.Settled)}")));
exp.Result($"first block after which the lens top-1 stops changing for 99% of prompts (an early exit losing at most 1%): {string.Join(", ", saturatedBy)}");
foreach (var o in outcomes) exp.Result($"{o.Key}: {Mean(o.Value)} over {o.Value.Count} seeds");

// One Holm family: every causal word against its control, paired by seed.
var claims = new ClaimFamily("relational mechanism");
var surfaced = claims.Add("the argument is the lens top-1 at some point above chance", MeanComparison.FromZero(argumentBest));
var writes = mlpWrites.Count > 0 ? claims.Add("the answer block's MLP raises the answer's lens top-1 share", MeanComparison.FromZero(mlpWrites)) : null;
var saturates = updateAfter.Count > 0 ? claims.Add("blocks after the answer block update the stream less than it", MeanComparison.PairedOf(updateAfter, updateAtAnswerPaired)) : null;
Claim? Versus(string what, string treatment, string control) =>
    outcomes.TryGetValue(treatment, out var t) && outcomes.TryGetValue(control, out var c) ? claims.Add(what, MeanComparison.PairedOf(t, c)) : null;
var addAnswer = Versus("adding A's MLP output makes B answer A's answer, more than a random vector", "add A: A's answer", "add random: A's answer");
var addFunction = Versus("adding A's MLP output makes B answer A's function of B's argument, more than a random vector", "add A: function on B's argument", "add random: function on B's argument");
var addRelation = Versus("A's answer follows A's relation: more than from C (A's argument, another relation)", "add A: A's answer", "add C: A's answer");
var swapAnswer = Versus("swapping in A's MLP output makes B answer A's answer, more than a random vector", "swap A: A's answer", "swap random: A's answer");
var swapFunction = Versus("swapping in A's MLP output makes B answer A's function of B's argument, more than a random vector", "swap A: function on B's argument", "swap random: function on B's argument");
var swapRelation = Versus("swapped, A's answer follows A's relation: more than from C", "swap A: A's answer", "swap C: A's answer");
exp.Result($"argument surfaced (best lens top-1 share minus chance): {surfaced.Detail(Fmt.P)}: {surfaced.Words("surfaced", "below chance", "not shown")}");
if (writes is not null)
    exp.Result($"answer written by the answer block's MLP (lens top-1 after its MLP minus after its attention): {writes.Detail(Fmt.P)}: {writes.Words("the MLP writes it", "the MLP removes it", "not shown")}");
if (saturates is not null)
    exp.Result($"saturation (mean update of the later blocks minus the answer block's, {updateAfter.Count} seeds with later blocks): {saturates.Detail(x => Fmt.F(x, 3))}: {saturates.Words("later blocks change more", "the stream saturates", "not shown")}");
foreach (var (claim, what) in new[] { (addAnswer, "add: A's answer, A against random"), (addFunction, "add: A's function on B's argument, A against random"), (addRelation, "add: A's answer, A against C"),
    (swapAnswer, "swap: A's answer, A against random"), (swapFunction, "swap: A's function on B's argument, A against random"), (swapRelation, "swap: A's answer, A against C") })
    if (claim is not null) exp.Result($"{what}: {claim.Detail(Fmt.P)}: {claim.Words("higher", "lower", "not shown")}");
exp.Claims(claims);

string Said(Claim? c, string yes, string no, Difference shown = Difference.Higher) => c is not null && c.Direction == shown ? yes : no;
exp.Conclude($"{layers}-layer models with MLPs reach {Mean(accuracy)} on held-out prompts of the relational task. " +
    Said(surfaced, "The argument surfaces at the query position (it is the lens top-1 for more prompts than chance) ", "The argument is not shown to surface at the query position ") +
    $"(first at {string.Join(", ", firstArgument)}), the answer at {string.Join(", ", firstAnswer)}; " +
    Said(writes, "the answer block's MLP writes the answer; ", "the answer block's MLP is not shown to write the answer; ") +
    Said(addAnswer, "added to another prompt, its output makes that prompt answer the source's answer f_rA(x) more often than a random vector of the same norm", "added to another prompt, its output is not shown to carry the source's answer beyond a random vector") +
    Said(addFunction, ", and applies the source's relation to the new prompt's argument (a function, as Merullo et al. found)", ", and is not shown to apply the source's relation to the new prompt's argument (a looked-up answer rather than a function)") +
    Said(addRelation, "; the answer it carries follows the source's relation (above a prompt with the same argument and another relation)", "; it is not shown to carry more than the same argument under another relation") +
    Said(saturates, ". Later blocks update the stream less than the answer block (saturation).", ". Saturation after the answer block is not shown.", Difference.Lower));
exp.Save();
