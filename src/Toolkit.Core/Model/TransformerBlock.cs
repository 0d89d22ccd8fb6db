using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>One residual block: (pre-LN) attention, then optionally (pre-LN) MLP.</summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly Dropout? residDropout;
#pragma warning disable IDE1006
    public readonly LayerNorm? ln1, ln2;
    public readonly Attention attn;
    public readonly Mlp? mlp;
    public readonly HookPoint hook_resid_pre = new(), hook_attn_out = new(), hook_resid_mid = new(),
        hook_mlp_out = new(), hook_resid_post = new();
#pragma warning restore IDE1006

    internal TransformerBlock(ModelConfig cfg) : base("TransformerBlock")
    {
        var ln = cfg.NormalizationType is "LN" or "LNPre";
        var affine = cfg.NormalizationType == "LN";
        if (ln) ln1 = new LayerNorm(cfg.DModel, affine);
        attn = new Attention(cfg);
        if (!cfg.AttnOnly)
        {
            if (ln) ln2 = new LayerNorm(cfg.DModel, affine);
            mlp = new Mlp(cfg);
        }
        if (cfg.ResidDropout > 0) residDropout = nn.Dropout(cfg.ResidDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var residPre = hook_resid_pre.forward(x);
        var attnOut = attn.forward(ln1 is null ? residPre : ln1.forward(residPre));
        if (residDropout is not null) attnOut = residDropout.forward(attnOut);
        attnOut = hook_attn_out.forward(attnOut);
        // add(.., Scalars.One): the `+` operator would pass a temporary alpha Scalar (see Scalars).
        var resid = residPre.add(attnOut, Scalars.One);
        if (mlp is not null)
        {
            resid = hook_resid_mid.forward(resid);
            var mlpOut = mlp.forward(ln2 is null ? resid : ln2.forward(resid));
            if (residDropout is not null) mlpOut = residDropout.forward(mlpOut);
            resid = resid.add(hook_mlp_out.forward(mlpOut), Scalars.One);
        }
        return hook_resid_post.forward(resid);
    }
}
