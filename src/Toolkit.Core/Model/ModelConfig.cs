using System.Text.Json.Serialization;

namespace Toolkit.Model;

/// <summary>Shape of a hooked transformer, with TransformerLens's <c>HookedTransformerConfig</c> keys.</summary>
/// <remarks>JSON names match TransformerLens so a config (and the safetensors weights beside it)
/// moves between the two libraries. <see cref="Resolve"/> fills derived defaults and validates.</remarks>
public sealed record ModelConfig
{
    [JsonPropertyName("n_layers")] public int NLayers { get; init; } = 2;
    [JsonPropertyName("n_heads")] public int NHeads { get; init; } = 4;
    [JsonPropertyName("d_model")] public int DModel { get; init; } = 64;
    /// <summary>Per-head dimension; not forced to d_model / n_heads (null: that quotient).</summary>
    [JsonPropertyName("d_head")] public int? DHead { get; init; }
    [JsonPropertyName("d_vocab")] public int DVocab { get; init; } = 64;
    [JsonPropertyName("n_ctx")] public int NCtx { get; init; } = 64;
    [JsonPropertyName("attn_only")] public bool AttnOnly { get; init; } = true;
    /// <summary>MLP width (null: 4 × d_model); unused when attn_only.</summary>
    [JsonPropertyName("d_mlp")] public int? DMlp { get; init; }
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "gelu";
    /// <summary>"LN" for pre-LayerNorm in every block and before the unembedding, "LNPre" for the same
    /// LayerNorms without weights (TransformerLens's folded form); null for none.</summary>
    [JsonPropertyName("normalization_type")] public string? NormalizationType { get; init; }
    /// <summary>Only "standard" (learned absolute positions) is implemented.</summary>
    [JsonPropertyName("positional_embedding_type")] public string PositionalEmbeddingType { get; init; } = "standard";
    /// <summary>Std of the normal initialization (null: 0.8 / sqrt(d_model), TransformerLens's default).</summary>
    [JsonPropertyName("initializer_range")] public double? InitializerRange { get; init; }
    [JsonPropertyName("embed_dropout")] public double EmbedDropout { get; init; }
    [JsonPropertyName("attn_dropout")] public double AttnDropout { get; init; }
    [JsonPropertyName("resid_dropout")] public double ResidDropout { get; init; }

    /// <summary>The per-head dimension after defaults.</summary>
    [JsonIgnore] public int HeadDim => DHead ?? DModel / NHeads;

    /// <summary>Validates and fills derived defaults (d_head, d_mlp, initializer_range).</summary>
    public ModelConfig Resolve()
    {
        static void Require(bool ok, string message, string hint)
        {
            if (!ok) throw new ToolkitException(message, hint);
        }
        Require(NLayers >= 1, $"n_layers {NLayers} must be at least 1", "use --layers 1 or more");
        Require(NHeads >= 1, $"n_heads {NHeads} must be at least 1", "use --heads 1 or more");
        Require(DModel >= 1, $"d_model {DModel} must be positive", "use --d-model 64, for example");
        Require(DHead is not null || DModel % NHeads == 0,
            $"d_model {DModel} is not divisible by n_heads {NHeads}",
            $"choose --d-model as a multiple of {NHeads} or give --d-head explicitly");
        Require(HeadDim >= 1, $"d_head {HeadDim} must be positive", "give --d-head 1 or more");
        Require(DVocab >= 2, $"d_vocab {DVocab} must be at least 2", "use --vocab 64, for example");
        Require(NCtx >= 2, $"n_ctx {NCtx} must be at least 2", "use --context 64, for example");
        Require(NormalizationType is null or "LN" or "LNPre", $"normalization_type '{NormalizationType}' is not supported",
            "use LN (pre-LayerNorm), LNPre (LayerNorm without weights) or none");
        Require(PositionalEmbeddingType == "standard", $"positional_embedding_type '{PositionalEmbeddingType}' is not supported",
            "use standard (learned absolute positions)");
        Require(ActFn is "gelu" or "relu", $"act_fn '{ActFn}' is not supported", "use gelu or relu");
        foreach (var (name, p) in new[] { ("embed_dropout", EmbedDropout), ("attn_dropout", AttnDropout), ("resid_dropout", ResidDropout) })
            Require(p >= 0 && p < 1, $"{name} {p} is outside [0, 1)", "use a dropout probability such as 0.1");
        return this with
        {
            DHead = HeadDim,
            DMlp = AttnOnly ? null : DMlp ?? 4 * DModel,
            InitializerRange = InitializerRange ?? 0.8 / Math.Sqrt(DModel),
        };
    }
}
