// Short poems against long articles, with length alone varying (issue 27 §2; docs/design.md §1): does a model trained
// on long documents use its context more, and grow stronger induction, than one trained on short texts? The research
// notes' hypothesis: induction is much stronger on long articles, where a window holds one document whose names and
// phrases come back, than on short poems, where a window spans several unrelated texts. Three arms, byte tokens, the
// same model (2 attention-only layers, 4 heads, d_model 64, context 256, batch 16, lr 2e-3) and tokens seen (2,000
// steps: 8M tokens), 5 seeds each:
//   - articles: the Python 3.11 documentation whole (scripts/text-induction.csx's long-document corpus, 11 MB);
//   - pieces: the same bytes cut into poem-sized pieces and shuffled apart: each piece ends at the first line end at
//     or after a length drawn from the poems' lengths, and the pieces are shuffled within the training part and within
//     the held-out part (so no held-out byte moves into training). Same bytes, same style, short documents;
//   - poems: the fortunes package's songs-poems (style and length together; also a corpus 1/47 the size, which 8M
//     tokens read about 38 times over, so this arm can memorize where the other two cannot).
// Per model, each measure minus the same seed's untrained model's (the seeds' untrained models are the same in every
// arm) and read on the same text for every arm:
//   - per-position loss on held-out windows of the articles (the articles' held-out part, which no arm trained on),
//     the curve drawn per arm, and its ICL score widened to tenths of the context (mean loss over the last tenth of
//     the positions minus over the second tenth, Olsson et al.'s late and early token each widened to a tenth: one
//     token per window is too noisy at this size); the same on the pieces' and the poems' held-out windows;
//   - the repeated-random-tokens measure (second- minus first-copy loss on a repeated string of bytes common to both
//     corpora; negative: the repeat is predicted), which reads no head score, and its part that needs the order
//     (second-copy loss minus a shuffled second copy's: a preference for bytes already in the context gains on both;
//     copying what followed the current byte gains only on the repeat);
//   - induction strength: the best induction score on the bytes the training part uses (ScoringBatch.ForRun), and the
//     ablation effect on the ICL score: the widened ICL score on the articles' held-out windows with the layer-1 head
//     of the best induction score mean-ablated, minus without (positive: the head serves the context's use).
// Contrasts, each Welch's t interval over seeds (different training data, so the seeds do not pair): length alone
// (articles against pieces), style with length matched (pieces against poems; corpus size differs too), and the notes'
// question as posed (articles against poems); the fifteen claims (five measures × three contrasts) are one family
// under Holm's correction (docs/design.md §4). The notes' counter-hypothesis (induction heads on poems attend by
// something other than token identity) needs an induction head to patch: it is tested only where one forms.
//   ./toolkit run scripts/poems-vs-articles.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 2000]
//        [--poems PATH] [--corpus PATH]
#load "toolkit.csx"
#load "lib/experiment.csx"
#load "lib/corpora.csx"
using System.Security.Cryptography;
using System.Text;
using Toolkit;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using static TorchSharp.torch;

