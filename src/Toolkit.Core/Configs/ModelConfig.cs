using System.Text.Json.Serialization;

namespace Toolkit.Configs;

/// <summary>Shape of a hooked transformer, with TransformerLens's <c>HookedTransformerConfig</c> keys.</summary>
/// <remarks>JSON names match TransformerLens so a config (and the safetensors weights beside it)
/// moves between the two libraries. <see cref="Resolve"/> fills derived defaults and validates.</remarks>
public sealed record ModelConfig
{
    [Setting("transformer blocks (with routing: the pool; with n_encoder_layers: the decoder)")] [JsonPropertyName("n_layers")] public int NLayers { get; init; } = 2;
    [Setting("attention heads per layer")] [JsonPropertyName("n_heads")] public int NHeads { get; init; } = 4;
    [Setting("residual stream width")] [JsonPropertyName("d_model")] public int DModel { get; init; } = 64;
    /// <summary>Per-head dimension; not forced to d_model / n_heads (null: that quotient).</summary>
    [Setting("per-head dimension (default d_model / n_heads)")] [JsonPropertyName("d_head")] public int? DHead { get; init; }
    [Setting("vocabulary size (the task's vocab follows it)")] [JsonPropertyName("d_vocab")] public int DVocab { get; init; } = 64;
    [Setting("sequence length (the task's context follows it)")] [JsonPropertyName("n_ctx")] public int NCtx { get; init; } = 64;
    [Setting("attention only; false adds an MLP to every block")] [JsonPropertyName("attn_only")] public bool AttnOnly { get; init; } = true;
    /// <summary>MLP width (null: 4 × d_model); unused when attn_only.</summary>
    [Setting("MLP width (default 4 × d_model; needs --attn-only false)")] [JsonPropertyName("d_mlp")] public int? DMlp { get; init; }
    [Setting("MLP activation")] [JsonPropertyName("act_fn")] public ActivationFunction ActFn { get; init; } = ActivationFunction.Gelu;
    /// <summary>"LN" for pre-LayerNorm in every block and before the unembedding, "LNPre" for the same
    /// LayerNorms without weights (TransformerLens's folded form); null for none.</summary>
    [Setting("LN (LayerNorm in every block and before the unembedding), LNPre (without weights); default none")] [JsonPropertyName("normalization_type")] public Normalization? NormalizationType { get; init; }
    /// <summary>Where position information comes from (TransformerLens names, plus "none"):
    /// "standard" learned absolute positions added to the residual stream; "sinusoidal" fixed sin/cos positions
    /// added to the residual stream; "rotary" queries and keys rotated by position (no positions in the residual
    /// stream); "shortformer" learned positions added only to the query and key inputs; "none" causal attention
    /// alone (a model can then only count positions through the causal mask).</summary>
    [Setting("standard (learned), sinusoidal, rotary, shortformer (positions on queries and keys only) or none", Group = Setting.VariantGroup)] [JsonPropertyName("positional_embedding_type")] public PositionalEmbedding PositionalEmbeddingType { get; init; } = PositionalEmbedding.Standard;
    /// <summary>Rotary: dimensions of each head that are rotated (null: all of d_head; must be even).</summary>
    [Setting("rotary: rotated dimensions of each head (default all of d_head)", Group = Setting.VariantGroup)] [JsonPropertyName("rotary_dim")] public int? RotaryDim { get; init; }
    /// <summary>Rotary: the base of the rotation frequencies.</summary>
    [Setting("rotary: base of the rotation frequencies", Group = Setting.VariantGroup)] [JsonPropertyName("rotary_base")] public double RotaryBase { get; init; } = 10000;
    /// <summary>The unembedding is the token embedding transposed (W_U = W_Eᵀ, no b_U).</summary>
    [Setting("tie the unembedding to the token embedding (W_U = W_Eᵀ)", Group = Setting.VariantGroup)] [JsonPropertyName("tied_embeddings")] public bool TiedEmbeddings { get; init; }
    /// <summary>"pre" (LayerNorm before attention and MLP, and before the unembedding) or "post" (after each
    /// residual addition, the original Transformer's order; no final LayerNorm). Needs normalization_type LN.</summary>
    [Setting("pre (before each sublayer) or post (after each residual addition; needs --normalization-type LN)", Group = Setting.VariantGroup)] [JsonPropertyName("normalization_position")] public LayerNormPosition NormalizationPosition { get; init; } = LayerNormPosition.Pre;
    /// <summary>Attention and MLP read the same residual stream and both add to it (GPT-J style).</summary>
    [Setting("attention and MLP read the same residual stream (needs --attn-only false)", Group = Setting.VariantGroup)] [JsonPropertyName("parallel_attn_mlp")] public bool ParallelAttnMlp { get; init; }
    /// <summary>Conv-Attn (docs/design.md §1): a convolution over positions of this width smears the residual
    /// stream before the first block (0: none), so one attention layer can do induction.</summary>
    [Setting("Conv-Attn: width of a causal convolution over positions before the first block (0: none; 3 is Conv-Attn)", Group = Setting.VariantGroup)] [JsonPropertyName("conv_kernel")] public int ConvKernel { get; init; }
    /// <summary>"depthwise" (one filter per residual dimension) or "full" (every dimension reads every dimension).</summary>
    [Setting("Conv-Attn: depthwise or full", Group = Setting.VariantGroup)] [JsonPropertyName("conv_type")] public ConvolutionType ConvType { get; init; } = ConvolutionType.Depthwise;
    /// <summary>"causal" (left padding only: position t reads t−k+1..t) or "same" (centred: position t reads later
    /// tokens; exists only to show the leak detector catching it).</summary>
    [Setting("Conv-Attn: causal, or same (centred: leaks the next token; only to demonstrate the leak detector)", Group = Setting.VariantGroup)] [JsonPropertyName("conv_padding")] public ConvolutionPadding ConvPadding { get; init; } = ConvolutionPadding.Causal;
    /// <summary>Std of the normal initialization (null: 0.8 / sqrt(d_model), TransformerLens's default).</summary>
    [Setting("std of the normal initialization (default 0.8 / sqrt(d_model))", Group = Setting.VariantGroup)] [JsonPropertyName("initializer_range")] public double? InitializerRange { get; init; }
    /// <summary>Routed layer pools (docs/design.md §9): "none" (the blocks run in order), "per-token" or
    /// "per-sequence" (a router picks one layer of the pool at each of route_steps steps, from the residual stream),
    /// "schedule" (closed choice: learned per-step logits, the same for every input) or "fixed" (step s runs block
    /// s mod n_layers). With routing the n_layers blocks are the pool.</summary>
    [Setting("none, per-token, per-sequence (decided from position 0), schedule (learned, input-independent) or fixed (step s runs block s mod n_layers): a router picks one block of the pool at each step", Group = Setting.RoutingGroup)] [JsonPropertyName("routing")] public RoutingMode Routing { get; init; } = RoutingMode.None;
    /// <summary>Routing: steps T (one layer chosen per step; null: n_layers).</summary>
    [Setting("steps, one block chosen per step (default n_layers)", Group = Setting.RoutingGroup)] [JsonPropertyName("route_steps")] public int? RouteSteps { get; init; }
    /// <summary>Routing: identity layers j in the pool besides the n_layers blocks (choosing one skips the step).</summary>
    [Setting("identity layers in the pool besides the blocks", Group = Setting.RoutingGroup)] [JsonPropertyName("route_identity_layers")] public int RouteIdentityLayers { get; init; }
    /// <summary>Routing: "linear" (logits = (resid + step embedding) W) or "gru" (a GRU cell over steps, then W).</summary>
    [Setting("linear or gru", Group = Setting.RoutingGroup)] [JsonPropertyName("router_type")] public RouterKind RouterType { get; init; } = RouterKind.Linear;
    /// <summary>Per-sequence routing: the decision reads the mean residual of the first route_prefix positions.
    /// Only 1 is causal (every position ≥ 0 may read position 0); more lets positions before the prefix's end see
    /// later tokens, which the leak detector reports.</summary>
    [Setting("per-sequence: positions the decision reads (only 1 is causal)", Group = Setting.RoutingGroup)] [JsonPropertyName("route_prefix")] public int RoutePrefix { get; init; } = 1;
    /// <summary>Routing: temperature of the straight-through Gumbel-softmax used in training.</summary>
    [Setting("temperature of the straight-through Gumbel-softmax in training", Group = Setting.RoutingGroup)] [JsonPropertyName("router_temperature")] public double RouterTemperature { get; init; } = 1.0;
    /// <summary>Routing: adaptive computation time (Graves 2016): a halting probability per step, at most route_steps
    /// steps, output = halting-weighted mean of the states, ponder cost added to the loss.</summary>
    [Setting("adaptive computation time (halting per step, ponder cost), up to route_steps", Group = Setting.RoutingGroup)] [JsonPropertyName("route_act")] public bool RouteAct { get; init; }
    /// <summary>ACT: weight of the ponder cost N + R in the loss.</summary>
    [Setting("ACT: weight of the ponder cost", Group = Setting.RoutingGroup)] [JsonPropertyName("route_ponder_cost")] public double RoutePonderCost { get; init; } = 0.01;
    /// <summary>ACT: "mixture" (Graves 2016: the loss of the halting-weighted mean state, which is also the output) or
    /// "per-step" (the halting-weighted mean of every step's own loss, each state read through ln_final and W_U; the
    /// output is the state at the step where the unit halted).</summary>
    [Setting("ACT: mixture (loss of the halting-weighted state) or per-step (halting-weighted mean of every step's loss)", Group = Setting.RoutingGroup)] [JsonPropertyName("route_act_loss")] public ActLoss RouteActLoss { get; init; } = ActLoss.Mixture;
    /// <summary>ACT: a unit halts once its summed halting probability reaches 1 − this.</summary>
    [Setting("ACT: a unit halts once its halting probability reaches 1 − this", Group = Setting.RoutingGroup)] [JsonPropertyName("route_act_epsilon")] public double RouteActEpsilon { get; init; } = 0.01;

