using System.Text.Json.Serialization;

namespace Toolkit.Configs;

/// <summary>Optimizer, schedule and bookkeeping settings of a training run.</summary>
public sealed record TrainingConfig
{
    /// <summary>The defaults of steps, lr and warm-up: the demo's settings. `toolkit bench phase-change` swept lr × warm-up ×
    /// batch on the demo's model (bench/RESULTS.md): lr 1e-2 with 20 warm-up steps at batch 64 puts the phase change at
    /// step ~200–250 in every seed (3e-3 with 100: ~550–625), so 800 steps leave a wide margin.</summary>
    public const int DefaultSteps = 800, DefaultWarmupSteps = 20;
    /// <inheritdoc cref="DefaultSteps"/>
    public const double DefaultLearningRate = 1e-2;

    [Setting("training steps")] [JsonPropertyName("steps")] public int Steps { get; init; } = DefaultSteps;
    [Setting("sequences per step")] [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 64;
    /// <summary>Peak learning rate of AdamW.</summary>
    [Setting("peak learning rate (AdamW)")] [JsonPropertyName("lr")] public double LearningRate { get; init; } = DefaultLearningRate;
    /// <summary>Linear warm-up from 0 to lr over this many steps.</summary>
    [Setting("linear warm-up steps")] [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; } = DefaultWarmupSteps;
    /// <summary>After warm-up: "constant" or "cosine" (decays to min_lr_ratio × lr at the last step).</summary>
    [Setting("learning rate after warm-up")] [JsonPropertyName("schedule")] public LrSchedule Schedule { get; init; } = LrSchedule.Constant;
    [Setting("cosine: final lr as a fraction of lr")] [JsonPropertyName("min_lr_ratio")] public double MinLrRatio { get; init; } = 0.1;
    [Setting("AdamW weight decay")] [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.01;
    [Setting("AdamW beta1")] [JsonPropertyName("beta1")] public double Beta1 { get; init; } = 0.9;
    [Setting("AdamW beta2")] [JsonPropertyName("beta2")] public double Beta2 { get; init; } = 0.99;
    /// <summary>Maximum global gradient norm (0 disables clipping).</summary>
    [Setting("max gradient norm (0: off)")] [JsonPropertyName("grad_clip")] public double GradClip { get; init; } = 1.0;
    [Setting("random seed (weights, data, dropout)", Group = Setting.RunGroup)] [JsonPropertyName("seed")] public long Seed { get; init; }
    /// <summary>CPU threads for TorchSharp; results depend on it, so it is recorded.</summary>
    [Setting("CPU threads (results depend on it; recorded)", Group = Setting.RunGroup)] [JsonPropertyName("threads")] public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount);
    [Setting("auto, cpu or cuda", Group = Setting.RunGroup, Choices = ["auto", "cpu", "cuda"])] [JsonPropertyName("device")] public string Device { get; init; } = "auto";
    /// <summary>Steps between rows of metrics.csv (mean training loss since the last row).</summary>
    [Setting("steps between rows of metrics.csv", Group = Setting.RunGroup)] [JsonPropertyName("log_every")] public int LogEvery { get; init; } = 20;
    /// <summary>Steps between held-out evaluations and head scores.</summary>
    [Setting("steps between evaluations and head scores", Group = Setting.RunGroup)] [JsonPropertyName("eval_every")] public int EvalEvery { get; init; } = 100;
    [Setting("held-out sequences per evaluation", Group = Setting.RunGroup)] [JsonPropertyName("eval_sequences")] public int EvalSequences { get; init; } = 256;
    /// <summary>Train even when the leak detector finds that positions see later tokens (masked LM, encoders).</summary>
    [Setting("train even if the leak detector finds positions that see later tokens (masked LM, encoders)", Group = Setting.RunGroup)] [JsonPropertyName("allow_noncausal")] public bool AllowNonCausal { get; init; }
    /// <summary>Masked LM (a model with mask_token): the probability that a predictable position is picked for
    /// corruption in a training batch (BERT: 0.15; picked positions become [MASK] 80%, a random content token 10%,
    /// themselves 10%). Unused by next-token models.</summary>
    [Setting("masked LM: probability that a predictable position is corrupted (80% [MASK], 10% random, 10% kept)")] [JsonPropertyName("mask_prob")] public double MaskProb { get; init; } = 0.15;
    /// <summary>Full-batch training (Nanda et al. 2023's grokking runs): every step trains on every instance of a task
    /// that lists them (<c>IFiniteSupport</c>, e.g. modular-addition's training split), in one batch; batch_size is
    /// then unused. Left out of config.json when off, so runs made before it read and write back unchanged.</summary>
    [Setting("train on the task's whole finite training set at every step (tasks that list it: modular-addition); batch_size is then unused")]
    [JsonPropertyName("full_batch"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public bool FullBatch { get; init; }
    /// <summary>Steps between checkpoints (0: only at the end).</summary>
    [Setting("steps between checkpoints (0: end only)", Group = Setting.RunGroup)] [JsonPropertyName("checkpoint_every")] public int CheckpointEvery { get; init; } = 500;

    /// <summary>More threads than this only adds contention on any machine this toolkit targets.</summary>
    public const int MaxThreads = 256;

    /// <summary>Fails with a clear message on impossible settings.</summary>
    public TrainingConfig Validate()
    {
        static void Require(bool ok, string message, string hint)
        {
            if (!ok) throw new ToolkitException(message, hint);
        }
        Require(double.IsFinite(LearningRate) && double.IsFinite(WeightDecay) && double.IsFinite(GradClip) && double.IsFinite(Beta1)
                && double.IsFinite(Beta2) && double.IsFinite(MinLrRatio),
            "a training setting is not a finite number (NaN or infinity)", "give --lr, --weight-decay and --grad-clip as ordinary numbers");
        Require(Steps >= 1, $"steps {Steps} must be at least 1", "use --steps 2000, for example");
        Require(BatchSize >= 1, $"batch size {BatchSize} must be at least 1", "use --batch-size 64, for example");
        Require(LearningRate > 0 && LearningRate < 1, $"learning rate {LearningRate} is outside (0, 1)", "use --lr 1e-3, for example");
        Require(WeightDecay >= 0, $"weight decay {WeightDecay} is negative", "use --weight-decay 0.01, for example (AdamW shrinks weights by lr × decay each step)");
        // AdamW multiplies every weight by 1 − lr × decay each step: at lr × decay ≥ 1 that zeroes or flips them.
        Require(LearningRate * WeightDecay < 1, $"weight decay {WeightDecay} at lr {LearningRate}: lr × decay ≥ 1 would zero or flip the weights every step",
            "keep lr × weight decay below 1: e.g. --lr 1e-3 --weight-decay 1 (the grokking setting)");
        Require(Beta1 >= 0 && Beta1 < 1 && Beta2 >= 0 && Beta2 < 1, $"AdamW betas ({Beta1}, {Beta2}) must lie in [0, 1)", "use beta1 0.9 and beta2 0.99");
        Require(MinLrRatio >= 0 && MinLrRatio <= 1, $"min_lr_ratio {MinLrRatio} is outside [0, 1]", "use 0.1, for example");
        Require(WarmupSteps >= 0, $"warm-up {WarmupSteps} is negative", "use --warmup-steps 0 or more");
        Require(Threads >= 1 && Threads <= MaxThreads, $"threads {Threads} is outside 1..{MaxThreads}",
            $"use --threads {Environment.ProcessorCount} (this machine's cores), for example");
        Require(GradClip >= 0, $"grad clip {GradClip} is negative", "use --grad-clip 1, or 0 to disable");
        Require(LogEvery >= 1 && EvalEvery >= 1, "log and eval intervals must be at least 1 step", "use --eval-every 100, for example");
        Require(double.IsFinite(MaskProb) && MaskProb > 0 && MaskProb <= 1, $"mask_prob {MaskProb} is outside (0, 1]", "use --mask-prob 0.15 (BERT's rate)");
        Require(CheckpointEvery >= 0, "checkpoint interval is negative", "use --checkpoint-every 500, or 0 for the end only");
        return this;
    }
}
