using System.Globalization;
using System.Text;
using System.Text.Json;
using Toolkit.Model;

namespace Toolkit.Interop;

/// <summary>TransformerLens's <c>HookedTransformerConfig</c> as JSON (<c>cfg.to_dict()</c> dumped to a file) and
/// back: read into a <see cref="ModelConfig"/> only when the toolkit computes the same forward pass.</summary>
/// <remarks>Absent keys take TransformerLens's defaults (so an absent <c>normalization_type</c> is "LN" and an
/// absent <c>attn_only</c> is false). Keys that change the forward pass are accepted only at the values the
/// toolkit implements; every other value is an error, all of them listed at once. Keys that never change
/// the forward pass on token ids (names, devices, initialisation, hooks) are ignored; keys this list does
/// not know are ignored with a note. See docs/design.md §3.</remarks>
public static class TransformerLensConfig
{
    /// <summary>Keys that leave the logits of token ids unchanged, or matter only under a setting refused
    /// elsewhere (rotary, local attention, grouped keys, experts).</summary>
    private static readonly HashSet<string> Neutral = new(StringComparer.Ordinal)
    {
        "model_name", "original_architecture", "from_checkpoint", "checkpoint_index", "checkpoint_label_type",
        "checkpoint_value", "tokenizer_name", "tokenizer_prepends_bos", "default_prepend_bos", "default_padding_side",
        "init_mode", "weight_init_mode", "init_weights", "initializer_range", "seed", "device", "n_devices", "n_params",
        "use_attn_result", "use_split_qkv_input", "use_hook_mlp_in", "use_attn_in", "use_hook_tokens", "dtype",
        "trust_remote_code", "window_size", "attn_types", "rotary_dim", "rotary_base", "rotary_adjacent_pairs",
        "use_NTK_by_parts_rope", "NTK_by_parts_low_freq_factor", "NTK_by_parts_high_freq_factor", "NTK_by_parts_factor",
        "NTK_original_ctx_len", "relative_attention_max_distance", "relative_attention_num_buckets",
        "decoder_start_token_id", "tie_word_embeddings", "experts_per_token", "ungroup_grouped_query_attention",
    };

    /// <summary>Keys read into the model's shape.</summary>
    private static readonly HashSet<string> Shape = new(StringComparer.Ordinal)
    {
        "n_layers", "d_model", "n_ctx", "d_head", "n_heads", "d_mlp", "d_vocab", "d_vocab_out", "act_fn", "attn_only",
        "normalization_type", "positional_embedding_type", "eps", "use_attn_scale", "attn_scale",
    };

    /// <summary>Keys that change the forward pass, with the only value the toolkit computes (null: absent or null).</summary>
    private static readonly (string Key, string Accepted, Func<JsonElement, bool> Ok)[] Fixed =
    [
        ("attention_dir", "\"causal\"", e => e.ValueKind == JsonValueKind.String && e.GetString() == "causal"),
        ("use_local_attn", "false", IsFalse),
        ("scale_attn_by_inverse_layer_idx", "false", IsFalse),
        ("final_rms", "false", IsFalse),
        ("parallel_attn_mlp", "false", IsFalse),
        ("gated_mlp", "false", IsFalse),
        ("use_normalization_before_and_after", "false", IsFalse),
        ("post_embedding_ln", "false", IsFalse),
        ("use_qk_norm", "false", IsFalse),
        ("load_in_4bit", "false", IsFalse),
        ("n_key_value_heads", "null", e => e.ValueKind == JsonValueKind.Null),
        ("num_experts", "null", e => e.ValueKind == JsonValueKind.Null),
        ("attn_scores_soft_cap", "≤ 0 (off)", e => e.ValueKind == JsonValueKind.Null || e.ValueKind == JsonValueKind.Number && e.GetDouble() <= 0),
        ("output_logits_soft_cap", "≤ 0 (off)", e => e.ValueKind == JsonValueKind.Null || e.ValueKind == JsonValueKind.Number && e.GetDouble() <= 0),
    ];

    private static bool IsFalse(JsonElement e) => e.ValueKind is JsonValueKind.False or JsonValueKind.Null;

    /// <summary>Layer norm epsilon of the toolkit's LayerNorm (TransformerLens's default).</summary>
    public const double Epsilon = 1e-5;

