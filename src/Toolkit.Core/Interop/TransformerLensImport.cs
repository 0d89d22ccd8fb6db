using System.Text.Json;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Interop;

/// <summary>What an import wrote: the run, its checkpoint, its config, whether its task is a placeholder, and notes.</summary>
public sealed record ImportResult(string RunPath, string CheckpointPath, RunConfig Config, bool PlaceholderTask, IReadOnlyList<string> Notes);

/// <summary>Turns a TransformerLens model (state dict as safetensors + <c>cfg.json</c>) into a run directory that
/// every command opens: <c>config.json</c> and <c>checkpoints/step-0/</c>, no metrics.csv (docs/design.md §3, §6).</summary>
public static class TransformerLensImport
{
    /// <summary>Safetensors metadata key under which <c>toolkit export</c> records the run's task (TransformerLens ignores it).</summary>
    public const string TaskMetadataKey = "toolkit_task";

    /// <summary>Checks everything, then writes the run. <paramref name="chooseTask"/> gets the model and the default
    /// task (the one the file records, else <see cref="PlaceholderTask"/>) and returns the task to record.</summary>
    /// <exception cref="ToolkitException">The config, the weights or the task do not fit; nothing is written.</exception>
    public static ImportResult Import(string weightsPath, string configPath, string runPath,
        Func<ModelConfig, TaskSpec, TaskSpec>? chooseTask = null)
    {
        var runDir = RunDirectory.Create(runPath);
        var (model, configNotes) = TransformerLensConfig.Read(configPath);
        var notes = new List<string>(configNotes);
        if (!File.Exists(weightsPath))
            throw new ToolkitException($"no weights at {weightsPath}", "give the model's state_dict saved with safetensors.torch.save_file");
        Dictionary<string, Tensor> tensors;
        Dictionary<string, string> metadata;
        try { (tensors, metadata) = SafeTensors.Read(weightsPath); }
        catch (ToolkitException e)
        {
            throw new ToolkitException(e.Message, $"save the state dict again from Python: safetensors.torch.save_file(model.state_dict(), \"{Path.GetFileName(weightsPath)}\")");
        }
        try
        {
            TransformerLensWeights.Check(tensors, model, weightsPath);
            var recorded = RecordedTask(metadata, notes);
            var fallback = recorded ?? PlaceholderTask(model);
            var spec = chooseTask?.Invoke(model, fallback) ?? fallback;
            var placeholder = recorded is null && ReferenceEquals(spec, fallback);
            ITask task;
            try { task = spec.Create(); }
            catch (TaskParameterException e) { throw new ToolkitException(e.Message, e.Hint); }
            Evaluator.CheckFits(model, task);
            spec = TaskSpec.Of(task);

            if (File.Exists(runDir.ConfigPath))
                throw new ToolkitException($"{runPath} already holds a run", "choose another --out, or delete that run first");
            if (Directory.Exists(runPath) && Directory.EnumerateFileSystemEntries(runPath).Any())
                throw new ToolkitException($"{runPath} is not empty", "import into a new folder, e.g. --out runs/NAME");
            if (File.Exists(runPath))
                throw new ToolkitException($"{runPath} is a file", "give --out a folder path, e.g. runs/NAME");

            var config = new RunConfig { RunId = RunConfig.NewRunId(), Model = model, Task = spec, Provenance = Provenance.Capture("cpu", get_num_threads()) };
            var folder = Path.Combine(runDir.CheckpointsPath, Checkpoint.FolderName(0));
            using (RunLock.Acquire(runPath))
            using (var hooked = new HookedTransformer(model))
            {
                using (no_grad())
                    foreach (var (name, p) in hooked.named_parameters())
                        p.copy_(tensors[name]); // dtype converted to the model's float32
                Checkpoint.SaveWeightsOnly(folder, config, hooked, step: 0);
                AtomicFile.WriteText(runDir.ConfigPath, config.ToJson());
            }
            foreach (var (type, word, change) in new[] { (ScalarType.Float64, "float64", "rounded to"), (ScalarType.Float16, "float16", "upcast to"), (ScalarType.BFloat16, "bfloat16", "upcast to") })
            {
                var count = tensors.Count(kv => kv.Value.dtype == type);
                if (count > 0) notes.Add($"{count} {word} tensors were {change} float32");
            }
            return new ImportResult(runPath, folder, config, placeholder, notes);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>The task to judge an imported model on when none is given: repeated-copy (the induction task) over
    /// the model's whole context and vocabulary, with its default periods when they fit, else the longest that do.</summary>
    /// <remarks>It says nothing about what the model was trained on; it only lets every command run.</remarks>
    public static TaskSpec PlaceholderTask(ModelConfig model)
    {
        var parameters = new Dictionary<string, string> { ["context"] = model.NCtx.ToString(), ["vocab"] = model.DVocab.ToString() };
        var spec = new TaskSpec { Name = "repeated-copy", Parameters = parameters };
        if (Fits(spec)) return spec;
        // Two copies must fit the context, and a block of distinct tokens plus filler the content tokens (all but PAD).
        var hi = Math.Min(model.NCtx / 2, model.DVocab - 3);
        var lo = Math.Min(6, hi);
        if (hi >= 2)
        {
            spec = new TaskSpec { Name = "repeated-copy", Parameters = new(parameters) { ["period"] = lo == hi ? $"{hi}" : $"{lo}..{hi}" } };
            if (Fits(spec)) return spec;
        }
        throw new ToolkitException($"no placeholder task fits a model with n_ctx {model.NCtx} and d_vocab {model.DVocab}",
            "give the task the model was trained on: --task NAME --param key=value (toolkit tasks lists them)");
    }

    private static bool Fits(TaskSpec spec)
    {
        try { spec.Create(); return true; }
        catch (TaskParameterException) { return false; }
    }

    private static TaskSpec? RecordedTask(IReadOnlyDictionary<string, string> metadata, List<string> notes)
    {
        if (!metadata.TryGetValue(TaskMetadataKey, out var json)) return null;
        try
        {
            var spec = JsonSerializer.Deserialize<TaskSpec>(json);
            if (spec is not null) return spec;
        }
        catch (JsonException) { }
        notes.Add($"the file's {TaskMetadataKey} metadata is damaged and was ignored");
        return null;
    }
}
