using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;

namespace Toolkit.Verdicts;

/// <summary>A run's latest checkpoint loaded once for everything that looks at it (the verdict, a report's sections): its
/// config, task, model, scoring batch and head scores.</summary>
public sealed class LoadedRun : IDisposable
{
    public string Path { get; }
    public RunDirectory Directory { get; }
    public RunConfig Config { get; }
    public ITask Task { get; }
    /// <summary>The step of the checkpoint loaded.</summary>
    public int Step { get; }
    public HookedTransformer Model { get; }
    public ScoringBatch Scoring { get; }
    public HeadScoreTable Heads { get; }

    private LoadedRun(string path, RunDirectory directory, RunConfig config, ITask task, int step, HookedTransformer model, ScoringBatch scoring, HeadScoreTable heads) =>
        (Path, Directory, Config, Task, Step, Model, Scoring, Heads) = (path, directory, config, task, step, model, scoring, heads);

    /// <summary>Loads the run's latest checkpoint, or the one at <paramref name="step"/> (verified), on the run's device,
    /// and scores its heads.</summary>
    public static LoadedRun Open(string runPath, int? step = null)
    {
        var dir = RunDirectory.Open(runPath);
        var config = dir.ReadConfig();
        var task = config.Task.Create();
        var (loadedStep, checkpoint) = step is int s ? dir.CheckpointAt(s) : dir.LatestCheckpoint();
        var model = dir.LoadModel(Devices.Resolve(config.Training.Device), checkpoint);
        try
        {
            var scoring = ScoringBatch.ForRun(model, task, config.Training.Seed);
            return new LoadedRun(runPath, dir, config, task, loadedStep, model, scoring, HeadScores.Compute(model, scoring));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Judges the run on its own task and probes, with head roles as evidence (what <c>toolkit probe</c> does).</summary>
    public SeedOutcome Judge(VerdictSettings? settings = null) =>
        new(Config.Training.Seed, Path, Step, ProbeSuite.Judge(Model, Task, Config.Training.Seed, settings, Heads, Scoring), Directory.ReadDynamics(Config));

    public void Dispose()
    {
        Scoring.Dispose();
        Model.Dispose();
    }
}
