// Conv-Attn against Attn-Attn on real text in GPT-2's tokens, and the leak behind a too-good result (docs/design.md §1,
// issues 12 and 27 §4). The research notes reported Conv-Attn at 99.81% next-token accuracy (final loss 0.007) on
// Wikitext-2 in GPT-2's tokens against 75.10% for Attn-Attn: a centred convolution lets position t read token t+1, the
// answer. Here the leaky model (conv_padding same, trained only with --allow-noncausal), the causal Conv-Attn and
// Attn-Attn are trained on the same long-document corpus with the notes' settings scaled to this machine (4 heads, lr
// 1e-3 for Conv-Attn and 2e-3 for Attn-Attn, context 128, batch 32, d_model 64; 400 steps are 1.6M tokens, about the
// text the byte-level run of 1,500 steps read, and about 1.2 s a step on one core at GPT-2's vocabulary); every model then goes through the leak detector,
// and the causal two are compared on held-out loss and accuracy, on where induction appears (named heads, and the
// repeated-random-tokens measure that needs no head scores) and on the convolution's weight per offset (smeared keys:
// weight on t-1 and t-2; the leak: weight on t+1).
// Wikitext-2 cannot be downloaded here: give its wiki.train.tokens with --corpus PATH; by default the corpus is the
// Python documentation (python3.11-doc, fetched by ./toolkit into .toolkit/corpora). --tokenizer byte trains on bytes.
//   ./toolkit run scripts/conv-attn.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 400] [--corpus PATH] [--tokenizer gpt2]
#load "toolkit.csx"
#load "lib/experiment.csx"
#load "lib/corpora.csx"
using Toolkit.Configs;
using Toolkit;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

var exp = new Experiment("conv-attn", "Conv-Attn vs Attn-Attn on text, and the causality leak", Args);
var seeds = exp.Setting("--seeds", 5, 1);
var steps = exp.Setting("--steps", 400, 30);
var context = exp.Fast ? 32 : 128;
var tokenizer = exp.Str("--tokenizer", "gpt2");
var corpus = Corpora.Find(exp, "--corpus", "python-docs.txt", "long-document corpus", "python3.11-doc", "a plain-text file");
if (exp.Fast) corpus = Corpora.Prefix(exp, corpus);
var task = new TaskSpec { Name = "text", Parameters = new() { ["corpus"] = corpus, ["format"] = "plain", ["context"] = context.ToString(), ["tokenizer"] = tokenizer } };
var created = (TextTask)task.Create();
var vocab = created.Vocabulary.Size;
// The repeated strings' alphabet: the commonest tokens that make up 99% of the training part.
var alphabet = RepeatedRandomTokens.CommonestTokens(created.CorpusTokens.Take(created.Split).Where(t => t >= created.Vocabulary.ContentStart), 0.99);
var repeatLength = Math.Min(context / 2, alphabet.Length);
exp.Result($"corpus {corpus}: {tokenizer} tokens, {created.CorpusTokens.Length} of them ({created.Split} in the training part), d_vocab {vocab}, context {context}; " +
           $"repeated strings of {repeatLength} distinct tokens from the {alphabet.Length} commonest (99% of the training part)");
using (var layout = ScoringBatch.Create(new ModelConfig { DVocab = vocab, NCtx = context }, [created], 0))
    exp.Result($"head scores on the {layout.Layout}");

