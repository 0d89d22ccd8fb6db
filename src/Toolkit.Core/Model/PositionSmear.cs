using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Conv-Attn's convolution (docs/design.md §1): a 1-D convolution over positions added to the residual
/// stream before the first block, <c>resid + conv(resid)</c>, so position t also carries what was at t−1, t−2, …
/// ("smeared keys") and a single attention layer can then do induction. Weights <c>W_conv</c> [d_model, 1, k]
/// (depth-wise) or [d_model, d_model, k] (full) and <c>b_conv</c> [d_model]; hook <c>conv.hook_out</c>.</summary>
/// <remarks>Causal padding puts all k−1 zeros on the left, so output t reads inputs t−k+1..t. "same" padding
/// centres the kernel, so output t reads t+1: a causality leak, which is what made a reported 99.81%
/// Conv-Attn accuracy on Wikitext-2 too good to be true. It exists so the leak detector can be shown catching it.</remarks>
public sealed class PositionSmear : nn.Module<Tensor, Tensor>
{
    private readonly int kernel;
    private readonly bool full;
    private readonly bool causal;
    public readonly Parameter W_conv, b_conv;
    public readonly HookPoint hook_out = new();

    internal PositionSmear(ModelConfig cfg) : base("PositionSmear")
    {
        kernel = cfg.ConvKernel;
        causal = cfg.ConvPadding == ConvolutionPadding.Causal;
        full = cfg.ConvType == ConvolutionType.Full;
        var inputsPerOutput = full ? cfg.DModel : 1;
        W_conv = Init.Normal(cfg.InitializerRange!.Value, cfg.DModel, inputsPerOutput, kernel);
        b_conv = Init.Zeros(cfg.DModel);
        RegisterComponents();
    }

    /// <summary>resid [batch, pos, d_model] → the convolution's output, same shape (the caller adds it): output t is
    /// b + Σ_j W[:, :, j] · padded[t + j] (conv1d's cross-correlation), one product per kernel tap.</summary>
    /// <remarks>Not <c>conv1d</c>: libtorch 2.10's CPU conv1d with groups 1 returns wrong numbers for some small shapes on
    /// this machine (d_model 18, kernel 2, 7 positions: off by up to 13.8 against an explicit sum, then NaN once
    /// other models of the same shapes were freed), and the taps are few, so an explicit sum costs nothing.</remarks>
    public override Tensor forward(Tensor resid)
    {
        var left = causal ? kernel - 1 : (kernel - 1) / 2;
        var right = kernel - 1 - left;
        long length = resid.shape[1];
        var padded = nn.functional.pad(resid, new long[] { 0, 0, left, right }); // [batch, pos + k − 1, d_model]
        var output = b_conv.expand(resid.shape);
        for (var j = 0; j < kernel; j++)
        {
            var tap = padded.narrow(1, j, length);
            var weight = W_conv.select(2, j);                                       // [d_model, inputs per output]
            output = output.add(full ? tap.matmul(weight.t()) : tap.mul(weight.squeeze(1)), Scalars.One);
        }
        return hook_out.forward(output);
    }
}
