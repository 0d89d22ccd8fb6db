using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Two-layer MLP: <c>act(x W_in + b_in) W_out + b_out</c>, with hook_pre and hook_post.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly bool relu;
    public readonly Parameter W_in, b_in, W_out, b_out;
    public readonly HookPoint hook_pre = new(), hook_post = new();

    internal Mlp(ModelConfig cfg) : base("Mlp")
    {
        var dMlp = cfg.DMlp!.Value;
        var std = cfg.InitializerRange!.Value;
        relu = cfg.ActFn == ActivationFunction.Relu;
        W_in = Init.Normal(std, cfg.DModel, dMlp);
        b_in = Init.Zeros(dMlp);
        W_out = Init.Normal(std, dMlp, cfg.DModel);
        b_out = Init.Zeros(cfg.DModel);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // add(.., Scalars.One): the `+` operator would pass a temporary alpha Scalar (see Scalars).
        var pre = hook_pre.forward(x.matmul(W_in).add(b_in, Scalars.One));
        var post = hook_post.forward(relu ? nn.functional.relu(pre) : nn.functional.gelu(pre));
        return post.matmul(W_out).add(b_out, Scalars.One);
    }
}