    /// <summary>Masked LM (BERT-style, docs/design.md §4): the id of the [MASK] token a corruption writes over the
    /// positions to predict. Set, attention reads both directions and the logits at position i predict the token at
    /// position i (the uncorrupted one); null, the model is a causal next-token model (logits at i predict token i+1).
    /// The id lies outside the task's tokens: <c>--objective mlm</c> adds it after them (d_vocab = task vocabulary + 1).</summary>
    [JsonPropertyName("mask_token")] public int? MaskToken { get; init; }

    /// <summary>A masked LM: bidirectional attention, logits predict the token at their own position.</summary>
    [JsonIgnore] public bool MaskedLm => MaskToken is not null;

    /// <summary>Encoder-decoder (docs/design.md §3): encoder blocks (<c>encoder.blocks.{l}</c>) that read the source both
    /// ways; 0 (the default) for a decoder-only model. With an encoder the <c>n_layers</c> blocks are the decoder: they see
    /// the target only and read the source through cross-attention (<c>blocks.{l}.cross_attn</c>).</summary>
    [Setting("encoder-decoder: encoder blocks that read the source (up to the task's SEP) both ways; the n_layers blocks become the decoder (0: decoder-only)", Group = Setting.VariantGroup)] [JsonPropertyName("n_encoder_layers")] public int NEncoderLayers { get; init; }
    /// <summary>Encoder-decoder: the token that ends the source (the task's SEP). A row's source is its positions up to
    /// and including the first such token (position 0 alone when the row has none), its target everything from it on.</summary>
    [JsonPropertyName("source_end_token")] public int? SourceEndToken { get; init; }