    /// <summary>The model a TransformerLens config describes, and notes on what was ignored.</summary>
    /// <exception cref="ToolkitException">The text is not a JSON object, or the model differs from what the
    /// toolkit computes; the message lists every problem.</exception>
    public static (ModelConfig Model, IReadOnlyList<string> Notes) Parse(string json, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true }); }
        catch (JsonException e)
        {
            throw new ToolkitException($"{source} is not valid JSON: {e.Message.Split('\n')[0]}",
                "write the config with json.dump(model.cfg.to_dict(), f, default=str) (see docs/guide.md, \"TransformerLens interop\")");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ToolkitException($"{source} is not a JSON object", "it must map HookedTransformerConfig keys (n_layers, d_model, ...) to values");
            var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject()) values[p.Name] = p.Value;
            var problems = new List<string>();

            int? Int(string key, bool required, int min = 1)
            {
                if (!values.TryGetValue(key, out var e) || e.ValueKind == JsonValueKind.Null)
                {
                    if (required) problems.Add($"{key} is missing");
                    return null;
                }
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var d) || d != Math.Floor(d))
                {
                    problems.Add($"{key} {e.GetRawText()} is not a whole number");
                    return null;
                }
                if (Math.Abs(d) > int.MaxValue) { problems.Add($"{key} {e.GetRawText()} is too large (at most {int.MaxValue})"); return null; }
                var v = (int)d;
                if (v < min) { problems.Add($"{key} {v} must be at least {min}"); return null; }
                return v;
            }
            bool Bool(string key, bool fallback)
            {
                if (!values.TryGetValue(key, out var e) || e.ValueKind == JsonValueKind.Null) return fallback;
                if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) return e.GetBoolean();
                problems.Add($"{key} {e.GetRawText()} is not true or false");
                return fallback;
            }
            string? Text(string key, string? fallback)
            {
                if (!values.TryGetValue(key, out var e)) return fallback;
                if (e.ValueKind == JsonValueKind.Null) return null;
                if (e.ValueKind == JsonValueKind.String) return e.GetString();
                problems.Add($"{key} {e.GetRawText()} is not a string");
                return fallback;
            }

            var nLayers = Int("n_layers", true);
            var dModel = Int("d_model", true);
            var nCtx = Int("n_ctx", true, min: 2);
            var dHead = Int("d_head", true);
            // TransformerLens: an absent n_heads, or -1, means d_model // d_head.
            int? nHeads = !values.TryGetValue("n_heads", out var nh) || nh.ValueKind == JsonValueKind.Null
                          || nh.ValueKind == JsonValueKind.Number && nh.TryGetInt32(out var nhv) && nhv == -1
                ? (dModel is int dm && dHead is int dh ? dm / dh : null)
                : Int("n_heads", true);
            if (nHeads == 0) problems.Add($"n_heads is d_model // d_head = 0 (d_head {dHead} exceeds d_model {dModel})");
            int? dVocab = null;
            if (values.TryGetValue("d_vocab", out var dv) && dv.ValueKind == JsonValueKind.Number && dv.TryGetInt32(out var dvv) && dvv == -1)
                problems.Add("d_vocab is -1 (TransformerLens takes it from a tokenizer); give the vocabulary size");
            else dVocab = Int("d_vocab", true, min: 2);
            if (values.TryGetValue("d_vocab_out", out var dvo) && dvo.ValueKind != JsonValueKind.Null
                && !(dvo.ValueKind == JsonValueKind.Number && dvo.TryGetInt32(out var o) && (o == -1 || o == dVocab)))
                problems.Add($"d_vocab_out {dvo.GetRawText()} differs from d_vocab {dVocab} (only -1 or d_vocab is supported)");

            var attnOnly = Bool("attn_only", false);
            int? dMlp = attnOnly ? null : Int("d_mlp", false);
            var actFn = Text("act_fn", null);
            var activation = actFn is null ? ActivationFunction.Gelu : SettingChoices.FromName<ActivationFunction>(actFn);
            if (!attnOnly && actFn is null) problems.Add("act_fn is missing (a model with MLPs needs one: gelu or relu)");
            // An attention-only model has no MLP, but the config still holds an activation: it must be one the toolkit has.
            else if (activation is null)
                problems.Add($"act_fn '{actFn}' is not supported (gelu or relu; TransformerLens's gelu_new, gelu_fast, silu and solu_ln differ)");
            var normalizationText = Text("normalization_type", "LN");
            var normalization = normalizationText is null ? null : SettingChoices.FromName<Normalization>(normalizationText);
            if (normalizationText is not null && normalization is null)
                problems.Add($"normalization_type '{normalizationText}' is not supported (LN, LNPre or null)");
            var positional = Text("positional_embedding_type", "standard");
            if (positional != "standard")
                problems.Add($"positional_embedding_type '{positional}' is not supported (only standard: learned absolute positions added to the residual stream)");
            if (values.TryGetValue("eps", out var eps) && eps.ValueKind != JsonValueKind.Null
                && !(eps.ValueKind == JsonValueKind.Number && Math.Abs(eps.GetDouble() - Epsilon) <= 1e-12))
                problems.Add($"eps {eps.GetRawText()} is not supported (LayerNorm epsilon is {Epsilon.ToString(CultureInfo.InvariantCulture)})");
            if (!Bool("use_attn_scale", true)) problems.Add("use_attn_scale false is not supported (scores are divided by sqrt(d_head))");
            if (values.TryGetValue("attn_scale", out var scale) && scale.ValueKind != JsonValueKind.Null && dHead is int dh2
                && !(scale.ValueKind == JsonValueKind.Number && (scale.GetDouble() <= 0 || Math.Abs(scale.GetDouble() - Math.Sqrt(dh2)) <= 1e-6 * Math.Sqrt(dh2))))
                problems.Add($"attn_scale {scale.GetRawText()} is not sqrt(d_head) = {Math.Sqrt(dh2).ToString("G6", CultureInfo.InvariantCulture)}");
            foreach (var (key, accepted, ok) in Fixed)
                if (values.TryGetValue(key, out var e) && !ok(e))
                    problems.Add($"{key} {e.GetRawText()} is not supported (only {accepted})");

            if (problems.Count > 0)
                throw new ToolkitException($"{source} describes a model the toolkit cannot compute exactly: {string.Join("; ", problems)}",
                    "fix or remove these keys; absent keys take TransformerLens's defaults (see docs/design.md §3)");

            double? init = values.TryGetValue("initializer_range", out var ir) && ir.ValueKind == JsonValueKind.Number && ir.GetDouble() > 0
                ? ir.GetDouble() : null;
            var model = new ModelConfig
            {
                NLayers = nLayers!.Value, NHeads = nHeads!.Value, DModel = dModel!.Value, DHead = dHead, DVocab = dVocab!.Value,
                NCtx = nCtx!.Value, AttnOnly = attnOnly, DMlp = dMlp, ActFn = activation!.Value,
                NormalizationType = normalization,
                PositionalEmbeddingType = PositionalEmbedding.Standard, InitializerRange = init,
            }.Resolve();
            var unknown = values.Keys.Where(k => !Neutral.Contains(k) && !Shape.Contains(k) && Fixed.All(f => f.Key != k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            var notes = new List<string>();
            if (unknown.Count > 0)
                notes.Add($"ignored config keys the toolkit does not know: {string.Join(", ", unknown)} (check that they leave the forward pass unchanged)");
            return (model, notes);
        }
    }

    /// <summary>Reads a config file; see <see cref="Parse"/>.</summary>
    public static (ModelConfig Model, IReadOnlyList<string> Notes) Read(string path)
    {
        if (!File.Exists(path))
            throw new ToolkitException($"no config at {path}", "give --config cfg.json, the model's HookedTransformerConfig as JSON");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>The config as TransformerLens JSON: loadable with <c>HookedTransformerConfig(**json.load(f))</c>,
    /// with every key that the toolkit's forward pass fixes written out.</summary>
    public static string ToJson(ModelConfig config)
    {
        var m = config.Resolve();
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("n_layers", m.NLayers);
            w.WriteNumber("d_model", m.DModel);
            w.WriteNumber("n_ctx", m.NCtx);
            w.WriteNumber("d_head", m.HeadDim);
            w.WriteNumber("n_heads", m.NHeads);
            if (m.DMlp is int dMlp) w.WriteNumber("d_mlp", dMlp); else w.WriteNull("d_mlp");
            w.WriteNumber("d_vocab", m.DVocab);
            w.WriteNumber("d_vocab_out", m.DVocab);
            w.WriteString("act_fn", m.ActFn.JsonName());
            w.WriteBoolean("attn_only", m.AttnOnly);
            if (m.NormalizationType is { } n) w.WriteString("normalization_type", n.JsonName()); else w.WriteNull("normalization_type");
            w.WriteString("positional_embedding_type", m.PositionalEmbeddingType.JsonName());
            w.WriteString("attention_dir", "causal");
            w.WriteBoolean("use_attn_scale", true);
            w.WriteNumber("eps", Epsilon);
            w.WriteNumber("initializer_range", m.InitializerRange!.Value);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
