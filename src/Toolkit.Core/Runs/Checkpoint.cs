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

    /// <summary>Folder name of the checkpoint after <paramref name="step"/> steps.</summary>
    public static string FolderName(int step) => $"step-{step}";

    /// <summary>Saves model, optimizer and state into <paramref name="folder"/> atomically.</summary>
    public static void Save(string folder, RunConfig config, HookedTransformer model, Training.AdamW? optimizer, State state)
    {
        AtomicFile.WriteDirectory(folder, temp =>
        {
            SaveWeights(Path.Combine(temp, "model.safetensors"), model, config);
            File.WriteAllText(Path.Combine(temp, "config.json"), config.ToJson());
            optimizer?.Save(Path.Combine(temp, OptimizerFile));
            using var rng = get_rng_state();
            var full = state with { TorchRngState = Convert.ToBase64String(rng.data<byte>().ToArray()) };
            File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(full, RunConfig.Json));
        });
    }

    /// <summary>Writes the model's parameters under their TransformerLens names.</summary>
    public static void SaveWeights(string path, HookedTransformer model, RunConfig config)
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["toolkit_model_config"] = System.Text.Json.JsonSerializer.Serialize(config.Model, RunConfig.Json) };
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        SafeTensors.Write(stream, model.named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)), meta);
    }

    /// <summary>Loads weights into a model (shapes must match its config).</summary>
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
                p.copy_(t);
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Restores optimizer and generator state; returns the saved state (its step is where to continue).</summary>
    public static State LoadTrainingState(string folder, Training.AdamW optimizer)
    {
        var statePath = Path.Combine(folder, "state.json");
        if (!File.Exists(statePath) && !File.Exists(Path.Combine(folder, OptimizerFile)))
            throw new ToolkitException($"{folder} holds weights only (an imported model), no training state to resume",
                "train it further as a new run: toolkit finetune RUN --steps N --out runs/NEW");
        State state;
        try { state = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath), RunConfig.Json) ?? throw new JsonException("empty document"); }
        catch (Exception e) when (e is JsonException or FileNotFoundException)
        {
            throw new ToolkitException($"{statePath} is missing or damaged ({e.Message.Split('\n')[0]})", "resume from an earlier checkpoint (delete this one) or start a new run");
        }
        byte[] rngBytes;
        try { rngBytes = Convert.FromBase64String(state.TorchRngState); }
        catch (FormatException) { throw new ToolkitException($"{statePath} holds a damaged generator state", "resume from an earlier checkpoint (delete this one)"); }
        optimizer.Load(Path.Combine(folder, OptimizerFile));
        using var rng = tensor(rngBytes, ScalarType.Byte);
        set_rng_state(rng);
        return state;
    }
}
