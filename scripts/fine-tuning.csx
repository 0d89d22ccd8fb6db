// Fine-tuning between articles and poems, and on a TL;DR task: what survives, what is forgotten, what one exposure
// teaches (issue 27 §3). The same model (2 attention-only layers, 4 heads, d_model 64, byte tokens, context 256, batch
// 16, lr 2e-3) is pre-trained on the articles (the Python 3.11 documentation, scripts/text-induction.csx's long-document
// corpus) and on the poems (the fortunes package's songs-poems, scripts/poems-vs-articles.csx's), 5 seeds each; each
// pre-trained model is then fine-tuned on the other corpus, and the articles model also on TL;DR: man pages
// (manpages-dev: 891 pages of sections 2 to 4), each page's description (its first 400 characters) followed by "TL;DR: " and its
// NAME line, a one-line summary its author wrote. The same model is trained from scratch on each new corpus for the
// fine-tune's steps (the comparison the fine-tune is measured against). Per fine-tune:
//   - forgetting: held-out loss on the pre-training corpus after minus before the fine-tune (paired by seed);
//   - transfer: held-out loss on the new corpus, the fine-tuned model against the one trained from scratch for as many
//     steps (Welch's interval: different models, so the seeds do not pair);
//   - single-exposure memorization: a run's training batches are a pure function of its seed and step, so the windows of
//     the new corpus the fine-tune drew are known exactly. Windows drawn exactly once and overlapping no other drawn
//     window, against windows of the same training part that no drawn window overlaps: the sampler chose which is
//     which, so the loss difference (never-seen minus seen-once, paired by seed) is what one exposure taught. The same
//     for the model trained from scratch. The script checks its redrawing against the trainer: step 0's redrawn batch
//     must give the loss the fine-tune logged for it;
//   - on TL;DR, the loss on the summaries of held-out pages (the NAME line's words after its dash, read after the
//     page's description), fine-tuned against from scratch, and before the fine-tune; and the summaries the models
//     write for those pages by greedy decoding, scored by the word F1 against the author's line (and exact match),
//     beside a constant line (the training part's summary that best matches its other summaries);
//   - whether there was an induction circuit to keep: the best induction and layer-0 previous-token head scores (on the
//     bytes both corpora use) and the repeated-random-tokens measure (second- minus first-copy loss on a repeated string
//     of common bytes; negative: the repeat is predicted), before and after.
// Claims, one Holm family, per direction: forgetting above 0; fine-tuned against from scratch on the new corpus;
// single-exposure memorization above 0 in the fine-tuned model; and its memorization against the model from scratch;
// on TL;DR also the summaries' loss and the greedy summaries' word F1, fine-tuned against from scratch.
//   ./toolkit run scripts/fine-tuning.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--pretrain-steps 2000]
//        [--finetune-steps 100] [--articles PATH] [--poems PATH] [--man-pages DIR]
#load "toolkit.csx"
#load "lib/experiment.csx"
#load "lib/corpora.csx"
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.FSharp.Collections;
using Toolkit;
using Toolkit.Analysis;
using Toolkit.Configs;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Generation;
using Toolkit.Losses;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

