namespace Toolkit.Training;

/// <summary>Training stopped because the loss or the gradient norm stopped being finite.</summary>
/// <remarks>Exit code 3: the input was valid but the run diverged. Nothing non-finite is saved:
/// the last good checkpoint stays as it was.</remarks>
public sealed class TrainingDivergedException(int step, string what, string? lastCheckpoint)
    : ToolkitException($"training diverged at step {step}: {what}",
        (lastCheckpoint is null ? "no checkpoint was written; " : $"the last good checkpoint is {lastCheckpoint}; ") +
        "lower --lr, raise --warmup-steps or keep --grad-clip on, then train again")
{
    /// <summary>The step whose loss or gradient was not finite (1-based).</summary>
    public int Step { get; } = step;
    public override int ExitCode => 3;
}

/// <summary>Training stopped on request (SIGINT, SIGTERM) after saving a checkpoint.</summary>
public sealed class TrainingInterruptedException(int step, string checkpoint, string runPath)
    : ToolkitException($"interrupted after step {step}; checkpoint saved at {checkpoint}",
        $"continue with: toolkit train --resume {runPath}")
{
    /// <summary>Steps completed and saved.</summary>
    public int Step { get; } = step;
}
