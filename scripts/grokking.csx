// Grokking on modular addition (Nanda et al. 2023, "Progress measures for grokking via mechanistic interpretability";
// docs/design.md §4): a 1-layer transformer (d_model 128, 4 heads, d_mlp 512, ReLU, no LayerNorm) trained full batch on a
// fixed share of the pairs of a + b mod p with AdamW (lr 1e-3, betas 0.9/0.98), one run per seed (the seed also draws the
// split). At every checkpoint: train and held-out loss and accuracy, the restricted and excluded losses against the key
// frequencies of the run's last embedding, and the weight norm; then the steps of memorization, circuit formation and
// grokking (the library's phase-change detector on the held-out loss). The main arm trains at weight decay 1 (the paper's);
// a control trains the same seeds at weight decay 2 and 4 for 1/2 and 1/4 of the steps (the same lr × decay × steps): if
// weight decay drives the cleanup, the grokking step scales as 1/decay (exponent 1); a fixed optimizer event would keep it
// in place (exponent 0). Checkpoints lie on the same 25-step grid in every arm, so the grid cannot make the steps scale.
// A second control trains the main arm's seeds again in float64 (the same initial weights, only the round-off differs):
// an event float32's precision causes (the training loss's spike once it reaches float32's floor) should vanish or move
// there, and a marker that follows it is float32's, not the cleanup's (--float64 yes; off by default: its first 5-seed
// run ended in a native crash, docs/design.md §8).
// The paper trains p = 113 on 30% of the pairs for tens of thousands of steps; on one CPU thread this script defaults to
// p = 31 on 50% (more data groks sooner).
//   ./toolkit run scripts/grokking.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--p 31] [--fraction 0.5] [--steps 4000] [--every 25] [--decays 1,2,4] [--float64 no|yes]
#load "toolkit.csx"
#load "lib/experiment.csx"
using System.Globalization;
using Toolkit;
using Toolkit.Configs;
using Toolkit.Analysis;
using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Verdicts;

var exp = new Experiment("grokking", "Grokking on modular addition: key frequencies and progress measures", Args);
var p = exp.Setting("--p", 31, 7);
var fraction = exp.Double("--fraction", exp.Fast ? 0.6 : 0.5);
var steps = exp.Setting("--steps", 4000, 60);
var seeds = exp.Setting("--seeds", 5, 2);
var every = exp.Setting("--every", 25, 10);
var decaysText = exp.Str("--decays", "1,2,4");
var decays = decaysText.Split(',').Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0 ? d
    : throw new ToolkitException($"--decays expects positive numbers separated by commas, got '{decaysText}'", "e.g. --decays 1,2,4 (the first is the main arm)")).ToList();
var float64Text = exp.Str("--float64", "no");
var float64 = float64Text switch
{
    "yes" => true, "no" => false,
    _ => throw new ToolkitException($"--float64 expects yes or no, got '{float64Text}'", "--float64 yes adds the float64 control"),
};
var model = new ModelConfig
{
    NLayers = 1, NHeads = 4, DModel = exp.Fast ? 32 : 128, DMlp = exp.Fast ? 128 : 512, AttnOnly = false, ActFn = ActivationFunction.Relu,
    NormalizationType = null, DVocab = p + 1, NCtx = 8, // n_ctx 8 ≥ the task's 4 tokens: room for the trainer's head-scoring layout
};
var rows = new List<IReadOnlyList<string>>();

// The training loss's first spike: once the logged loss has fallen below 1e-4, the first row back above 1e-2; with the
// lowest loss logged before it (its floor: float32 resolves a per-example loss down to about 6e-8).
static (int? Step, double Floor) Spike(IReadOnlyList<(int Step, double Loss)> curve)
{
    var floor = double.PositiveInfinity;
    foreach (var (step, loss) in curve)
    {
        if (floor < 1e-4 && loss > 1e-2) return (step, floor);
        floor = Math.Min(floor, loss);
    }
    return (null, floor);
}

// The library's verdict (what `toolkit probe --step` says) per main-arm seed: at the memorization step, and at the end.
var judged = new List<(long Seed, GeneralizationVerdict? AtMemorization, GeneralizationVerdict AtEnd, bool Reached90)>();

