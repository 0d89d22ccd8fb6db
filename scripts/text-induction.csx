// Where induction forms on text (issue 27 §1): a budget ladder on one long-document corpus too large to memorize, the
// Python 3.11 documentation's reStructuredText sources (11 MB of one style, Debian's python3.11-doc, fetched, pinned
// and checksummed by ./toolkit at set-up into .toolkit/corpora; docs/design.md §4 "Text corpora"), in byte tokens (and
// in GPT-2's BPE, renumbered to the 21,886 tokens the corpus uses, with --tokenizers byte,gpt2: its unembedding makes a
// step far slower on this CPU, 2.8k tokens/s on 2 threads, so 8M tokens take 50 min; --bpe-vocab 2048 keeps the 2,046
// commonest and makes the rest, 10% of this corpus, UNK, at about a byte step's cost). The same model (2 attention-only
// layers, 4 heads, d_model 64, context 256) trains at each budget in tokens seen (steps × batch × context; 8M → 16M →
// 32M → 64M → 200M by default, the issue's bound; each budget its own run from scratch), per tokenizer and seed. Per run:
//   - held-out loss and accuracy on windows of the corpus's end that never occur in its training part;
//   - the repeated-random-tokens measure (Olsson et al. 2022; docs/design.md §4), which reads no head score: a string of
//     distinct tokens drawn uniformly from the commonest tokens that make up 99% of the training part (rare tokens,
//     such as the bytes inside multi-byte characters, would test the model out of distribution), then its repeat;
//     second- minus first-copy loss, and the share of the repeat a greedy continuation writes, against chance and the
//     same seed's untrained model;
//   - the best induction and layer-0 previous-token head scores, each beside the same seed's untrained model's;
//   - the phase change on the training loss curve (the library's rule, PhaseChange.Rule).
// With ≥ 2 seeds at a budget, the excess over the untrained model is a mean with its 95% t interval over seeds
// (docs/design.md §4 statistics); one seed is reported as one seed. The same ladder runs as a sweep on a cluster:
// grids/text-induction.json (toolkit sweep grids/text-induction.json --out sweeps/text-induction --slurm).
//   ./toolkit run scripts/text-induction.csx [--fast] [--out DIR] [--seed N] [--seeds 1] [--budgets 8,16,32,64,200]
//        [--corpus PATH] [--tokenizers byte] [--bpe-vocab all] [--lr 0.002] [--context 256] [--d-model 64] [--positions standard]
#load "toolkit.csx"
#load "lib/experiment.csx"
#load "lib/corpora.csx"
using System.Globalization;
using System.Security.Cryptography;
using Toolkit;
using Toolkit.Analysis;
using Toolkit.Configs;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

var exp = new Experiment("text-induction", "Where induction forms on text: a budget ladder on the Python documentation", Args);
var seeds = exp.Setting("--seeds", 1, 1);
// Budgets in millions of tokens seen; fast mode trains a few thousand tokens.
var budgets = exp.Str("--budgets", exp.Fast ? "0.004,0.008" : "8,16,32,64,200").Split(',')
    .Select(b => double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
        : throw new ToolkitException($"--budgets: '{b}' is not a positive number of millions of tokens", "e.g. --budgets 8,16,32"))
    .ToList();
// Fast mode runs both tokenizers, so the smoke test covers the BPE path.
var tokenizers = exp.Str("--tokenizers", exp.Fast ? "byte,gpt2" : "byte").Split(',');
// The BPE vocabulary, PAD and UNK included: "all" keeps every token the corpus uses; N keeps the N - 2 commonest and
// makes the rest UNK (the text task's bpe_vocab), so a BPE step costs about what a byte step does.
var bpeVocab = exp.Str("--bpe-vocab", exp.Fast ? "64" : "all");
var lr = exp.Double("--lr", 2e-3);
var context = exp.Setting("--context", 256, 32);
var dModel = exp.Int("--d-model", exp.Model().DModel);
// The positional embedding: standard (learned, the default), sinusoidal, rotary, shortformer or none (the toolkit's names).
var positionsName = exp.Str("--positions", "standard");
var positions = SettingChoices.FromName<PositionalEmbedding>(positionsName)
    ?? throw new ToolkitException($"--positions: '{positionsName}' is not a positional embedding",
        "use one of " + string.Join(", ", SettingChoices.Names(typeof(PositionalEmbedding))));
