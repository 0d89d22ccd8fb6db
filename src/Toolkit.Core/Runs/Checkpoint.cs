using System.Text.Json;
using System.Text.Json.Serialization;
using Toolkit.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Runs;

/// <summary>A saved training state: <c>model.safetensors</c> (TransformerLens names) with
/// <c>config.json</c> beside it, <c>optimizer.safetensors</c> (AdamW moments and step), and <c>state.json</c>
/// (step, random-generator state). Written to a temporary folder, then renamed.</summary>
public static class Checkpoint
{
    /// <summary>Resumable state besides the weights.</summary>
    public sealed record State
    {
        /// <summary>Steps completed.</summary>
        [JsonPropertyName("step")] public int Step { get; init; }
        /// <summary>torch's global CPU generator state (dropout draws), base64.</summary>
        [JsonPropertyName("torch_rng_state")] public string TorchRngState { get; init; } = "";
        /// <summary>Sum of training losses since the last metrics row, so a resumed run writes the
        /// same rows as an uninterrupted one when checkpoints fall between rows.</summary>
        [JsonPropertyName("interval_loss")] public double IntervalLoss { get; init; }
        /// <summary>Steps since the last metrics row.</summary>
        [JsonPropertyName("interval_steps")] public int IntervalSteps { get; init; }
    }

    /// <summary>The optimizer state's file in a checkpoint folder.</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>The training state's file in a checkpoint folder.</summary>
    public const string StateFile = "state.json";

    /// <summary>Folder name of the checkpoint after <paramref name="step"/> steps.</summary>
    public static string FolderName(int step) => $"step-{step}";