    /// <summary>An encoder-decoder rather than a decoder-only model.</summary>
    [JsonIgnore] public bool EncoderDecoder => NEncoderLayers > 0;

    /// <summary>Whether the blocks are a routed pool rather than a fixed sequence.</summary>
    [JsonIgnore] public bool Routed => Routing != RoutingMode.None;
    /// <summary>Routing: the choices at each step, the n_layers blocks then the identity layers.</summary>
    [JsonIgnore] public int RouteOptions => NLayers + RouteIdentityLayers;

    /// <summary>float64 draws the same initial weights as float32 (drawn in float32, then widened), so the two precisions
    /// start from one point and differ only in round-off: the control for an effect that could be float32's. A config.json
    /// written before this setting reads as float32.</summary>
    [Setting("float32 or float64: precision of weights, activations and optimizer state (float64: the same initial weights, about 2× slower on CPU)", Group = Setting.VariantGroup)] [JsonPropertyName("dtype")] public FloatType Dtype { get; init; } = FloatType.Float32;

    [Setting("dropout on the embeddings", Group = Setting.VariantGroup)] [JsonPropertyName("embed_dropout")] public double EmbedDropout { get; init; }
    [Setting("dropout on attention patterns", Group = Setting.VariantGroup)] [JsonPropertyName("attn_dropout")] public double AttnDropout { get; init; }
    [Setting("dropout on residual writes", Group = Setting.VariantGroup)] [JsonPropertyName("resid_dropout")] public double ResidDropout { get; init; }

