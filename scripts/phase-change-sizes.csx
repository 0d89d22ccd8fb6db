// The phase change at other sizes (issue 27 §5; Olsson et al. 2022): on the variable-period task (repeated-copy,
// periods 6..29, the scripts' training settings), the same training at other model sizes, 5 seeds each. The classic
// result: a 1-layer attention-only model forms no induction head (a head must read what precedes an earlier token,
// which one layer of attention cannot compose); the 1-layer Conv-Attn (a causal convolution over positions before the
// attention, conv_kernel 3) can, since the convolution puts the previous token into each key. Then 2, 3 and 4 layers and
// d_model 64, 128 and 256: does the phase change persist, and does its step move with size? Per run: the phase change on
// the training loss (the library's rule, PhaseChange.Rule; censored at the budget when none), the named induction heads
// (score above 0.4 on an unseen period), and the library's verdict with its "by induction" attribution. Claims, one Holm
// family: the phase-change step's trend over layers (2, 3, 4 at d_model 64) and over width (64, 128, 256 at 2 layers),
// each one Jonckheere-Terpstra claim with Gehan's scores (CensoredTrend: censored steps are never averaged); the 1-layer
// Conv-Attn's step against the reference arm (2 layers, d_model 64: the phase-change script's model), a Gehan claim;
// the 1-layer attention-only arm's held-out accuracy against the reference, a Welch claim.
//   ./toolkit run scripts/phase-change-sizes.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--steps 1500]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Configs;
using Toolkit.Evaluation;
using Toolkit.Training;
using Toolkit.Verdicts;

var exp = new Experiment("phase-change-sizes", "The phase change at other sizes: 1 layer, Conv-Attn, 2-3 layers, wider", Args);
var steps = exp.Setting("--steps", 1500, 30);
var seeds = exp.Setting("--seeds", 5, 1);
var task = exp.RepeatedCopy(exp.VariablePeriods);
var d = exp.Model().DModel;
var widths = new[] { d, 2 * d, 4 * d };
// The reference arm, the 1-layer arms, then the arms of the layer trend and of the width trend, each in order of size
// (the claims below name arms by slug).
var arms = new (string Name, string Slug, ModelConfig Model)[]
{
    ($"2 layers, d_model {d}", "ref", exp.Model()),
    ("1 layer", "l1", exp.Model(layers: 1)),
    ("1 layer + causal convolution (Conv-Attn)", "l1-conv", exp.Model(layers: 1) with { ConvKernel = 3 }),
    ($"3 layers, d_model {d}", "l3", exp.Model(layers: 3)),
    ($"4 layers, d_model {d}", "l4", exp.Model(layers: 4)),
    ($"2 layers, d_model {widths[1]}", $"d{widths[1]}", exp.Model() with { DModel = widths[1] }),
    ($"2 layers, d_model {widths[2]}", $"d{widths[2]}", exp.Model() with { DModel = widths[2] }),
};
// Every run first, side by side where the cores allow (the seed runner), then each is judged in order.
var trained = exp.TrainAll(arms.SelectMany(a => Enumerable.Range(0, seeds).Select(k =>
    ($"{a.Slug}-seed{exp.Seed + k}", a.Model, task, exp.Training(steps, exp.Seed + k)))));
double HeldOut(GeneralizationVerdict v) => v.Probes.First(p => p.HeldOut).Eval.Accuracy;

var outcomes = new List<(string Name, string Slug, List<TimeToEvent> Phase, List<int> Heads, List<GeneralizationVerdict> Verdicts)>();
var rows = new List<IReadOnlyList<string>>();
foreach (var (arm, i) in arms.Select((a, i) => (a, i)))
{
    var phase = new List<TimeToEvent>();
    var heads = new List<int>();
    var verdicts = new List<GeneralizationVerdict>();
    for (var k = 0; k < seeds; k++)
    {
        var result = trained[i * seeds + k];
        var change = PhaseChange.Detect(result.LossCurve);
        var verdict = VerdictTables.Judge(result);
        phase.Add(TimeToEvent.Of(change?.Step, steps));
        heads.Add(result.FinalHeads.Named(HeadRole.Induction).Count);
        verdicts.Add(verdict);
        var mechanism = verdict.Mechanism?.Finding switch
        {
            InductionFinding.ByInduction => " (by induction)", InductionFinding.HeadsNotNeeded => " (its induction heads not needed)",
            InductionFinding.NoInductionHead => " (no induction head)", _ => "",
        };
        rows.Add(new[] { arm.Name, (exp.Seed + k).ToString(), change?.Step.ToString() ?? $">{steps}", HeadTables.Summary(result.FinalHeads),
            Fmt.F(result.FinalHeads.Best(HeadRole.Induction).Induction, 2), verdict.Kind.Word() + mechanism, Fmt.P(HeldOut(verdict)) });
        exp.Result($"{arm.Name}, seed {exp.Seed + k}: phase change {(change is null ? "none by the rule" : $"at step {change.Step} (loss {Fmt.F(change.LossBefore, 2)} -> {Fmt.F(change.LossAfter, 2)})")}; " +
            $"{HeadTables.Summary(result.FinalHeads)} (best induction {Fmt.F(result.FinalHeads.Best(HeadRole.Induction).Induction, 2)}); verdict: {verdict.Headline}{mechanism}");
    }
    outcomes.Add((arm.Name, arm.Slug, phase, heads, verdicts));
    VerdictTables.Measures(exp, arm.Name, verdicts);
}
var columns = new[] { "arm", "seed", "phase change", "named heads", "best induction score", "verdict", "held-out accuracy" };
exp.Report.AddTable($"per run ({steps} steps; phase change: {PhaseChange.Rule})", columns, rows);
exp.Csv("runs.csv", columns, rows);