var exp = new Experiment("fine-tuning", "Fine-tuning between articles and poems and on TL;DR: forgetting, transfer and single-exposure memorization", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var pretrainSteps = exp.Setting("--pretrain-steps", 2000, 40);
var finetuneSteps = exp.Setting("--finetune-steps", 100, 12);
var context = exp.Fast ? 64 : 256;
var batchSize = exp.Fast ? 4 : 16;
const double LearningRate = 2e-3;
// At most this many windows per group (seen once; never seen) are scored per run.
var windowsPerGroup = exp.Fast ? 16 : 64;

var articlesPath = Corpora.Find(exp, "--articles", "python-docs.txt", "articles corpus", "python3.11-doc", "a plain-text file");
var poemsPath = Corpora.Poems(exp);
var manPagesDir = Corpora.Find(exp, "--man-pages", "manpages-dev", "man pages folder", "manpages-dev", "roff sources, man*/NAME.SECTION.gz", folder: true);

// The corpora as plain-text files in the output folder: the poems joined (a fortune file separates texts by lines holding
// only "%"); the articles whole, or their first 128 KB in fast mode (tokenizing 11 MB is not what the smoke test checks).
string Write(string name, string text)
{
    var path = Path.Combine(exp.Out, name + ".txt");
    File.WriteAllText(path, text);
    var sha = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant();
    exp.Result($"{name}: {Encoding.UTF8.GetByteCount(text)} bytes, sha256 {sha}…");
    return path;
}
var poems = Corpora.Fortunes(poemsPath);
var articlesText = File.ReadAllText(articlesPath);
// TL;DR documents: a page's description cut to its first 400 characters (at a space), "TL;DR: ", the NAME line. The
// summary (the words after the dash) is what the TL;DR measure scores: its bytes' offsets in the corpus are kept.
var tldr = new StringBuilder();
var tldrBytes = 0; // UTF-8 bytes in tldr so far: the byte tokens' offsets
void AppendTldr(string text) { tldr.Append(text); tldrBytes += Encoding.UTF8.GetByteCount(text); }
var summaries = new List<(int Start, int End, string Text)>();
foreach (var page in Corpora.ManPages(manPagesDir))
{
    var space = page.Description.Length <= 400 ? -1 : page.Description.LastIndexOf(' ', 400);
    var description = page.Description.Length <= 400 ? page.Description : page.Description[..(space > 0 ? space : 400)];
    AppendTldr($"{description}\nTL;DR: {page.Names} - ");
    var start = tldrBytes;
    AppendTldr(page.Summary);
    summaries.Add((start, tldrBytes, page.Summary));
    AppendTldr("\n\n");
}
var corpusPaths = new Dictionary<string, string>
{
    ["articles"] = Write("articles", exp.Fast ? articlesText[..(128 * 1024)] : articlesText),
    ["poems"] = Write("poems", string.Join("\n\n", poems)),
    ["tldr"] = Write("tldr", tldr.ToString()),
};
var names = corpusPaths.Keys.ToList();
// Pre-trained on the first, fine-tuned on the second.
var pairs = new[] { (From: "articles", To: "poems"), (From: "poems", To: "articles"), (From: "articles", To: "tldr") };
var pretrained = pairs.Select(p => p.From).Distinct().ToList();
var tasks = names.ToDictionary(n => n, n => new TaskSpec { Name = "text", Parameters = new() { ["corpus"] = corpusPaths[n], ["format"] = "plain", ["context"] = context.ToString(), ["tokenizer"] = "byte" } });
var created = names.ToDictionary(n => n, n => (TextTask)tasks[n].Create());
var heldOut = names.ToDictionary(n => n, n => created[n].Probes.Single(p => p.Name == "held-out-text").Task);
var model = exp.Model() with { DVocab = created["articles"].Vocabulary.Size, NCtx = context };

// The repeated strings: distinct bytes drawn from the commonest ones that make up 99% of the articles' training part.
var alphabet = RepeatedRandomTokens.CommonestTokens(
    created["articles"].CorpusTokens.Take(created["articles"].Split).Where(t => t >= created["articles"].Vocabulary.ContentStart), 0.99);
var repeatLength = Math.Min(context / 2, alphabet.Length);
// Head scores on the bytes both pre-training corpora use.
var scoringTasks = pretrained.Select(n => (ITask)created[n]).ToList();
using (var layout = ScoringBatch.Create(model, scoringTasks, 0))
    exp.Result($"head scores on the {layout.Layout}; repeated strings of {repeatLength} distinct bytes from the {alphabet.Length} commonest of the articles");

// Fine-tunes and runs from scratch log every step's loss: the redrawing check below reads step 0's.
TrainingConfig Training(int steps, long seed, int logEvery) =>
    exp.Training(steps, seed, evalEvery: Math.Max(1, steps / 4), logEvery) with { BatchSize = batchSize, LearningRate = LearningRate };

// Pre-training, and training from scratch for the fine-tune's steps, on each corpus and seed; then the fine-tunes.
var seedList = Enumerable.Range(0, seeds).Select(k => exp.Seed + k).ToList();
var firstRuns = pretrained.SelectMany(n => seedList.Select(s => (Name: $"pretrain-{n}-seed{s}", Model: model, Task: tasks[n], Training: Training(pretrainSteps, s, logEvery: 20))))
    .Concat(pairs.Select(p => p.To).Distinct().SelectMany(n => seedList.Select(s => (Name: $"scratch-{n}-seed{s}", Model: model, Task: tasks[n], Training: Training(finetuneSteps, s, logEvery: 1)))))
    .ToList();
var first = exp.TrainAll(firstRuns).Zip(firstRuns, (r, j) => (j.Name, Result: r)).ToDictionary(x => x.Name, x => x.Result);
// A fine-tune is a new run from the pre-trained run's final weights (init_from), with the new corpus and its own steps.
var fineTunes = pairs.SelectMany(p => seedList.Select(s => (p.From, p.To, Seed: s, Name: $"{p.From}-then-{p.To}-seed{s}"))).ToList();
foreach (var f in fineTunes) Console.WriteLine($"-- {f.Name} starts from pretrain-{f.From}-seed{f.Seed}'s final weights");
var tuned = exp.TrainAll(fineTunes.Select(f => (f.Name, new RunConfig
    {
        Model = model, Task = tasks[f.To], Training = Training(finetuneSteps, f.Seed, logEvery: 1),
        InitFrom = first[$"pretrain-{f.From}-seed{f.Seed}"].Run.LatestCheckpoint().Path,
    }))).Zip(fineTunes, (r, f) => (f.Name, Result: r)).ToDictionary(x => x.Name, x => x.Result);

// The windows (offsets into the corpus) a run drew at each step: the trainer's batch of step s is
// Sampling.examples(task, Seeds.Derive(seed, Train, s), batch size) (Trainer.DrawBatch).
Example[] DrawnAt(string corpus, TrainingConfig t, int step) => Sampling.examples(created[corpus], Seeds.Derive(t.Seed, Seeds.Stream.Train, step), t.BatchSize);
int[] Drawn(string corpus, TrainingConfig t) => Enumerable.Range(0, t.Steps).SelectMany(s => DrawnAt(corpus, t, s)).Select(e => e.Meta["offset"]).ToArray();
Example Window(string corpus, int offset) => created[corpus].Build(new Instance(MapModule.OfSeq(new[] { Tuple.Create("offset", offset) }), 0UL));

// Seen once (drawn once, no other drawn window overlapping it) and never seen (no drawn window overlapping it), at most
// windowsPerGroup of each, the never-seen ones drawn uniformly from the training part's offsets with the run's seed.
(List<Example> Once, List<Example> Never, int OnceCount) Exposure(string corpus, TrainingConfig t)
{
    var drawn = Drawn(corpus, t);
    var sorted = drawn.Order().ToArray();
    // Whether more than `except` drawn windows overlap the window at `offset` (those drawn at offset - context + 1 up to
    // offset + context - 1).
    bool Overlaps(int offset, int except)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi) { var mid = (lo + hi) / 2; if (sorted[mid] < offset - context + 1) lo = mid + 1; else hi = mid; }
        for (var i = lo; i < sorted.Length && sorted[i] < offset + context; i++)
            if (except-- <= 0) return true;
        return false;
    }
    var random = new Random((int)(Seeds.Derive(t.Seed, Seeds.Stream.Probe, 31) % int.MaxValue));
    // Drawn once and alone, in a random order (not the order drawn: the earliest were seen longest before the end).
    var once = drawn.Distinct().Where(o => !Overlaps(o, except: 1)).OrderBy(_ => random.Next()).ToList();
    var never = new List<int>();
    var last = created[corpus].Split - context;
    for (var attempt = 0; attempt < 100 * windowsPerGroup && never.Count < windowsPerGroup; attempt++)
    {
        var o = random.Next(0, last + 1);
        if (!Overlaps(o, except: 0) && !never.Contains(o)) never.Add(o);
    }
    return (once.Take(windowsPerGroup).Select(o => Window(corpus, o)).ToList(), never.Select(o => Window(corpus, o)).ToList(), once.Count);
}

