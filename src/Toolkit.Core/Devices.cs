using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit;

/// <summary>Resolves <c>--device auto|cpu|cuda[:n]</c> to a TorchSharp device.</summary>
public static class Devices
{
    /// <summary>auto: CUDA when this build of TorchSharp sees a GPU, else CPU.</summary>
    public static Device Resolve(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        if (n == "auto") return cuda.is_available() ? CUDA : CPU;
        if (n == "cpu") return CPU;
        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ToolkitException("--device cuda was asked for, but this build of TorchSharp sees no CUDA device",
                    "build with the CUDA package (docs/guide.md, \"Devices\") on a machine with a GPU, or use --device cpu");
            return new Device(n);
        }
        throw new ToolkitException($"unknown device '{name}'", "use --device auto, cpu or cuda");
    }
}
