using System.Diagnostics;
using Toolkit.Analysis;
using Toolkit.Evaluation;
using Toolkit.Experiments;
using Toolkit.Runs;
using Toolkit.Training;
using Toolkit.Verdicts;

namespace Toolkit.Cli.Bench;

/// <summary><c>toolkit bench phase-change</c>: how soon the demo's variable-period model forms its induction
/// circuit, in steps and in seconds of a run as <c>toolkit train</c> makes it, for each learning rate ×
/// warm-up × batch size asked for, over several seeds; each run is then judged by the library's verdict, so a
/// faster setting that no longer generalizes shows.</summary>
public static class PhaseChangeSpeed
{
    public sealed record Setting(double LearningRate, int Warmup, int Batch)
    {
        public override string ToString() => $"lr {LearningRate:G3}, warm-up {Warmup}, batch {Batch}";
    }

    /// <summary>One seed: the loss phase change (<see cref="PhaseChange.Detect"/>) and the first evaluation that
    /// names an induction head, each with the seconds since the run started; then the verdict.</summary>
    public sealed record Outcome(Setting Setting, long Seed, int? PhaseStep, double? PhaseSeconds, int? InductionStep, double? InductionSeconds,
        double SecondsPerStep, string Verdict, double Accuracy);

    /// <summary>Evaluation (and head scoring) cadence of these runs: finer than the default 100 so the first
    /// induction head is located within 25 steps; its cost is inside the seconds.</summary>
    public const int EvalEvery = 25, LogEvery = 5;

    public static Outcome Run(Setting setting, long seed, int steps, int threads)
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-phase-").FullName;
        try
        {
            var config = MemorizationDemo.Config(MemorizationDemo.VariablePeriods, steps, seed, threads);
            config = config with
            {
                Training = config.Training with
                {
                    LearningRate = setting.LearningRate, WarmupSteps = setting.Warmup, BatchSize = setting.Batch,
                    EvalEvery = EvalEvery, LogEvery = LogEvery, CheckpointEvery = 0,
                },
            };
            var clock = new Clock();
            var run = Path.Combine(dir, "run");
            var result = Trainer.Train(config, run, clock);
            var phase = PhaseChange.Detect(result.LossCurve);
            var induction = clock.FirstInduction;
            var verdict = SeedStudy.Judge(run).Verdict;
            return new Outcome(setting, seed, phase?.Step, phase is { } p ? clock.SecondsAt(p.Step) : null,
                induction, induction is int s ? clock.SecondsAt(s) : null, result.Seconds / steps, verdict.Kind.Word(), verdict.InDistribution.Accuracy);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Wall-clock seconds at each logged step, and the first evaluation naming an induction head.</summary>
    private sealed class Clock : ITrainingObserver
    {
        private readonly Stopwatch watch = new();
        private readonly SortedList<int, double> seconds = new();
        public int? FirstInduction { get; private set; }
        public void OnStart(int firstStep, int totalSteps) => watch.Start();
        public void OnProgress(int step, int totalSteps, double trainLoss, double tokensPerSecond) => seconds[step] = watch.Elapsed.TotalSeconds;
        public void OnEvaluation(int step, EvalResult eval, HeadScoreTable heads)
        {
            if (FirstInduction is null && heads.Named(HeadRole.Induction).Count > 0) FirstInduction = step;
        }
        /// <summary>Seconds at the first logged step at or after <paramref name="step"/>.</summary>
        public double SecondsAt(int step) => seconds.First(kv => kv.Key >= step).Value;
    }
}
