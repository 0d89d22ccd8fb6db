using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Token embedding <c>W_E</c> [d_vocab, d_model] (state-dict name embed.W_E).</summary>
public sealed class Embed : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly Parameter W_E;
#pragma warning restore IDE1006

    internal Embed(ModelConfig cfg) : base("Embed")
    {
        W_E = Init.Normal(cfg.InitializerRange!.Value, cfg.DVocab, cfg.DModel);
        RegisterComponents();
    }

    /// <summary>tokens [batch, pos] (int64) → [batch, pos, d_model].</summary>
    public override Tensor forward(Tensor tokens) =>
        W_E.index_select(0, tokens.reshape(-1)).view(tokens.shape[0], tokens.shape[1], W_E.shape[1]);
}

/// <summary>Learned absolute positions <c>W_pos</c> [n_ctx, d_model] (pos_embed.W_pos).</summary>
public sealed class PosEmbed : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly Parameter W_pos;
#pragma warning restore IDE1006

    internal PosEmbed(ModelConfig cfg) : base("PosEmbed")
    {
        W_pos = Init.Normal(cfg.InitializerRange!.Value, cfg.NCtx, cfg.DModel);
        RegisterComponents();
    }

    /// <summary>tokens [batch, pos] → [1, pos, d_model] (broadcast over the batch).</summary>
    public override Tensor forward(Tensor tokens) => W_pos.narrow(0, 0, tokens.shape[1]).unsqueeze(0);
}

/// <summary>Unembedding <c>W_U</c> [d_model, d_vocab] and <c>b_U</c> (unembed.W_U).</summary>
public sealed class Unembed : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    public readonly Parameter W_U, b_U;
#pragma warning restore IDE1006

    internal Unembed(ModelConfig cfg) : base("Unembed")
    {
        W_U = Init.Normal(cfg.InitializerRange!.Value, cfg.DModel, cfg.DVocab);
        b_U = Init.Zeros(cfg.DVocab);
        RegisterComponents();
    }

    public override Tensor forward(Tensor resid) => resid.matmul(W_U).add(b_U, Scalars.One); // kept-alive alpha (see Scalars)
}
