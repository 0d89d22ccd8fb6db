using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Where a block sits in an encoder-decoder.</summary>
internal enum BlockRole
{
    /// <summary>A decoder-only model's block, or an encoder-decoder's decoder block (which adds cross-attention).</summary>
    Decoder,
    /// <summary>An encoder block: self-attention both ways over the source.</summary>
    Encoder,
}

/// <summary>What an encoder-decoder's blocks read besides the stream: the source positions [batch, pos] (bool) and, for
/// decoder blocks, the encoder's output [batch, pos, d_model].</summary>
internal sealed record SourceContext(Tensor Source, Tensor? Memory);

/// <summary>One residual block: attention, then optionally an MLP; LayerNorm before each (pre-norm, the default)
/// or after each residual addition (post-norm); with <c>parallel_attn_mlp</c> both read the same residual
/// stream and both add to it. An encoder-decoder's decoder block has cross-attention between the two (reading the
/// encoder's output at source positions); its encoder block attends both ways over the source.</summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly Dropout? residDropout;
    private readonly bool postNorm, parallel;
    private readonly BlockRole role;
    public readonly LayerNorm? ln1, ln2, ln_cross;
    public readonly Attention attn;
    /// <summary>An encoder-decoder's decoder block: attention from the target over the encoder's output; else null.</summary>
    public readonly Attention? cross_attn;
    public readonly Mlp? mlp;
    public readonly HookPoint hook_resid_pre = new(), hook_attn_out = new(), hook_resid_mid = new(),
        hook_cross_attn_out = new(), hook_resid_mid_cross = new(), hook_mlp_out = new(), hook_resid_post = new();

    internal TransformerBlock(ModelConfig cfg, Func<long, Tensor>? queryKeyPositions = null, BlockRole role = BlockRole.Decoder) : base("TransformerBlock")
    {
        this.role = role;
        var ln = cfg.NormalizationType is not null;
        var affine = cfg.NormalizationType == Normalization.LN;
        postNorm = cfg.NormalizationPosition == LayerNormPosition.Post;
        parallel = cfg.ParallelAttnMlp && !cfg.AttnOnly;
        if (ln) ln1 = new LayerNorm(cfg.DModel, affine);
        attn = new Attention(cfg, queryKeyPositions, causal: role == BlockRole.Encoder ? false : null);
        if (cfg.EncoderDecoder && role == BlockRole.Decoder)
        {
            if (ln) ln_cross = new LayerNorm(cfg.DModel, affine);
            cross_attn = new Attention(cfg, queryKeyPositions, causal: false);
        }
        if (!cfg.AttnOnly)
        {
            if (ln) ln2 = new LayerNorm(cfg.DModel, affine);
            mlp = new Mlp(cfg);
        }
        if (cfg.ResidDropout > 0) residDropout = nn.Dropout(cfg.ResidDropout);
        RegisterComponents();
    }

    /// <summary>The block's output at some positions only, in evaluation (a routed pool's per-token gather; no hook point
    /// fires, no dropout): stream x [batch, pos, d_model] → [n, d_model] at (<paramref name="batchIndex"/>,
    /// <paramref name="positions"/>), flat row batch × pos + position in <paramref name="rows"/>. Attention at a chosen position still reads every earlier position's stream.</summary>
    internal Tensor ForwardAt(Tensor x, Tensor rows, Tensor batchIndex, Tensor positions)
    {
        long b = x.shape[0], p = x.shape[1], d = x.shape[2];
        var residPre = x.reshape(b * p, d).index_select(0, rows);
        Tensor Read(LayerNorm? ln, Tensor resid) => ln is null || postNorm ? resid : ln.forward(resid);
        Tensor Settle(LayerNorm? ln, Tensor resid) => ln is not null && postNorm ? ln.forward(resid) : resid;
        var attnOut = attn.ForwardAt(Read(ln1, x), Read(ln1, residPre), batchIndex, positions);
        if (mlp is null) return Settle(ln1, residPre.add(attnOut, Scalars.One));
        if (parallel) return Settle(ln2, residPre.add(attnOut, Scalars.One).add(mlp.forward(Read(ln2, residPre)), Scalars.One));
        var residMid = Settle(ln1, residPre.add(attnOut, Scalars.One));
        return Settle(ln2, residMid.add(mlp.forward(Read(ln2, residMid)), Scalars.One));
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>The block on stream x [batch, pos, d_model]; an encoder-decoder's blocks also need the source (and a
    /// decoder block the encoder's output).</summary>
    internal Tensor Forward(Tensor x, SourceContext? source)
    {
        if ((role == BlockRole.Encoder || cross_attn is not null) && source is null)
            throw new ToolkitException("an encoder-decoder's block needs the source and the encoder's output", "run the whole model (forward), not one block");
        var residPre = hook_resid_pre.forward(x);
        // Pre-norm normalizes what a sublayer reads; post-norm normalizes the stream after each addition.
        Tensor Read(LayerNorm? ln, Tensor resid) => ln is null || postNorm ? resid : ln.forward(resid);
        Tensor Settle(LayerNorm? ln, Tensor resid) => ln is not null && postNorm ? ln.forward(resid) : resid;
        Tensor Write(Tensor output, HookPoint hook) => hook.forward(residDropout is null ? output : residDropout.forward(output));

        var read = Read(ln1, residPre);
        var attnOut = Write(attn.Attend(read, read, role == BlockRole.Encoder ? source!.Source : null), hook_attn_out);
        if (cross_attn is not null)
        {
            // Pre-norm only (ModelConfig refuses the rest): self-attention, then cross-attention, then the MLP.
            var residSelf = hook_resid_mid.forward(residPre.add(attnOut, Scalars.One));
            var crossOut = Write(cross_attn.Attend(Read(ln_cross, residSelf), source!.Memory!, source.Source), hook_cross_attn_out);
            var residCross = hook_resid_mid_cross.forward(residSelf.add(crossOut, Scalars.One));
            if (mlp is null) return hook_resid_post.forward(residCross);
            return hook_resid_post.forward(residCross.add(Write(mlp.forward(Read(ln2, residCross)), hook_mlp_out), Scalars.One));
        }
        if (mlp is null)
            return hook_resid_post.forward(Settle(ln1, residPre.add(attnOut, Scalars.One))); // add(.., One): see Scalars
        if (parallel)
        {
            var mlpOutParallel = Write(mlp.forward(Read(ln2, residPre)), hook_mlp_out);
            return hook_resid_post.forward(Settle(ln2, residPre.add(attnOut, Scalars.One).add(mlpOutParallel, Scalars.One)));
        }
        var residMid = hook_resid_mid.forward(Settle(ln1, residPre.add(attnOut, Scalars.One)));
        var mlpOut = Write(mlp.forward(Read(ln2, residMid)), hook_mlp_out);
        return hook_resid_post.forward(Settle(ln2, residMid.add(mlpOut, Scalars.One)));
    }
}