// The held-out pages' summaries: for each page whose window (the context's bytes ending where its summary ends) lies in
// the held-out part, that window with the loss on the summary's bytes only (a summary must leave room for some context).
var tldrTask = created["tldr"];
if (tldrTask.CorpusTokens.Length != tldrBytes)
    throw new ToolkitException($"the TL;DR corpus has {tldrTask.CorpusTokens.Length} byte tokens for {tldrBytes} bytes",
        "the byte tokenizer no longer maps one byte to one token: update the summary offsets here");
var heldOutSummaries = summaries.Where(x => x.End - context >= tldrTask.Split && x.End - x.Start < context).ToList();
var summaryWindows = heldOutSummaries.Select(x =>
{
    var window = Window("tldr", x.End - context);
    var mask = new bool[context];
    for (var i = x.Start - (x.End - context); i < context; i++) mask[i] = true;
    return new Example(window.Tokens, mask, window.Meta);
}).ToList();
exp.Result($"tldr: {summaries.Count} pages; the {summaryWindows.Count} whose last {context} bytes lie in the held-out part (and whose summary is shorter) are scored on their summaries");

// The same held-out pages' summaries written by greedy decoding: after the window's bytes up to the summary (the page's
// description and "TL;DR: NAMES - "), the model writes until a line end, at most twice the summary's bytes. Scored by
// the F1 of the distinct lower-case words the written line shares with the author's summary, and by exact match. A
// constant baseline says what an F1 is worth: the training part's summary that scores best against the training
// part's other summaries, written for every held-out page.
HashSet<string> WordsOf(string text) => Regex.Matches(text.ToLowerInvariant(), "[a-z0-9_]+").Select(w => w.Value).ToHashSet();
double F1(HashSet<string> written, HashSet<string> summary) =>
    written.Count + summary.Count == 0 ? 1 : 2.0 * written.Intersect(summary).Count() / (written.Count + summary.Count);