// One arm: every seed trained at one weight decay for steps × (main decay / decay) steps, measured at its checkpoints;
// the main arm's seeds are also judged by the library's verdict before their checkpoints are removed.
List<(GrokkingTimeline Timeline, int? Spike, double Floor)> RunArm(double decay, int armSteps, FloatType dtype = FloatType.Float32, bool judge = false)
{
    var timelines = new List<(GrokkingTimeline, int?, double)>();
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var task = new TaskSpec
        {
            Name = "modular-addition",
            Parameters = new() { ["p"] = p.ToString(), ["fraction"] = fraction.ToString("R", CultureInfo.InvariantCulture), ["split"] = seed.ToString() },
        };
        var training = new TrainingConfig
        {
            Steps = armSteps, FullBatch = true, LearningRate = 1e-3, WeightDecay = decay, Beta1 = 0.9, Beta2 = 0.98, WarmupSteps = 10, GradClip = 0,
            Seed = seed, Threads = exp.Threads, LogEvery = 10, EvalEvery = armSteps, EvalSequences = 64, CheckpointEvery = every,
        };
        var prefix = dtype == FloatType.Float64 ? "float64-" : "";
        var result = exp.Train($"{prefix}wd{decay.ToString(CultureInfo.InvariantCulture)}-seed{seed}", model with { Dtype = dtype }, task, training);
        var timeline = GrokkingRun.Measure(result.Run.Path);
        if (judge)
        {
            var atMemorization = timeline.MemorizedStep is int m ? SeedStudy.Judge(result.Run.Path, step: m).Verdict : null;
            var atEnd = SeedStudy.Judge(result.Run.Path).Verdict;
            judged.Add((seed, atMemorization, atEnd, timeline.Test90Step is not null));
            var verdictLine = $"weight decay {Fmt.F(decay, 2)}, seed {seed}: library verdict at the memorization step " +
                (atMemorization is null ? "(never memorized)" : $"{timeline.MemorizedStep}: {atMemorization.Headline}") + $"; at step {timeline.Points[^1].Step}: {atEnd.Headline}";
            exp.Report.AddParagraph(verdictLine);
            Console.WriteLine("   " + verdictLine);
        }
        // Measured: keep only the last checkpoint (the one the run's verdict and reports read).
        foreach (var (_, path) in result.Run.Checkpoints().SkipLast(1)) Directory.Delete(path, recursive: true);
        foreach (var x in timeline.Points)
            rows.Add(new[] { dtype.JsonName(), Fmt.F(decay, 2), seed.ToString(), x.Step.ToString(), Fmt.F(x.TrainLoss, 5), Fmt.F(x.TestLoss, 5), Fmt.F(x.TrainAccuracy, 4),
                Fmt.F(x.TestAccuracy, 4), Fmt.F(x.RestrictedLoss, 5), Fmt.F(x.ExcludedLoss, 5), Fmt.F(x.WeightNorm, 2) });
        var (spike, floor) = Spike(result.LossCurve);
        var line = $"{(dtype == FloatType.Float64 ? "float64, " : "")}weight decay {Fmt.F(decay, 2)}, seed {seed}: {timeline.Frequencies}; {timeline.Summary()}; training-loss spike (above 1e-2 after below 1e-4) " +
            (spike is int sp ? $"at step {sp}" : "at no step") + $", lowest training loss logged before it (or in the run) {floor:G2}";
        exp.Report.AddParagraph(line);
        Console.WriteLine("   " + line);
        timelines.Add((timeline, spike, floor));
    }
    return timelines;
}

int ArmSteps(double decay) => (int)Math.Round(steps * decays[0] / decay);
var arms = decays.Select((d, i) => (Decay: d, Steps: ArmSteps(d), Timelines: RunArm(d, ArmSteps(d), judge: i == 0))).ToList();
var wide = float64 ? RunArm(decays[0], ArmSteps(decays[0]), FloatType.Float64) : null;
exp.Csv("timeline.csv", new[] { "dtype", "weight_decay", "seed", "step", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "restricted_loss", "excluded_loss", "weight_norm" }, rows);