var batchSize = exp.Fast ? 4 : 16;

var corpusPath = Corpora.Find(exp, "--corpus", "python-docs.txt", "long-document corpus", "python3.11-doc", "a plain-text file");
// Fast mode reads the corpus's first 128 KB only.
if (exp.Fast) corpusPath = Corpora.Prefix(exp, corpusPath);
string sha;
using (var file = File.OpenRead(corpusPath)) sha = Convert.ToHexString(SHA256.HashData(file)).ToLowerInvariant();
exp.Result($"corpus {corpusPath}: {new FileInfo(corpusPath).Length} bytes, sha256 {sha[..12]}…; model 2 attention-only layers × 4 heads, d_model {dModel}, " +
           $"{positionsName} positions, context {context}; batch {batchSize}, lr {lr}");

// Per tokenizer: the task, the model, and the repeated strings' alphabet (the commonest tokens that make up 99% of the
// training part), as long as the context allows.
sealed record Tokenized(string Tokenizer, TaskSpec Task, TextTask Created, ModelConfig Model, int[] Alphabet, int Length, ITask HeldOut);
Tokenized Tokenize(string tokenizer)
{
    var task = new TaskSpec { Name = "text", Parameters = new() { ["corpus"] = corpusPath, ["format"] = "plain", ["context"] = context.ToString(), ["tokenizer"] = tokenizer } };
    if (tokenizer != "byte") task.Parameters["bpe_vocab"] = bpeVocab;
    var created = (TextTask)task.Create();
    var model = exp.Model() with { DModel = dModel, DVocab = created.Vocabulary.Size, NCtx = context, PositionalEmbeddingType = positions };
    var trainingPart = created.CorpusTokens.Take(created.Split).Where(t => t >= created.Vocabulary.ContentStart).ToList();
    var alphabet = RepeatedRandomTokens.CommonestTokens(trainingPart, 0.99);
    var length = Math.Min(context / 2, alphabet.Length);
    var unkId = created.Vocabulary.Reserved.ToList().IndexOf("UNK");
    var unknown = unkId < 0 ? 0 : created.CorpusTokens.Count(t => t == unkId);
    exp.Result($"{tokenizer}: {created.CorpusTokens.Length} tokens ({created.Split} in the training part), {trainingPart.Distinct().Count()} distinct in it, d_vocab {model.DVocab}" +
               (unknown > 0 ? $" (bpe_vocab {bpeVocab}: {Fmt.P((double)unknown / created.CorpusTokens.Length)} of the corpus is UNK)" : "") + "; " +
               $"repeated strings of {length} distinct tokens drawn from the {alphabet.Length} commonest (99% of the training part; chance of a greedy guess 1 in {alphabet.Length})");
    using (var layout = ScoringBatch.Create(model, [created], 0))
        exp.Result($"{tokenizer}: head scores on the {layout.Layout}");
    return new Tokenized(tokenizer, task, created, model, alphabet, length, created.Probes.Single(p => p.Name == "held-out-text").Task);
}
var tokenized = tokenizers.Select(Tokenize).ToList();
var rrtSequences = exp.Fast ? 8 : 64;

sealed record Measures(double Loss, double Accuracy, RepeatedTokensScore Repeats, double Induction, double PreviousToken, int InductionHeads, int PreviousTokenHeads);
Measures Measure(Tokenized t, HookedTransformer m, long seed)
{
    var eval = Evaluator.Evaluate(m, t.HeldOut, Seeds.Derive(seed, Seeds.Stream.Eval), exp.EvalCount);
    using var scoring = ScoringBatch.ForRun(m, t.Created, seed);
    var heads = HeadScores.Compute(m, scoring);
    var repeats = RepeatedRandomTokens.Compute(m, t.Alphabet, t.Length, rrtSequences, (int)(Seeds.Derive(seed, Seeds.Stream.Probe, 27) % int.MaxValue));
    return new Measures(eval.Loss, eval.Accuracy, repeats, heads.Heads.Max(h => h.Induction),
        heads.Heads.Where(h => h.Layer == 0).Max(h => h.PreviousToken), heads.Named(HeadRole.Induction).Count, heads.Named(HeadRole.PreviousToken).Count);
}

