// Short poems against long documents: does a model trained on long documents grow stronger induction than one
// trained on short poems (docs/design.md §1, issue 12)? The research notes' hypothesis: induction is much stronger
// on long articles, where a window holds one document whose names and phrases come back, than on short poems, where
// a window spans several unrelated texts. Two corpora of the same size in bytes, both from Debian packages (nothing is
// downloaded at run time): short poems from the `fortunes` package's songs-poems (fetched and checksummed by
// ./toolkit at set-up into .toolkit/corpora), and long documents, the licence texts in /usr/share/common-licenses.
// The same model (2 attention-only layers, 4 heads, byte tokens, context 256) trains on each, over 5 seeds. Per model:
//   - the best induction and previous-token head scores, each minus the same score of the same seed's untrained
//     model (its own random baseline);
//   - the in-context learning score (loss of the last token minus loss of the token at a tenth of the context;
//     negative: the context helps) on held-out windows of its own corpus, and of both corpora, so a difference in
//     the model is told apart from a difference in the text. Each seed draws its own held-out windows, so the spread
//     over seeds includes the sampling of windows (seeds, then windows) and the interval over seeds covers both.
// Corpus against corpus, with MeanComparison (Welch's t interval: different corpora, so the seeds do not pair); the
// four comparisons are one family of claims under Holm's correction, each from at least 5 seeds (docs/design.md §4).
// Only comparisons on the same text compare the models: the ICL score of each model on its own corpus mixes the model
// and the text (a documents model on documents against a poems model on poems), so it is printed as a description
// and never compared.
//   ./toolkit run scripts/poems-vs-articles.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 2000]
//        [--poems PATH] [--documents DIR]
#load "toolkit.csx"
#load "lib/experiment.csx"
#load "lib/corpora.csx"
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Toolkit;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