var trainingSummaries = summaries.Where(x => x.End <= tldrTask.Split).Select(x => (x.Text, Words: WordsOf(x.Text))).ToList();
var constant = trainingSummaries.MaxBy(c => trainingSummaries.Average(o => F1(c.Words, o.Words)));
var constantF1 = heldOutSummaries.Average(x => F1(constant.Words, WordsOf(x.Text)));
var newLine = tldrTask.Tokenizer.Encode("\n").Single();
(double F1, double Exact) Written(HookedTransformer m)
{
    var scores = heldOutSummaries.Select(x =>
    {
        var prompt = tldrTask.CorpusTokens[(x.End - context)..x.Start].Select(t => (long)t).ToArray();
        var written = TokenSampler.Continue(m, [prompt], 2 * (x.End - x.Start), new SamplingSettings { Temperature = 0 })[0]
            .Select(t => (int)t).TakeWhile(t => t != newLine).ToArray();
        var text = tldrTask.Tokenizer.Decode(written);
        return (F1: F1(WordsOf(text), WordsOf(x.Text)), Exact: text.Trim() == x.Text.Trim() ? 1.0 : 0.0);
    }).ToList();
    return (scores.Average(x => x.F1), scores.Average(x => x.Exact));
}
exp.Result($"tldr: the same {heldOutSummaries.Count} summaries written by greedy decoding; a constant line (the training part's best summary, '{constant.Text}') scores word F1 {Fmt.F(constantF1, 3)} on them");

// The redrawing must be the trainer's: step 0's batch, under the weights the run started from, gives the loss it logged.
void CheckRedraw(string name, TrainingResult run, HookedTransformer start, string corpus)
{
    var t = run.Run.ReadConfig().Training;
    using var scope = TorchSharp.torch.NewDisposeScope();
    using var batch = Batch.From(DrawnAt(corpus, t, 0), start.Device);
    using var noGrad = TorchSharp.torch.no_grad();
    var loss = TaskLoss.Of(start, batch).to_type(TorchSharp.torch.ScalarType.Float64).item<double>();
    var logged = run.LossCurve[0];
    if (logged.Step != 1 || Math.Abs(loss - logged.Loss) > 1e-4 * Math.Max(1, Math.Abs(logged.Loss)))
        throw new ToolkitException($"{name}: step 0's redrawn batch has loss {loss:F6}, the run logged {logged.Loss:F6} at step {logged.Step}",
            "the trainer no longer draws a step's batch as Sampling.examples(task, Seeds.Derive(seed, Train, step), batch size): update DrawnAt here");
}

