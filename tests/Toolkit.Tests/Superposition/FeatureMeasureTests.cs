using FsCheck;
using FsCheck.Fluent;
using Toolkit.Superposition;
using static TorchSharp.torch;

namespace Toolkit.Tests.Superposition;

/// <summary>The toy models' analyses (docs/design.md §4 "Toy models of superposition") against hand computations on
/// small W, and against an independent computation from the Gram matrix WᵀW over random W.</summary>
public class FeatureMeasureTests
{
    /// <summary>m = 2, n = 4: W_0 = (1, 0) and W_1 = (−1, 0) antipodal, W_2 = (0, 0.8), W_3 = (0, 0.3) beside it.</summary>
    private static readonly double[,] Small = { { 1, -1, 0, 0 }, { 0, 0, 0.8, 0.3 } };

    [Test]
    public void Per_feature_measures_equal_the_hand_computation()
    {
        var f = FeatureMeasures.Of(Small);
        Assert.That(f.Select(x => x.Norm), Is.EqualTo(new[] { 1, 1, 0.8, 0.3 }).Within(1e-12));
        // Σ_{j≠i} (Ŵ_i·W_j)²: f0 sees W_1 at −1; f2 sees W_3 at 0.3 along (0, 1); f3 sees W_2 at 0.8.
        Assert.That(f.Select(x => x.Superposition), Is.EqualTo(new[] { 1, 1, 0.09, 0.64 }).Within(1e-12));
        // D_i = ‖W_i‖² / (‖W_i‖² + superposition).
        Assert.That(f.Select(x => x.Dimensionality), Is.EqualTo(new[] { 0.5, 0.5, 0.64 / 0.73, 0.09 / 0.73 }).Within(1e-12));
        Assert.That(f.Select(x => x.Represented), Is.EqualTo(new[] { true, true, true, false }));
        Assert.That(f.Select(x => x.InSuperposition), Is.EqualTo(new[] { true, true, false, false }));
        Assert.That(FeatureMeasures.DimensionsPerFeature(Small), Is.EqualTo(2 / 2.73).Within(1e-12));
        Assert.That(FeatureMeasures.Cosine(Small, 0, 1), Is.EqualTo(-1).Within(1e-12));
    }

    [Test]
    public void A_zero_column_has_no_superposition_and_no_dimension()
    {
        var w = new double[,] { { 1, 0 }, { 0, 0 } };
        var f = FeatureMeasures.Of(w);
        Assert.That((f[1].Norm, f[1].Superposition, f[1].Dimensionality), Is.EqualTo((0.0, 0.0, 0.0)));
        Assert.That(FeatureMeasures.Cosine(w, 0, 1), Is.EqualTo(0));
    }

    [Test]
    public void Summary_and_geometry_equal_the_hand_computation()
    {
        var s = SuperpositionSummary.Of(Small);
        Assert.That((s.Features, s.Represented, s.InSuperposition, s.AntipodalPairs), Is.EqualTo((4, 3, 2, 1)));
        Assert.That(s.ShareInSuperposition, Is.EqualTo(2.0 / 3).Within(1e-12));
        Assert.That(s.DimensionsPerFeature, Is.EqualTo(2 / 2.73).Within(1e-12));
        // D = 0.877 is 0.12 from 1: no sticky value. f3 is not represented, so not counted.
        Assert.That(s.GroupsText, Is.EqualTo("1/2×2 other×1"));
        Assert.That(FeatureGeometry.AntipodalPairs(Small).Select(p => (p.A, p.B)), Is.EqualTo(new[] { (0, 1) }));
    }

    /// <summary>k unit vectors evenly spaced on a circle (a regular polygon in 2 dimensions).</summary>
    private static double[,] Polygon(int k)
    {
        var w = new double[2, k];
        for (var i = 0; i < k; i++) (w[0, i], w[1, i]) = (Math.Cos(2 * Math.PI * i / k), Math.Sin(2 * Math.PI * i / k));
        return w;
    }

    [TestCase(2, "1/2", 0.5, 1)]
    [TestCase(3, "2/3", 2.0 / 3, 0)]
    [TestCase(5, "2/5", 0.4, 0)]
    public void A_regular_polygon_has_the_papers_fractional_dimensionality(int k, string sticky, double dimensionality, int antipodal)
    {
        // k unit vectors evenly spread over 2 dimensions: Σ_j cos²(θ_ij) = k/2, so D = 1 / (k/2) = 2/k; m / ‖W‖_F² = 2/k too,
        // except for the pair, which leaves one of the 2 dimensions unused (dimensions per feature 1).
        var s = SuperpositionSummary.Of(Polygon(k));
        Assert.That(FeatureMeasures.Of(Polygon(k)).Select(f => f.Dimensionality), Has.All.EqualTo(dimensionality).Within(1e-12));
        Assert.That(s.GroupsText, Is.EqualTo($"{sticky}×{k}"));
        Assert.That(s.DimensionsPerFeature, Is.EqualTo(2.0 / k).Within(1e-12));
        Assert.That(s.AntipodalPairs, Is.EqualTo(antipodal));
    }