// ---- the main arm: the paper's three checks ----
var main = arms[0];
var runs = main.Timelines.Select(x => x.Timeline).ToList();
var test90 = runs.Select(t => TimeToEvent.Of(t.Test90Step, main.Steps)).ToList();
var grokked = runs.Select(t => TimeToEvent.Of(t.Grokking?.Step, main.Steps)).ToList();
var keyCounts = runs.Select(t => (double)t.Frequencies.Key.Count).ToList();
var keyShares = runs.Select(t => t.Frequencies.KeyShare).ToList();
var circuitBeforeDrop = runs.Where(t => t.CircuitStep is int && t.Grokking is not null).Select(t => (double)(t.Grokking!.DropStart - t.CircuitStep!.Value)).ToList();
var memorizedBeforeCircuit = runs.Where(t => t.CircuitStep is int && t.MemorizedStep is int).Select(t => (double)(t.CircuitStep!.Value - t.MemorizedStep!.Value)).ToList();
var excludedRise = runs.Where(t => t.MemorizedStep is int && t.Grokking is not null).Select(t =>
    t.Points.Last(x => x.Step <= t.Grokking!.DropStart).ExcludedLoss - t.Points.First(x => x.Step == t.MemorizedStep).ExcludedLoss).ToList();
var risesFirst = runs.Count(t => t.ExcludedRisesFirst == true);
var inOrder = runs.Count(t => t.PhasesInOrder == true);
var withBoth = runs.Count(t => t.ExcludedRisesFirst is not null);
var withAll = runs.Count(t => t.PhasesInOrder is not null);
// The same two checks against the held-out 90% step instead of the detector's phase change (the control shows the phase
// change at decay 1 follows a float32 spike of the training loss, and above decay 1 there is none).
var circuitBefore90 = runs.Where(t => t.CircuitStep is int && t.Test90Step is int).Select(t => t.Test90Step!.Value - t.CircuitStep!.Value).ToList();
var inOrder90 = runs.Count(t => t.MemorizedStep is int m && t.CircuitStep is int c && t.Test90Step is int g && m < c && c < g);

var setting = $"p {p}, {Fmt.P(fraction)} of the pairs for training, weight decay {Fmt.F(main.Decay, 2)}, {main.Steps} full-batch steps, {seeds} seeds";
exp.Result($"{setting}: held-out accuracy ≥ 90%: {TimeToEventSummary.Of(test90)}; per seed {string.Join(", ", test90)}");
exp.Result($"grokking step (phase change of the held-out loss): {TimeToEventSummary.Of(grokked)}; per seed {string.Join(", ", grokked)}");
var keyInterval = MeanInterval.Of(keyCounts).Within(0, (p - 1) / 2);
exp.Result($"key frequencies of the final embedding: {keyInterval.Format(x => Fmt.F(x, 1))} per seed (per seed {string.Join(", ", keyCounts)}), " +
    $"carrying {MeanInterval.Of(keyShares).Within(0, 1).Format(Fmt.P)} of its norm");
exp.Result($"against the held-out 90% step: the circuit step came before it in {circuitBefore90.Count(d => d > 0)} of the {circuitBefore90.Count} seeds with both " +
    $"(90% step minus circuit step {string.Join(", ", circuitBefore90)}); memorization, circuit, 90% in that order in {inOrder90} of {seeds} seeds");
exp.Result($"excluded loss rises above ln p before the held-out loss falls (10% of its drop) in {risesFirst} of {seeds} seeds ({withBoth} with both events); " +
    $"memorization, then circuit formation, then cleanup in that order in {inOrder} of {seeds} seeds ({withAll} with all three)");
// The library's verdict before and after: what `toolkit probe` says at the memorization step and at the end, beside
// whether held-out accuracy reached 90% (the verdict's held-out-pairs probe draws its own pairs, so the two can differ).
string Kinds(IEnumerable<GeneralizationVerdict?> verdicts) =>
    string.Join("; ", verdicts.GroupBy(v => v?.Kind.Word() ?? "never memorized").OrderByDescending(g => g.Count()).Select(g => $"{g.Key} in {g.Count()}"));
