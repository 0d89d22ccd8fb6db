using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>An encoder-decoder's encoder (docs/design.md §3): <c>n_encoder_layers</c> blocks that attend both ways over
/// the source positions, then a final LayerNorm when the model has them (<c>encoder.ln_final</c>). Its output is what
/// the decoder's cross-attention reads. Hook names are the decoder's with the prefix <c>encoder.</c>
/// (<c>encoder.blocks.{l}.attn.hook_pattern</c>, ...).</summary>
public sealed class Encoder : nn.Module
{
    public readonly ModuleList<TransformerBlock> blocks;
    public readonly LayerNorm? ln_final;

    internal Encoder(ModelConfig cfg, Func<long, Tensor>? queryKeyPositions) : base("Encoder")
    {
        blocks = new ModuleList<TransformerBlock>(
            Enumerable.Range(0, cfg.NEncoderLayers).Select(_ => new TransformerBlock(cfg, queryKeyPositions, BlockRole.Encoder)).ToArray());
        if (cfg.NormalizationType is not null) ln_final = new LayerNorm(cfg.DModel, affine: cfg.NormalizationType == Normalization.LN);
        RegisterComponents();
    }

    /// <summary>The encoded stream [batch, pos, d_model] of input x, reading only the <paramref name="source"/> positions
    /// [batch, pos] (the rows at other positions are computed but nothing reads them).</summary>
    internal Tensor Forward(Tensor x, Tensor source)
    {
        var context = new SourceContext(source, null);
        foreach (var block in blocks) x = block.Forward(x, context);
        return ln_final is null ? x : ln_final.forward(x);
    }
}