// Claims: the step's trend over layers and over width (censored at the budget), the Conv-Attn's step against the
// reference's, and the 1-layer attention-only model's held-out accuracy against the reference's.
var claims = new ClaimFamily("phase change at other sizes");
var outcome = outcomes.ToDictionary(o => o.Slug);
var (reference, oneLayer, conv) = (outcome["ref"], outcome["l1"], outcome["l1-conv"]);
var trends = new[] { ("layers", new[] { "ref", "l3", "l4" }), ("d_model", new[] { "ref", $"d{widths[1]}", $"d{widths[2]}" }) }.Select(t => (Setting: t.Item1, Arms: t.Item2.Select(a => outcome[a]).ToList(),
    Claim: claims.Add($"phase-change step's trend over {t.Item1} ({string.Join(", ", t.Item2.Select(a => outcome[a].Name))})",
        CensoredTrend.Of(t.Item2.Select(a => (IReadOnlyList<TimeToEvent>)outcome[a].Phase).ToList())))).ToList();
var convStep = claims.Add($"phase-change step, {conv.Name} against {reference.Name}", CensoredComparison.Of(conv.Phase, reference.Phase));
var accuracy = claims.Add($"held-out accuracy, {oneLayer.Name} against {reference.Name}",
    MeanComparison.Of(oneLayer.Verdicts.Select(HeldOut).ToList(), reference.Verdicts.Select(HeldOut).ToList()));
foreach (var o in outcomes)
    exp.Result($"{o.Name}: phase change {TimeToEventSummary.Of(o.Phase)}; named induction heads in {o.Heads.Count(h => h > 0)} of {seeds} seeds; " +
        $"verdict {VerdictKinds.Tally(o.Verdicts.Select(v => v.Kind).ToList())}, by induction in {o.Verdicts.Count(v => v.Mechanism?.Finding == InductionFinding.ByInduction)}");
exp.Claims(claims);
foreach (var t in trends)
    exp.Result($"phase-change step over {t.Setting}: {t.Claim.Detail(x => Fmt.F(x, 2))}: {Trend(t.Claim, t.Setting)}");
exp.Result($"phase-change step, {conv.Name}: {convStep.Detail(x => x.ToString())}: {convStep.Words("later than", "sooner than", reference.Name)}");
exp.Result($"held-out accuracy, {oneLayer.Name} minus {reference.Name}: {accuracy.Detail(Fmt.P)}: {accuracy.Words("higher than", "lower than", reference.Name)}");

// A trend claim's decision as words.
static string Trend(Claim c, string setting) => c.Direction switch
{
    Difference.Higher => $"comes later with more {setting}", Difference.Lower => $"comes sooner with more {setting}",
    Difference.NotShown => $"shows no trend over {setting} that the seeds can tell from chance", _ => $"too few seeds ({c.Comparison.Seeds}) to claim a trend",
};
string Arm((string Name, string Slug, List<TimeToEvent> Phase, List<int> Heads, List<GeneralizationVerdict> Verdicts) o) =>
    $"{o.Name}: induction heads in {o.Heads.Count(h => h > 0)} of {seeds} seeds, {VerdictKinds.Tally(o.Verdicts.Select(v => v.Kind).ToList())} " +
    $"(by induction in {o.Verdicts.Count(v => v.Mechanism?.Finding == InductionFinding.ByInduction)}), phase change {TimeToEventSummary.Of(o.Phase)}";
var small = seeds >= 5 ? "" : " (fewer than 5 seeds: a small sample)";
exp.Conclude($"{Arm(oneLayer)}; its held-out accuracy {accuracy.Sentence("higher than", "lower than", reference.Name)}{small}.");
exp.Conclude($"{Arm(conv)}; its phase-change step {convStep.Sentence("later than", "sooner than", "the reference's")}.");
foreach (var t in trends)
    exp.Conclude($"over {t.Setting}: " + string.Join("; ", t.Arms.Select(Arm)) +
        $". The phase-change step {Trend(t.Claim, t.Setting)}{(t.Claim.Evidence == "" ? "" : $" ({t.Claim.Evidence})")}.");
exp.Save();