ModelConfig Model(bool conv, ConvolutionPadding padding = ConvolutionPadding.Causal) => new()
{
    NLayers = conv ? 1 : 2, NHeads = exp.Fast ? 2 : 4, DModel = exp.Fast ? 32 : 64, DVocab = vocab, NCtx = context, AttnOnly = true,
    ConvKernel = conv ? 3 : 0, ConvPadding = padding,
};
var kinds = new (string Name, ModelConfig Model, double Lr, bool AllowNonCausal)[]
{
    ("attn-attn", Model(conv: false), 2e-3, false),
    ("conv-attn", Model(conv: true), 1e-3, false),
    ("conv-attn-centred", Model(conv: true, padding: ConvolutionPadding.Same), 1e-3, true),
};
var rows = new List<IReadOnlyList<string>>();
// What one trained model measured: held-out loss and accuracy, the leak detector's answer, named induction heads, the
// repeated-random-tokens score and the convolution's weight per offset (empty without one).
sealed record Outcome(double Loss, double Accuracy, bool Causal, string Leak, string Induction, RepeatedTokensScore Repeats, (int Offset, double Norm)[] Offsets);
var outcomes = new Dictionary<string, List<Outcome>>();
var heldOut = created.Probes.Single(p => p.Name == "held-out-text").Task; // windows from the end of the corpus, never trained on

// The convolution's weight per offset (the Frobenius norm of each tap's weights): what position t reads from t-2, t-1,
// t (causal) or t-1, t, t+1 (centred). Empty without a convolution.
(int Offset, double Norm)[] Offsets(HookedTransformer m)
{
    if (m.conv is not { } conv) return [];
    var k = (int)conv.W_conv.shape[2];
    var left = m.Config.ConvPadding == ConvolutionPadding.Causal ? k - 1 : (k - 1) / 2;
    using var scope = TorchSharp.torch.NewDisposeScope();
    return Enumerable.Range(0, k).Select(j => (j - left, (double)conv.W_conv.select(2, j).norm().item<float>())).ToArray();
}
static string OffsetText(IEnumerable<(int Offset, double Norm)> offsets) =>
    string.Join(", ", offsets.Select(o => $"t{(o.Offset == 0 ? "" : o.Offset.ToString("+0;-0"))} {Fmt.F(o.Norm, 2)}"));
foreach (var (name, model, lr, allow) in kinds)
{
    outcomes[name] = new();
    // The seeds side by side where the cores allow (the seed runner), then each is measured in order.
    var runs = exp.TrainAll(Enumerable.Range(0, seeds).Select(k => ($"{name}-seed{exp.Seed + k}", model, task,
        exp.Training(steps, exp.Seed + k) with { BatchSize = exp.Fast ? 8 : 32, LearningRate = lr, AllowNonCausal = allow })));
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var result = runs[k];
        using var trained = result.Run.LoadModel();
        var leak = CausalityCheck.Run(trained, (ulong)seed);
        var eval = Evaluator.Evaluate(trained, heldOut, Seeds.Derive(seed, Seeds.Stream.Eval), exp.EvalCount);
        using var scoring = ScoringBatch.ForRun(trained, created, seed);
        var heads = HeadScores.Compute(trained, scoring);
        var induction = Fmt.Heads(heads.Named(HeadRole.Induction));
        var repeats = RepeatedRandomTokens.Compute(trained, alphabet, repeatLength, exp.Fast ? 8 : 64, (int)(Seeds.Derive(seed, Seeds.Stream.Probe, 27) % int.MaxValue));
        var offsets = Offsets(trained);
        outcomes[name].Add(new Outcome(eval.Loss, eval.Accuracy, leak.Causal, leak.FirstLeakingHook ?? "", induction, repeats, offsets));
        rows.Add(new[] { name, seed.ToString(), Fmt.F(eval.Loss), Fmt.P(eval.Accuracy), leak.Causal ? "causal" : $"LEAKS at {leak.FirstLeakingHook}", induction,
            Fmt.F(repeats.Score), Fmt.P(repeats.GreedyAccuracy), OffsetText(offsets) });
        exp.Result($"{name} seed {seed}: held-out loss {Fmt.F(eval.Loss)}, accuracy {Fmt.P(eval.Accuracy)}; {leak}; induction heads {induction}; " +
                   $"repeated random tokens: second- minus first-copy loss {Fmt.F(repeats.Score)}, greedy continuation {Fmt.P(repeats.GreedyAccuracy)} (chance 1 in {repeats.Alphabet})" +
                   (offsets.Length == 0 ? "" : $"; convolution weight by offset {OffsetText(offsets)}"));
    }
}
var columns = new[] { "model", "seed", "held-out loss", "held-out accuracy", "leak detector", "induction heads", "repeat score", "greedy repeat", "convolution weight by offset" };
exp.Report.AddTable("held-out text, leak detector and induction heads", columns, rows);
exp.Csv("models.csv", columns, rows);

