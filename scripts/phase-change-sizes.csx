// The phase change at other sizes (issue 27 §5; Olsson et al. 2022): on the variable-period task (repeated-copy,
// periods 6..29, the scripts' training settings), the same training at other model sizes, 5 seeds each. The classic
// result: a 1-layer attention-only model forms no induction head (a head must read what precedes an earlier token,
// which one layer of attention cannot compose); the 1-layer Conv-Attn (a causal convolution over positions before the
// attention, conv_kernel 3) can, since the convolution puts the previous token into each key. Then 2 and 3 layers and
// d_model 64 and 128: does the phase change persist, and does its step move with size? Per run: the phase change on the
// training loss (the library's rule, PhaseChange.Rule; censored at the budget when none), the named induction heads
// (score above 0.4 on an unseen period), and the library's verdict with its "by induction" attribution. Each arm's
// phase-change step against the reference arm (2 layers, d_model 64: the phase-change script's model) is one Gehan
// claim (censored steps are never averaged), and the 1-layer attention-only arm's held-out accuracy against the
// reference one Welch claim: one Holm family.
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
var width = exp.Fast ? 32 : 128;
// The reference arm first: every other arm is compared with it.
var arms = new (string Name, ModelConfig Model)[]
{
    ("2 layers, d_model " + exp.Model().DModel, exp.Model()),
    ("1 layer", exp.Model(layers: 1)),
    ("1 layer + causal convolution (Conv-Attn)", exp.Model(layers: 1) with { ConvKernel = 3 }),
    ("3 layers, d_model " + exp.Model().DModel, exp.Model(layers: 3)),
    ($"2 layers, d_model {width}", exp.Model() with { DModel = width }),
};
var slug = new[] { "ref", "l1", "l1-conv", "l3", $"d{width}" };
// Every run first, side by side where the cores allow (the seed runner), then each is judged in order.
var trained = exp.TrainAll(arms.SelectMany((a, i) => Enumerable.Range(0, seeds).Select(k =>
    ($"{slug[i]}-seed{exp.Seed + k}", a.Model, task, exp.Training(steps, exp.Seed + k)))));

var outcomes = new List<(string Name, List<TimeToEvent> Phase, List<int> Heads, List<GeneralizationVerdict> Verdicts)>();
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
            Fmt.F(result.FinalHeads.Best(HeadRole.Induction).Induction, 2), verdict.Kind.Word() + mechanism, Fmt.P(verdict.Probes.First(p => p.HeldOut).Eval.Accuracy) });
        exp.Result($"{arm.Name}, seed {exp.Seed + k}: phase change {(change is null ? "none by the rule" : $"at step {change.Step} (loss {Fmt.F(change.LossBefore, 2)} -> {Fmt.F(change.LossAfter, 2)})")}; " +
            $"{HeadTables.Summary(result.FinalHeads)} (best induction {Fmt.F(result.FinalHeads.Best(HeadRole.Induction).Induction, 2)}); verdict: {verdict.Headline}{mechanism}");
    }
    outcomes.Add((arm.Name, phase, heads, verdicts));
    VerdictTables.Measures(exp, arm.Name, verdicts);
}
var columns = new[] { "arm", "seed", "phase change", "named heads", "best induction score", "verdict", "held-out accuracy" };
exp.Report.AddTable($"per run ({steps} steps; phase change: {PhaseChange.Rule})", columns, rows);
exp.Csv("runs.csv", columns, rows);

// Claims: each arm's phase-change step against the reference's (Gehan, censored at the budget), and the 1-layer
// attention-only model's held-out accuracy against the reference's.
var claims = new ClaimFamily("phase change at other sizes");
var reference = outcomes[0];
var stepClaims = outcomes.Skip(1).Select(o => (o.Name, Claim: claims.Add($"phase-change step, {o.Name} against {reference.Name}", CensoredComparison.Of(o.Phase, reference.Phase)))).ToList();
double HeldOut(GeneralizationVerdict v) => v.Probes.First(p => p.HeldOut).Eval.Accuracy;
var oneLayer = outcomes[1];
var accuracy = claims.Add($"held-out accuracy, {oneLayer.Name} against {reference.Name}",
    MeanComparison.Of(oneLayer.Verdicts.Select(HeldOut).ToList(), reference.Verdicts.Select(HeldOut).ToList()));
foreach (var o in outcomes)
    exp.Result($"{o.Name}: phase change {TimeToEventSummary.Of(o.Phase)}; named induction heads in {o.Heads.Count(h => h > 0)} of {seeds} seeds; " +
        $"verdict {VerdictKinds.Tally(o.Verdicts.Select(v => v.Kind).ToList())}, by induction in {o.Verdicts.Count(v => v.Mechanism?.Finding == InductionFinding.ByInduction)}");
exp.Claims(claims);
foreach (var (name, claim) in stepClaims)
    exp.Result($"phase-change step, {name}: {claim.Detail(x => x.ToString())}: {claim.Words("later than", "sooner than", reference.Name)}");
exp.Result($"held-out accuracy, {oneLayer.Name} minus {reference.Name}: {accuracy.Detail(Fmt.P)}: {accuracy.Words("higher than", "lower than", reference.Name)}");

string Arm((string Name, List<TimeToEvent> Phase, List<int> Heads, List<GeneralizationVerdict> Verdicts) o) =>
    $"{o.Name}: induction heads in {o.Heads.Count(h => h > 0)} of {seeds} seeds, {VerdictKinds.Tally(o.Verdicts.Select(v => v.Kind).ToList())} " +
    $"(by induction in {o.Verdicts.Count(v => v.Mechanism?.Finding == InductionFinding.ByInduction)}), phase change {TimeToEventSummary.Of(o.Phase)}";
var small = seeds >= 5 ? "" : " (fewer than 5 seeds: a small sample)";
exp.Conclude($"{Arm(outcomes[1])}; its held-out accuracy {accuracy.Sentence("higher than", "lower than", reference.Name)}{small}.");
exp.Conclude($"{Arm(outcomes[2])}.");
exp.Conclude($"the reference, {Arm(reference)}; the phase-change step against it: " +
    string.Join("; ", stepClaims.Select((c, j) => $"{Arm(outcomes[j + 1])}: {c.Claim.Sentence("later than", "sooner than", "the reference's")}")) + ".");
exp.Save();
