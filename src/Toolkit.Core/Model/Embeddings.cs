using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Token embedding <c>W_E</c> [d_vocab, d_model] (state-dict name embed.W_E).</summary>
public sealed class Embed : nn.Module<Tensor, Tensor>
{
    public readonly Parameter W_E;

    internal Embed(ModelConfig cfg) : base("Embed")
    {
        W_E = Init.Normal(cfg.InitializerRange!.Value, cfg.DVocab, cfg.DModel);
        RegisterComponents();
    }

    /// <summary>tokens [batch, pos] (int64) → [batch, pos, d_model].</summary>
    public override Tensor forward(Tensor tokens) =>
        W_E.index_select(0, tokens.reshape(-1)).view(tokens.shape[0], tokens.shape[1], W_E.shape[1]);
}

/// <summary>Absolute positions <c>W_pos</c> [n_ctx, d_model] (pos_embed.W_pos): learned ("standard", "shortformer") or
/// the fixed sin/cos table of Vaswani et al. 2017 ("sinusoidal", not trained).</summary>
/// <remarks>The sinusoidal table is scaled so its entries have the same root mean square as the learned
/// embeddings' initialization (std × √2 for sin and cos): unscaled, positions would drown the tokens.</remarks>
public sealed class PosEmbed : nn.Module<Tensor, Tensor>
{
    public readonly Parameter W_pos;

    internal PosEmbed(ModelConfig cfg) : base("PosEmbed")
    {
        W_pos = cfg.PositionalEmbeddingType == PositionalEmbedding.Sinusoidal
            ? new Parameter(tensor(Sinusoidal(cfg.NCtx, cfg.DModel, cfg.InitializerRange!.Value * Math.Sqrt(2)), new long[] { cfg.NCtx, cfg.DModel }), requires_grad: false)
            : Init.Normal(cfg.InitializerRange!.Value, cfg.NCtx, cfg.DModel);
        RegisterComponents();
    }

    /// <summary>PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)), times <paramref name="scale"/>.</summary>
    public static float[] Sinusoidal(int positions, int dModel, double scale)
    {
        var table = new float[positions * dModel];
        for (var t = 0; t < positions; t++)
            for (var j = 0; j < dModel; j++)
            {
                var angle = t / Math.Pow(10000, 2.0 * (j / 2) / dModel);
                table[t * dModel + j] = (float)(scale * (j % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle)));
            }
        return table;
    }

    /// <summary>tokens [batch, pos] → [1, pos, d_model] (broadcast over the batch).</summary>
    public override Tensor forward(Tensor tokens) => At(tokens.shape[1]).unsqueeze(0);

    /// <summary>The first <paramref name="positions"/> rows, [pos, d_model].</summary>
    public Tensor At(long positions) => W_pos.narrow(0, 0, positions);
}

/// <summary>Unembedding <c>W_U</c> [d_model, d_vocab] and <c>b_U</c> (unembed.W_U); with tied embeddings W_U is
/// the token embedding transposed and not a parameter of its own.</summary>
public sealed class Unembed : nn.Module<Tensor, Tensor>
{
    // A delegate, not the Embed itself: a module field would be registered again as unembed's child.
    private readonly Func<Tensor>? tiedTo;
    public readonly Parameter? W_U;
    public readonly Parameter b_U;

    internal Unembed(ModelConfig cfg, Func<Tensor>? tiedTo = null) : base("Unembed")
    {
        this.tiedTo = tiedTo;
        if (tiedTo is null) W_U = Init.Normal(cfg.InitializerRange!.Value, cfg.DModel, cfg.DVocab);
        b_U = Init.Zeros(cfg.DVocab);
        RegisterComponents();
    }

    /// <summary>The unembedding matrix [d_model, d_vocab] (W_Eᵀ when tied).</summary>
    public Tensor Weight => W_U ?? tiedTo!().t();

    public override Tensor forward(Tensor resid) => resid.matmul(Weight).add(b_U, Scalars.One); // kept-alive alpha (see Scalars)
}
