// Conv-Attn against Attn-Attn on real text, and the leak behind a too-good result (docs/design.md §1, issue 12).
// The research notes reported Conv-Attn at 99.81% next-token accuracy (final loss 0.007) on Wikitext-2 against
// 75.10% for Attn-Attn: a centred convolution lets position t read token t+1, the answer. Here the leaky model
// (conv_padding same, trained only with --allow-noncausal), the causal Conv-Attn and Attn-Attn are trained on the
// same text with the notes' settings scaled to this machine (4 heads, lr 1e-3 for Conv-Attn and 2e-3 for
// Attn-Attn, context 128, batch 32); every model then goes through the leak detector, and the causal two are
// compared on held-out loss, accuracy and where induction heads appear.
// Wikitext-2 cannot be downloaded here: give its wiki.train.tokens with --corpus PATH; by default the corpus is
// the English licence texts every Debian machine carries in /usr/share/common-licenses (about 200 KB).
//   ./toolkit run scripts/conv-attn.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 1500] [--corpus PATH]
#load "toolkit.csx"
#load "lib/experiment.csx"
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
var steps = exp.Setting("--steps", 1500, 30);
var context = exp.Fast ? 32 : 128;
var corpus = exp.Str("--corpus", "");
if (corpus == "")
{
    // Distinct licence files (several names are links to the same text), concatenated once.
    corpus = Path.Combine(exp.Out, "licences.txt");
    var texts = Directory.GetFiles("/usr/share/common-licenses").Where(f => new FileInfo(f).LinkTarget is null).Order()
        .Select(File.ReadAllText).Distinct().ToList();
    if (texts.Count == 0) throw new ToolkitException("/usr/share/common-licenses has no texts", "give a corpus with --corpus PATH");
    File.WriteAllText(corpus, string.Join("\n\n", texts));
}
var task = new TaskSpec { Name = "text", Parameters = new() { ["corpus"] = corpus, ["context"] = context.ToString(), ["tokenizer"] = "byte" } };
var vocab = task.Create().Vocabulary.Size;
exp.Result($"corpus {corpus}: byte tokens, vocabulary {vocab}, context {context}");
using (var layout = ScoringBatch.Create(new ModelConfig { DVocab = vocab, NCtx = context }, [task.Create()], 0))
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
var outcomes = new Dictionary<string, List<(double Loss, double Accuracy, bool Causal, string Leak, string Induction)>>();
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
        // Held-out text: windows from the end of the corpus the model never trained on.
        var heldOut = task.Create().Probes.Single(p => p.Name == "held-out-text").Task;
        var eval = Evaluator.Evaluate(trained, heldOut, Seeds.Derive(seed, Seeds.Stream.Eval), exp.EvalCount);
        using var scoring = ScoringBatch.ForRun(trained, task.Create(), seed);
        var heads = HeadScores.Compute(trained, scoring);
        var induction = Fmt.Heads(heads.Named(HeadRole.Induction));
        outcomes[name].Add((eval.Loss, eval.Accuracy, leak.Causal, leak.FirstLeakingHook ?? "", induction));
        rows.Add(new[] { name, seed.ToString(), Fmt.F(eval.Loss), Fmt.P(eval.Accuracy), leak.Causal ? "causal" : $"LEAKS at {leak.FirstLeakingHook}", induction });
        exp.Result($"{name} seed {seed}: held-out loss {Fmt.F(eval.Loss)}, accuracy {Fmt.P(eval.Accuracy)}; {leak}; induction heads {induction}");
    }
}
var columns = new[] { "model", "seed", "held-out loss", "held-out accuracy", "leak detector", "induction heads" };
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
// The script's one claim over seeds (Welch: different architectures, so the seeds do not pair), as a family of one.
var claims = new ClaimFamily("conv-attn");
var difference = claims.Add("conv-attn against attn-attn accuracy", MeanComparison.Of(outcomes["conv-attn"].Select(x => x.Accuracy).ToList(), outcomes["attn-attn"].Select(x => x.Accuracy).ToList()));
exp.Claims(claims);
exp.Conclude($"{Summary("conv-attn-centred")}: the leak detector flags it in {leaky.Count(x => !x.Causal)} of {leaky.Count} seeds " +
             $"(first leaking activation {string.Join(", ", leaky.Select(x => x.Leak).Distinct())}), and {exploits}; " +
             $"the causal {Summary("conv-attn")} is {difference.Words("better than", "worse than", Summary("attn-attn"))} (difference in accuracy {difference.Detail(Fmt.P)}); " +
             $"induction heads: conv-attn {string.Join("; ", outcomes["conv-attn"].Select(x => x.Induction))}, attn-attn {string.Join("; ", outcomes["attn-attn"].Select(x => x.Induction))}.");
exp.Save();
