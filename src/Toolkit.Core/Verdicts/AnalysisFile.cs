using Toolkit.Analysis;
using Toolkit.Model;
using Toolkit.Runs;

namespace Toolkit.Verdicts;

/// <summary>What <c>toolkit analyze</c> saves in <c>RUN/analysis/analysis.json</c>: head scores, composition, the circuit,
/// copying scores, path expansion, ablation effects and the run's phase change, for the checkpoint it analysed. The CLI's
/// text and the CSVs beside it are renderings of this record (<see cref="CircuitReport.Render"/>, <see cref="CircuitReport.WriteCsv"/>).</summary>
/// <param name="SchemaVersion">The version of this file's layout (<see cref="CurrentSchema"/>); a file of another version is
/// not read (analyze again).</param>
/// <param name="CheckpointStep">The step of the checkpoint analysed: a run trained further is analysed again.</param>
/// <param name="Sequences">Task sequences the ablations ran on.</param>
/// <param name="Dynamics">The training dynamics in words.</param>
public sealed record AnalysisFile(int SchemaVersion, long Seed, int CheckpointStep, int Sequences, CircuitReport Analysis,
    PhaseChange? PhaseChange, string Dynamics)
{
    /// <summary>The version this build writes.</summary>
    public const int CurrentSchema = 1;

    /// <summary>The file's name in an analysis folder.</summary>
    public const string FileName = "analysis.json";

    /// <summary>RUN/analysis/analysis.json.</summary>
    public static string PathOf(string runDir) => System.IO.Path.Combine(runDir, "analysis", FileName);

    /// <summary>The saved form of an analysis of a run's checkpoint.</summary>
    public static AnalysisFile Of(long seed, int checkpointStep, int sequences, CircuitReport analysis, TrainingDynamics dynamics) =>
        new(CurrentSchema, seed, checkpointStep, sequences, analysis, dynamics.Phase, dynamics.ToString());

    /// <summary>Analyses a loaded model of a run at its latest checkpoint (<see cref="Analyzer.Analyze"/> on the run's task and
    /// seed) with the run's training dynamics; nothing is saved. The metrics are read first: a damaged metrics.csv stops it early.</summary>
    public static (AnalysisFile File, TrainingDynamics Dynamics) Analyze(RunDirectory run, RunConfig config, HookedTransformer model,
        int sequences = 64, double threshold = HeadScoreTable.DefaultThreshold)
    {
        var step = run.LatestCheckpoint().Step;
        var dynamics = run.ReadDynamics(config);
        var report = Analyzer.Analyze(model, config.Task.Create(), config.Training.Seed, sequences, threshold);
        return (Of(config.Training.Seed, step, sequences, report, dynamics), dynamics);
    }

    /// <summary>What <c>toolkit analyze RUN</c> does, for notebooks and scripts: analyses the run's latest verified checkpoint
    /// on the run's device and saves RUN/analysis/analysis.json.</summary>
    public static AnalysisFile Analyze(string runDir, int sequences = 64, double threshold = HeadScoreTable.DefaultThreshold)
    {
        var run = RunDirectory.Open(runDir);
        var config = run.ReadConfig();
        using var model = run.LoadModel(Devices.Resolve(config.Training.Device));
        var (file, _) = Analyze(run, config, model, sequences, threshold);
        file.SaveIn(System.IO.Path.Combine(run.Path, "analysis"));
        return file;
    }

    /// <summary>Saves the record as <see cref="FileName"/> in an analysis folder (RUN/analysis by default); returns its path.</summary>
    public string SaveIn(string folder)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        JsonFile.Save(path, this);
        return path;
    }

    /// <summary>The saved analysis of a run when it analysed <paramref name="checkpointStep"/> with this schema; otherwise
    /// null (analyse again).</summary>
    public static AnalysisFile? Read(string runDir, int checkpointStep) =>
        JsonFile.Load<AnalysisFile>(PathOf(runDir)) is { } file && file.SchemaVersion == CurrentSchema && file.CheckpointStep == checkpointStep ? file : null;
}