sealed record Measures(Dictionary<string, double> HeldOutLoss, double Induction, double PreviousToken, int InductionHeads, double Repeats,
    double OnceLoss, double NeverLoss, double OnceAccuracy, double NeverAccuracy, int OnceCount, double SummaryLoss);
Measures Measure(HookedTransformer m, long seed, (List<Example> Once, List<Example> Never, int OnceCount)? exposure = null)
{
    var loss = names.ToDictionary(n => n, n => Evaluator.Evaluate(m, heldOut[n], Seeds.Derive(seed, Seeds.Stream.Eval), exp.EvalCount).Loss);
    using var scoring = ScoringBatch.ForRun(m, scoringTasks, seed);
    var heads = HeadScores.Compute(m, scoring);
    var repeats = RepeatedRandomTokens.Compute(m, alphabet, repeatLength, exp.Fast ? 8 : 64, (int)(Seeds.Derive(seed, Seeds.Stream.Probe, 27) % int.MaxValue));
    var (onceLoss, neverLoss, onceAcc, neverAcc, onceCount) = (double.NaN, double.NaN, double.NaN, double.NaN, 0);
    if (exposure is var (once, never, count))
    {
        var o = once.Count > 0 ? Evaluator.Evaluate(m, once) : null;
        var n = never.Count > 0 ? Evaluator.Evaluate(m, never) : null;
        (onceLoss, neverLoss, onceAcc, neverAcc, onceCount) = (o?.Loss ?? double.NaN, n?.Loss ?? double.NaN, o?.Accuracy ?? double.NaN, n?.Accuracy ?? double.NaN, count);
    }
    return new Measures(loss, heads.Heads.Max(h => h.Induction), heads.Heads.Where(h => h.Layer == 0).Max(h => h.PreviousToken),
        heads.Named(HeadRole.Induction).Count, repeats.Score, onceLoss, neverLoss, onceAcc, neverAcc, onceCount, Evaluator.Evaluate(m, summaryWindows).Loss);
}

