// Where does a model get its positions? (docs/design.md §1, issue 12.) Two questions from the research notes:
// (1) Without any positional embedding (causal attention alone) a model cannot look up "copy from 31 back" in a
//     position table. What does the fixed-period task, the memorization trap, do then: fail, or find another way?
//     Learned positions vs none, over seeds, each run judged by the library's verdict.
// (2) Shortformer (positions added only to queries and keys) is reported to make induction heads form earlier on
//     text; a quick trial here formed them later on variable periods. Steps to the first induction head for
//     learned, shortformer and rotary positions over the same seeds: a censored outcome (a run that forms none is
//     "not by the budget", never counted as the budget), reported as "reached in k of n" and compared with learned
//     positions by CensoredComparison's exact permutation test, unpaired (the arms' weights differ in shape, so a seed
//     gives them different initializations); the two comparisons are one family under Holm's correction (docs/design.md §4).
//   ./toolkit run scripts/positions.csx [--fast] [--out DIR] [--seed N] [--seeds 5] [--fixed-steps 1500] [--variable-steps 1500]
#load "toolkit.csx"
#load "lib/experiment.csx"
using Toolkit.Analysis;
using Toolkit.Configs;
using Toolkit.Evaluation;
using Toolkit.Training;
using Toolkit.Verdicts;

var exp = new Experiment("positions", "Where positions come from: learned, none, shortformer, rotary", Args);
var seeds = exp.Setting("--seeds", 5, 2);
var fixedSteps = exp.Setting("--fixed-steps", 1500, 40);
var variableSteps = exp.Setting("--variable-steps", 1500, 40);
var csv = new List<IReadOnlyList<string>>();

// (1) The fixed period with and without positions.
var fixedVerdicts = new List<(string Positions, List<GeneralizationVerdict> PerSeed)>();
foreach (var embedding in new[] { PositionalEmbedding.Standard, PositionalEmbedding.None })
{
    var positions = embedding.JsonName();
    var perSeed = new List<GeneralizationVerdict>();
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var name = $"fixed-{positions}-seed{seed}";
        var result = exp.Train(name, exp.Model() with { PositionalEmbeddingType = embedding }, exp.RepeatedCopy(exp.FixedPeriod), exp.Training(fixedSteps, seed));
        var verdict = VerdictTables.Judge(result);
        perSeed.Add(verdict);
        VerdictTables.Add(exp.Report, $"({name})", verdict);
        csv.AddRange(VerdictTables.CsvRows(name, verdict));
        VerdictTables.Results(exp, name, verdict);
    }
    fixedVerdicts.Add((positions, perSeed));
}

// (2) Steps to the first induction head on variable periods.
var firstInduction = new Dictionary<string, List<TimeToEvent>>();
foreach (var embedding in new[] { PositionalEmbedding.Standard, PositionalEmbedding.Shortformer, PositionalEmbedding.Rotary })
{
    var positions = embedding.JsonName();
    firstInduction[positions] = new List<TimeToEvent>();
    for (var k = 0; k < seeds; k++)
    {
        var seed = exp.Seed + k;
        var name = $"variable-{positions}-seed{seed}";
        var watch = new FirstInductionHead();
        var result = exp.Train(name, exp.Model() with { PositionalEmbeddingType = embedding }, exp.RepeatedCopy(exp.VariablePeriods),
            exp.Training(variableSteps, seed, evalEvery: 25), watch);
        var verdict = VerdictTables.Judge(result);
        // A run that never forms one is censored at the run's length: known only to be later.
        firstInduction[positions].Add(TimeToEvent.Of(watch.Step, variableSteps));
        exp.Result($"{name}: first induction head {(watch.Step is int s ? $"at step {s}" : $"never (within {variableSteps} steps)")}; {verdict.Kind.Word()} ({Fmt.P(verdict.InDistribution.Accuracy)} in distribution)");
        csv.AddRange(VerdictTables.CsvRows(name, verdict));
    }
}
exp.Csv("probes.csv", new[] { "model" }.Concat(VerdictTables.Columns).ToArray(), csv);
exp.Csv("first-induction-head.csv", new[] { "positions", "seed", "step" },
    firstInduction.SelectMany(kv => kv.Value.Select((s, i) => (IReadOnlyList<string>)new[] { kv.Key, (exp.Seed + i).ToString(), s.ToString() })));

foreach (var (positions, steps) in firstInduction)
    exp.Result($"first induction head, {positions} positions: {TimeToEventSummary.Of(steps)} within {variableSteps} steps");
var claims = new ClaimFamily("positions");
var compared = new[] { "shortformer", "rotary" }.Select(other => (Other: other, Claim: claims.Add($"{other} against learned: first induction head",
    CensoredComparison.Of(firstInduction[other], firstInduction["standard"])))).ToList();
var comparisons = compared.Select(c =>
    $"{c.Other} positions' first induction head: {c.Claim.Words("later than", "earlier than", "with learned positions")} ({c.Other} {TimeToEventSummary.Of(firstInduction[c.Other])}; " +
    $"learned {TimeToEventSummary.Of(firstInduction["standard"])}; {c.Claim.Detail(Fmt.P)})").ToList();
exp.Claims(claims);
exp.Conclude(string.Join("; ", fixedVerdicts.Select(v => $"on the fixed period, the model with {(v.Positions == "none" ? "no positional embedding" : "learned positions")}: {VerdictKinds.Tally(v.PerSeed.Select(x => x.Kind).ToList())}")) +
             ". " + string.Join("; ", comparisons) + ".");
exp.Save();

/// <summary>The first evaluation at which some head scores as an induction head.</summary>
sealed class FirstInductionHead : ITrainingObserver
{
    public int? Step { get; private set; }
    public void OnEvaluation(int step, EvalResult eval, HeadScoreTable heads)
    {
        if (Step is null && heads.Named(HeadRole.Induction).Count > 0) Step = step;
    }
}