var exp = new Experiment("poems-vs-articles", "Short poems against long articles, with length alone varying: context use and induction", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var steps = exp.Setting("--steps", 2000, 40);
var context = exp.Fast ? 64 : 256;
var batchSize = exp.Fast ? 4 : 16;
var windows = exp.Fast ? 16 : 256; // held-out windows per text and seed for the per-position loss

var poemsPath = Corpora.Poems(exp);
var poems = Corpora.Fortunes(poemsPath);
var articlesPath = Corpora.Find(exp, "--corpus", "python-docs.txt", "long-document corpus", "python3.11-doc", "a plain-text file");
// Fast mode reads the articles' first 128 KB only.
if (exp.Fast) articlesPath = Corpora.Prefix(exp, articlesPath);
var articles = File.ReadAllBytes(articlesPath);

// The pieces: the articles' bytes, cut where a line ends at or after a poem's length (the poems' lengths in an order
// drawn from the seed, cycled), then shuffled, within the training part and within the held-out part separately. The
// text task holds out its corpus's last tenth (TextTask's split), the same byte offset in both files.
var poemLengths = poems.Select(p => Encoding.UTF8.GetByteCount(p) + 2).ToArray(); // + the "\n\n" that joins them
var rng = new Random((int)(exp.Seed % int.MaxValue));
rng.Shuffle(poemLengths);
var split = articles.Length - articles.Length * 10 / 100;
var lengthIndex = 0;
byte[] Shuffled(ArraySegment<byte> part)
{
    var pieces = new List<ArraySegment<byte>>();
    for (var start = 0; start < part.Count;)
    {
        var end = Math.Min(part.Count, start + poemLengths[lengthIndex++ % poemLengths.Length]);
        while (end < part.Count && part[end - 1] != (byte)'\n') end++;
        pieces.Add(part.Slice(start, end - start));
        start = end;
    }
    var order = pieces.ToArray();
    rng.Shuffle(order);
    return order.SelectMany(p => p).ToArray();
}
var piecesBytes = Shuffled(new ArraySegment<byte>(articles, 0, split)).Concat(Shuffled(new ArraySegment<byte>(articles, split, articles.Length - split))).ToArray();
var piecesPath = Path.Combine(exp.Out, "pieces.txt");
File.WriteAllBytes(piecesPath, piecesBytes);
var poemsCorpus = Path.Combine(exp.Out, "poems.txt");
File.WriteAllText(poemsCorpus, string.Join("\n\n", poems));

string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))[..12].ToLowerInvariant();
TaskSpec Text(string path) => new() { Name = "text", Parameters = new() { ["corpus"] = path, ["format"] = "plain", ["context"] = context.ToString(), ["tokenizer"] = "byte" } };
var arms = new[] { (Name: "articles", Path: articlesPath), (Name: "pieces", Path: piecesPath), (Name: "poems", Path: poemsCorpus) }
    .Select(a => (a.Name, a.Path, Task: Text(a.Path))).ToList();
var created = arms.ToDictionary(a => a.Name, a => (TextTask)a.Task.Create());
if (created["pieces"].Split != created["articles"].Split || created["pieces"].CorpusTokens.Length != articles.Length)
    throw new ToolkitException("the pieces corpus does not split where the articles do", "the script's split must follow TextTask's (its last tenth held out)");
exp.Result($"articles: {articles.Length} bytes, sha256 {Sha(articlesPath)}…, from {articlesPath}");
exp.Result($"pieces: the same bytes in pieces ending at the first line end at or after a poem's length ({poems.Count} poems of {Fmt.F(poemLengths.Average(), 0)} bytes on average, " +
           $"a window is {context} bytes), shuffled within the training and the held-out part, sha256 {Sha(piecesPath)}…");
exp.Result($"poems: {poems.Count} poems, {new FileInfo(poemsCorpus).Length} bytes, sha256 {Sha(poemsCorpus)}…, from {poemsPath}; " +
           $"{Fmt.F((double)steps * batchSize * context / created["poems"].Split, 1)} passes over its training part (articles and pieces: {Fmt.F((double)steps * batchSize * context / created["articles"].Split, 2)})");
var model = exp.Model() with { DVocab = created["articles"].Vocabulary.Size, NCtx = context };
foreach (var a in arms)
{
    using var layout = ScoringBatch.Create(model, [created[a.Name]], 0);
    exp.Result($"{a.Name}: head scores on the {layout.Layout}");
}
// Repeated strings of the bytes common in both styles: the commonest making up 99% of each training part, in both.
int[] Commonest(string arm) => RepeatedRandomTokens.CommonestTokens(created[arm].CorpusTokens.Take(created[arm].Split).Where(t => t >= created[arm].Vocabulary.ContentStart), 0.99);
var alphabet = Commonest("articles").Intersect(Commonest("poems")).ToArray();
var repeatLength = Math.Min(context / 2, alphabet.Length);
exp.Result($"repeated strings of {repeatLength} distinct bytes drawn from the {alphabet.Length} common to the commonest 99% of the articles' and the poems' training parts");

