using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Verdicts;

namespace Toolkit.Sweeps;

/// <summary>One run of a sweep as collected: where it stands (with what explains it), its final metrics from metrics.csv
/// and, when complete, the library's verdict as <c>toolkit probe</c> judges and saves it (<see cref="VerdictFile.ReadOrJudge"/>).</summary>
public sealed record CollectedRun(
    SweepRun Run, RunStatus Status, int StepsDone, double FinalTrainLoss, double EvalLoss, double EvalAccuracy, VerdictFile? Verdict)
{
    /// <summary>Where the run stands.</summary>
    public RunState State => Status.State;

    /// <summary>The verdict in words, or the run's state when it has none.</summary>
    public string VerdictWord => WordFor(Verdict, State);

    /// <summary>A verdict's kind, or for a run without one its state in words ("not run", "running", "diverged", "damaged", "incomplete").</summary>
    public static string WordFor(VerdictFile? verdict, RunState state) => verdict?.Verdict.Kind ?? state switch
    {
        RunState.New => "not run",
        RunState.Running => "running",
        RunState.Diverged => "diverged",
        RunState.Damaged => "damaged",
        _ => "incomplete",
    };

    /// <summary>The verdict's in-distribution accuracy (NaN without a verdict).</summary>
    public double InDistributionAccuracy => AccuracyOf(Verdict);

    /// <summary>A probe's accuracy (NaN without a verdict or when the task has no such probe).</summary>
    public double ProbeAccuracy(string probe) => AccuracyOf(Verdict, probe);

    /// <summary>A verdict's accuracy in distribution, or on <paramref name="probe"/> when named; NaN without a verdict or
    /// when the task has no such probe.</summary>
    public static double AccuracyOf(VerdictFile? verdict, string? probe = null) => probe is null
        ? verdict?.Verdict.InDistribution.Accuracy ?? double.NaN
        : verdict?.Verdict.Probes.FirstOrDefault(p => p.Name == probe)?.Accuracy ?? double.NaN;

    /// <summary>Every probe name met in any of the verdicts, in first-seen order.</summary>
    public static IReadOnlyList<string> ProbeNamesOf(IEnumerable<VerdictFile?> verdicts) =>
        verdicts.OfType<VerdictFile>().SelectMany(v => v.Verdict.Probes.Select(p => p.Name)).Distinct().ToList();
}

/// <summary>Runs that share every varying setting but the seed.</summary>
public sealed record SweepGroup(string Label, IReadOnlyDictionary<string, string> Values, IReadOnlyList<CollectedRun> Runs)
{
    /// <summary>Runs with a verdict.</summary>
    public IReadOnlyList<CollectedRun> Judged => Runs.Where(r => r.Verdict is not null).ToList();

    /// <summary>"generalizes in 2 of 3 seeds, partial in 1 of 3 seeds" (<see cref="VerdictKinds.Tally"/>), or "no verdict yet".</summary>
    public string Tally => Judged.Count == 0 ? "no verdict yet" : VerdictKinds.Tally(Judged.Select(r => VerdictKinds.Parse(r.Verdict!.Verdict.Kind)).ToList());

    /// <summary>The mean of an accuracy over the judged runs with its 95% Student-t interval (docs/design.md §4), cut to
    /// [0, 1]; no interval below 2 runs.</summary>
    public MeanInterval AccuracyInterval(Func<CollectedRun, double> value) =>
        MeanInterval.Of(Judged.Select(value).Where(double.IsFinite).ToList()).Within(0, 1);

    /// <summary>Mean of a per-run value over the judged runs (NaN when none).</summary>
    public double Mean(Func<CollectedRun, double> value)
    {
        var v = Judged.Select(value).Where(double.IsFinite).ToList();
        return v.Count == 0 ? double.NaN : v.Average();
    }
}

/// <summary>Every run of a sweep in one table: config, final metrics and verdict (docs/design.md §6).</summary>
public sealed class SweepCollection
{
    public SweepPlan Plan { get; }
    public IReadOnlyList<CollectedRun> Runs { get; }

    private SweepCollection(SweepPlan plan, IReadOnlyList<CollectedRun> runs) => (Plan, Runs) = (plan, runs);

