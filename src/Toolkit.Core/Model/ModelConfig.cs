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
    /// <summary>Where position information comes from (TransformerLens names, plus "none"):
    /// "standard" learned absolute positions added to the residual stream; "sinusoidal" fixed sin/cos positions
    /// added to the residual stream; "rotary" queries and keys rotated by position (no positions in the residual
    /// stream); "shortformer" learned positions added only to the query and key inputs; "none" causal attention
    /// alone (a model can then only count positions through the causal mask).</summary>
    [JsonPropertyName("positional_embedding_type")] public string PositionalEmbeddingType { get; init; } = "standard";
    /// <summary>Rotary: dimensions of each head that are rotated (null: all of d_head; must be even).</summary>
    [JsonPropertyName("rotary_dim")] public int? RotaryDim { get; init; }
    /// <summary>Rotary: the base of the rotation frequencies.</summary>
    [JsonPropertyName("rotary_base")] public double RotaryBase { get; init; } = 10000;
    /// <summary>The unembedding is the token embedding transposed (W_U = W_Eᵀ, no b_U).</summary>
    [JsonPropertyName("tied_embeddings")] public bool TiedEmbeddings { get; init; }
    /// <summary>"pre" (LayerNorm before attention and MLP, and before the unembedding) or "post" (after each
    /// residual addition, the original Transformer's order; no final LayerNorm). Needs normalization_type LN.</summary>
    [JsonPropertyName("normalization_position")] public string NormalizationPosition { get; init; } = "pre";
    /// <summary>Attention and MLP read the same residual stream and both add to it (GPT-J style).</summary>
    [JsonPropertyName("parallel_attn_mlp")] public bool ParallelAttnMlp { get; init; }
    /// <summary>Conv-Attn (docs/design.md §1): a convolution over positions of this width smears the residual
    /// stream before the first block (0: none), so one attention layer can do induction.</summary>
    [JsonPropertyName("conv_kernel")] public int ConvKernel { get; init; }
    /// <summary>"depthwise" (one filter per residual dimension) or "full" (every dimension reads every dimension).</summary>
    [JsonPropertyName("conv_type")] public string ConvType { get; init; } = "depthwise";
    /// <summary>"causal" (left padding only: position t reads t−k+1..t) or "same" (centred: position t reads later
    /// tokens; exists only to show the leak detector catching it).</summary>
    [JsonPropertyName("conv_padding")] public string ConvPadding { get; init; } = "causal";
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
        Require(PositionalEmbeddingType is "standard" or "sinusoidal" or "rotary" or "shortformer" or "none",
            $"positional_embedding_type '{PositionalEmbeddingType}' is not supported",
            "use standard (learned), sinusoidal, rotary, shortformer or none");
        var rotaryDim = RotaryDim ?? HeadDim;
        Require(PositionalEmbeddingType != "rotary" || (rotaryDim >= 2 && rotaryDim <= HeadDim && rotaryDim % 2 == 0),
            $"rotary_dim {rotaryDim} must be even and between 2 and d_head {HeadDim}", "leave rotary_dim unset (all of d_head) or give an even number");
        Require(double.IsFinite(RotaryBase) && RotaryBase > 1, $"rotary_base {RotaryBase} must be a number above 1", "use 10000");
        Require(NormalizationPosition is "pre" or "post", $"normalization_position '{NormalizationPosition}' is not supported", "use pre or post");
        Require(NormalizationPosition == "pre" || NormalizationType is "LN" or "LNPre", "post-norm needs LayerNorm", "add --ln (normalization_type LN)");
        Require(!(ParallelAttnMlp && NormalizationPosition == "post"), "parallel_attn_mlp with post-norm is not supported",
            "use pre-norm (the default) with parallel attention and MLP");
        Require(ConvKernel >= 0 && ConvKernel <= NCtx, $"conv_kernel {ConvKernel} is outside 0..n_ctx", "use 3 (Conv-Attn) or 0 (none)");
        Require(ConvType is "depthwise" or "full", $"conv_type '{ConvType}' is not supported", "use depthwise or full");
        Require(ConvPadding is "causal" or "same", $"conv_padding '{ConvPadding}' is not supported", "use causal (same exists only to demonstrate a leak)");
        Require(ActFn is "gelu" or "relu", $"act_fn '{ActFn}' is not supported", "use gelu or relu");
        foreach (var (name, p) in new[] { ("embed_dropout", EmbedDropout), ("attn_dropout", AttnDropout), ("resid_dropout", ResidDropout) })
            Require(p >= 0 && p < 1, $"{name} {p} is outside [0, 1)", "use a dropout probability such as 0.1");
        return this with
        {
            DHead = HeadDim,
            RotaryDim = PositionalEmbeddingType == "rotary" ? rotaryDim : null,
            DMlp = AttnOnly ? null : DMlp ?? 4 * DModel,
            InitializerRange = InitializerRange ?? 0.8 / Math.Sqrt(DModel),
        };
    }
}