// Per-position loss of the tokens [batch, pos] (entry p: the loss of token p, read at p - 1; entry 0 is NaN), with
// optional hooks. The widened ICL score: mean over the last tenth of the positions minus over the second tenth.
double[] PositionLoss(HookedTransformer m, Tensor tokens, params (string Name, HookFunction Hook)[] hooks)
{
    using var scope = NewDisposeScope();
    using var _ = no_grad();
    using var evalMode = m.EvalMode();
    var n = tokens.shape[1];
    var logits = (hooks.Length == 0 ? m.forward(tokens) : m.RunWithHooks(tokens, hooks)).to_type(ScalarType.Float64);
    var loss = logits.narrow(1, 0, n - 1).log_softmax(-1).gather(2, tokens.narrow(1, 1, n - 1).unsqueeze(-1)).squeeze(-1).neg().mean(new long[] { 0 });
    return new[] { double.NaN }.Concat(loss.data<double>().ToArray()).ToArray();
}
double Icl(double[] loss)
{
    var tenth = loss.Length / 10;
    return loss.Skip(loss.Length - tenth).Average() - loss.Skip(tenth).Take(tenth).Average();
}

// Held-out windows of each text, drawn per seed (so the interval over seeds includes the sampling of windows); a seed's
// trained and untrained models read the same ones.
Dictionary<string, Batch> HeldOut(long seed, Device device) => arms.ToDictionary(a => a.Name, a =>
    Batch.From(Sampling.examples(created[a.Name].Probes.Single(p => p.Name == "held-out-text").Task, Seeds.Derive(seed, Seeds.Stream.Probe, 5), windows), device));
sealed record Measures(Dictionary<string, double[]> Loss, Dictionary<string, double> Icl, RepeatedTokensScore Repeats, double Induction, double PreviousToken,
    int InductionHeads, (int Layer, int Head) BestLayer1, double AblationEffect);
Measures Measure(HookedTransformer m, string arm, long seed)
{
    var heldOut = HeldOut(seed, m.Device);
    try
    {
        using var scoring = ScoringBatch.ForRun(m, created[arm], seed);
        var heads = HeadScores.Compute(m, scoring);
        var loss = heldOut.ToDictionary(h => h.Key, h => PositionLoss(m, h.Value.Tokens));
        var best = heads.Heads.Where(h => h.Layer == 1).MaxBy(h => h.Induction)!;
        var ablated = PositionLoss(m, heldOut["articles"].Tokens, ($"blocks.1.attn.hook_z", Ablation.Hook(best.Head, AblationKind.Mean)));
        var repeats = RepeatedRandomTokens.Compute(m, alphabet, repeatLength, exp.Fast ? 8 : 64, (int)(Seeds.Derive(seed, Seeds.Stream.Probe, 27) % int.MaxValue));
        return new Measures(loss, loss.ToDictionary(l => l.Key, l => Icl(l.Value)), repeats, heads.Heads.Max(h => h.Induction),
            heads.Heads.Where(h => h.Layer == 0).Max(h => h.PreviousToken), heads.Named(HeadRole.Induction).Count, (1, best.Head),
            Icl(ablated) - Icl(loss["articles"]));
    }
    finally { foreach (var b in heldOut.Values) b.Dispose(); }
}

// Every run first, side by side where the cores allow (the seed runner), then each is measured in order.
var runs = arms.SelectMany(a => Enumerable.Range(0, seeds).Select(k => (Arm: a, Seed: exp.Seed + k))).ToList();
var results = exp.TrainAll(runs.Select(r =>
    ($"{r.Arm.Name}-seed{r.Seed}", model, r.Arm.Task, exp.Training(steps, r.Seed) with { BatchSize = batchSize, LearningRate = 2e-3, CheckpointEvery = 0 })));
