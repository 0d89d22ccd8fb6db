using Toolkit.Evaluation;
using Toolkit.Runs;
using Toolkit.Verdicts;

namespace Toolkit.Sweeps;

/// <summary>What <c>toolkit collect</c> saves in <c>DIR/collect.json</c>: every run with its state, final metrics and saved
/// verdict, and every group (the varying settings but the seed) with its accuracies' 95% intervals and verdict tally. The
/// printed table, collect.csv and collect.html show the same numbers.</summary>
/// <param name="SchemaVersion">The version of this file's layout (<see cref="CurrentSchema"/>).</param>
/// <param name="GroupBy">The settings that group runs.</param>
public sealed record CollectFile(int SchemaVersion, string Directory, IReadOnlyList<string> GroupBy, IReadOnlyList<CollectFile.RunRow> Runs,
    IReadOnlyList<CollectFile.GroupRow> Groups)
{
    /// <summary>The version this build writes.</summary>
    public const int CurrentSchema = 1;

    /// <summary>The file's name in a sweep directory.</summary>
    public const string FileName = "collect.json";

    /// <summary>One run: where it stands, its final metrics (NaN when none) and its verdict (null when not judged).</summary>
    /// <param name="Problem">What explains a running, diverged or damaged run; null otherwise.</param>
    public sealed record RunRow(string Name, long Seed, IReadOnlyDictionary<string, string> Values, string State, string? Problem, int Steps,
        double FinalTrainLoss, double EvalLoss, double EvalAccuracy, VerdictFile? Verdict)
    {
        /// <summary>The verdict in words, or the run's state when it has none (<see cref="CollectedRun.VerdictWord"/>).</summary>
        public string VerdictWord => CollectedRun.WordFor(Verdict, Enum.Parse<RunState>(State, ignoreCase: true));

        /// <summary>The verdict's in-distribution accuracy (NaN without a verdict).</summary>
        public double InDistributionAccuracy => CollectedRun.AccuracyOf(Verdict);

        /// <summary>A probe's accuracy (NaN without a verdict or when the task has no such probe).</summary>
        public double ProbeAccuracy(string probe) => CollectedRun.AccuracyOf(Verdict, probe);
    }

    /// <summary>One group: its runs by name, how many were judged, the mean accuracies over judged seeds with 95% Student-t
    /// intervals (in-distribution and per probe), and the verdict tally.</summary>
    public sealed record GroupRow(string Label, IReadOnlyDictionary<string, string> Values, IReadOnlyList<string> Runs, int Judged,
        MeanInterval InDistribution, IReadOnlyDictionary<string, MeanInterval> Probes, string Tally);

    /// <summary>The saved form of a collected sweep.</summary>
    public static CollectFile Of(SweepCollection sweep) => new(CurrentSchema, sweep.Plan.Directory, sweep.GroupBy,
        sweep.Runs.Select(r => new RunRow(r.Run.Name, r.Run.Seed, r.Run.Values, r.State.ToString().ToLowerInvariant(),
            r.State is RunState.Complete or RunState.New or RunState.Interrupted ? null : r.Status.Detail,
            r.StepsDone, r.FinalTrainLoss, r.EvalLoss, r.EvalAccuracy, r.Verdict)).ToList(),
        sweep.Groups().Select(g => new GroupRow(g.Label, g.Values, g.Runs.Select(r => r.Run.Name).ToList(), g.Judged.Count,
            g.AccuracyInterval(r => r.InDistributionAccuracy),
            sweep.ProbeNames.ToDictionary(p => p, p => g.AccuracyInterval(r => r.ProbeAccuracy(p))), g.Tally)).ToList());

    /// <summary>Saves the record as DIR/collect.json; returns its path.</summary>
    public string Save()
    {
        var path = System.IO.Path.Combine(Directory, FileName);
        JsonFile.Save(path, this);
        return path;
    }
}
