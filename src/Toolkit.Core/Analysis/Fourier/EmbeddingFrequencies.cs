using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>How the token embedding of the numbers 0..p−1 spreads over the frequencies of Z_p (docs/design.md §4,
/// grokking): each frequency k's squared norm is that of W_E's cos k and sin k coefficients (every residual dimension
/// transformed on its own), and its share is that over the sum of every frequency's (the constant term left out). A
/// model that groks modular addition concentrates the norm on a few key frequencies (Nanda et al. 2023).</summary>
/// <param name="P">The modulus.</param>
/// <param name="SquaredNorms">Index k−1: frequency k's squared norm.</param>
/// <param name="Shares">Index k−1: frequency k's share of the summed squared norms.</param>
/// <param name="Key">The key frequencies, strongest first: those whose share is at least <see cref="KeyShareOverUniform"/> times
/// the uniform share 1/((p−1)/2).</param>
public sealed record EmbeddingFrequencies(int P, IReadOnlyList<double> SquaredNorms, IReadOnlyList<double> Shares, IReadOnlyList<int> Key)
{
    /// <summary>A frequency is key when its share is at least this many times the share every frequency would have if the norm
    /// were spread evenly: a random embedding's shares all lie near 1, a grokked one's few key frequencies far above.</summary>
    public const double KeyShareOverUniform = 2.0;

    /// <summary>The share of the norm the key frequencies carry together.</summary>
    public double KeyShare => Key.Sum(k => Shares[k - 1]);

    /// <summary>The frequencies of the embedding rows of tokens 0..p−1 (<paramref name="embedding"/> [≥ p][d]).</summary>
    public static EmbeddingFrequencies Of(int p, IReadOnlyList<double[]> embedding)
    {
        var basis = new FourierBasis(p);
        var coefficients = basis.Transform(embedding.Take(p).ToList());
        var norms = new double[basis.Frequencies];
        for (var k = 1; k <= basis.Frequencies; k++)
            norms[k - 1] = coefficients[2 * k - 1].Sum(v => v * v) + coefficients[2 * k].Sum(v => v * v);
        var total = norms.Sum();
        var shares = norms.Select(n => total > 0 ? n / total : 0).ToArray();
        var key = Enumerable.Range(1, basis.Frequencies).Where(k => total > 0 && shares[k - 1] * basis.Frequencies >= KeyShareOverUniform)
            .OrderByDescending(k => shares[k - 1]).ThenBy(k => k).ToList();
        return new EmbeddingFrequencies(p, norms, shares, key);
    }

    /// <summary>The frequencies of a model's token embedding W_E, rows 0..p−1.</summary>
    public static EmbeddingFrequencies Of(int p, HookedTransformer model)
    {
        using var scope = NewDisposeScope();
        var w = model.W_E.detach().cpu().to_type(ScalarType.Float64);
        var d = (int)w.shape[1];
        var flat = w.data<double>().ToArray();
        return Of(p, Enumerable.Range(0, p).Select(x => flat.AsSpan(x * d, d).ToArray()).ToList());
    }

    /// <summary>"key frequencies 4, 11, 14 (87% of the embedding's norm)".</summary>
    public override string ToString() =>
        Key.Count == 0 ? "no key frequency (the embedding's norm is spread over the frequencies)"
            : $"key frequencies {string.Join(", ", Key)} ({KeyShare:P0} of the embedding's norm over {Shares.Count} frequencies)";
}
