using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>A decoder-only transformer whose every activation is a named hook point; its variants (positions,
/// tied embeddings, post-norm, parallel attention and MLP, Conv-Attn) are settings of <see cref="ModelConfig"/>.</summary>
/// <remarks>
/// Read like nanoGPT's model file, named like TransformerLens: parameters are
/// embed.W_E, pos_embed.W_pos, blocks.L.attn.W_Q|W_K|W_V|W_O (+ biases), blocks.L.ln1.w, ...,
/// unembed.W_U; hook points are hook_embed, hook_pos_embed, blocks.L.hook_resid_pre,
/// blocks.L.attn.hook_q|k|v|attn_scores|pattern|z|result, blocks.L.hook_attn_out, ...,
/// ln_final.hook_normalized. Works on any device: tensors follow the input's device.
/// </remarks>
public sealed class HookedTransformer : nn.Module<Tensor, Tensor>
{
    private readonly Dropout? embedDropout;
    private readonly Dictionary<string, HookPoint> hookPoints = new(StringComparer.Ordinal);
    private HookPoint[] blockHooks = [];

    public readonly Embed embed;
    /// <summary>Absolute positions; null for rotary and none. Shortformer feeds them to attention's queries and keys only.</summary>
    public readonly PosEmbed? pos_embed;
    public readonly HookPoint hook_embed = new(), hook_pos_embed = new();
    /// <summary>Conv-Attn's convolution over positions before the first block (null when conv_kernel is 0).</summary>
    public readonly PositionSmear? conv;
    public readonly ModuleList<TransformerBlock> blocks;
    /// <summary>An encoder-decoder's encoder (n_encoder_layers > 0); null for a decoder-only model, whose
    /// <see cref="blocks"/> are then the whole model rather than the decoder.</summary>
    public readonly Encoder? encoder;
    /// <summary>Routed layer pools (routing not "none"): the router that picks one of <see cref="blocks"/> or an
    /// identity at each step; null for a standard model.</summary>
    public readonly RoutedPool? router;
    public readonly LayerNorm? ln_final;
    public readonly Unembed unembed;

    /// <summary>The resolved configuration.</summary>
    public ModelConfig Config { get; }

    /// <summary>Builds a model with fresh weights drawn from torch's global generator.</summary>
    public HookedTransformer(ModelConfig config) : base("HookedTransformer")
    {
        Config = config.Resolve();
        embed = new Embed(Config);
        if (Config.PositionalEmbeddingType is PositionalEmbedding.Standard or PositionalEmbedding.Sinusoidal or PositionalEmbedding.Shortformer) pos_embed = new PosEmbed(Config);
        if (Config.ConvKernel > 0) conv = new PositionSmear(Config);
        Func<long, Tensor>? queryKeyPositions = Config.PositionalEmbeddingType == PositionalEmbedding.Shortformer ? pos_embed!.At : null;
        blocks = new ModuleList<TransformerBlock>(
            Enumerable.Range(0, Config.NLayers).Select(_ => new TransformerBlock(Config, queryKeyPositions)).ToArray());
        if (Config.EncoderDecoder) encoder = new Encoder(Config, queryKeyPositions);
        // Post-norm blocks end normalized already (the original Transformer has no final LayerNorm).
        // A delegate to the blocks, and to whether any block's hook point listens: the pool owns neither.
        if (Config.Routed) router = new RoutedPool(Config, l => blocks[l], () => blockHooks.Any(h => h.IsHooked));
        if (Config.NormalizationType is not null && Config.NormalizationPosition == LayerNormPosition.Pre)
            ln_final = new LayerNorm(Config.DModel, affine: Config.NormalizationType == Normalization.LN);
        unembed = new Unembed(Config, Config.TiedEmbeddings ? () => embed.W_E : null);
        if (Config.EmbedDropout > 0) embedDropout = nn.Dropout(Config.EmbedDropout);
        RegisterComponents();
        foreach (var (name, module) in named_modules())
            if (module is HookPoint hook)
            {
                hook.Name = name;
                hookPoints[name] = hook;
            }
        blockHooks = hookPoints.Where(h => h.Key.StartsWith("blocks.", StringComparison.Ordinal)).Select(h => h.Value).ToArray();
        // Widened after drawing, so a float64 model starts from exactly the float32 model's initial weights.
        if (Config.Dtype == FloatType.Float64) this.to(ScalarType.Float64);
    }

    /// <summary>Every hook point by its TransformerLens name.</summary>
    public IReadOnlyDictionary<string, HookPoint> HookPoints => hookPoints;

    /// <summary>tokens [batch, pos] (int64, pos ≤ n_ctx) → logits [batch, pos, d_vocab].</summary>
    public override Tensor forward(Tensor tokens) => Unembed(Stream(tokens));

    /// <summary>tokens [batch, pos] → the residual stream after the last block, [batch, pos, d_model]: the forward pass
    /// without the final LayerNorm and the unembedding, for any architecture (blocks, routed pool, encoder-decoder). For
    /// analyses that read only activations, or unembed only the positions they read.</summary>
    public Tensor Stream(Tensor tokens)
    {
        CheckFits(tokens);
        if (encoder is not null) return EncoderDecoderStream(tokens);
        var resid = StreamIntoFirstBlock(tokens);
        if (router is not null) return router.forward(resid);
        foreach (var block in blocks) resid = block.forward(resid);
        return resid;
    }

    /// <summary>The final LayerNorm (when there is one) and the unembedding of a residual stream: logits. The objectives
    /// read every routed step's state through it (Losses.TaskLoss).</summary>
    public Tensor Unembed(Tensor resid) => unembed.forward(ln_final is null ? resid : ln_final.forward(resid));

    /// <summary>Finishes a forward pass from the residual stream entering block <paramref name="firstBlock"/> (n_layers:
    /// only the final LayerNorm and the unembedding): what analyses that change one layer's output need, without
    /// recomputing the layers before it. Not for routed pools, whose blocks have no fixed order.</summary>
    public Tensor ForwardFrom(int firstBlock, Tensor resid) => Unembed(StreamFrom(firstBlock, resid));

    /// <summary>The residual stream after the last block, from the stream entering block <paramref name="firstBlock"/>
    /// (<see cref="ForwardFrom"/> without the unembedding, for analyses that unembed only the positions they read).</summary>
    public Tensor StreamFrom(int firstBlock, Tensor resid)
    {
        if (router is not null || encoder is not null)
            throw new ToolkitException($"{(router is not null ? "a routed pool has no fixed layer order" : "an encoder-decoder's decoder also needs the encoder")} to resume from", "run the whole model (forward)");
        for (var l = firstBlock; l < blocks.Count; l++) resid = blocks[l].forward(resid);
        return resid;
    }

    /// <summary>A loss term the architecture adds to the task's loss, from the last training-mode forward pass (ACT's
    /// ponder cost); null when there is none.</summary>
    public Tensor? AuxiliaryLoss => training ? router?.PonderLoss : null;

    /// <summary>The residual stream entering the first block: token embeddings, plus positions where they enter the
    /// stream (standard, sinusoidal), plus Conv-Attn's smear, then embedding dropout.</summary>
    public Tensor StreamIntoFirstBlock(Tensor tokens)
    {
        var resid = hook_embed.forward(embed.forward(tokens));
        if (pos_embed is not null && Config.PositionalEmbeddingType != PositionalEmbedding.Shortformer)
            resid = resid.add(hook_pos_embed.forward(pos_embed.forward(tokens)), Scalars.One);
        if (conv is not null) resid = resid.add(conv.forward(resid), Scalars.One);
        return embedDropout is null ? resid : embedDropout.forward(resid);
    }

    /// <summary>Refuses a routed pool for an analysis that reads the blocks as a fixed sequence of layers (a pool's block
    /// may run at several steps or none, so "the output of layer l" is not one activation), and an encoder-decoder (its
    /// decoder blocks also read the encoder, which such an analysis does not follow).</summary>
    public void RequireSequentialBlocks(string analysis)
    {
        if (Config.Routed)
            throw new ToolkitException($"{analysis} reads the blocks as a fixed sequence of layers, but this model routes them (routing {Config.Routing.JsonName()})",
                "analyse the route through the router.steps.{s}.hook_* points, or use a standard model");
        if (Config.EncoderDecoder)
            throw new ToolkitException($"{analysis} reads the blocks as the whole model, but this model is an encoder-decoder (its decoder also reads the encoder through cross-attention)",
                "use what reads attention and hooks (head scores, patterns, ablations, probes), or a decoder-only model");
    }

    /// <summary>An encoder-decoder's source positions of each row, [batch, pos] (bool): up to and including its first
    /// source_end_token, or position 0 alone when the row has none (so no later token is ever readable).</summary>
    public Tensor SourceMask(Tensor tokens)
    {
        if (Config.SourceEndToken is null) throw new ToolkitException("a decoder-only model has no source", "use an encoder-decoder (--n-encoder-layers 2, for example)");
        using var scope = NewDisposeScope();
        long b = tokens.shape[0], p = tokens.shape[1];
        var (isEnd, hasEnd) = SourceEnds(tokens);
        var before = isEnd.cumsum(1).sub(isEnd);                       // source ends strictly before each position
        var firstPosition = zeros(b, p, ScalarType.Bool, device: tokens.device);
        firstPosition[.., 0] = ones(b, ScalarType.Bool, device: tokens.device);
        return where(hasEnd, before.eq(Scalars.Zero), firstPosition).MoveToOuterDisposeScope();
    }

    /// <summary>Where the source-end token stands, [batch, pos] (int64 0/1), and whether a row has one, [batch, 1].</summary>
    private (Tensor IsEnd, Tensor HasEnd) SourceEnds(Tensor tokens)
    {
        // Explicit Scalars, disposed after use: an implicit one can be freed while native code reads it (see Scalars).
        using var sep = Config.SourceEndToken!.Value.ToScalar();
        var isEnd = tokens.eq(sep).to_type(ScalarType.Int64);
        return (isEnd, isEnd.sum(1, keepdim: true).gt(Scalars.Zero));
    }

    /// <summary>An encoder-decoder's decoder output stream: the encoder reads the source (token embeddings elsewhere
    /// zeroed), the decoder blocks read the target (token embeddings before the source end zeroed; the end token itself,
    /// where the first target token is predicted, kept) and the encoder's output at source positions. Positions are
    /// embedded everywhere.</summary>
    private Tensor EncoderDecoderStream(Tensor tokens)
    {
        var source = SourceMask(tokens);
        var (isEnd, hasEnd) = SourceEnds(tokens);
        var target = where(hasEnd, isEnd.cumsum(1).gt(Scalars.Zero), ones_like(source));
        var embedded = hook_embed.forward(embed.forward(tokens));
        var positions = pos_embed is not null && Config.PositionalEmbeddingType != PositionalEmbedding.Shortformer ? hook_pos_embed.forward(pos_embed.forward(tokens)) : null;
        Tensor Input(Tensor keep)
        {
            var x = embedded.mul(keep.unsqueeze(-1).to_type(embedded.dtype));
            if (positions is not null) x = x.add(positions, Scalars.One);
            return embedDropout is null ? x : embedDropout.forward(x);
        }
        var memory = encoder!.Forward(Input(source), source);
        var context = new SourceContext(source, memory);
        var resid = Input(target);
        foreach (var block in blocks) resid = block.Forward(resid, context);
        return resid;
    }

    /// <summary>Refuses a masked LM for an analysis that reads logit row i as the prediction of token i+1 (or, like
    /// sampling, generates left to right).</summary>
    public void RequireNextToken(string analysis)
    {
        if (Config.MaskedLm)
            throw new ToolkitException($"{analysis} reads the logits as next-token predictions, but this model is a masked LM (mask_token {Config.MaskToken})",
                "use what works on a masked LM (toolkit analyze, probe and report: head scores, composition, ablations and accuracy on masked positions), or a next-token model");
    }

    /// <summary>Attaches a hook to the named point; dispose the result to remove it.</summary>
    public IDisposable AddHook(string name, HookFunction hook) => Hook(name).Add(hook);

    /// <summary>The named hook point, or an error that lists similar names.</summary>
    public HookPoint Hook(string name)
    {
        if (hookPoints.TryGetValue(name, out var hook)) return hook;
        var tail = name.Split('.').Last();
        var similar = hookPoints.Keys.Where(k => k.EndsWith(tail, StringComparison.Ordinal)).Take(4).ToList();
        throw new ToolkitException($"the model has no hook point '{name}'",
            similar.Count > 0 ? $"did you mean {string.Join(", ", similar)}?" : "list them with model.HookPoints.Keys");
    }

    /// <summary>Runs the model without gradients and keeps the activations whose names pass the filter.</summary>
    /// <remarks>Cached tensors are detached; they live in the caller's dispose scope (or until the
    /// cache is disposed).</remarks>
    public (Tensor Logits, ActivationCache Cache) RunWithCache(Tensor tokens, Func<string, bool>? filter = null) =>
        WithCache(() => forward(tokens), filter);

    /// <summary><see cref="RunWithCache"/> up to the residual stream after the last block (<see cref="Stream"/>), without
    /// the final LayerNorm and the unembedding: for analyses that read only activations, or unembed only the positions
    /// they read. The final LayerNorm's hook point does not fire.</summary>
    public (Tensor Stream, ActivationCache Cache) RunStreamWithCache(Tensor tokens, Func<string, bool>? filter = null) =>
        WithCache(() => Stream(tokens), filter);

    private void CheckFits(Tensor tokens)
    {
        if (tokens.dim() != 2 || tokens.shape[1] > Config.NCtx)
            throw new ToolkitException($"tokens of shape [{string.Join(", ", tokens.shape)}] do not fit the model",
                $"pass [batch, pos] token ids with pos ≤ n_ctx = {Config.NCtx}");
    }

    private (Tensor, ActivationCache) WithCache(Func<Tensor> run, Func<string, bool>? filter)
    {
        var cache = new ActivationCache();
        var attached = new List<IDisposable>();
        try
        {
            foreach (var (name, hook) in hookPoints)
                if (filter is null || filter(name))
                    attached.Add(hook.Add((x, h) => { cache.Add(h.Name, x.detach()); return null; }));
            using var _ = no_grad();
            return (run(), cache);
        }
        finally
        {
            foreach (var a in attached) a.Dispose();
        }
    }

    /// <summary>Runs the model with temporary hooks (e.g. ablations), removed afterwards.</summary>
    public Tensor RunWithHooks(Tensor tokens, params (string Name, HookFunction Hook)[] hooks) => WithHooks(() => forward(tokens), hooks);

    /// <summary><see cref="RunWithHooks"/> up to the residual stream after the last block (<see cref="Stream"/>).</summary>
    public Tensor RunStreamWithHooks(Tensor tokens, params (string Name, HookFunction Hook)[] hooks) => WithHooks(() => Stream(tokens), hooks);

    private Tensor WithHooks(Func<Tensor> run, (string Name, HookFunction Hook)[] hooks)
    {
        var attached = hooks.Select(h => AddHook(h.Name, h.Hook)).ToList();
        try { return run(); }
        finally { foreach (var a in attached) a.Dispose(); }
    }

    /// <summary>Switches to eval mode (no dropout) until the result is disposed, then restores the
    /// previous mode, so analysis never leaves a training model in the wrong mode.</summary>
    public IDisposable EvalMode()
    {
        var wasTraining = training;
        eval();
        return new ModeRestore(this, wasTraining);
    }

    private sealed class ModeRestore(HookedTransformer model, bool wasTraining) : IDisposable
    {
        public void Dispose() => model.train(wasTraining);
    }

    /// <summary>W_Q of one layer, [n_heads, d_model, d_head].</summary>
    public Tensor W_Q(int layer) => blocks[layer].attn.W_Q;
    /// <summary>W_K of one layer, [n_heads, d_model, d_head].</summary>
    public Tensor W_K(int layer) => blocks[layer].attn.W_K;
    /// <summary>W_V of one layer, [n_heads, d_model, d_head].</summary>
    public Tensor W_V(int layer) => blocks[layer].attn.W_V;
    /// <summary>W_O of one layer, [n_heads, d_head, d_model].</summary>
    public Tensor W_O(int layer) => blocks[layer].attn.W_O;
    /// <summary>Token embedding [d_vocab, d_model].</summary>
    public Tensor W_E => embed.W_E;
    /// <summary>Positional embedding [n_ctx, d_model].</summary>
    public Tensor W_pos => pos_embed?.W_pos ?? throw new ToolkitException(
        $"the model has no W_pos (positional_embedding_type {Config.PositionalEmbeddingType.JsonName()})", "use a model with standard, sinusoidal or shortformer positions");
    /// <summary>Unembedding [d_model, d_vocab] (W_Eᵀ with tied embeddings).</summary>
    public Tensor W_U => unembed.Weight;

    /// <summary>The device the parameters live on.</summary>
    public Device Device => W_E.device;
}
