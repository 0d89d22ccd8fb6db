using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Multi-head self-attention with per-head weights, as in TransformerLens: causal, or both directions for a
/// masked LM; rotary queries and keys, or shortformer positions on the query and key inputs, when the config asks.</summary>
/// <remarks>Row-vector convention (<c>x @ W</c>): W_Q, W_K, W_V are [n_heads, d_model, d_head],
/// W_O is [n_heads, d_head, d_model]. Field names are the state-dict names (blocks.L.attn.W_Q).</remarks>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly int nHeads, dHead, dModel;
    // Kept-alive Scalar: an implicit double→Scalar temporary can be freed by the finalizer while
    // the native call reads it (see Scalars).
    private readonly Scalar scale;
    private readonly Dropout? dropout;
    private readonly Rotary? rotary;
    // Shortformer: positions [pos, d_model] added to the query and key inputs only (not a registered module:
    // the weights belong to the model's pos_embed).
    private readonly Func<long, Tensor>? queryKeyPositions;
    // A masked LM reads both directions; a next-token model must not see later positions.
    private readonly bool causal;

    public readonly Parameter W_Q, W_K, W_V, W_O, b_Q, b_K, b_V, b_O;
    public readonly HookPoint hook_q = new(), hook_k = new(), hook_v = new(), hook_attn_scores = new(),
        hook_pattern = new(), hook_z = new(), hook_result = new(), hook_rot_q = new(), hook_rot_k = new();

    /// <param name="causal">Whether a query reads only earlier keys when no readable-key mask is given (null: unless the
    /// model is a masked LM); an encoder's and cross-attention's keys come from a mask instead.</param>
    internal Attention(ModelConfig cfg, Func<long, Tensor>? queryKeyPositions = null, bool? causal = null) : base("Attention")
    {
        this.queryKeyPositions = queryKeyPositions;
        this.causal = causal ?? !cfg.MaskedLm;
        if (cfg.PositionalEmbeddingType == PositionalEmbedding.Rotary) rotary = new Rotary(cfg.RotaryDim!.Value, cfg.RotaryBase);
        nHeads = cfg.NHeads; dHead = cfg.HeadDim; dModel = cfg.DModel;
        scale = (1.0 / Math.Sqrt(dHead)).ToScalar();
        var std = cfg.InitializerRange!.Value;
        W_Q = Init.Normal(std, nHeads, dModel, dHead);
        W_K = Init.Normal(std, nHeads, dModel, dHead);
        W_V = Init.Normal(std, nHeads, dModel, dHead);
        W_O = Init.Normal(std, nHeads, dHead, dModel);
        b_Q = Init.Zeros(nHeads, dHead);
        b_K = Init.Zeros(nHeads, dHead);
        b_V = Init.Zeros(nHeads, dHead);
        b_O = Init.Zeros(dModel);
        if (cfg.AttnDropout > 0) dropout = nn.Dropout(cfg.AttnDropout);
        RegisterComponents();
    }

    /// <summary>Adds shortformer positions to a query or key input [..., pos, d_model] (identity otherwise).</summary>
    public Tensor AddQueryKeyPositions(Tensor input) =>
        queryKeyPositions is null ? input : input.add(queryKeyPositions(input.shape[^2]), Scalars.One);

    /// <summary>Rotates queries or keys [batch, pos, head, d_head] by position (identity unless rotary).</summary>
    public Tensor Rotate(Tensor qk) => rotary is null ? qk : rotary.Apply(qk);

    /// <summary>Attention output at some positions only (a routed pool's per-token gather; no hook point fires):
    /// x [batch, pos, d_model] is what every position reads (keys and values), <paramref name="queries"/> [n, d_model]
    /// the read input at the chosen positions (<paramref name="batchIndex"/>, <paramref name="positions"/>, [n] each)
    /// → [n, d_model], the rows <see cref="forward"/> would give there.</summary>
    internal Tensor ForwardAt(Tensor x, Tensor queries, Tensor batchIndex, Tensor positions)
    {
        long b = x.shape[0], p = x.shape[1], n = queries.shape[0];
        var k = AddQueryKeyPositions(x).matmul(W_K.permute(1, 0, 2).reshape(dModel, nHeads * dHead)).view(b, p, nHeads, dHead).add(b_K, Scalars.One);
        var v = x.matmul(W_V.permute(1, 0, 2).reshape(dModel, nHeads * dHead)).view(b, p, nHeads, dHead).add(b_V, Scalars.One);
        var queryInput = queryKeyPositions is null ? queries : queries.add(queryKeyPositions(p).index_select(0, positions), Scalars.One);
        var q = queryInput.matmul(W_Q.permute(1, 0, 2).reshape(dModel, nHeads * dHead)).view(n, nHeads, dHead).add(b_Q, Scalars.One);
        if (rotary is not null)
        {
            q = rotary.ApplyAt(q, positions, p);
            k = rotary.Apply(k);
        }
        var keys = k.index_select(0, batchIndex);   // [n, pos, head, d_head]
        var values = v.index_select(0, batchIndex);
        var scores = einsum("nhe,nphe->nhp", q, keys).mul_(scale);
        if (causal)
        {
            using var stop = p.ToScalar(); // explicit and disposed after use (see Scalars)
            using var future = arange(stop, ScalarType.Int64, device: x.device).unsqueeze(0).gt(positions.unsqueeze(1)).unsqueeze(1);
            scores = scores.masked_fill(future, Scalars.NegativeInfinity);
        }
        var z = einsum("nhp,nphe->nhe", scores.softmax(-1), values);
        return z.reshape(n, nHeads * dHead).matmul(W_O.reshape(nHeads * dHead, dModel)).add(b_O, Scalars.One);
    }

    /// <summary>Self-attention, x: [batch, pos, d_model] → [batch, pos, d_model].</summary>
    public override Tensor forward(Tensor x) => Attend(x, x, null);

    /// <summary>Queries read from <paramref name="x"/> attend over keys and values read from <paramref name="memory"/>
    /// ([batch, pos, d_model], the same positions: x itself for self-attention, the encoder's output for cross-attention).
    /// <paramref name="readable"/> [batch, pos] (bool) marks the key positions every query may read (an encoder-decoder's
    /// source); without it the causal mask applies (or none, for a masked LM).</summary>
    internal Tensor Attend(Tensor x, Tensor memory, Tensor? readable)
    {
        long b = x.shape[0], p = x.shape[1];
        // One matmul per projection over all heads: [d_model, n_heads*d_head].
        Tensor Project(Tensor input, Parameter w, Parameter bias) =>
            input.matmul(w.permute(1, 0, 2).reshape(dModel, nHeads * dHead)).view(b, p, nHeads, dHead).add(bias, Scalars.One);

        var queryInput = AddQueryKeyPositions(x);
        var keyInput = ReferenceEquals(memory, x) ? queryInput : AddQueryKeyPositions(memory);
        var q = hook_q.forward(Project(queryInput, W_Q, b_Q));   // [b, pos, head, d_head]
        var k = hook_k.forward(Project(keyInput, W_K, b_K));
        var v = hook_v.forward(Project(memory, W_V, b_V));
        if (rotary is not null)
        {
            q = hook_rot_q.forward(rotary.Apply(q));
            k = hook_rot_k.forward(rotary.Apply(k));
        }

        var scores = q.transpose(1, 2).matmul(k.permute(0, 2, 3, 1)).mul_(scale); // [b, head, dest, src]
        if (readable is not null)
            using (var hidden = readable.logical_not().unsqueeze(1).unsqueeze(1)) // [b, 1, 1, src]
                scores = scores.masked_fill(hidden, Scalars.NegativeInfinity);
        else if (causal)
            using (var future = ones(p, p, ScalarType.Bool, device: x.device).triu_(1))
                scores = scores.masked_fill(future, Scalars.NegativeInfinity);
        scores = hook_attn_scores.forward(scores);
        var pattern = hook_pattern.forward(scores.softmax(-1));
        if (dropout is not null) pattern = dropout.forward(pattern);

        var z = hook_z.forward(pattern.matmul(v.transpose(1, 2)).transpose(1, 2)); // [b, pos, head, d_head]
        if (hook_result.IsHooked)
        {
            // Each head's own write to the residual stream, [b, pos, head, d_model]: costs a
            // d_model-wide tensor per head, so only when someone listens.
            var result = hook_result.forward(einsum("bphe,hed->bphd", z, W_O));
            return result.sum(2).add(b_O, Scalars.One);
        }
        return z.reshape(b, p, nHeads * dHead).matmul(W_O.reshape(nHeads * dHead, dModel)).add(b_O, Scalars.One);
    }
}