// Per direction (pre-training corpus → new corpus) and seed: the pre-trained model, the fine-tuned one, the one from scratch.
var pre = new Dictionary<string, Measures>();
var measuredPretrained = new Dictionary<string, Measures>(); // a pre-trained model is measured once for all its fine-tunes
var after = new Dictionary<string, Measures>();
var scratch = new Dictionary<string, Measures>();
// The greedy summaries, on TL;DR fine-tunes only: before (the pre-trained model), after, and from scratch.
var writtenBefore = new Dictionary<string, (double F1, double Exact)>();
var writtenAfter = new Dictionary<string, (double F1, double Exact)>();
var writtenScratch = new Dictionary<string, (double F1, double Exact)>();
var rows = new List<IReadOnlyList<string>>();
foreach (var f in fineTunes)
{
    var to = f.To;
    var run = tuned[f.Name];
    var scratchRun = first[$"scratch-{to}-seed{f.Seed}"];
    var pretrainName = $"pretrain-{f.From}-seed{f.Seed}";
    using (var p = first[pretrainName].Run.LoadModel())
    {
        CheckRedraw(f.Name, run, p, to);
        if (!measuredPretrained.ContainsKey(pretrainName)) measuredPretrained[pretrainName] = Measure(p, f.Seed);
        if (to == "tldr") writtenBefore[f.Name] = Written(p);
    }
    pre[f.Name] = measuredPretrained[pretrainName];
    // The fine-tune and the run from scratch drew the same batches (same task, seed, steps and batch size): one exposure.
    var training = run.Run.ReadConfig().Training;
    if (scratchRun.Run.ReadConfig().Training != training)
        throw new ToolkitException($"{f.Name} and its run from scratch were trained with different settings", "give both the same training config");
    var exposure = Exposure(to, training);
    using (var m = run.Run.LoadModel())
    {
        after[f.Name] = Measure(m, f.Seed, exposure);
        if (to == "tldr") writtenAfter[f.Name] = Written(m);
    }
    using (var m = scratchRun.Run.LoadModel())
    {
        scratch[f.Name] = Measure(m, f.Seed, exposure);
        if (to == "tldr") writtenScratch[f.Name] = Written(m);
    }
    var (b, a, s) = (pre[f.Name], after[f.Name], scratch[f.Name]);
    exp.Result($"{f.From} then {to}, seed {f.Seed}: held-out loss on {f.From} {Fmt.F(b.HeldOutLoss[f.From])} -> {Fmt.F(a.HeldOutLoss[f.From])}, on {to} " +
               $"{Fmt.F(b.HeldOutLoss[to])} -> {Fmt.F(a.HeldOutLoss[to])} (from scratch in {finetuneSteps} steps {Fmt.F(s.HeldOutLoss[to])}); " +
               $"{to} windows seen once ({a.OnceCount} such, scored {Math.Min(a.OnceCount, windowsPerGroup)}) loss {Fmt.F(a.OnceLoss)}, accuracy {Fmt.P(a.OnceAccuracy)}, " +
               $"never seen {Fmt.F(a.NeverLoss)}, {Fmt.P(a.NeverAccuracy)} (from scratch: {Fmt.F(s.OnceLoss)} against {Fmt.F(s.NeverLoss)}); " +
               $"best induction score {Fmt.F(b.Induction, 2)} -> {Fmt.F(a.Induction, 2)} ({b.InductionHeads} -> {a.InductionHeads} named), " +
               $"layer-0 previous-token {Fmt.F(b.PreviousToken, 2)} -> {Fmt.F(a.PreviousToken, 2)}; repeated random tokens, second- minus first-copy loss {Fmt.F(b.Repeats)} -> {Fmt.F(a.Repeats)}" +
               (to == "tldr" ? $"; loss on held-out summaries {Fmt.F(b.SummaryLoss)} -> {Fmt.F(a.SummaryLoss)} (from scratch {Fmt.F(s.SummaryLoss)}); " +
                   $"greedy summaries' word F1 {Fmt.F(writtenBefore[f.Name].F1, 3)} -> {Fmt.F(writtenAfter[f.Name].F1, 3)} (from scratch {Fmt.F(writtenScratch[f.Name].F1, 3)}), " +
                   $"exact {Fmt.P(writtenBefore[f.Name].Exact)} -> {Fmt.P(writtenAfter[f.Name].Exact)} (from scratch {Fmt.P(writtenScratch[f.Name].Exact)})" : ""));
    rows.Add(new[] { $"{f.From} then {to}", f.Seed.ToString(), Fmt.F(b.HeldOutLoss[f.From]), Fmt.F(a.HeldOutLoss[f.From]), Fmt.F(b.HeldOutLoss[to]), Fmt.F(a.HeldOutLoss[to]),
                     Fmt.F(s.HeldOutLoss[to]), Fmt.F(a.NeverLoss - a.OnceLoss), Fmt.F(s.NeverLoss - s.OnceLoss), $"{Fmt.F(b.Induction, 2)} -> {Fmt.F(a.Induction, 2)}", $"{Fmt.F(b.Repeats)} -> {Fmt.F(a.Repeats)}" });
}
var columns = new[] { "fine-tune", "seed", "loss on pre-training corpus before", "after", "loss on new corpus before", "after", "from scratch",
                      "never- minus once-seen loss", "the same, from scratch", "best induction", "repeats: 2nd - 1st copy loss" };
exp.Report.AddTable($"per fine-tune ({pretrainSteps} pre-training steps, {finetuneSteps} fine-tuning steps, batch {batchSize} of {context} bytes; held-out losses in nats)", columns, rows);
exp.Csv("fine-tunes.csv", columns, rows);