string HeldOut(IEnumerable<GeneralizationVerdict?> verdicts) => string.Join(", ", verdicts.Select(v => v is null ? "–" : Fmt.P(v.Probes.Single(x => x.HeldOut).Eval.Accuracy)));
var agree = judged.Count(j => (j.AtEnd.Kind == VerdictKind.Generalizes) == j.Reached90);
var verdictSummary = $"library verdict (toolkit probe --step) at the memorization step: {Kinds(judged.Select(j => j.AtMemorization))} of {judged.Count} seeds " +
    $"(held-out-pairs probe {HeldOut(judged.Select(j => j.AtMemorization))}); at the last step: {Kinds(judged.Select(j => j.AtEnd))} " +
    $"(held-out-pairs probe {HeldOut(judged.Select(j => j.AtEnd))}); it says generalizes exactly where held-out accuracy reached 90% in {agree} of {judged.Count} seeds";
exp.Result(verdictSummary);
var memorized = judged.Where(j => j.AtMemorization is not null).Select(j => j.AtMemorization!).ToList();
if (memorized.Count > 0) VerdictTables.Measures(exp, "at the memorization step", memorized);
if (judged.Count > 0) VerdictTables.Measures(exp, $"at step {main.Steps}", judged.Select(j => j.AtEnd).ToList());

// Claims over the seeds with the events (95% Student-t intervals, Gehan for censored steps; one Holm family).
var claims = new ClaimFamily("grokking phases and the weight-decay control");
// Reading a claim decides the family, so every line that reads one is printed after the last claim is added.
var afterDecision = new List<Action>();
var lead = circuitBeforeDrop.Count > 0 ? claims.Add("circuit step before the held-out loss's drop", MeanComparison.FromZero(circuitBeforeDrop)) : null;
var gap = memorizedBeforeCircuit.Count > 0 ? claims.Add("memorization before the circuit step", MeanComparison.FromZero(memorizedBeforeCircuit)) : null;
var rise = excludedRise.Count > 0 ? claims.Add("excluded loss higher at the drop than at memorization", MeanComparison.FromZero(excludedRise)) : null;
if (lead is not null)
    afterDecision.Add(() => exp.Result($"held-out drop start minus circuit step: {lead.Detail(x => Fmt.F(x, 0))} steps over {circuitBeforeDrop.Count} seeds: {lead.Words("circuit first, above", "drop first, below", "zero")}"));
if (gap is not null)
    afterDecision.Add(() => exp.Result($"circuit step minus memorized step: {gap.Detail(x => Fmt.F(x, 0))} steps over {memorizedBeforeCircuit.Count} seeds: {gap.Words("memorization first, above", "circuit first, below", "zero")}"));
if (rise is not null)
    afterDecision.Add(() => exp.Result($"excluded loss at the drop's start minus at memorization: {rise.Detail(x => Fmt.F(x, 2))} nats over {excludedRise.Count} seeds: {rise.Words("risen, above", "fallen, below", "zero")}"));

// ---- the control: which events scale as 1/decay? ----
// Three events per seed: held-out accuracy ≥ 90% (generalization), the held-out loss's phase change, and the training
// loss's first spike. For each seed where an event happened in both arms, the exponent α of step ∝ decay^−α:
// ln(step at the main decay / step at this one) / ln(this decay / the main one); 1 if weight decay sets its time, 0 for
// a fixed event. Seeds where it did not happen in one arm give no exponent (no censored step is averaged).
var events = new (string Name, Func<(GrokkingTimeline Timeline, int? Spike, double Floor), int?> Step)[]
{
    ("held-out accuracy ≥ 90%", x => x.Timeline.Test90Step),
    ("held-out loss phase change", x => x.Timeline.Grokking?.Step),
    ("training-loss spike", x => x.Spike),
};
var mainSpikes = main.Timelines.Select(x => TimeToEvent.Of(x.Spike, main.Steps)).ToList();
exp.Result($"training-loss spike (above 1e-2 after below 1e-4): {TimeToEventSummary.Of(mainSpikes)}; per seed {string.Join(", ", mainSpikes)}; " +
    $"lowest training loss before it {string.Join(", ", main.Timelines.Select(x => x.Floor.ToString("G2", CultureInfo.InvariantCulture)))}");
