namespace Toolkit.Superposition;

/// <summary>A batch of toy models of superposition trained in one tensor: n features through m hidden dimensions, one
/// instance per (sparsity, importance) setting, with the paper's training settings as defaults (AdamW at torch's
/// defaults, lr 1e-3, batch 1024, 10,000 steps). docs/design.md §4 "Toy models of superposition".</summary>
public sealed record ToyModelConfig
{
    /// <summary>n: input features (and outputs).</summary>
    public int Features { get; init; } = 20;
    /// <summary>m: hidden dimensions, the bottleneck h = W x.</summary>
    public int Hidden { get; init; } = 5;
    /// <summary>The instances trained side by side; each has its own W and b.</summary>
    public IReadOnlyList<ToyInstance> Instances { get; init; } = [ToyInstance.Decaying(20, 0, 0.9)];
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 10_000;
    /// <summary>Examples per step (per instance).</summary>
    public int BatchSize { get; init; } = 1024;
    /// <summary>AdamW's learning rate (constant).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>AdamW's decoupled weight decay: torch's default 0.01, which the paper's notebook keeps.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Seeds the initialization and every batch.</summary>
    public long Seed { get; init; }
    /// <summary>CPU threads (results depend on it).</summary>
    public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Largest n or m accepted: the analyses are O(n² m) per instance in managed code.</summary>
    public const int MaxSize = 4096;

    /// <summary>Fails with one clear message on an impossible setting.</summary>
    public ToyModelConfig Validate()
    {
        static void Require(bool ok, string message, string hint)
        {
            if (!ok) throw new ToolkitException(message, hint);
        }
        Require(Features >= 1 && Features <= MaxSize, $"features {Features} is outside 1..{MaxSize}", "use --features 20, for example");
        Require(Hidden >= 1 && Hidden <= MaxSize, $"hidden dimensions {Hidden} is outside 1..{MaxSize}", "use --hidden 5, for example (fewer than the features, for superposition)");
        Require(Instances.Count >= 1, "no instance to train", "give at least one sparsity, e.g. --sparsity 0.9");
        foreach (var instance in Instances)
        {
            Require(double.IsFinite(instance.Sparsity) && instance.Sparsity >= 0 && instance.Sparsity < 1,
                $"sparsity {instance.Sparsity} is outside [0, 1)", "use a sparsity such as 0, 0.9 or 0.999 (at 1 every feature is always 0)");
            Require(instance.Importance.Count == Features, $"an instance has {instance.Importance.Count} importances for {Features} features",
                "give one importance per feature");
            Require(instance.Importance.All(v => double.IsFinite(v) && v > 0), "an importance is not a positive finite number",
                "use importances above 0, e.g. --importance 0.9 for I_i = 0.9^i");
        }
        Require(Steps >= 1, $"steps {Steps} must be at least 1", "use --steps 10000, for example");
        Require(BatchSize >= 1, $"batch size {BatchSize} must be at least 1", "use --batch-size 1024, for example");
        Require(double.IsFinite(LearningRate) && LearningRate > 0 && LearningRate < 1, $"learning rate {LearningRate} is outside (0, 1)", "use --lr 0.001, for example");
        Require(double.IsFinite(WeightDecay) && WeightDecay >= 0 && WeightDecay <= 1, $"weight decay {WeightDecay} is outside [0, 1]", "use 0.01 (torch's AdamW default)");
        Require(Threads >= 1 && Threads <= Configs.TrainingConfig.MaxThreads, $"threads {Threads} is outside 1..{Configs.TrainingConfig.MaxThreads}",
            $"use --threads {Environment.ProcessorCount} (this machine's cores), for example");
        return this;
    }
}
