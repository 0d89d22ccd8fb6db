using System.Text.Json;
using Toolkit.Model;
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
        using var model = run.LoadModel(CPU, folder); // verifies the checkpoint before anything of it is read
        var config = RunConfig.Read(Path.Combine(folder, "config.json"));
        var notes = new List<string>();
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        try { metadata[TransformerLensImport.TaskMetadataKey] = JsonSerializer.Serialize(TaskSpec.Of(config.Task.Create())); }
        catch (TaskParameterException e) { notes.Add($"the run's task is not recorded: {e.Message}"); }
        var m = Representable(model.Config, notes);
        if (m.EmbedDropout > 0 || m.AttnDropout > 0 || m.ResidDropout > 0)
            notes.Add("dropout is a training setting TransformerLens's model does not have; the exported config has none (logits in eval mode are unchanged)");

        if (File.Exists(outDir)) throw new ToolkitException($"{outDir} is a file", "give --out a folder, e.g. exported/NAME");
        var weightsPath = Path.Combine(outDir, "model.safetensors");
        var configPath = Path.Combine(outDir, "config.json");
        using (var scope = NewDisposeScope())
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal);
            // Written out where the run has them in another form: no positions as a zero table, tied W_U as W_Eᵀ.
            if (!parameters.ContainsKey("pos_embed.W_pos")) parameters["pos_embed.W_pos"] = zeros(m.NCtx, m.DModel);
            if (!parameters.ContainsKey("unembed.W_U")) parameters["unembed.W_U"] = model.W_U.detach().contiguous();
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

    /// <summary>The config TransformerLens gets: variants it computes identically from a standard model are written as
    /// one (sinusoidal positions are a W_pos table, no positions a zero table, tied W_U an explicit copy of W_Eᵀ);
    /// variants whose forward pass was not verified against TransformerLens's are refused by name, never exported wrong.</summary>
    private static ModelConfig Representable(ModelConfig m, List<string> notes)
    {
        var refused = new List<string>();
        if (m.PositionalEmbeddingType is PositionalEmbedding.Rotary or PositionalEmbedding.Shortformer) refused.Add($"positional_embedding_type {m.PositionalEmbeddingType.JsonName()}");
        if (m.NormalizationPosition != LayerNormPosition.Pre) refused.Add("post-norm (normalization_position post)");
        if (m.ParallelAttnMlp && !m.AttnOnly) refused.Add("parallel_attn_mlp");
        if (m.ConvKernel > 0) refused.Add($"Conv-Attn (conv_kernel {m.ConvKernel})");
        if (m.Routed) refused.Add($"a routed layer pool (routing {m.Routing.JsonName()})");
        if (m.EncoderDecoder) refused.Add($"an encoder-decoder (n_encoder_layers {m.NEncoderLayers})");
        if (m.MaskedLm) refused.Add($"a masked LM (mask_token {m.MaskToken}; TransformerLens's HookedTransformer is causal)");
        if (refused.Count > 0)
            throw new ToolkitException($"the run's model has settings the export does not map to TransformerLens: {string.Join(", ", refused)}",
                "export a model with learned, sinusoidal or no positions, pre-norm, sequential blocks and no convolution");
        if (m.PositionalEmbeddingType == PositionalEmbedding.Sinusoidal) notes.Add("sinusoidal positions are exported as their table in W_pos (positional_embedding_type standard)");
        if (m.PositionalEmbeddingType == PositionalEmbedding.None) notes.Add("no positions: W_pos is exported as zeros (positional_embedding_type standard)");
        if (m.TiedEmbeddings) notes.Add("tied embeddings: unembed.W_U is exported as a copy of W_Eᵀ");
        return m with { PositionalEmbeddingType = PositionalEmbedding.Standard, TiedEmbeddings = false };
    }
}