// One family of claims (Holm): every claim is added before any decision is read.
var claims = new ClaimFamily("fine-tuning");
string F3(double x) => Fmt.F(x, 3);
var directions = pairs.Select(pair =>
{
    var (from, to) = pair;
    var keys = fineTunes.Where(f => f.From == from && f.To == to).Select(f => f.Name).ToList();
    List<double> Of(Dictionary<string, Measures> d, Func<Measures, double> f) => keys.Select(k => f(d[k])).ToList();
    return (From: from, To: to, Keys: keys,
        Forgetting: claims.Add($"{from} then {to}: held-out loss on {from}, after against before the fine-tune",
            MeanComparison.PairedOf(Of(after, m => m.HeldOutLoss[from]), Of(pre, m => m.HeldOutLoss[from]))),
        Transfer: claims.Add($"{from} then {to}: held-out loss on {to}, fine-tuned against from scratch",
            MeanComparison.Of(Of(after, m => m.HeldOutLoss[to]), Of(scratch, m => m.HeldOutLoss[to]))),
        Memorized: claims.Add($"{from} then {to}: loss on {to} windows never seen against seen once",
            MeanComparison.PairedOf(Of(after, m => m.NeverLoss), Of(after, m => m.OnceLoss))),
        MemorizedVsScratch: claims.Add($"{from} then {to}: never- minus once-seen loss, fine-tuned against from scratch",
            MeanComparison.Of(Of(after, m => m.NeverLoss - m.OnceLoss), Of(scratch, m => m.NeverLoss - m.OnceLoss))),
        Summaries: to == "tldr" ? claims.Add($"{from} then {to}: loss on held-out pages' summaries, fine-tuned against from scratch",
            MeanComparison.Of(Of(after, m => m.SummaryLoss), Of(scratch, m => m.SummaryLoss))) : null,
        Written: to == "tldr" ? claims.Add($"{from} then {to}: word F1 of greedy summaries of held-out pages, fine-tuned against from scratch",
            MeanComparison.Of(keys.Select(k => writtenAfter[k].F1).ToList(), keys.Select(k => writtenScratch[k].F1).ToList())) : null);
}).ToList();
var findings = new List<string>();
foreach (var d in directions)
{
    exp.Result($"{d.From} then {d.To}: forgetting (loss on {d.From} after minus before) {d.Forgetting.Comparison.Format(F3)}; " +
               $"fine-tuned minus from scratch on {d.To} {d.Transfer.Comparison.Format(F3)}; one exposure (never- minus once-seen loss) {d.Memorized.Comparison.Format(F3)}, " +
               $"fine-tuned minus from scratch {d.MemorizedVsScratch.Comparison.Format(F3)}; named induction heads before {d.Keys.Count(k => pre[k].InductionHeads > 0)} of {d.Keys.Count} seeds, after {d.Keys.Count(k => after[k].InductionHeads > 0)}");
    findings.Add($"{d.From} then {d.To}: the held-out loss on {d.From} after the fine-tune is {d.Forgetting.Words("higher than", "lower than", "before it")} ({d.Forgetting.Detail(F3)}); " +
                 $"on {d.To} the fine-tuned model's is {d.Transfer.Words("higher than", "lower than", "the model's trained from scratch")} ({d.Transfer.Detail(F3)}); " +
                 $"the loss on {d.To} windows it never saw is {d.Memorized.Words("higher than", "lower than", "on windows it saw once")} ({d.Memorized.Detail(F3)}); " +
                 $"that difference is {d.MemorizedVsScratch.Words("larger than", "smaller than", "the model's trained from scratch")} ({d.MemorizedVsScratch.Detail(F3)})" +
                 (d.Summaries is { } c ? $"; on held-out pages' summaries the fine-tuned model's loss is {c.Words("higher than", "lower than", "the model's trained from scratch")} ({c.Detail(F3)}; " +
                     $"before the fine-tune {Fmt.F(d.Keys.Average(k => pre[k].SummaryLoss))}, after {Fmt.F(d.Keys.Average(k => after[k].SummaryLoss))}, from scratch {Fmt.F(d.Keys.Average(k => scratch[k].SummaryLoss))}, means over seeds)" : "") +
                 (d.Written is { } w ? $"; the summaries it writes by greedy decoding score a word F1 against the authors' {w.Words("higher than", "lower than", "the model's trained from scratch")} ({w.Detail(F3)}; " +
                     $"before the fine-tune {Fmt.F(d.Keys.Average(k => writtenBefore[k].F1), 3)}, after {Fmt.F(d.Keys.Average(k => writtenAfter[k].F1), 3)}, from scratch {Fmt.F(d.Keys.Average(k => writtenScratch[k].F1), 3)}, " +
                     $"a constant line {Fmt.F(constantF1, 3)}; exactly the author's in {Fmt.P(d.Keys.Average(k => writtenAfter[k].Exact))} of pages after)" : ""));
}
exp.Claims(claims);
exp.Conclude(string.Join("; ", findings) + (exp.Fast ? ". (fast mode: tiny settings, the numbers mean nothing)" : "."));
exp.Save();