// Every run first, side by side where the cores allow (the seed runner), then each is measured in order.
string Budget(double b) => b.ToString(CultureInfo.InvariantCulture);
int StepsOf(double budget) => (int)Math.Ceiling(budget * 1e6 / (batchSize * context));
var rungs = tokenized.SelectMany(t => budgets.SelectMany(b => Enumerable.Range(0, seeds).Select(k => (Tokenized: t, Budget: b, Seed: exp.Seed + k)))).ToList();
var trained = exp.TrainAll(rungs.Select(r =>
{
    var steps = StepsOf(r.Budget);
    // The loss curve the phase change is read on, at 100 rows; held-out evaluations and head scores at 10.
    var training = exp.Training(steps, r.Seed, evalEvery: Math.Max(1, steps / 10), logEvery: Math.Max(1, steps / 100)) with { BatchSize = batchSize, LearningRate = lr, CheckpointEvery = 0 };
    return ($"{r.Tokenized.Tokenizer}-{Budget(r.Budget)}M-seed{r.Seed}", r.Tokenized.Model, r.Tokenized.Task, training);
}));

var rows = new List<IReadOnlyList<string>>();
var ladder = new List<(string Tokenizer, double Budget, List<(Measures After, Measures Before, PhaseChange? Phase)> Runs)>();
foreach (var group in rungs.Select((r, i) => (Rung: r, Result: trained[i])).GroupBy(x => (x.Rung.Tokenized, x.Rung.Budget)))
{
    var (t, budget) = group.Key;
    var steps = StepsOf(budget);
    var runs = new List<(Measures After, Measures Before, PhaseChange? Phase)>();
    foreach (var (rung, result) in group)
    {
        var seed = rung.Seed;
        using var m = result.Run.LoadModel();
        var after = Measure(t, m, seed);
        // The same seed's weights before training: the trainer seeds torch's generator the same way.
        TorchSharp.torch.manual_seed(seed);
        using var initial = new HookedTransformer(m.Config);
        var before = Measure(t, initial, seed);
        var phase = PhaseChange.Detect(result.LossCurve);
        runs.Add((after, before, phase));
        var (a, b) = (after.Repeats, before.Repeats);
        rows.Add(new[] { t.Tokenizer, Budget(budget), seed.ToString(), steps.ToString(), Fmt.F(result.TokensPerSecond, 0), Fmt.F(after.Loss), Fmt.F(before.Loss),
            Fmt.F(a.Score), Fmt.F(b.Score), Fmt.P(a.GreedyAccuracy), Fmt.P(b.GreedyAccuracy), Fmt.P(a.ChanceAccuracy),
            Fmt.F(after.Induction, 2), Fmt.F(before.Induction, 2), Fmt.F(after.PreviousToken, 2), Fmt.F(before.PreviousToken, 2),
            phase is null ? "none" : $"step {phase.Step} ({Fmt.F(phase.LossBefore, 2)} -> {Fmt.F(phase.LossAfter, 2)})" });
        exp.Result($"{t.Tokenizer}, {budget}M tokens ({steps} steps), seed {seed}: {Fmt.F(result.TokensPerSecond, 0)} tokens/s; held-out loss {Fmt.F(after.Loss)} (untrained {Fmt.F(before.Loss)}), accuracy {Fmt.P(after.Accuracy)}; " +
                   $"repeated random tokens: second- minus first-copy loss {Fmt.F(a.Score)} ({Fmt.F(a.SecondCopyLoss)} - {Fmt.F(a.FirstCopyLoss)}; untrained {Fmt.F(b.Score)}), " +
                   $"greedy continuation {Fmt.P(a.GreedyAccuracy)} of the repeat (untrained {Fmt.P(b.GreedyAccuracy)}, chance {Fmt.P(a.ChanceAccuracy)}), teacher-forced {Fmt.P(a.Accuracy)}; " +
                   $"best induction score {Fmt.F(after.Induction, 2)} (untrained {Fmt.F(before.Induction, 2)}), {after.InductionHeads} named; " +
                   $"best layer-0 previous-token score {Fmt.F(after.PreviousToken, 2)} (untrained {Fmt.F(before.PreviousToken, 2)}), {after.PreviousTokenHeads} named; " +
                   (phase is { } p ? $"phase change at step {p.Step} (smoothed loss {Fmt.F(p.LossBefore, 2)} -> {Fmt.F(p.LossAfter, 2)}, 10-90% of the drop at steps {p.DropStart}..{p.DropEnd})" : "no phase change by the rule"));
        exp.Report.AddLineChart($"{t.Tokenizer}, {budget}M tokens, seed {seed}: training loss", "step", "loss",
            new[] { ("training loss", result.LossCurve.Select(x => (double)x.Step).ToArray(), result.LossCurve.Select(x => x.Loss).ToArray()) });
    }
    ladder.Add((t.Tokenizer, budget, runs));
    if (runs.Count >= 2)
    {
        string F3(double x) => Fmt.F(x, 3);
        var excess = new (string What, MeanInterval Interval)[]
        {
            ("repeated-token score", MeanInterval.Of(runs.Select(r => r.After.Repeats.Score - r.Before.Repeats.Score).ToList())),
            ("greedy continuation", MeanInterval.Of(runs.Select(r => r.After.Repeats.GreedyAccuracy - r.Before.Repeats.GreedyAccuracy).ToList())),
            ("best induction score", MeanInterval.Of(runs.Select(r => r.After.Induction - r.Before.Induction).ToList())),
            ("best layer-0 previous-token score", MeanInterval.Of(runs.Select(r => r.After.PreviousToken - r.Before.PreviousToken).ToList())),
        };
        exp.Result($"{t.Tokenizer}, {budget}M tokens, over {runs.Count} seeds, trained minus untrained (mean [95% t interval]): " +
                   string.Join(", ", excess.Select(e => $"{e.What} {e.Interval.Format(F3)}")) + $"; phase change in {runs.Count(r => r.Phase is not null)} of {runs.Count}");
        foreach (var (what, m) in excess)
            exp.Measure($"{t.Tokenizer}, {budget}M tokens: {what}, trained minus untrained, mean over {runs.Count} seeds", m.Mean, m.Low, m.High, F3);
    }
}
var columns = new[] { "tokenizer", "budget (M tokens)", "seed", "steps", "tokens/s", "held-out loss", "untrained", "repeat score", "untrained", "greedy repeat", "untrained", "chance",
                      "best induction", "untrained", "best prev-token L0", "untrained", "phase change" };
