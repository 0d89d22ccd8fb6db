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
    private readonly long groups;
    private readonly bool causal;
#pragma warning disable IDE1006
    public readonly Parameter W_conv, b_conv;
    public readonly HookPoint hook_out = new();
#pragma warning restore IDE1006

    internal PositionSmear(ModelConfig cfg) : base("PositionSmear")
    {
        kernel = cfg.ConvKernel;
        causal = cfg.ConvPadding == "causal";
        groups = cfg.ConvType == "depthwise" ? cfg.DModel : 1;
        var inputsPerOutput = cfg.ConvType == "depthwise" ? 1 : cfg.DModel;
        W_conv = Init.Normal(cfg.InitializerRange!.Value, cfg.DModel, inputsPerOutput, kernel);
        b_conv = Init.Zeros(cfg.DModel);
        RegisterComponents();
    }

    /// <summary>resid [batch, pos, d_model] → the convolution's output, same shape (the caller adds it).</summary>
    public override Tensor forward(Tensor resid)
    {
        var channelsFirst = resid.transpose(1, 2); // [batch, d_model, pos]
        var left = causal ? kernel - 1 : (kernel - 1) / 2;
        var right = kernel - 1 - left;
        var padded = nn.functional.pad(channelsFirst, new long[] { left, right });
        var output = nn.functional.conv1d(padded, W_conv, b_conv, groups: groups);
        return hook_out.forward(output.transpose(1, 2));
    }
}
