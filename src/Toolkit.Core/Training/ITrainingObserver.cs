using Toolkit.Analysis;
using Toolkit.Evaluation;

namespace Toolkit.Training;

/// <summary>What a training loop reports as it goes; the CLI renders it as a progress bar.</summary>
public interface ITrainingObserver
{
    /// <summary>Called once before the first step, with the first step (non-zero when resuming).</summary>
    void OnStart(int firstStep, int totalSteps) { }
    /// <summary>Called after each logged interval with the mean training loss and throughput.</summary>
    void OnProgress(int step, int totalSteps, double trainLoss, double tokensPerSecond) { }
    /// <summary>Called after each held-out evaluation.</summary>
    void OnEvaluation(int step, EvalResult eval, HeadScoreTable heads) { }
    /// <summary>Called after a checkpoint is written.</summary>
    void OnCheckpoint(int step, string path) { }
    /// <summary>Something the user should know that is not an error (a recovered lock, a restart).</summary>
    void OnNotice(string message) { }
}

/// <summary>An observer that reports nothing (tests, benchmarks).</summary>
public sealed class SilentObserver : ITrainingObserver
{
    public static readonly SilentObserver Instance = new();
}
