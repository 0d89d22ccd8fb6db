// Encoder-decoder against decoder-only on set extraction and copy (docs/design.md §3, issue 12). The research notes'
// encoder-decoder trials: does reading the input through an encoder and cross-attention make the set-extraction rule
// ("emit the next distinct token in order of first appearance") easier to learn than the decoder-only model, whose
// 2 layers need about 5,000 steps (scripts/set-extraction.csx)? The sequence-to-sequence copy task (tokens, SEP,
// the same tokens) is the easy control: a decoder-only model solves it with an induction circuit, the
// encoder-decoder by cross-attending to the source position of each output. Three arms on the same tasks and seeds: the 2-layer decoder-only
// model, a 6-layer one (as many attention layers and parameters as the encoder-decoder, so size alone is covered),
// and the encoder-decoder with 2 encoder and 2 decoder layers (each decoder layer has self- and cross-attention). Per run: held-out accuracy with its interval, the first evaluation at 90%
// held-out accuracy, and the library's verdict; over seeds, the encoder-decoder against each decoder-only arm with
// MeanComparison (a difference is claimed only when the interval over seeds excludes 0, from 3 seeds up). A run
// that never reaches 90% counts as its length (a lower bound) and the line says how many did. The cross-attention
// patterns of the first seed show which source position each output reads.
//   ./toolkit run scripts/encoder-decoder.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 2000] [--copy-steps 1000]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Verdicts;

var exp = new Experiment("encoder-decoder", "Encoder-decoder against decoder-only on set extraction and copy", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var tasks = new (string Name, TaskSpec Spec, int Steps)[]
{
    ("set-extraction", exp.Task("set-extraction", exp.Fast ? new() { ["length"] = "4..6", ["distinct"] = "2..3" } : new() { ["length"] = "8..24", ["distinct"] = "2..10" }),
        exp.Setting("--steps", 2000, 40)),
    ("copy", exp.Task("copy", exp.Fast ? new() { ["length"] = "2..5" } : new() { ["length"] = "4..24" }), exp.Setting("--copy-steps", 1000, 40)),
};
var decoderOnly = exp.Model();
(string Name, ModelConfig Model)[] Arms(Vocabulary vocabulary) => new[]
{
    ("decoder-only 2", decoderOnly),
    ("decoder-only 6", decoderOnly with { NLayers = 6 }),
    ("encoder-decoder 2+2", decoderOnly with { NEncoderLayers = 2, SourceEndToken = vocabulary.Id("SEP") }),
};
foreach (var (name, model) in Arms(tasks[0].Spec.Create().Vocabulary)) exp.Result(ParameterBudget.Describe(name, model));

sealed record Outcome(string Task, string Arm, long Seed, EvalResult Eval, int? StepTo90, VerdictKind Verdict);
var outcomes = new List<Outcome>();
var csv = new List<IReadOnlyList<string>>();
var conclusions = new List<string>();
foreach (var (taskName, task, steps) in tasks)
{
    var vocabulary = task.Create().Vocabulary;
    var arms = Arms(vocabulary);
    foreach (var (arm, model) in arms)
        for (var k = 0; k < seeds; k++)
        {
            var seed = exp.Seed + k;
            var name = $"{taskName}-{arm.Replace(' ', '-').Replace('+', '-')}-seed{seed}";
            var watch = new FirstAccuracy(0.9);
            var result = exp.Train(name, model, task, exp.Training(steps, seed), watch);
            var verdict = VerdictTables.Judge(result);
            outcomes.Add(new Outcome(taskName, arm, seed, result.FinalEval, watch.Step, verdict.Kind));
            csv.AddRange(VerdictTables.CsvRows(name, verdict));
            exp.Result($"{taskName}, {arm}, seed {seed}: held-out {Fmt.P(result.FinalEval.Accuracy)} [{Fmt.P(result.FinalEval.AccuracyLow)}, {Fmt.P(result.FinalEval.AccuracyHigh)}]; " +
                       $"90% {(watch.Step is int s ? $"at step {s}" : $"not reached in {steps} steps")}; verdict (library rule) {verdict.Headline}");
            if (k == 0 && model.EncoderDecoder)
            {
                using var trained = result.Run.LoadModel();
                var example = Sampling.examples(task.Create(), 7UL, 1)[0];
                var labels = AttentionPattern.Labels(vocabulary, example);
                for (var layer = 0; layer < model.NLayers; layer++)
                    for (var head = 0; head < trained.Config.NHeads; head++)
                        exp.Report.AddHeatmap($"{taskName}, {arm}, seed {seed}: cross-attention L{layer}H{head} (rows: decoder positions, columns: source positions)",
                            AttentionPattern.Of(trained, example, layer, head, "cross_attn"), labels, labels, zmin: 0, zmax: 1);
            }
        }

    List<double> Accuracy(string arm) => outcomes.Where(o => o.Task == taskName && o.Arm == arm).Select(o => o.Eval.Accuracy).ToList();
    List<double> StepsTo90(string arm) => outcomes.Where(o => o.Task == taskName && o.Arm == arm).Select(o => (double)(o.StepTo90 ?? steps)).ToList();
    foreach (var (arm, _) in arms)
    {
        var a = Accuracy(arm);
        var (lo, hi) = Bootstrap.MeanInterval(a);
        var mine = outcomes.Where(o => o.Task == taskName && o.Arm == arm).ToList();
        var reached = mine.Count(o => o.StepTo90 is not null);
        exp.Result($"{taskName}, {arm}: held-out accuracy {Fmt.P(a.Average())} [{Fmt.P(lo)}, {Fmt.P(hi)}] over {a.Count} seeds; 90% reached in {reached} of {a.Count} seeds" +
                   (reached > 0 ? $" (median step {StepsTo90(arm).Order().ElementAt(a.Count / 2):F0}, unreached counted as {steps})" : "") +
                   $"; verdicts {VerdictKinds.Tally(mine.Select(o => o.Verdict).ToList())}");
    }
    var encoderDecoder = arms[2].Name;
    var comparisons = arms.Take(2).Select(d =>
    {
        var accuracy = MeanComparison.Of(Accuracy(encoderDecoder), Accuracy(d.Name));
        var speed = MeanComparison.Of(StepsTo90(encoderDecoder), StepsTo90(d.Name));
        return $"the encoder-decoder's accuracy: {accuracy.Words("higher than", "lower than", d.Name)} ({Fmt.P(accuracy.MeanDifference)} [{Fmt.P(accuracy.Low)}, {Fmt.P(accuracy.High)}]); " +
               $"its step to 90%: {speed.Words("later than", "sooner than", d.Name)} ({speed.MeanDifference:F0} steps [{speed.Low:F0}, {speed.High:F0}])";
    });
    conclusions.Add($"on {taskName} after {steps} steps: {string.Join("; ", comparisons)}");
}
exp.Csv("probes.csv", new[] { "model" }.Concat(VerdictTables.Columns).ToArray(), csv);
exp.Conclude(string.Join(". ", conclusions) + "." + (exp.Fast ? " (fast mode: tiny settings, the numbers mean nothing)" : ""));
exp.Save();

/// <summary>The first evaluation whose held-out accuracy reaches a level.</summary>
sealed class FirstAccuracy(double level) : ITrainingObserver
{
    public int? Step { get; private set; }
    public void OnEvaluation(int step, EvalResult eval, HeadScoreTable heads)
    {
        if (Step is null && eval.Accuracy >= level) Step = step;
    }
}