var exp = new Experiment("poems-vs-articles", "Short poems against long documents: induction and in-context learning", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var steps = exp.Setting("--steps", 2000, 40);
var context = exp.Fast ? 64 : 256;

// The two corpora, as lists of documents.
var poemsPath = Corpora.Poems(exp);
var poems = Corpora.Fortunes(poemsPath);
var documentsDir = exp.Str("--documents", "/usr/share/common-licenses");
if (!Directory.Exists(documentsDir)) throw new ToolkitException($"the documents directory {documentsDir} does not exist", "give --documents DIR, a directory of long plain-text documents");
// Several licence names are links to the same text: each distinct text once, in name order.
var documents = Directory.GetFiles(documentsDir).Where(f => new FileInfo(f).LinkTarget is null).Order().Select(File.ReadAllText).Distinct().ToList();
if (documents.Count == 0) throw new ToolkitException($"{documentsDir} holds no texts", "give --documents DIR, a directory of long plain-text documents");

// Equal sizes: each corpus is cut to the smaller one's length in bytes (documents kept whole until the cut).
string Joined(List<string> texts) => string.Join("\n\n", texts);
var bytes = Math.Min(Encoding.UTF8.GetByteCount(Joined(poems)), Encoding.UTF8.GetByteCount(Joined(documents)));
(string Path, int Texts, double MeanBytes, string Sha) Write(string name, List<string> texts)
{
    var kept = new List<string>();
    var used = 0;
    foreach (var t in texts)
    {
        var size = Encoding.UTF8.GetByteCount(t) + (kept.Count > 0 ? 2 : 0);
        if (used + size > bytes) break;
        kept.Add(t);
        used += size;
    }
    var path = Path.Combine(exp.Out, name + ".txt");
    var text = Joined(kept);
    File.WriteAllText(path, text);
    var sha = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLower();
    return (path, kept.Count, kept.Average(k => (double)Encoding.UTF8.GetByteCount(k)), sha);
}
var corpora = new[] { ("poems", Write("poems", poems)), ("documents", Write("documents", documents)) }
    .Select(c => (Name: c.Item1, c.Item2.Path, c.Item2.Texts, c.Item2.MeanBytes, c.Item2.Sha,
                  Task: new TaskSpec { Name = "text", Parameters = new() { ["corpus"] = c.Item2.Path, ["format"] = "plain", ["context"] = context.ToString(), ["tokenizer"] = "byte" } }))
    .ToList();
foreach (var c in corpora)
    exp.Result($"{c.Name}: {c.Texts} texts of {Fmt.F(c.MeanBytes, 0)} bytes on average (a window is {context} bytes), cut at {bytes} bytes, sha256 {c.Sha}…, from {(c.Name == "poems" ? poemsPath : documentsDir)}");
var vocab = corpora[0].Task.Create().Vocabulary.Size;
var model = exp.Model() with { DVocab = vocab, NCtx = context };
// Head scores are read on the bytes each corpus's training part uses, named here.
foreach (var c in corpora)
{
    using var layout = ScoringBatch.Create(model, [c.Task.Create()], 0);
    exp.Result($"{c.Name}: head scores on the {layout.Layout}");
}

// Held-out windows of each corpus (the end of each file, never trained on), for the ICL scores: each seed draws its own,
// so that the interval over seeds includes the sampling of windows; a seed's trained and untrained models share them.
Dictionary<string, IReadOnlyList<Example>> HeldOut(long seed) => corpora.ToDictionary(c => c.Name,
    c => (IReadOnlyList<Example>)Sampling.examples(c.Task.Create().Probes.Single(p => p.Name == "held-out-text").Task, Seeds.Derive(seed, Seeds.Stream.Probe, 5), exp.Fast ? 16 : 64));
sealed record Measures(double Induction, double PreviousToken, int InductionHeads, int PreviousTokenHeads, double OwnIcl, Dictionary<string, double> Icl, double Loss, double Accuracy);
Measures Measure(HookedTransformer m, TaskSpec task, string own, long seed, EvalResult? eval)
{
    var heldOut = HeldOut(seed);
    using var scoring = ScoringBatch.ForRun(m, task.Create(), seed);
    var heads = HeadScores.Compute(m, scoring);
    var icl = heldOut.ToDictionary(h => h.Key, h =>
    {
        using var batch = Batch.From(h.Value, m.Device);
        return InContextLearningScore.Compute(m, batch.Tokens).Score;
    });
    return new Measures(heads.Heads.Max(h => h.Induction), heads.Heads.Where(h => h.Layer == 0).Max(h => h.PreviousToken),
        heads.Named(HeadRole.Induction).Count, heads.Named(HeadRole.PreviousToken).Count, icl[own], icl, eval?.Loss ?? double.NaN, eval?.Accuracy ?? double.NaN);
}

var trained = corpora.ToDictionary(c => c.Name, _ => new List<Measures>());
var untrained = corpora.ToDictionary(c => c.Name, _ => new List<Measures>());
var rows = new List<IReadOnlyList<string>>();
foreach (var c in corpora)
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var training = exp.Training(steps, seed) with { BatchSize = exp.Fast ? 4 : 16, LearningRate = 2e-3 };
        var result = exp.Train($"{c.Name}-seed{seed}", model, c.Task, training);
        using var m = result.Run.LoadModel();
        var eval = Evaluator.Evaluate(m, c.Task.Create().Probes.Single(p => p.Name == "held-out-text").Task, Seeds.Derive(seed, Seeds.Stream.Eval), exp.EvalCount);
        var after = Measure(m, c.Task, c.Name, seed, eval);
        // The same seed's weights before training: the trainer seeds torch's generator the same way.
        TorchSharp.torch.manual_seed(seed);
        using var initial = new HookedTransformer(m.Config);
        var before = Measure(initial, c.Task, c.Name, seed, null);
        trained[c.Name].Add(after);
        untrained[c.Name].Add(before);
        rows.Add(new[] { c.Name, seed.ToString(), Fmt.F(after.Loss), Fmt.P(after.Accuracy), $"{Fmt.F(after.Induction, 2)} ({Fmt.F(before.Induction, 2)})",
                         $"{Fmt.F(after.PreviousToken, 2)} ({Fmt.F(before.PreviousToken, 2)})", Fmt.F(after.Icl["poems"], 3), Fmt.F(after.Icl["documents"], 3) });
        exp.Result($"{c.Name} seed {seed}: held-out loss {Fmt.F(after.Loss)}, accuracy {Fmt.P(after.Accuracy)}; best induction score {Fmt.F(after.Induction, 2)} (untrained {Fmt.F(before.Induction, 2)}), " +
                   $"{after.InductionHeads} named; best layer-0 previous-token score {Fmt.F(after.PreviousToken, 2)} (untrained {Fmt.F(before.PreviousToken, 2)}), {after.PreviousTokenHeads} named; " +
                   $"ICL score on poems {Fmt.F(after.Icl["poems"], 3)}, on documents {Fmt.F(after.Icl["documents"], 3)} (untrained {Fmt.F(before.Icl["poems"], 3)}, {Fmt.F(before.Icl["documents"], 3)})");
    }