    /// <summary>The varying settings other than the seed: what groups runs.</summary>
    public IReadOnlyList<string> GroupBy => Plan.Varying.Where(v => !IsSeed(v)).ToList();

    /// <summary>Every probe name met in any verdict, in first-seen order.</summary>
    public IReadOnlyList<string> ProbeNames => CollectedRun.ProbeNamesOf(Runs.Select(r => r.Verdict));

    /// <summary>Whether a varying label is the seed axis.</summary>
    public static bool IsSeed(string label) => label is "seed" or "seeds.seed";

    /// <summary>Reads every run of the sweep in <paramref name="directory"/>, judging each complete one (or reading the verdict it saved); a run that cannot be
    /// read is collected as damaged, with its error, and the others are still judged. <paramref name="progress"/> hears
    /// (done, total, run name) before each.</summary>
    public static SweepCollection Gather(string directory, VerdictSettings? settings = null, Action<int, int, string>? progress = null)
    {
        var plan = SweepPlan.Open(directory);
        var runs = new List<CollectedRun>();
        foreach (var run in plan.Runs)
        {
            progress?.Invoke(runs.Count, plan.Runs.Count, run.Name);
            runs.Add(Collect(plan, run, settings));
        }
        return new SweepCollection(plan, runs);
    }

    private static CollectedRun Collect(SweepPlan plan, SweepRun run, VerdictSettings? settings)
    {
        var status = plan.StateOf(run);
        var path = plan.PathOf(run);
        try
        {
            var (steps, train, evalLoss, evalAcc) = status.State is RunState.New or RunState.Damaged ? (0, double.NaN, double.NaN, double.NaN) : FinalMetrics(path);
            var verdict = status.State == RunState.Complete ? VerdictFile.ReadOrJudge(path, settings) : null;
            return new CollectedRun(run, status, steps, train, evalLoss, evalAcc, verdict);
        }
        catch (Exception e) when (status.State == RunState.Running && e is ToolkitException or IOException)
        {
            // A run being trained can be read between two of its writes: it is running, not damaged.
            return new CollectedRun(run, status, 0, double.NaN, double.NaN, double.NaN, null);
        }
        catch (Exception e) when (e is ToolkitException or TaskParameterException or IOException or UnauthorizedAccessException)
        {
            var hint = e switch { ToolkitException t => t.Hint, TaskParameterException t => t.Hint, _ => "check the file's permissions" };
            return new CollectedRun(run, new RunStatus(RunState.Damaged, e.Message, hint), 0, double.NaN, double.NaN, double.NaN, null);
        }
    }
    /// <summary>Runs grouped by every varying setting but the seed, in the sweep's order.</summary>
    public IReadOnlyList<SweepGroup> Groups()
    {
        var keys = GroupBy;
        return Runs.GroupBy(r => string.Join(", ", keys.Select(k => $"{k}={r.Run.Values[k]}")))
            .Select(g => new SweepGroup(keys.Count == 0 ? "all runs" : g.Key, keys.ToDictionary(k => k, k => g.First().Run.Values[k]), g.ToList()))
            .ToList();
    }

    /// <summary>The last logged step and training loss, and the last evaluation's loss and accuracy, of a run's metrics.csv
    /// (checked: a damaged file is an error).</summary>
    private static (int Steps, double TrainLoss, double EvalLoss, double EvalAccuracy) FinalMetrics(string path)
    {
        var run = RunDirectory.Open(path);
        if (run.ReadMetrics(run.ReadConfig()) is not { Rows.Count: > 0 } file) return (0, double.NaN, double.NaN, double.NaN);
        var (trainCol, lossCol, accCol) = (file.Column("train_loss"), file.Column("eval_loss"), file.Column("eval_accuracy"));
        var last = file.Rows[^1];
        var evaluated = file.Rows.LastOrDefault(r => !double.IsNaN(MetricsFile.Number(r, accCol)));
        return (last.Step, MetricsFile.Number(last, trainCol),
            evaluated is null ? double.NaN : MetricsFile.Number(evaluated, lossCol), evaluated is null ? double.NaN : MetricsFile.Number(evaluated, accCol));
    }
}