    [TestCase(0.41, "2/5")]
    [TestCase(0.38, "3/8")]
    [TestCase(0.68, "2/3")]
    [TestCase(0.58, "other")]
    [TestCase(1.0, "1")]
    public void A_dimensionality_goes_to_the_nearest_sticky_value_within_the_tolerance(double d, string expected) =>
        Assert.That(FeatureGeometry.StickyValue(d), Is.EqualTo(expected));

    /// <summary>A random m × n matrix of a seed (entries uniform in [−2, 2], some columns zeroed).</summary>
    private static double[,] RandomW(int seed, int m, int n)
    {
        var random = new Random(seed);
        var w = new double[m, n];
        for (var i = 0; i < n; i++)
        {
            var zero = random.NextDouble() < 0.15;
            for (var k = 0; k < m; k++) w[k, i] = zero ? 0 : 4 * random.NextDouble() - 2;
        }
        return w;
    }

    private static readonly Gen<(int Seed, int M, int N)> Shapes =
        from seed in Gen.Choose(0, 1_000_000) from m in Gen.Choose(1, 6) from n in Gen.Choose(1, 12) select (seed, m, n);

    [Test]
    public void Superposition_and_dimensionality_equal_their_Gram_matrix_form()
    {
        // With G = WᵀW (computed by torch): Σ_{j≠i} (Ŵ_i·W_j)² = (Σ_j G_ij² − G_ii²) / G_ii and D_i = G_ii² / Σ_j G_ij².
        Prop.ForAll(Shapes.ToArbitrary(), s =>
        {
            using var scope = NewDisposeScope();
            var w = RandomW(s.Seed, s.M, s.N);
            var t = tensor(w.Cast<double>().ToArray(), new long[] { s.M, s.N }, ScalarType.Float64);
            var gram = t.t().matmul(t).data<double>().ToArray();
            var f = FeatureMeasures.Of(w);
            for (var i = 0; i < s.N; i++)
            {
                var gii = gram[i * s.N + i];
                var rowSquares = Enumerable.Range(0, s.N).Sum(j => gram[i * s.N + j] * gram[i * s.N + j]);
                var (superposition, dimensionality) = gii == 0 ? (0.0, 0.0) : ((rowSquares - gii * gii) / gii, gii * gii / rowSquares);
                Assert.That(f[i].Superposition, Is.EqualTo(superposition).Within(1e-9), $"feature {i} of {s}");
                Assert.That(f[i].Dimensionality, Is.EqualTo(dimensionality).Within(1e-9), $"feature {i} of {s}");
            }
            var frobenius = gram.Where((_, k) => k % (s.N + 1) == 0).Sum();
            Assert.That(FeatureMeasures.DimensionsPerFeature(w), Is.EqualTo(s.M / frobenius).Within(1e-9));
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void Each_dimensionality_lies_in_0_to_1_and_they_sum_to_at_most_m()
    {
        // D_i ≤ W_iᵀ(WWᵀ)⁺W_i by Cauchy–Schwarz, and those sum to rank(W) ≤ m.
        Prop.ForAll(Shapes.ToArbitrary(), s =>
        {
            var f = FeatureMeasures.Of(RandomW(s.Seed, s.M, s.N));
            return (f.All(x => x.Dimensionality is >= 0 and <= 1 + 1e-12) && f.Sum(x => x.Dimensionality) <= Math.Min(s.M, s.N) + 1e-9).Label($"{s}");
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void The_measures_do_not_depend_on_the_basis_of_the_hidden_space()
    {
        // A rotation Q of the hidden space (W → QW) keeps every inner product W_i·W_j, so every measure.
        Prop.ForAll(Shapes.ToArbitrary(), s =>
        {
            using var scope = NewDisposeScope();
            var w = RandomW(s.Seed, s.M, s.N);
            var (q, _) = linalg.qr(randn(new long[] { s.M, s.M }, ScalarType.Float64, generator: new Generator((ulong)s.Seed)));
            var rotated = q.matmul(tensor(w.Cast<double>().ToArray(), new long[] { s.M, s.N }, ScalarType.Float64)).data<double>().ToArray();
            var r = new double[s.M, s.N];
            for (var k = 0; k < s.M; k++) for (var i = 0; i < s.N; i++) r[k, i] = rotated[k * s.N + i];
            var (a, b) = (FeatureMeasures.Of(w), FeatureMeasures.Of(r));
            for (var i = 0; i < s.N; i++)
                Assert.That(new[] { b[i].Norm, b[i].Superposition, b[i].Dimensionality },
                    Is.EqualTo(new[] { a[i].Norm, a[i].Superposition, a[i].Dimensionality }).Within(1e-9), $"feature {i} of {s}");
            Assert.That(SuperpositionSummary.Of(r).AntipodalPairs, Is.EqualTo(SuperpositionSummary.Of(w).AntipodalPairs));
        }).Check(PropertyConfig.Cases(50));
    }
}