string F3(double x) => Fmt.F(x, 3);
var trained = arms.ToDictionary(a => a.Name, _ => new List<Measures>());
var untrained = arms.ToDictionary(a => a.Name, _ => new List<Measures>());
var rows = new List<IReadOnlyList<string>>();
foreach (var ((arm, seed), result) in runs.Select(r => (r.Arm.Name, r.Seed)).Zip(results))
{
    using var m = result.Run.LoadModel();
    var eval = Evaluator.Evaluate(m, created[arm].Probes.Single(p => p.Name == "held-out-text").Task, Seeds.Derive(seed, Seeds.Stream.Eval), exp.EvalCount);
    var after = Measure(m, arm, seed);
    // The same seed's weights before training: the trainer seeds torch's generator the same way.
    manual_seed(seed);
    using var initial = new HookedTransformer(m.Config);
    var before = Measure(initial, arm, seed);
    trained[arm].Add(after);
    untrained[arm].Add(before);
    rows.Add(new[] { arm, seed.ToString(), Fmt.F(eval.Loss), Fmt.P(eval.Accuracy), F3(after.Icl["articles"]), F3(after.Icl["pieces"]), F3(after.Icl["poems"]),
                     F3(after.Repeats.Score), F3(after.Repeats.OrderScore), Fmt.F(after.Induction, 2), Fmt.F(after.PreviousToken, 2), F3(after.AblationEffect) });
    exp.Result($"{arm} seed {seed}: held-out loss on its own text {Fmt.F(eval.Loss)}, accuracy {Fmt.P(eval.Accuracy)}; ICL score (tenths) on articles {F3(after.Icl["articles"])}, " +
               $"pieces {F3(after.Icl["pieces"])}, poems {F3(after.Icl["poems"])} (untrained {F3(before.Icl["articles"])}, {F3(before.Icl["pieces"])}, {F3(before.Icl["poems"])}); " +
               $"repeated random tokens, second- minus first-copy loss {F3(after.Repeats.Score)} (untrained {F3(before.Repeats.Score)}), of which the order's (second copy minus shuffled) {F3(after.Repeats.OrderScore)} " +
               $"(untrained {F3(before.Repeats.OrderScore)}), greedy {Fmt.P(after.Repeats.GreedyAccuracy)} (chance {Fmt.P(after.Repeats.ChanceAccuracy)}); " +
               $"best induction score {Fmt.F(after.Induction, 2)} (untrained {Fmt.F(before.Induction, 2)}), {after.InductionHeads} named; best layer-0 previous-token score {Fmt.F(after.PreviousToken, 2)} " +
               $"(untrained {Fmt.F(before.PreviousToken, 2)}); mean-ablating L1H{after.BestLayer1.Head} (layer 1's best induction score) moves the ICL score on articles by {F3(after.AblationEffect)} (untrained {F3(before.AblationEffect)})");
}
var columns = new[] { "arm", "seed", "held-out loss (own text)", "held-out accuracy", "ICL on articles", "ICL on pieces", "ICL on poems", "repeat score", "its order part", "best induction", "best previous-token L0", "ablation effect on ICL" };
exp.Report.AddTable($"per model ({steps} steps, batch {batchSize}, context {context} bytes; ICL: last-tenth minus second-tenth loss, negative = the context helps; repeat score: second- minus first-copy loss; its order part: second copy minus a shuffled second copy)", columns, rows);
exp.Csv("models.csv", columns, rows);

