using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Experiments;

/// <summary>Fixed-period models with 2 to 6 repeats (docs/design.md §4, "shortcut test"): the smallest configuration
/// found at which every model fits its task (≥ 95% in distribution in each of 5 seeds at 150 steps; 100 steps leave
/// some below 80%): the demo's two attention-only layers, learning rate and warm-up, one head, d_model 16, vocabulary
/// 32, and a context of 30 that periods 30 / R fill for R = 2, 3, 5 and 6 (7 × 4 leaves 3 start offsets). The test and
/// scripts/fixed-period-repeats.csx train exactly these models.</summary>
public static class FixedPeriodRepeats
{
    public const int Context = 30, Vocab = 32, Steps = 150;

    /// <summary>The period for <paramref name="repeats"/> repeats: the longest that fits the context.</summary>
    public static int Period(int repeats, int context = Context) => context / repeats;

    /// <summary>The run configuration for a repeat count (a smaller context and fewer steps for fast trials).</summary>
    public static RunConfig Config(int repeats, long seed, int steps = Steps, int context = Context, int threads = 1) => new()
    {
        Model = new ModelConfig { NLayers = 2, NHeads = 1, DModel = 16, DVocab = Vocab, NCtx = context, AttnOnly = true },
        Training = new TrainingConfig
        {
            Steps = steps, BatchSize = 32, LearningRate = MemorizationDemo.LearningRate, WarmupSteps = Math.Min(MemorizationDemo.WarmupSteps, steps / 5),
            Seed = seed, Threads = threads, EvalEvery = steps, CheckpointEvery = 0,
        },
        Task = new TaskSpec
        {
            Name = "repeated-copy",
            Parameters = new() { ["period"] = Period(repeats, context).ToString(), ["repeats"] = repeats.ToString(), ["context"] = context.ToString(), ["vocab"] = Vocab.ToString() },
        },
    };
}
