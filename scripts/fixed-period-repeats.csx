// Memorization spread over several offsets (docs/design.md §4, issue 21 §2). With R repeats of a fixed period P,
// every earlier copy's offset (P, 2P, …, (k − 1)P in copy k) is right every time in training, and a memorizer may
// copy from any of them. The shortcut test compares the model with the union of those offsets; this study trains
// fixed-period models with 2 to 6 repeats, most filling the context, over several seeds, and reports the library's
// verdict for each, then the review's case (period 16 × 4 in context 64) at the demo's model and settings.
//   ./toolkit run scripts/fixed-period-repeats.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 150] [--demo-steps 800] [--threads N]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Configs;
using Toolkit.Experiments;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;
using Toolkit.Verdicts;

var exp = new Experiment("fixed-period-repeats", "Fixed periods with 2 to 6 repeats: memorization spread over several offsets", Args);
var seeds = exp.Setting("--seeds", 5, 1);
var demoSteps = exp.Setting("--demo-steps", MemorizationDemo.FixedSteps, 20);
// The smallest configuration found at which every model fits its task (FixedPeriodRepeats: two attention-only layers,
// one head, d_model 16, vocabulary 32; periods 30 / R fill a context of 30 except 7 × 4); fast mode: a context of 24.
var context = exp.Fast ? 24 : FixedPeriodRepeats.Context;
var steps = exp.Setting("--steps", FixedPeriodRepeats.Steps, 20);
TaskSpec Task(int period, int repeats, int ctx, int vocabulary) => new()
{
    Name = "repeated-copy",
    Parameters = new() { ["period"] = period.ToString(), ["repeats"] = repeats.ToString(), ["context"] = ctx.ToString(), ["vocab"] = vocabulary.ToString() },
};

var csv = new List<IReadOnlyList<string>>();
var studies = new List<(string Label, List<GeneralizationVerdict> PerSeed)>();
void Study(string label, string prefix, ModelConfig model, TaskSpec task, Func<long, TrainingConfig> training)
{
    var perSeed = new List<GeneralizationVerdict>();
    // The seeds side by side where the cores allow (the seed runner), then each is judged in order.
    var trained = exp.TrainAll(Enumerable.Range(0, seeds).Select(k => ($"{prefix}-seed{exp.Seed + k}", model, task, training(exp.Seed + k))));
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var name = $"{prefix}-seed{seed}";
        var verdict = VerdictTables.Judge(trained[k]);
        perSeed.Add(verdict);
        VerdictTables.Add(exp.Report, $"({name})", verdict);
        csv.AddRange(VerdictTables.CsvRows(name, verdict));
        var failing = verdict.Probes.Where(p => !p.Passed && p.Shortcut.Positions > 0)
            .Select(p => $"{p.Name} {Fmt.P(p.Shortcut.Agreement)} [{Fmt.P(p.Shortcut.AgreementLow)}, {Fmt.P(p.Shortcut.AgreementHigh)}] (chance {Fmt.P(p.Shortcut.Chance)})");
        exp.Result($"{name}: in distribution {Fmt.P(verdict.InDistribution.Accuracy)}; agreement with the shortcut's offsets where they and the rule disagree: " +
                   $"{string.Join(", ", failing.DefaultIfEmpty("no probe fails"))}; verdict: {verdict.Kind.Word()}");
    }
    exp.Result($"{label}: {VerdictKinds.Tally(perSeed.Select(v => v.Kind).ToList())}");
    VerdictTables.Measures(exp, label, perSeed);
    studies.Add((label, perSeed));
}

exp.Report.AddHeading($"Periods with 2 to 6 repeats in a context of {context}");
for (var repeats = 2; repeats <= 6; repeats++)
{
    var period = FixedPeriodRepeats.Period(repeats, context);
    var fit = period * repeats == context ? "fills the context" : $"leaves {context - period * repeats + 1} start offsets";
    var config = FixedPeriodRepeats.Config(repeats, exp.Seed, steps, context, exp.Threads);
    Study($"period {period} × {repeats} ({fit})", $"p{period}x{repeats}", config.Model, config.Task,
        seed => config.Training with { Seed = seed, EvalSequences = exp.Fast ? 32 : config.Training.EvalSequences });
}

// The review's case: period 16 × 4 fills a context of 64; the demo's model, learning rate, warm-up, batch and steps.
exp.Report.AddHeading("The review's case: period 16 × 4 in context 64 at the demo's settings");
var demo = MemorizationDemo.Config("16", demoSteps, threads: exp.Threads);
var (demoPeriod, demoContext, demoVocab) = exp.Fast ? (4, 16, 16) : (16, 64, 64);
Study($"demo model, period {demoPeriod} × 4 in context {demoContext}", $"demo-p{demoPeriod}x4",
    exp.Fast ? exp.Model() : demo.Model, Task(demoPeriod, 4, demoContext, demoVocab),
    seed => demo.Training with { Seed = seed, Steps = demoSteps, WarmupSteps = Math.Min(demo.Training.WarmupSteps, demoSteps / 5), BatchSize = exp.Fast ? 16 : demo.Training.BatchSize, EvalEvery = demoSteps });

exp.Csv("probes.csv", new[] { "model" }.Concat(VerdictTables.Columns).ToArray(), csv);
var all = studies.SelectMany(s => s.PerSeed).ToList();
var memorizes = all.Count(v => v.Kind == VerdictKind.MemorizesPositions);
exp.Conclude(memorizes == all.Count
    ? $"every fixed-period model, 2 to 6 repeats and the review's 16 × 4, is judged \"memorizes positions\" ({memorizes} of {all.Count} runs; library rule, printed with each verdict)"
    : $"{memorizes} of {all.Count} fixed-period runs are judged \"memorizes positions\"; the others: " +
      string.Join("; ", studies.Where(s => s.PerSeed.Any(v => v.Kind != VerdictKind.MemorizesPositions)).Select(s => $"{s.Label}: {VerdictKinds.Tally(s.PerSeed.Select(v => v.Kind).ToList())}")));
exp.Save();
