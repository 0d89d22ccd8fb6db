using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Verdicts;

/// <summary>One seed of a multi-seed study: its run, the checkpoint judged, the verdict and training dynamics.</summary>
public sealed record SeedOutcome(long Seed, string RunPath, int CheckpointStep, GeneralizationVerdict Verdict, TrainingDynamics Dynamics);

/// <summary>The same run repeated over seeds (phase-change timing varies with the seed): sibling runs <c>NAME-seedS</c>,
/// trained only when asked to (<c>trainMissing</c>), then every seed is judged.</summary>
public static class SeedStudy
{
    /// <summary>Judges the run and <paramref name="seeds"/> − 1 siblings with the following seeds. A missing sibling is an
    /// error unless <paramref name="trainMissing"/>; then it is trained with the run's config and its seed, on
    /// <paramref name="threads"/> threads when given (else the run's own count).</summary>
    public static IReadOnlyList<SeedOutcome> Run(string runPath, int seeds, VerdictSettings? settings = null,
        Func<long, ITrainingObserver>? observer = null, bool trainMissing = false, int? threads = null)
    {
        if (seeds < 1) throw new ToolkitException($"--seeds {seeds} must be at least 1", "use --seeds 3, for example");
        var first = RunDirectory.Open(runPath);
        var config = first.ReadConfig();
        var outcomes = new List<SeedOutcome>();
        for (var i = 0; i < seeds; i++)
        {
            var seed = config.Training.Seed + i;
            var path = i == 0 ? runPath : $"{runPath.TrimEnd('/', '\\')}-seed{seed}";
            if (i > 0 && !File.Exists(Path.Combine(path, "config.json")))
            {
                if (!trainMissing)
                    throw new ToolkitException($"seed {seed} has no run at {path}",
                        $"add --train-missing (it trains the run's config with seed {seed}), or judge fewer seeds: use --seeds {i}");
                var training = config.Training with { Seed = seed, Threads = threads ?? config.Training.Threads };
                Trainer.Train(config with { Training = training, Provenance = null }, path, observer?.Invoke(seed));
            }
            outcomes.Add(Judge(path, settings));
        }
        return outcomes;
    }

    /// <summary>Judges one run's latest checkpoint on its own task and probes, with head roles as evidence.</summary>
    public static SeedOutcome Judge(string runPath, VerdictSettings? settings = null)
    {
        using var run = LoadedRun.Open(runPath);
        return run.Judge(settings);
    }
}
