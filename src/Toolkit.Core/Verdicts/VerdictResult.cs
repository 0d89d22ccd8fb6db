using Toolkit.Analysis;

namespace Toolkit.Verdicts;

/// <summary>One measured set of a verdict: accuracy on predictable positions with its 95% interval, beside the
/// position-only baseline and chance, and (for probes) the shortcut test.</summary>
/// <param name="Name">"in-distribution" or the probe's name.</param>
/// <param name="ProbeKind">"inside", "outside", or "" for the in-distribution set.</param>
/// <param name="UntrainedPositions">Share of the set's predictable positions never predictable in training.</param>
/// <param name="Result">"pass", "FAIL", "fail (outside: reported only)", "pass (drawn in training: reported only)", or "" for in-distribution.</param>
/// <param name="Shortcut">The shortcut test (null for the in-distribution set).</param>
public sealed record SetMeasurement(string Name, string ProbeKind, double Accuracy, double AccuracyLow, double AccuracyHigh, double Loss,
    long Positions, int Sequences, double PositionOnly, double Chance, double UntrainedPositions, string Result, ShortcutAgreement? Shortcut);

/// <summary>A verdict as data: what every rendering shows (the CLI's table, the report's and notebook's HTML,
/// <c>RUN/analysis/verdict.json</c>), so a saved verdict redraws exactly as it was computed.</summary>
/// <param name="Kind">The verdict in words ("generalizes", "memorizes positions", …).</param>
/// <param name="Headline">The verdict naming the probes that decided it.</param>
/// <param name="Deciding">Names of the probes that decided it.</param>
/// <param name="Rule">The thresholds it used, in words.</param>
public sealed record VerdictResult(string Kind, string Headline, IReadOnlyList<string> Deciding, SetMeasurement InDistribution,
    IReadOnlyList<SetMeasurement> Probes, IReadOnlyList<string> Evidence, string Rule)
{
    /// <summary>The data of a computed verdict.</summary>
    public static VerdictResult Of(GeneralizationVerdict v) => new(
        v.Kind.Word(), v.Headline, v.Deciding.Select(p => p.Name).ToList(),
        new SetMeasurement("in-distribution", "", v.InDistribution.Accuracy, v.InDistribution.AccuracyLow, v.InDistribution.AccuracyHigh,
            v.InDistribution.Loss, v.InDistribution.Positions, v.InDistribution.Sequences, v.InDistributionBaseline, v.Chance, 0, "", null),
        v.Probes.Select(p => new SetMeasurement(p.Name, p.Kind.IsInside ? "inside" : "outside", p.Eval.Accuracy, p.Eval.AccuracyLow,
            p.Eval.AccuracyHigh, p.Eval.Loss, p.Eval.Positions, p.Eval.Sequences, p.BaselineAccuracy, p.ChanceAccuracy, p.UntrainedPositions,
            p.Result, p.Shortcut)).ToList(),
        v.Evidence, v.Settings.ToString());
}

/// <summary>What <c>toolkit probe</c> (and a report that had to judge the run) saves in <c>RUN/analysis/verdict.json</c>:
/// the verdict with its evidence and the run's phase change, for the checkpoint it judged.</summary>
/// <param name="SchemaVersion">The version of this file's layout and of the rule that judged it (<see cref="CurrentSchema"/>,
/// raised when either changes); a file of another version is judged again.</param>
/// <param name="CheckpointStep">The step of the checkpoint judged: a run trained further is judged again.</param>
/// <param name="Dynamics">The training dynamics in words (phase change, best induction score over training).</param>
public sealed record VerdictFile(int SchemaVersion, long Seed, int CheckpointStep, VerdictResult Verdict, PhaseChange? PhaseChange, string Dynamics)
{
    /// <summary>The version this build writes (2: a model below the in-distribution bar is "not learned", no longer "partial").</summary>
    public const int CurrentSchema = 2;

    /// <summary>RUN/analysis/verdict.json.</summary>
    public static string PathOf(string runDir) => System.IO.Path.Combine(runDir, "analysis", "verdict.json");

    /// <summary>The saved form of a judged seed.</summary>
    public static VerdictFile Of(SeedOutcome outcome) =>
        new(CurrentSchema, outcome.Seed, outcome.CheckpointStep, VerdictResult.Of(outcome.Verdict), outcome.Dynamics.Phase, outcome.Dynamics.ToString());

    /// <summary>Saves a judged seed to its run.</summary>
    public static void Save(SeedOutcome outcome) => JsonFile.Save(PathOf(outcome.RunPath), Of(outcome));

    /// <summary>The saved verdict of a run when it judged <paramref name="checkpointStep"/> with this schema; otherwise null (judge again).</summary>
    public static VerdictFile? Read(string runDir, int checkpointStep) =>
        JsonFile.Load<VerdictFile>(PathOf(runDir)) is { } file && file.SchemaVersion == CurrentSchema && file.CheckpointStep == checkpointStep ? file : null;

    /// <summary>The run's saved verdict when it judged the latest checkpoint (verified) by the rule of <paramref name="settings"/>
    /// (null: by any rule, else the default one); otherwise the run judged as <c>toolkit probe</c> judges it (on the run
    /// <paramref name="load"/> gives, when the caller loads it for more) and saved, so the next reader recomputes nothing. A run
    /// that cannot be written to is still judged.</summary>
    public static VerdictFile ReadOrJudge(string runDir, VerdictSettings? settings = null, Func<LoadedRun>? load = null)
    {
        var step = Runs.RunDirectory.Open(runDir).VerifiedLatestCheckpoint().Step;
        if (Read(runDir, step) is { } saved && (settings is null || saved.Verdict.Rule == settings.ToString())) return saved;
        settings ??= new VerdictSettings();
        var outcome = load is null ? SeedStudy.Judge(runDir, settings) : load().Judge(settings);
        try { Save(outcome); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return Of(outcome);
    }
}