    /// <summary>Saves model, optimizer and state into <paramref name="folder"/> atomically, with the manifest written last
    /// (it records the run's metrics.csv as it is now, when <paramref name="metricsPath"/> is given).</summary>
    public static void Save(string folder, RunConfig config, HookedTransformer model, IOptimizerState? optimizer, State state, string? metricsPath = null)
    {
        AtomicFile.WriteDirectory(folder, temp =>
        {
            SaveWeights(Path.Combine(temp, "model.safetensors"), model, config);
            File.WriteAllText(Path.Combine(temp, "config.json"), config.ToJson());
            optimizer?.Save(Path.Combine(temp, OptimizerFile));
            using var rng = get_rng_state();
            var full = state with { TorchRngState = Convert.ToBase64String(rng.data<byte>().ToArray()) };
            File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(full, RunConfig.Json));
            CheckpointManifest.Write(temp, config.RunId, state.Step, metricsPath);
        });
    }

    /// <summary>Saves weights and config only (an imported model: nothing to resume) into <paramref name="folder"/> atomically,
    /// with the manifest written last.</summary>
    public static void SaveWeightsOnly(string folder, RunConfig config, HookedTransformer model, int step)
    {
        AtomicFile.WriteDirectory(folder, temp =>
        {
            SaveWeights(Path.Combine(temp, "model.safetensors"), model, config);
            File.WriteAllText(Path.Combine(temp, "config.json"), config.ToJson());
            CheckpointManifest.Write(temp, config.RunId, step);
        });
    }

    /// <summary>Writes the model's parameters under their TransformerLens names.</summary>
    public static void SaveWeights(string path, HookedTransformer model, RunConfig config)
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["toolkit_model_config"] = System.Text.Json.JsonSerializer.Serialize(config.Model, RunConfig.Json) };
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        SafeTensors.Write(stream, model.named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)), meta);
    }

    /// <summary>Loads weights into a model (shapes must match its config); weights that are not finite are refused,
    /// naming the file: the trainer never saves them, so they mean a damaged file, never a divergence.</summary>
    public static void LoadWeights(string path, HookedTransformer model)
    {
        var (tensors, _) = SafeTensors.Read(path);
        try
        {
            using var _ = no_grad();
            foreach (var (name, p) in model.named_parameters())
            {
                if (!tensors.TryGetValue(name, out var t))
                    throw new ToolkitException($"{path} has no tensor '{name}'", "the checkpoint was made for another model config");
                if (!t.shape.SequenceEqual(p.shape))
                    throw new ToolkitException($"{path}: {name} has shape [{string.Join(",", t.shape)}], the model wants [{string.Join(",", p.shape)}]",
                        "load it with the config saved beside it");
                using (var scope = NewDisposeScope())
                    if (!t.isfinite().all().item<bool>())
                        throw new ToolkitException($"{path} holds weights that are not finite (NaN or infinity in {name})",
                            "the file is damaged: the trainer never saves weights that are not finite");
                p.copy_(t);
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Whether a checkpoint holds weights only (an imported model): no training state, no optimizer.</summary>
    public static bool IsWeightsOnly(string folder) =>
        !File.Exists(Path.Combine(folder, StateFile)) && !File.Exists(Path.Combine(folder, OptimizerFile));

    /// <summary>Reads a checkpoint's state.json and checks that it is the state of <paramref name="step"/> (its folder's step).</summary>
    public static State ReadState(string folder, int step)
    {
        var statePath = Path.Combine(folder, StateFile);
        State state;
        try { state = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath), RunConfig.Json) ?? throw new JsonException("empty document"); }
        catch (Exception e) when (e is JsonException or FileNotFoundException)
        {
            throw new ToolkitException($"{statePath} is missing or damaged ({e.Message.Split('\n')[0]})", "resume from an earlier checkpoint");
        }
        if (state.Step != step)
            throw new ToolkitException($"{statePath} is the state of step {state.Step}, not of {Path.GetFileName(folder)}", "resume from an earlier checkpoint");
        if (state.IntervalSteps < 0 || state.IntervalSteps > state.Step)
            throw new ToolkitException($"{statePath} holds an impossible interval ({state.IntervalSteps} steps since the last metrics row)", "resume from an earlier checkpoint");
        return state;
    }

    /// <summary>Why a checkpoint of a run (with run id <paramref name="runId"/>) cannot be trusted, naming the file; null when it
    /// verifies. A checkpoint without a manifest verifies only in a run without a run id (one made before manifests). What a
    /// resume needs beyond that (the optimizer's state) is checked when it loads.</summary>
    public static string? Problem(string folder, int step, string? runId)
    {
        var problem = CheckpointManifest.Check(folder, step, runId, out var hasManifest);
        if (problem is not null) return problem;
        if (!hasManifest && runId is not null)
            return $"{Path.Combine(folder, CheckpointManifest.FileName)} is missing (every checkpoint of a run with a run id has one)";
        if (!File.Exists(Path.Combine(folder, "config.json"))) return $"{Path.Combine(folder, "config.json")} is missing";
        if (!File.Exists(Path.Combine(folder, StateFile))) return null; // weights only (an imported model): nothing to resume from
        try { ReadState(folder, step); }
        catch (ToolkitException e) { return e.Message; }
        return null;
    }

    /// <summary>Restores optimizer and generator state of the checkpoint after <paramref name="step"/> steps; returns the saved
    /// state (its step is where to continue).</summary>
    public static State LoadTrainingState(string folder, int step, IOptimizerState optimizer)
    {
        if (IsWeightsOnly(folder))
            throw new ToolkitException($"{folder} holds weights only (an imported model), no training state to resume",
                "train it further as a new run: toolkit finetune RUN --steps N --out runs/NEW");
        var state = ReadState(folder, step);
        var statePath = Path.Combine(folder, StateFile);
        byte[] rngBytes;
        try { rngBytes = Convert.FromBase64String(state.TorchRngState); }
        catch (FormatException) { throw new ToolkitException($"{statePath} holds a damaged generator state", "resume from an earlier checkpoint"); }
        using (var current = get_rng_state())
            if (rngBytes.Length != current.shape[0])
                throw new ToolkitException($"{statePath} holds a generator state of {rngBytes.Length} bytes, not {current.shape[0]}", "resume from an earlier checkpoint");
        optimizer.Load(Path.Combine(folder, OptimizerFile));
        using var rng = tensor(rngBytes, ScalarType.Byte);
        set_rng_state(rng);
        return state;
    }
}