var afterSpike = main.Timelines.Where(x => x.Spike is int && x.Timeline.Grokking is not null).Select(x => x.Timeline.Grokking!.Step - x.Spike!.Value).ToList();
if (afterSpike.Count > 0)
    exp.Result($"held-out loss phase change minus training-loss spike: per seed with both {string.Join(", ", afterSpike)} steps ({afterSpike.Count} of {seeds} seeds)");
var controlLines = new List<string>();
foreach (var arm in arms.Skip(1))
{
    var parts = new List<string>();
    foreach (var (name, step) in events)
    {
        var outcomes = arm.Timelines.Select(x => TimeToEvent.Of(step(x), arm.Steps)).ToList();
        var exponents = arm.Timelines.Zip(main.Timelines).Where(x => step(x.First) is not null && step(x.Second) is not null)
            .Select(x => Math.Log((double)step(x.Second)!.Value / step(x.First)!.Value) / Math.Log(arm.Decay / main.Decay)).ToList();
        var alpha = exponents.Count >= 2 ? MeanInterval.Of(exponents) : null;
        var alphaText = exponents.Count == 0 ? "no seed had it in both arms"
            : $"exponent α {(alpha is null ? Fmt.F(exponents[0], 2) : alpha.Format(x => Fmt.F(x, 2)))} over {exponents.Count} seeds with it in both (per seed {string.Join(", ", exponents.Select(x => Fmt.F(x, 2)))})";
        exp.Result($"control, weight decay {Fmt.F(arm.Decay, 2)} ({arm.Steps} steps), {name}: {TimeToEventSummary.Of(outcomes)}; per seed {string.Join(", ", outcomes)}; {alphaText}");
        parts.Add($"{name} in {outcomes.Count(o => o.Reached)} of {seeds} seeds, {alphaText}");
    }
    // Generalization sooner at the stronger decay: raw steps, both arms censored at the shorter budget (the Gehan test needs one budget).
    var budget = Math.Min(arm.Steps, main.Steps);
    TimeToEvent Cut(int? s) => s is int v && v <= budget ? TimeToEvent.At(v) : TimeToEvent.NotBy(budget);
    var moved = claims.Add($"held-out 90% step at weight decay {Fmt.F(arm.Decay, 2)} against {Fmt.F(main.Decay, 2)} (censored at {budget})",
        CensoredComparison.Of(arm.Timelines.Select(x => Cut(x.Timeline.Test90Step)).ToList(), runs.Select(t => Cut(t.Test90Step)).ToList()));
    var (decay, armSteps) = (arm.Decay, arm.Steps);
    afterDecision.Add(() =>
    {
        exp.Result($"control, weight decay {Fmt.F(decay, 2)}: held-out 90% step against weight decay {Fmt.F(main.Decay, 2)}, both censored at {budget}: " +
            $"{moved.Detail(x => x.ToString())}: {moved.Words("later than", "sooner than", $"weight decay {Fmt.F(main.Decay, 2)}")}");
        controlLines.Add($"at weight decay {Fmt.F(decay, 2)} ({armSteps} steps): {string.Join("; ", parts)}; held-out 90%: {moved.Sentence("later than", "sooner than", $"weight decay {Fmt.F(main.Decay, 2)}")}");
    });
}