var columns = new[] { "corpus", "seed", "held-out loss", "held-out accuracy", "best induction (untrained)", "best previous-token L0 (untrained)", "ICL on poems", "ICL on documents" };
exp.Report.AddTable($"per model ({steps} steps, context {context} bytes; ICL: late minus early token loss, negative = the context helps)", columns, rows);
exp.Csv("models.csv", columns, rows);

// Documents minus poems, per measure, each measure taken as its excess over the same seed's untrained model.
List<double> Excess(string corpus, Func<Measures, double> f) => trained[corpus].Zip(untrained[corpus], (a, b) => f(a) - f(b)).ToList();
// The four comparisons are one family of claims (Holm): every claim is added before any decision is read.
var claims = new ClaimFamily("poems-vs-articles");
var compared = new (string What, Func<Measures, double> Of, string Higher, string Lower)[]
{
    ("best induction score", m => m.Induction, "higher than", "lower than"),
    ("best layer-0 previous-token score", m => m.PreviousToken, "higher than", "lower than"),
    // More negative is more in-context learning: "lower" reads as "learns more from its context".
    ("ICL score on the documents", m => m.Icl["documents"], "higher (uses its context less) than", "lower (uses its context more) than"),
    ("ICL score on the poems", m => m.Icl["poems"], "higher (uses its context less) than", "lower (uses its context more) than"),
}.Select(x => (x.What, x.Of, x.Higher, x.Lower, Claim: claims.Add(x.What, MeanComparison.Of(Excess("documents", x.Of), Excess("poems", x.Of))))).ToList();
string F3(double x) => Fmt.F(x, 3);
exp.Result($"ICL score on its own corpus above the untrained model (a description, not a comparison: model and text differ together): documents model on documents {MeanInterval.Of(Excess("documents", m => m.OwnIcl)).Format(F3)}, poems model on poems {MeanInterval.Of(Excess("poems", m => m.OwnIcl)).Format(F3)}");
var findings = compared.Select(x =>
{
    exp.Result($"{x.What} above the untrained model: documents {MeanInterval.Of(Excess("documents", x.Of)).Format(F3)}, poems {MeanInterval.Of(Excess("poems", x.Of)).Format(F3)}; " +
               $"documents minus poems {x.Claim.Comparison.Format(F3)}: {x.Claim.Sentence(x.Higher, x.Lower, "the poems model")}");
    return $"{x.What}, the documents model's against the poems model's: {x.Claim.Words(x.Higher, x.Lower, "the poems model's")} ({x.Claim.Detail(F3)})";
}).ToList();
exp.Claims(claims);
var named = corpora.Select(c => $"{c.Name} {trained[c.Name].Count(m => m.InductionHeads > 0)} of {seeds}").ToList();
exp.Conclude($"models with a named induction head (score above {HeadScoreTable.DefaultThreshold}): {string.Join(", ", named)}; " + string.Join("; ", findings) +
             (exp.Fast ? ". (fast mode: tiny settings, the numbers mean nothing)" : "."));
exp.Save();
