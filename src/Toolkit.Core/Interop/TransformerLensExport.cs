using System.Text.Json;
using Toolkit.Runs;
using Toolkit.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Interop;

/// <summary>What an export wrote, and notes on what TransformerLens's format cannot hold.</summary>
public sealed record ExportResult(string WeightsPath, string ConfigPath, int Step, IReadOnlyList<string> Notes);

/// <summary>Writes a run's checkpoint in TransformerLens's format: <c>model.safetensors</c> (the state dict,
/// buffers included) and <c>config.json</c> (HookedTransformerConfig keys), the format <c>toolkit import</c> reads.</summary>
/// <remarks>Deterministic: the same checkpoint always gives the same bytes, so export → import → export is a
/// fixed point. The run's task rides along in the safetensors metadata, where TransformerLens ignores it.</remarks>
public static class TransformerLensExport
{
    /// <summary>Exports the latest checkpoint of a run (or the one after <paramref name="step"/> steps) into <paramref name="outDir"/>.</summary>
    public static ExportResult Export(string runPath, string outDir, int? step = null)
    {
        var run = RunDirectory.Open(runPath);
        RunDirectory.CheckPath(outDir);
        var checkpoints = run.Checkpoints();
        var (chosenStep, folder) = step is int s
            ? checkpoints.FirstOrDefault(c => c.Step == s) is { Path: not null } found ? found
                : throw new ToolkitException($"run {runPath} has no checkpoint after {s} steps",
                    checkpoints.Count > 0 ? $"its checkpoints: {string.Join(", ", checkpoints.Select(c => c.Step))}" : "train it first")
            : run.LatestCheckpoint();
        var config = RunConfig.Read(Path.Combine(folder, "config.json"));
        var notes = new List<string>();
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        try { metadata[TransformerLensImport.TaskMetadataKey] = JsonSerializer.Serialize(TaskSpec.Of(config.Task.Create())); }
        catch (TaskParameterException e) { notes.Add($"the run's task is not recorded: {e.Message}"); }
        using var model = run.LoadModel(CPU, folder);
        var m = model.Config;
        if (m.EmbedDropout > 0 || m.AttnDropout > 0 || m.ResidDropout > 0)
            notes.Add("dropout is a training setting TransformerLens's model does not have; the exported config has none (logits in eval mode are unchanged)");

        if (File.Exists(outDir)) throw new ToolkitException($"{outDir} is a file", "give --out a folder, e.g. exported/NAME");
        var weightsPath = Path.Combine(outDir, "model.safetensors");
        var configPath = Path.Combine(outDir, "config.json");
        using (var scope = NewDisposeScope())
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
            var entries = new List<KeyValuePair<string, Tensor>>();
            foreach (var (name, _) in TransformerLensWeights.Parameters(m)) entries.Add(new(name, parameters[name]));
            // TransformerLens's state_dict also holds these buffers; with them the file loads with load_state_dict(strict=True).
            var mask = ones(m.NCtx, m.NCtx, ScalarType.Bool).tril_();
            var ignore = tensor(float.NegativeInfinity);
            for (var l = 0; l < m.NLayers; l++)
            {
                entries.Add(new($"blocks.{l}.attn.mask", mask));
                entries.Add(new($"blocks.{l}.attn.IGNORE", ignore));
            }
            AtomicFile.Write(weightsPath, stream => SafeTensors.Write(stream, entries, metadata));
        }
        AtomicFile.WriteText(configPath, TransformerLensConfig.ToJson(m));
        return new ExportResult(weightsPath, configPath, chosenStep, notes);
    }
}
