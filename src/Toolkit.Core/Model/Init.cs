using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Parameter constructors; random draws use torch's global generator (seeded per run).</summary>
internal static class Init
{
    public static Parameter Normal(double std, params long[] shape)
    {
        using var _ = no_grad();
        using var scale = std.ToScalar(); // explicit and disposed after use (see Scalars)
        return new Parameter(randn(shape).mul_(scale));
    }

    public static Parameter Zeros(params long[] shape) => new(zeros(shape));
    public static Parameter Ones(params long[] shape) => new(ones(shape));
}
