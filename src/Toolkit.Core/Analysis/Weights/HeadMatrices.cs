using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Per-head weight products in the row-vector convention of docs/design.md §4, as float64 CPU tensors.</summary>
/// <remarks>Source: Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits", written
/// here in TransformerLens's row-vector order (<c>x @ W</c>): <c>W_OV = W_V W_O</c>,
/// <c>W_QK = W_Q W_K^T</c>, both [d_model, d_model]. A row x read by the head is written as
/// <c>x W_OV</c>; the attention score between a query row y and a key row r is <c>y W_QK r^T</c>.</remarks>
public static class HeadMatrices
{
    /// <summary>W_V[h] of a layer as float64 on the CPU, [d_model, d_head].</summary>
    public static Tensor WV(HookedTransformer model, int layer, int head) => F64(model.W_V(layer)[head]);
    /// <summary>W_Q[h], [d_model, d_head].</summary>
    public static Tensor WQ(HookedTransformer model, int layer, int head) => F64(model.W_Q(layer)[head]);
    /// <summary>W_K[h], [d_model, d_head].</summary>
    public static Tensor WK(HookedTransformer model, int layer, int head) => F64(model.W_K(layer)[head]);
    /// <summary>W_O[h], [d_head, d_model].</summary>
    public static Tensor WO(HookedTransformer model, int layer, int head) => F64(model.W_O(layer)[head]);

    /// <summary>W_OV = W_V W_O of one head, [d_model, d_model].</summary>
    public static Tensor OV(HookedTransformer model, int layer, int head) =>
        WV(model, layer, head).matmul(WO(model, layer, head));

    /// <summary>W_QK = W_Q W_K^T of one head, [d_model, d_model].</summary>
    public static Tensor QK(HookedTransformer model, int layer, int head) =>
        WQ(model, layer, head).matmul(WK(model, layer, head).t());

    /// <summary>A parameter (or slice) detached, as float64 on the CPU.</summary>
    public static Tensor F64(Tensor t) => t.detach().to_type(ScalarType.Float64).cpu();

    /// <summary>Frobenius norm of a tensor, as a double.</summary>
    public static double Frobenius(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.mul(t).sum().sqrt().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>Head name in TransformerLens style, e.g. L1H3.</summary>
    public static string Name(int layer, int head) => $"L{layer}H{head}";

    /// <summary>All (layer, head) pairs of a model in order.</summary>
    public static IEnumerable<(int Layer, int Head)> All(HookedTransformer model) =>
        from l in Enumerable.Range(0, model.Config.NLayers) from h in Enumerable.Range(0, model.Config.NHeads) select (l, h);
}