// ---- the float64 control: the main arm's seeds again, the same initial weights, only the round-off differs ----
string? precisionLine = null;
if (wide is not null)
{
    var parts = new List<string>();
    foreach (var (name, step) in events)
    {
        var f32 = main.Timelines.Select(x => TimeToEvent.Of(step(x), main.Steps)).ToList();
        var f64 = wide.Select(x => TimeToEvent.Of(step(x), main.Steps)).ToList();
        var same = main.Timelines.Zip(wide).Count(x => step(x.First) == step(x.Second));
        exp.Result($"control, float64 (weight decay {Fmt.F(main.Decay, 2)}, {main.Steps} steps), {name}: {TimeToEventSummary.Of(f64)}; per seed {string.Join(", ", f64)} " +
            $"(float32: {string.Join(", ", f32)}; the same outcome in {same} of {seeds} seeds)");
        parts.Add($"{name} in {f64.Count(o => o.Reached)} of {seeds} seeds at float64 against {f32.Count(o => o.Reached)} at float32 " +
            $"(per seed {string.Join(", ", f64)} against {string.Join(", ", f32)})");
    }
    exp.Result($"control, float64: lowest training loss logged per seed {string.Join(", ", wide.Select(x => x.Floor.ToString("G2", CultureInfo.InvariantCulture)))} " +
        $"(float32: {string.Join(", ", main.Timelines.Select(x => x.Floor.ToString("G2", CultureInfo.InvariantCulture)))})");
    var moved = claims.Add("held-out 90% step at float64 against float32",
        CensoredComparison.Of(wide.Select(x => TimeToEvent.Of(x.Timeline.Test90Step, main.Steps)).ToList(), test90));
    afterDecision.Add(() =>
    {
        exp.Result($"control, float64: held-out 90% step against float32: {moved.Detail(x => x.ToString())}: {moved.Words("later than", "sooner than", "the float32 runs")}");
        precisionLine = $"float64 control (the same seeds and initial weights, weight decay {Fmt.F(main.Decay, 2)}): {string.Join("; ", parts)}; " +
            $"held-out 90% step: {moved.Sentence("later than", "sooner than", "the float32 runs")}";
    });
}
foreach (var print in afterDecision) print();
if (claims.Claims.Count > 0) exp.Claims(claims);

// ---- conclusions, one per check ----
var small = seeds >= 5 ? "" : " (fewer than 5 seeds: a small sample)";
var grokSummary = TimeToEventSummary.Of(grokked);
exp.Conclude($"{setting}: held-out accuracy reached 90% in {test90.Count(t => t.Reached)} of {seeds} seeds and the held-out loss had a phase change in " +
    $"{grokSummary.Reached} of {seeds} (median step {Fmt.F(grokSummary.MedianAmongReached, 0)} among those; Nanda et al.: about 10,000 at p 113, 30%){small}; " +
    $"the training loss spiked in {mainSpikes.Count(o => o.Reached)} of {seeds} seeds ({string.Join(", ", mainSpikes)}) after falling to " +
    $"{string.Join(", ", main.Timelines.Select(x => x.Floor.ToString("G2", CultureInfo.InvariantCulture)))}" +
    (afterSpike.Count > 0 ? $", and {afterSpike.Count(d => d > 0 && d <= 100)} of the {afterSpike.Count} held-out phase changes came within 100 steps after the spike." : "."));
exp.Conclude($"key frequencies: the final embeddings keep {keyInterval.Format(x => Fmt.F(x, 1))} per seed (per seed {string.Join(", ", keyCounts)}; " +
    $"Nanda et al. report 5 at p 113, {Fmt.F(5 - keyInterval.Mean, 1)} more than the mean here; p {p} has {(p - 1) / 2} frequencies to choose from, p 113 has 56).");
exp.Conclude($"excluded loss rising first: above ln p before the held-out loss fell in {risesFirst} of {seeds} seeds" +
    (lead is null ? "" : $" (drop start minus circuit step {lead.Detail(x => Fmt.F(x, 0))} steps over {circuitBeforeDrop.Count} seeds: {lead.Words("circuit first, above", "drop first, below", "zero")})") +
    $"; before held-out accuracy reached 90% in {circuitBefore90.Count(d => d > 0)} of {seeds} seeds ({circuitBefore90.Count} reached both; by {string.Join(", ", circuitBefore90)} steps).");
exp.Conclude($"phase order (memorization, then circuit formation, then cleanup): in {inOrder} of {seeds} seeds with the held-out loss's phase change " +
    $"as the cleanup, in {inOrder90} of {seeds} with the held-out 90% step as its end" +
    (gap is null ? "" : $" (circuit minus memorized step {gap.Detail(x => Fmt.F(x, 0))} steps over {memorizedBeforeCircuit.Count} seeds: {gap.Words("memorization first, above", "circuit first, below", "zero")})") + ".");
exp.Conclude(verdictSummary + ".");
if (controlLines.Count > 0)
    exp.Conclude($"control (the same seeds at other weight decays, the same lr × decay × steps): {string.Join("; ", controlLines)}.");
if (precisionLine is not null) exp.Conclude(precisionLine + ".");
exp.Save();
