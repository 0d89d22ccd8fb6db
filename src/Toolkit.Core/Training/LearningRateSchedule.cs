namespace Toolkit.Training;

/// <summary>Linear warm-up, then constant or cosine decay: a pure function of the step, so resuming
/// needs no scheduler state.</summary>
public static class LearningRateSchedule
{
    /// <summary>Learning rate for a 0-based step.</summary>
    public static double At(TrainingConfig c, int step)
    {
        if (step < c.WarmupSteps) return c.LearningRate * (step + 1) / c.WarmupSteps;
        if (c.Schedule == LrSchedule.Constant) return c.LearningRate;
        var decaySteps = Math.Max(1, c.Steps - c.WarmupSteps - 1);
        var progress = Math.Min(1.0, (double)(step - c.WarmupSteps) / decaySteps);
        var min = c.LearningRate * c.MinLrRatio;
        return min + 0.5 * (c.LearningRate - min) * (1 + Math.Cos(Math.PI * progress));
    }
}
