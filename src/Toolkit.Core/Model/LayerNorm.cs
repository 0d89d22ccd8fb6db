using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>LayerNorm over d_model with weights <c>w</c>, <c>b</c> and a <c>hook_normalized</c> output.</summary>
/// <remarks>Without weights (<c>affine: false</c>) it is TransformerLens's <c>LNPre</c>: centre and scale only,
/// as in a model whose LayerNorm weights were folded into the following layers (fold_ln).</remarks>
public sealed class LayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly long dModel;
    /// <summary>Scale and shift; null for LNPre.</summary>
    public readonly Parameter? w, b;
    public readonly HookPoint hook_normalized = new();

    internal LayerNorm(int dModel, bool affine = true) : base("LayerNorm")
    {
        this.dModel = dModel;
        if (affine)
        {
            w = Init.Ones(dModel);
            b = Init.Zeros(dModel);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        hook_normalized.forward(nn.functional.layer_norm(x, new[] { dModel }, w, b, 1e-5));
}