string Summary(string name)
{
    var o = outcomes[name];
    var accuracy = MeanInterval.Of(o.Select(x => x.Accuracy).ToList()).Within(0, 1);
    return $"{name} {Fmt.P(accuracy.Mean)} held-out accuracy (95% t interval over {o.Count} seeds [{Fmt.P(accuracy.Low)}, {Fmt.P(accuracy.High)}]), loss {Fmt.F(o.Average(x => x.Loss))}";
}
var leaky = outcomes["conv-attn-centred"];
var bestCausal = Math.Max(outcomes["conv-attn"].Max(x => x.Accuracy), outcomes["attn-attn"].Max(x => x.Accuracy));
var exploits = leaky.Min(x => x.Accuracy) > bestCausal + 0.05
    ? $"its accuracy exceeds every causal model's by more than 5 points: it reads the answer"
    : "at this length it has not yet turned the leak into accuracy";
// Two claims over seeds (Welch: different architectures, so the seeds do not pair), one family: accuracy, and the
// repeated-random-tokens score (induction measured without head scores).
var claims = new ClaimFamily("conv-attn");
List<double> Of(string name, Func<Outcome, double> f) =>
    outcomes[name].Select(f).ToList();
var difference = claims.Add("conv-attn against attn-attn accuracy", MeanComparison.Of(Of("conv-attn", x => x.Accuracy), Of("attn-attn", x => x.Accuracy)));
var repeatDifference = claims.Add("conv-attn against attn-attn repeated-random-tokens score (second- minus first-copy loss)",
    MeanComparison.Of(Of("conv-attn", x => x.Repeats.Score), Of("attn-attn", x => x.Repeats.Score)));
exp.Claims(claims);
string MeanOffsets(string name) => OffsetText(outcomes[name][0].Offsets.Select((o, j) => (o.Offset, outcomes[name].Average(x => x.Offsets[j].Norm))));
string Repeats(string name) =>
    $"{name} {Fmt.F(outcomes[name].Average(x => x.Repeats.Score))} (greedy continuation {Fmt.P(outcomes[name].Average(x => x.Repeats.GreedyAccuracy))}, chance 1 in {outcomes[name][0].Repeats.Alphabet})";
exp.Conclude($"{Summary("conv-attn-centred")}, against the notes' 99.81%: the leak detector flags it in {leaky.Count(x => !x.Causal)} of {leaky.Count} seeds " +
             $"(first leaking activation {string.Join(", ", leaky.Select(x => x.Leak).Distinct())}), and {exploits}; its convolution weight by offset, mean over seeds: {MeanOffsets("conv-attn-centred")}. " +
             $"The causal {Summary("conv-attn")} is {difference.Words("better than", "worse than", Summary("attn-attn"))} (difference in accuracy {difference.Detail(Fmt.P)}); " +
             $"its convolution weight by offset: {MeanOffsets("conv-attn")}. " +
             $"Induction: named induction heads, conv-attn {string.Join("; ", outcomes["conv-attn"].Select(x => x.Induction))}, attn-attn {string.Join("; ", outcomes["attn-attn"].Select(x => x.Induction))}; " +
             $"repeated random tokens (second- minus first-copy loss; negative: the model reads the repeat): {Repeats("conv-attn")} is " +
             $"{repeatDifference.Words("higher than", "lower than", Repeats("attn-attn"))} ({repeatDifference.Detail(x => Fmt.F(x))}).");
exp.Save();
