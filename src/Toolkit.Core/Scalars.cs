using TorchSharp;

namespace Toolkit;

/// <summary>Scalars that live as long as the process, for TorchSharp calls on repeated paths.</summary>
/// <remarks>In TorchSharp 0.107 a <c>Scalar</c> has a finalizer and no dispose scope tracks it. An
/// implicit conversion (<c>a + b</c> passes alpha = 1, <c>t * 0.5</c>, <c>masked_fill(m, -inf)</c>)
/// makes a temporary whose last managed use is reading its handle, so the finalizer thread can free
/// it while the native call still reads it ("Expected false to be true ... Scalar.h"). Passing one of
/// these instead keeps the native value alive. tests/.../ImplicitScalarCheckTests finds new
/// temporaries in the library's sources.</remarks>
public static class Scalars
{
    /// <summary>1, the alpha of a plain tensor addition (<c>a.add(b, Scalars.One)</c>).</summary>
    public static readonly Scalar One = 1.0.ToScalar();
    /// <summary>−1, the alpha of a plain tensor subtraction.</summary>
    public static readonly Scalar MinusOne = (-1.0).ToScalar();
    /// <summary>0.</summary>
    public static readonly Scalar Zero = 0.0.ToScalar();
    /// <summary>−∞, for causal masks.</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
    /// <summary>LayerNorm's epsilon, 1e-5.</summary>
    public static readonly Scalar LayerNormEpsilon = 1e-5.ToScalar();
}