exp.Report.AddTable($"per run (batch {batchSize} × context {context}; repeat score: second- minus first-copy loss on a repeated random string, negative = the model reads the repeat)", columns, rows);
exp.Csv("ladder.csv", columns, rows);

// Formed, per run: a named induction head (score above the threshold) and a repeat the model continues well above
// chance (greedy continuation at least 10× chance and at least 10% of the repeat: with thousands of BPE tokens, 10×
// chance alone is under 1%); both, because either alone has fooled this project before.
bool Formed((Measures After, Measures Before, PhaseChange? Phase) r) =>
    r.After.InductionHeads > 0 && r.After.Repeats.GreedyAccuracy >= Math.Max(0.1, 10 * r.After.Repeats.ChanceAccuracy);
foreach (var t in tokenized)
{
    var own = ladder.Where(l => l.Tokenizer == t.Tokenizer).ToList();
    var first = own.FirstOrDefault(l => l.Runs.Any(Formed));
    exp.Conclude($"{t.Tokenizer} tokens: " + (first.Runs is null
            ? $"no induction formed at ≤ {budgets.Max()}M tokens ({seeds} seed(s) per budget; formed = a named induction head and a greedy continuation of the repeat at ≥ 10× chance and ≥ 10%)"
            : $"induction first formed at {first.Budget}M tokens, in {first.Runs.Count(Formed)} of {first.Runs.Count} seed(s) (a named induction head and a greedy continuation of the repeat at ≥ 10× chance and ≥ 10%)") +
        "; per budget: " + string.Join("; ", own.Select(l => $"{l.Budget}M formed in {l.Runs.Count(Formed)} of {l.Runs.Count}")) +
        (exp.Fast ? ". (fast mode: tiny settings, the numbers mean nothing)" : "."));
}
exp.Save();