// The per-position loss on the articles' held-out windows, mean over seeds per arm (and the untrained models').
double[] MeanCurve(IEnumerable<Measures> ms, string text) { var list = ms.ToList(); return Enumerable.Range(1, context - 1).Select(p => list.Average(x => x.Loss[text][p])).ToArray(); }
var positions = Enumerable.Range(1, context - 1).Select(p => (double)p).ToArray();
foreach (var text in new[] { "articles", "poems" })
{
    var curves = arms.Select(a => ($"trained on {a.Name}", positions, MeanCurve(trained[a.Name], text))).Append(("untrained", positions, MeanCurve(untrained["articles"], text))).ToList();
    exp.Report.AddLineChart($"loss by position on held-out {text} windows, mean over {seeds} seeds", "position", "loss (nats)", curves);
    exp.Csv($"position-loss-{text}.csv", new[] { "position" }.Concat(curves.Select(c => c.Item1)).ToArray(),
        positions.Select((p, i) => (IReadOnlyList<string>)new[] { p.ToString() }.Concat(curves.Select(c => Fmt.F(c.Item3[i], 4))).ToArray()));
}

// Each measure as its excess over the same seed's untrained model; Welch's interval per contrast; one Holm family.
List<double> Excess(string arm, Func<Measures, double> f) => trained[arm].Zip(untrained[arm], (a, b) => f(a) - f(b)).ToList();
var measures = new (string What, Func<Measures, double> Of, string Higher, string Lower)[]
{
    // More negative is more in-context learning: "lower" reads as "uses its context more".
    ("ICL score on the articles' held-out text", m => m.Icl["articles"], "higher (uses its context less) than", "lower (uses its context more) than"),
    ("repeated-random-tokens score", m => m.Repeats.Score, "higher (reads the repeat less) than", "lower (reads the repeat more) than"),
    ("its order part (second copy against a shuffled one)", m => m.Repeats.OrderScore, "higher (reads the order less) than", "lower (reads the order more) than"),
    ("best induction score", m => m.Induction, "higher than", "lower than"),
    ("ablation effect of layer 1's best induction head on the ICL score", m => m.AblationEffect, "higher than", "lower than"),
};
var contrasts = new[] { (A: "articles", B: "pieces", What: "length alone"), (A: "pieces", B: "poems", What: "style, length matched"), (A: "articles", B: "poems", What: "style and length") };
var claims = new ClaimFamily("poems-vs-articles");
var compared = contrasts.SelectMany(c => measures.Select(x => (Contrast: c, Measure: x,
    Claim: claims.Add($"{c.What}: {x.What}, {c.A} against {c.B}", MeanComparison.Of(Excess(c.A, x.Of), Excess(c.B, x.Of)))))).ToList();
foreach (var x in measures)
    exp.Result($"{x.What} above the untrained model: " + string.Join(", ", arms.Select(a => $"{a.Name} {MeanInterval.Of(Excess(a.Name, x.Of)).Format(F3)}")));
foreach (var text in new[] { "pieces", "poems" })
    exp.Result($"ICL score on the {text}' held-out text above the untrained model (a description): " + string.Join(", ", arms.Select(a => $"{a.Name} {MeanInterval.Of(Excess(a.Name, m => m.Icl[text])).Format(F3)}")));
exp.Claims(claims);
var findings = compared.Select(c =>
    $"{c.Contrast.What} ({c.Contrast.A} against {c.Contrast.B}), {c.Measure.What}: {c.Claim.Words(c.Measure.Higher, c.Measure.Lower, $"the {c.Contrast.B} model's")} ({c.Claim.Detail(F3)})").ToList();
var named = arms.Select(a => $"{a.Name} {trained[a.Name].Count(m => m.InductionHeads > 0)} of {seeds}").ToList();
exp.Conclude($"models with a named induction head (score above {HeadScoreTable.DefaultThreshold}): {string.Join(", ", named)}; " + string.Join("; ", findings) +
             (exp.Fast ? ". (fast mode: tiny settings, the numbers mean nothing)" : "."));
exp.Save();
