using FsCheck;
using FsCheck.Fluent;
using Toolkit.Model;
using Toolkit.Analysis;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>How many directions an MLP layer reads and writes (<see cref="MlpDirections"/>) against hand computations,
/// its invariances over random W, and the layers it reads from a model.</summary>
public class MlpDirectionTests
{
    private static Tensor Columns(double[,] w) => tensor(w.Cast<double>().ToArray(), new long[] { w.GetLength(0), w.GetLength(1) }, ScalarType.Float64);

    [Test]
    public void Known_configurations_give_their_neurons_per_dimension()
    {
        using var scope = NewDisposeScope();
        // Five unit directions evenly spread over a plane (a pentagon): 5 neurons over 2 dimensions, the toy models' D = 2/5.
        var pentagon = new double[2, 5];
        for (var i = 0; i < 5; i++) (pentagon[0, i], pentagon[1, i]) = (Math.Cos(2 * Math.PI * i / 5), Math.Sin(2 * Math.PI * i / 5));
        var p = MlpDirections.Spread.Of(Columns(pentagon));
        Assert.That((p.EffectiveNeurons, p.EffectiveDimensions, p.NeuronsPerDimension), Is.EqualTo((5.0, 2.0, 2.5)).Within(1e-9));
        // Orthonormal neurons: one dimension each.
        var o = MlpDirections.Spread.Of(Columns(new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }));
        Assert.That((o.EffectiveNeurons, o.EffectiveDimensions, o.NeuronsPerDimension), Is.EqualTo((3.0, 3.0, 1.0)).Within(1e-9));
        // One neuron carries all the weight, the others are zero: one neuron on one line.
        var one = MlpDirections.Spread.Of(Columns(new double[,] { { 2, 0, 0 }, { 0, 0, 0 } }));
        Assert.That((one.EffectiveNeurons, one.EffectiveDimensions), Is.EqualTo((1.0, 1.0)).Within(1e-9));
        // Squared norms 1 and 4 on two orthogonal axes: (1 + 4)² / (1 + 16) for both ratios.
        var uneven = MlpDirections.Spread.Of(Columns(new double[,] { { 1, 0 }, { 0, 2 } }));
        Assert.That((uneven.EffectiveNeurons, uneven.EffectiveDimensions), Is.EqualTo((25.0 / 17, 25.0 / 17)).Within(1e-9));
        Assert.That(MlpDirections.Spread.Of(Columns(new double[2, 3])).EffectiveNeurons, Is.EqualTo(0));
    }

    private static readonly Gen<(int Seed, int D, int N)> Shapes =
        from seed in Gen.Choose(0, 1_000_000) from d in Gen.Choose(1, 8) from n in Gen.Choose(1, 16) select (seed, d, n);

    [Test]
    public void The_ratios_lie_within_their_bounds_and_ignore_scale_rotation_and_neuron_order()
    {
        // 1 ≤ effective neurons ≤ n and 1 ≤ effective dimensions ≤ min(d, n) (a participation ratio of k non-negative values
        // with one non-zero lies in [1, k]); neither changes when W is scaled, rotated (QW) or its neurons permuted.
        Prop.ForAll(Shapes.ToArbitrary(), s =>
        {
            using var scope = NewDisposeScope();
            var g = new Generator((ulong)s.Seed);
            var w = randn(new long[] { s.D, s.N }, ScalarType.Float64, generator: g);
            var a = MlpDirections.Spread.Of(w);
            Assert.That(a.EffectiveNeurons, Is.InRange(1 - 1e-9, s.N + 1e-9), $"{s}");
            Assert.That(a.EffectiveDimensions, Is.InRange(1 - 1e-9, Math.Min(s.D, s.N) + 1e-9), $"{s}");
            var (q, _) = linalg.qr(randn(new long[] { s.D, s.D }, ScalarType.Float64, generator: g));
            var permuted = w.index_select(1, randperm(s.N, generator: g));
            foreach (var (name, other) in new[] { ("scaled", w.mul(tensor(3.7, ScalarType.Float64))), ("rotated", q.matmul(w)), ("permuted", permuted) })
            {
                var b = MlpDirections.Spread.Of(other);
                Assert.That((b.EffectiveNeurons, b.EffectiveDimensions), Is.EqualTo((a.EffectiveNeurons, a.EffectiveDimensions)).Within(1e-9), $"{name} {s}");
            }
        }).Check(PropertyConfig.Quick);
    }

    [TestCase(64, 256)]
    [TestCase(128, 512)]
    [TestCase(32, 32)]
    public void The_random_baseline_is_what_Gaussian_weights_give(int d, int n)
    {
        // The mean over 5 draws lies within 2% of the stated ratios of expectations.
        using var scope = NewDisposeScope();
        var g = new Generator(7);
        var draws = Enumerable.Range(0, 5).Select(_ => MlpDirections.Spread.Of(randn(new long[] { d, n }, ScalarType.Float64, generator: g))).ToList();
        var expected = MlpDirections.Spread.Random(d, n);
        Assert.That(draws.Average(x => x.EffectiveNeurons), Is.EqualTo(expected.EffectiveNeurons).Within(2).Percent);
        Assert.That(draws.Average(x => x.EffectiveDimensions), Is.EqualTo(expected.EffectiveDimensions).Within(2).Percent);
    }

    [Test]
    public void A_model_reports_each_MLP_layer_from_W_in_and_W_out()
    {
        using var scope = NewDisposeScope();
        var config = new ModelConfig { NLayers = 2, NHeads = 2, DModel = 8, DMlp = 32, DVocab = 10, NCtx = 6, AttnOnly = false };
        manual_seed(1);
        using var model = new HookedTransformer(config);
        var layers = MlpDirections.Of(model);
        Assert.That(layers.Select(l => (l.Layer, l.Neurons, l.DModel)), Is.EqualTo(new[] { (0, 32, 8), (1, 32, 8) }));
        var mlp = model.blocks[1].mlp!;
        static (double, double) Pair(MlpDirections.Spread s) => (s.EffectiveNeurons, s.EffectiveDimensions);
        Assert.That(Pair(layers[1].Reads), Is.EqualTo(Pair(MlpDirections.Spread.Of(mlp.W_in))).Within(1e-9));
        Assert.That(Pair(layers[1].Writes), Is.EqualTo(Pair(MlpDirections.Spread.Of(mlp.W_out.t()))).Within(1e-9));
        Assert.That(layers[1].Writes.EffectiveDimensions, Is.GreaterThan(4).And.LessThanOrEqualTo(8), "random neurons fill most of d_model");
        var attentionOnly = new ModelConfig { NLayers = 1, NHeads = 2, DModel = 8, DVocab = 10, NCtx = 6 };
        using var noMlp = new HookedTransformer(attentionOnly);
        Assert.That(MlpDirections.Of(noMlp), Is.Empty);
    }
}