    /// <summary>The per-head dimension after defaults.</summary>
    [JsonIgnore] public int HeadDim => DHead ?? DModel / NHeads;

    /// <summary>Validates and fills derived defaults (d_head, d_mlp, initializer_range).</summary>
    public ModelConfig Resolve()
    {
        static void Require(bool ok, string message, string hint)
        {
            if (!ok) throw new ToolkitException(message, hint);
        }
        Require(NLayers >= 1, $"n_layers {NLayers} must be at least 1", "use --n-layers 1 or more");
        Require(NHeads >= 1, $"n_heads {NHeads} must be at least 1", "use --n-heads 1 or more");
        Require(DModel >= 1, $"d_model {DModel} must be positive", "use --d-model 64, for example");
        Require(DHead is not null || DModel % NHeads == 0,
            $"d_model {DModel} is not divisible by n_heads {NHeads}",
            $"choose --d-model as a multiple of {NHeads} or give --d-head explicitly");
        Require(HeadDim >= 1, $"d_head {HeadDim} must be positive", "give --d-head 1 or more");
        Require(DVocab >= 2, $"d_vocab {DVocab} must be at least 2", "use --d-vocab 64, for example");
        Require(NCtx >= 2, $"n_ctx {NCtx} must be at least 2", "use --n-ctx 64, for example");
        var rotaryDim = RotaryDim ?? HeadDim;
        Require(PositionalEmbeddingType != PositionalEmbedding.Rotary || (rotaryDim >= 2 && rotaryDim <= HeadDim && rotaryDim % 2 == 0),
            $"rotary_dim {rotaryDim} must be even and between 2 and d_head {HeadDim}", "leave rotary_dim unset (all of d_head) or give an even number");
        Require(double.IsFinite(RotaryBase) && RotaryBase > 1, $"rotary_base {RotaryBase} must be a number above 1", "use 10000");
        Require(NormalizationPosition == LayerNormPosition.Pre || NormalizationType is not null, "post-norm needs LayerNorm", "add --normalization-type LN");
        Require(!(ParallelAttnMlp && NormalizationPosition == LayerNormPosition.Post), "parallel_attn_mlp with post-norm is not supported",
            "use pre-norm (the default) with parallel attention and MLP");
        Require(ConvKernel >= 0 && ConvKernel <= NCtx, $"conv_kernel {ConvKernel} is outside 0..n_ctx", "use 3 (Conv-Attn) or 0 (none)");
        Require(MaskToken is null || (MaskToken >= 0 && MaskToken < DVocab), $"mask_token {MaskToken} is outside the vocabulary 0..{DVocab - 1}",
            "train with --objective mlm, which adds the [MASK] token after the task's tokens");
        Require(NEncoderLayers >= 0, $"n_encoder_layers {NEncoderLayers} is negative", "use --n-encoder-layers 2, for example");
        if (EncoderDecoder)
        {
            Require(SourceEndToken is int sep && sep >= 0 && sep < DVocab, $"an encoder-decoder needs source_end_token inside the vocabulary 0..{DVocab - 1} (it is {SourceEndToken?.ToString() ?? "unset"})",
                "train with --n-encoder-layers on a task with a SEP token (set-extraction, unique-token), which sets it");
            Require(!Routed && ConvKernel == 0 && !MaskedLm && NormalizationPosition == LayerNormPosition.Pre && !ParallelAttnMlp,
                "an encoder-decoder works with pre-norm sequential blocks only (no routing, Conv-Attn, masked LM, post-norm or parallel blocks)",
                "drop those settings, or use a decoder-only model");
        }
        else
            Require(SourceEndToken is null, "source_end_token needs an encoder (n_encoder_layers > 0)", "use --n-encoder-layers 2, or drop source_end_token");
        foreach (var (name, p) in new[] { ("embed_dropout", EmbedDropout), ("attn_dropout", AttnDropout), ("resid_dropout", ResidDropout) })
            Require(p >= 0 && p < 1, $"{name} {p} is outside [0, 1)", "use a dropout probability such as 0.1");
        var routeSteps = RouteSteps ?? NLayers;
        if (Routed)
        {
            Require(routeSteps >= 1 && routeSteps <= 64, $"route_steps {routeSteps} is outside 1..64", "use --route-steps 4, for example");
            Require(RouteIdentityLayers >= 0 && RouteIdentityLayers <= 16, $"route_identity_layers {RouteIdentityLayers} is outside 0..16", "use --route-identity-layers 1, for example");
            Require(RoutePrefix >= 1 && RoutePrefix <= NCtx, $"route_prefix {RoutePrefix} is outside 1..n_ctx {NCtx}", "use 1 (the only causal choice)");
            Require(double.IsFinite(RouterTemperature) && RouterTemperature > 0, $"router_temperature {RouterTemperature} must be positive", "use 1");
            Require(!RouteAct || Routing is RoutingMode.PerToken or RoutingMode.PerSequence, $"route_act needs a router that reads the input (routing {Routing.JsonName()})",
                "use --routing per-token or per-sequence with --route-act");
            Require(double.IsFinite(RoutePonderCost) && RoutePonderCost >= 0, $"route_ponder_cost {RoutePonderCost} must be ≥ 0", "use 0.01");
            Require(RouteActEpsilon > 0 && RouteActEpsilon < 1, $"route_act_epsilon {RouteActEpsilon} is outside (0, 1)", "use 0.01");
            Require(ConvKernel == 0, "routing with conv_kernel is not supported", "drop --conv-kernel, or routing");
        }
        else
            Require(RouteSteps is null && RouteIdentityLayers == 0 && !RouteAct, "route_steps, route_identity_layers and route_act need routing",
                "set --routing per-token, or drop the routing settings");
        return this with
        {
            DHead = HeadDim,
            RotaryDim = PositionalEmbeddingType == PositionalEmbedding.Rotary ? rotaryDim : null,
            DMlp = AttnOnly ? null : DMlp ?? 4 * DModel,
            InitializerRange = InitializerRange ?? 0.8 / Math.Sqrt(DModel),
            RouteSteps = Routed ? routeSteps : null,
        };
    }
}
