using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using NUnit.Framework;
using Toolkit.Analysis;
using TorchSharp;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>Scores with exact expected values, asserted to 1e-5.</summary>
[TestFixture]
public class ClosedFormTests
{
    private static Tensor Unit(int n, params (int Row, int Col, double Value)[] entries)
    {
        var m = zeros(n, n, ScalarType.Float64);
        foreach (var (r, c, v) in entries) m[r, c] = tensor(v, ScalarType.Float64);
        return m;
    }

    [Test]
    public void CompositionOfOrthogonalSubspacesIsZero()
    {
        using var scope = NewDisposeScope();
        // L writes into e1; R reads only e2 (row-vector order: L R uses R's rows in L's output space).
        var left = Unit(6, (0, 1, 2.0), (3, 1, 1.0));
        var right = Unit(6, (2, 4, 1.0), (5, 0, 3.0));
        Assert.That(Composition.Score(left, right), Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void CompositionOfAlignedMapsIsExact()
    {
        using var scope = NewDisposeScope();
        // Rank 1, aligned: L = e0ᵀ e1, R = e1ᵀ e2 → LR = e0ᵀ e2, norms 1 → 1.
        Assert.That(Composition.Score(Unit(5, (0, 1, 3.0)), Unit(5, (1, 2, 0.5))), Is.EqualTo(1).Within(1e-5));
        // A projection onto k dimensions composed with itself: √k / (√k √k) = 1/√k.
        var p = Unit(8, (0, 0, 1.0), (1, 1, 1.0), (2, 2, 1.0), (3, 3, 1.0));
        Assert.That(Composition.Score(p, p), Is.EqualTo(0.5).Within(1e-5));
    }

    [Test]
    public void BaselineIsBetweenZeroAndOneAndDeterministic()
    {
        var a = Composition.Baseline(64, 16, 200, 3);
        var b = Composition.Baseline(64, 16, 200, 3);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.InRange(0.01, 0.5));
        // Random factored maps compose less in a wider residual stream.
        Assert.That(Composition.Baseline(256, 16, 50, 3), Is.LessThan(a));
    }

    [Test]
    public void CopyingScoreOfIdentityIsOne()
    {
        using var scope = NewDisposeScope();
        var eye8 = eye(8, dtype: ScalarType.Float64);
        Assert.That(CopyingScore.OfCircuit(eye8, eye8, eye8), Is.EqualTo(1).Within(1e-5));
        Assert.That(CopyingScore.OfCircuit(eye8, eye8.neg(), eye8), Is.EqualTo(-1).Within(1e-5));
    }

    [Test]
    public void CopyingScoreOfTheCircuitEqualsTheScoreOfTheFullVocabularyMatrix()
    {
        // The d_model-sized factorization must give the score of the [d_vocab, d_vocab] matrix it never builds.
        Prop.ForAll(Gen.Choose(0, 100_000).ToArbitrary(), Gen.Choose(2, 6).ToArbitrary(), (seed, dModel) =>
        {
            using var scope = NewDisposeScope();
            using var generator = new TorchSharp.torch.Generator((ulong)seed);
            const int vocab = 12;
            var wE = randn(new long[] { vocab, dModel }, ScalarType.Float64, generator: generator);
            var wOV = randn(new long[] { dModel, dModel }, ScalarType.Float64, generator: generator);
            var wU = randn(new long[] { dModel, vocab }, ScalarType.Float64, generator: generator);
            var full = CopyingScore.OfMatrix(wE.matmul(wOV).matmul(wU));
            return Math.Abs(CopyingScore.OfCircuit(wE, wOV, wU) - full) < 1e-6;
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void CopyingScoreOfAPermutationIsItsFixedPointShare()
    {
        // A permutation of 7 tokens with one 3-cycle, one 2-cycle and two fixed points: eigenvalues
        // are the cube roots of unity (sum 0), ±1 (sum 0) and 1, 1; all have modulus 1, so the
        // score is 2 / 7.
        var perm = new[] { 1, 2, 0, 4, 3, 5, 6 };
        var m = Matrix<double>.Build.Dense(7, 7, (i, j) => perm[i] == j ? 1 : 0);
        Assert.That(CopyingScore.OfMatrix(m), Is.EqualTo(2.0 / 7).Within(1e-5));
        // A single 5-cycle: the fifth roots of unity sum to 0.
        var cycle = Matrix<double>.Build.Dense(5, 5, (i, j) => (i + 1) % 5 == j ? 1 : 0);
        Assert.That(CopyingScore.OfMatrix(cycle), Is.EqualTo(0).Within(1e-5));
    }

    [Test]
    public void PrincipalAnglesGiveMeanCosSquared()
    {
        var e = Matrix<double>.Build;
        var span01 = Subspaces.ColumnBasis(e.DenseOfArray(new double[,] { { 2, 0 }, { 0, 3 }, { 0, 0 }, { 0, 0 } }));
        var span23 = Subspaces.ColumnBasis(e.DenseOfArray(new double[,] { { 0 }, { 0 }, { 1 }, { 0 } }));
        var diagonal = Subspaces.ColumnBasis(e.DenseOfArray(new double[,] { { 1 }, { 0 }, { 1 }, { 0 } }));
        Assert.That(span01.ColumnCount, Is.EqualTo(2));
        Assert.That(Subspaces.MeanCos2(span01, span01), Is.EqualTo(1).Within(1e-5));
        Assert.That(Subspaces.MeanCos2(span01, span23), Is.EqualTo(0).Within(1e-5));
        Assert.That(Subspaces.MeanCos2(span01, diagonal), Is.EqualTo(0.5).Within(1e-5)); // 45°
        // Rank-deficient input: a repeated column spans one dimension.
        Assert.That(Subspaces.ColumnBasis(e.DenseOfArray(new double[,] { { 1, 2 }, { 1, 2 } })).ColumnCount, Is.EqualTo(1));
    }

    [Test]
    public void CompositionAndCopyingScoresThroughDHeadEqualTheExplicitDModelProducts()
    {
        Prop.ForAll(Gen.Choose(0, 1000).ToArbitrary(), Gen.Choose(1, 6).ToArbitrary(), (seed, dHead) =>
        {
            using var scope = NewDisposeScope();
            manual_seed(seed);
            using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 2, DModel = 12, DHead = dHead, DVocab = 9, NCtx = 4 });
            var table = Composition.Compute(model, draws: 20, seed: (ulong)seed);
            foreach (var (a, b) in new[] { (0, 0), (0, 1), (1, 1) })
            {
                var ov = HeadMatrices.OV(model, 0, a);
                Assert.That(table.Get(0, a, 1, b, CompositionKind.Q), Is.EqualTo(Composition.Score(ov, HeadMatrices.QK(model, 1, b))).Within(1e-9));
                Assert.That(table.Get(0, a, 1, b, CompositionKind.K), Is.EqualTo(Composition.Score(ov, HeadMatrices.QK(model, 1, b).t())).Within(1e-9));
                Assert.That(table.Get(0, a, 1, b, CompositionKind.V), Is.EqualTo(Composition.Score(ov, HeadMatrices.OV(model, 1, b))).Within(1e-9));
            }
            var copying = CopyingScore.Compute(model);
            foreach (var c in copying)
                Assert.That(c.Score, Is.EqualTo(CopyingScore.OfCircuit(model.W_E, HeadMatrices.OV(model, c.Layer, c.Head), model.W_U)).Within(1e-7), c.Name);
        }).Check(PropertyConfig.Cases(30));
    }

    [Test]
    public void AblationFromTheCleanCacheEqualsTheHookedForwardPassOfEveryHead()
    {
        var variants = from seed in Gen.Choose(0, 1000)
                       from layers in Gen.Choose(1, 3)
                       from ln in Gen.Elements<Normalization?>(null, Normalization.LN, Normalization.LNPre)
                       from positions in Gen.Elements(PositionalEmbedding.Standard, PositionalEmbedding.Rotary, PositionalEmbedding.None)
                       select (seed, layers, ln, positions);
        Prop.ForAll(variants.ToArbitrary(), v =>
        {
            using var scope = NewDisposeScope();
            manual_seed(v.seed);
            using var model = new HookedTransformer(new ModelConfig { NLayers = v.layers, NHeads = 2, DModel = 8, DVocab = 9, NCtx = 10, NormalizationType = v.ln, PositionalEmbeddingType = v.positions });
            var tokens = randint(0, 9, new long[] { 6, 10 });
            using var threshold = 0.3.ToScalar();
            var mask = rand(6, 10).gt(threshold);
            var fast = Ablation.EveryHead(model, tokens, mask);
            foreach (var e in fast)
            {
                var hooked = Ablation.Run(model, tokens, mask, e.Layer, e.Head, e.Kind);
                Assert.That(e.Loss, Is.EqualTo(hooked.Loss).Within(1e-4), $"{e.Name} {e.Kind}");
                Assert.That(e.Accuracy, Is.EqualTo(hooked.Accuracy).Within(0.05), $"{e.Name} {e.Kind}"); // a near-tie may flip one prediction
            }
        }).Check(PropertyConfig.Cases(25));
    }

    [Test]
    public void PathExpansionNormsAndRowsEqualTheExplicitVocabularyMaps()
    {
        // The factorized terms (nothing d_vocab × d_vocab is formed) against the maps written out, on random models.
        FsCheck.Fluent.Prop.ForAll(FsCheck.Fluent.Gen.Choose(0, 1000).ToArbitrary(), FsCheck.Fluent.Gen.Choose(2, 40).ToArbitrary(), (seed, vocab) =>
        {
            using var scope = NewDisposeScope();
            manual_seed(seed);
            using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 2, DModel = 8, DVocab = vocab, NCtx = 4 });
            var terms = PathExpansion.Compute(model, topTokens: vocab);
            var wE = HeadMatrices.F64(model.W_E);
            var wU = HeadMatrices.F64(model.W_U);
            Tensor Ov(int l, int h) => HeadMatrices.OV(model, l, h);
            var explicitMaps = new Dictionary<string, Tensor> { ["direct"] = wE.matmul(wU), ["L0H1"] = wE.matmul(Ov(0, 1)).matmul(wU), ["L0H0→L1H1"] = wE.matmul(Ov(0, 0)).matmul(Ov(1, 1)).matmul(wU) };
            foreach (var (name, map) in explicitMaps)
            {
                var term = terms.Single(t => t.Name == name);
                Assert.That(term.Norm, Is.EqualTo(HeadMatrices.Frobenius(map)).Within(1e-9 + 1e-7 * term.Norm), name);
                Assert.That(term.TopMappings.Select(m => (long)m.Output), Is.EqualTo(map.argmax(1).data<long>().ToArray()), name);
            }
        }).Check(PropertyConfig.Cases(30));
    }

    [Test]
    public void PathExpansionAndCopyingScoresRunAtATextVocabulary()
    {
        // d_vocab 50,257 with a small d_model: a d_vocab × d_vocab map would be 20 GB; the factorized forms are not.
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 2, DModel = 16, DVocab = 50_257, NCtx = 8 });
        var terms = PathExpansion.Compute(model);
        Assert.That(terms, Has.Count.EqualTo(1 + 4 + 4));
        Assert.That(terms.All(t => double.IsFinite(t.Norm) && t.Norm > 0));
        Assert.That(CopyingScore.Compute(model), Has.Count.EqualTo(4));
        var tokens = randint(0, 50_257, new long[] { 2, 8 });
        var lens = LogitLens.Run(model, tokens, ones(2, 8, ScalarType.Bool));
        Assert.That(lens, Has.Count.EqualTo(2), "one row per layer");
        Assert.That(lens.All(l => double.IsFinite(l.MeanRank)));
    }

    [Test]
    public void LogitLensEqualsTheFullUnembeddingAtEveryChunkSize()
    {
        // The lens unembeds only masked positions, a chunk at a time; the reference unembeds every position at once and
        // counts each one by hand, so the test checks the masked means, ranks with ties and saturation as well.
        var variants = from seed in Gen.Choose(0, 1000)
                       from layers in Gen.Choose(1, 3)
                       from ln in Gen.Elements<Normalization?>(null, Normalization.LN, Normalization.LNPre)
                       from rowsPerChunk in Gen.Choose(1, 60)
                       select (seed, layers, ln, rowsPerChunk);
        Prop.ForAll(variants.ToArbitrary(), v =>
        {
            using var scope = NewDisposeScope();
            manual_seed(v.seed);
            const int vocab = 5, batch = 4, ctx = 10;
            using var model = new HookedTransformer(new ModelConfig { NLayers = v.layers, NHeads = 2, DModel = 8, DVocab = vocab, NCtx = ctx, NormalizationType = v.ln });
            var tokens = randint(0, vocab, new long[] { batch, ctx });
            using var threshold = 0.4.ToScalar();
            var mask = rand(batch, ctx).gt(threshold);
            var lens = LogitLens.Run(model, tokens, mask, chunkElements: v.rowsPerChunk * vocab);

            var (_, cache) = model.RunStreamWithCache(tokens);
            var t = tokens.data<long>().ToArray();
            var m = mask.data<bool>().ToArray();
            var top = new long[v.layers, batch, ctx - 1];
            var expected = new double[v.layers, 3];
            var n = 0;
            for (var l = 0; l < v.layers; l++)
            {
                var resid = cache.ResidPost(l);
                if (model.ln_final is not null) resid = model.ln_final.forward(resid);
                var logits = model.unembed.forward(resid).to_type(ScalarType.Float64).data<double>().ToArray();
                n = 0;
                for (var b = 0; b < batch; b++)
                    for (var i = 0; i < ctx - 1; i++)
                    {
                        var row = logits.Skip((b * ctx + i) * vocab).Take(vocab).ToArray();
                        top[l, b, i] = Array.IndexOf(row, row.Max());
                        if (!m[b * ctx + i + 1]) continue;
                        n++;
                        var target = t[b * ctx + i + 1];
                        var z = row.Sum(x => Math.Exp(x - row.Max()));
                        expected[l, 0] += Math.Exp(row[target] - row.Max()) / z;
                        expected[l, 1] += row.Count(x => x >= row[target]) - 1;
                        expected[l, 2] += top[l, b, i] == target ? 1 : 0;
                    }
            }
            for (var l = 0; l < v.layers; l++)
            {
                double settled = 0;
                for (var b = 0; b < batch; b++)
                    for (var i = 0; i < ctx - 1; i++)
                    {
                        if (!m[b * ctx + i + 1]) continue;
                        var agrees = Enumerable.Range(l, v.layers - l).All(k => top[k, b, i] == top[v.layers - 1, b, i]);
                        if (agrees && (l == 0 || top[l - 1, b, i] != top[v.layers - 1, b, i])) settled++;
                    }
                var name = $"layer {l}, {n} positions, {v.rowsPerChunk} a chunk";
                if (n == 0) { Assert.That(lens[l].Probability, Is.NaN, name); continue; }
                Assert.That(lens[l].Probability, Is.EqualTo(expected[l, 0] / n).Within(1e-6), name);
                Assert.That(lens[l].MeanRank, Is.EqualTo(expected[l, 1] / n).Within(1e-9), name);
                Assert.That(lens[l].Accuracy, Is.EqualTo(expected[l, 2] / n).Within(1e-9), name);
                Assert.That(lens[l].Settled, Is.EqualTo(settled / n).Within(1e-9), name);
            }
        }).Check(PropertyConfig.Cases(30));
    }

    [Test]
    public void HeadSimilarityIsOneForSharedSpacesZeroForOrthogonalOnesAndRandomNearDHeadOverDModel()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 2, DModel = 8, DHead = 2, DVocab = 12, NCtx = 4 });
        using (no_grad())
        {
            // L0H0 and L1H1 read dimensions {0, 1} through K (in different bases); L1H0 reads {2, 3}.
            var a = zeros(8, 2); a[0, 0] = tensor(1f); a[1, 1] = tensor(1f);
            var b = zeros(8, 2); b[0, 0] = tensor(1f); b[1, 0] = tensor(1f); b[1, 1] = tensor(-2f);
            var c = zeros(8, 2); c[2, 0] = tensor(1f); c[3, 1] = tensor(3f);
            model.blocks[0].attn.W_K[0].copy_(a);
            model.blocks[1].attn.W_K[1].copy_(b);
            model.blocks[1].attn.W_K[0].copy_(c);
        }
        Assert.That(Subspaces.HeadSimilarity(model, (0, 0), (1, 1), HeadSubspace.K), Is.EqualTo(1).Within(1e-9));
        Assert.That(Subspaces.HeadSimilarity(model, (0, 0), (1, 0), HeadSubspace.K), Is.EqualTo(0).Within(1e-9));
        // Through W_E the shared space stays shared (the same columns of W_E span both images).
        Assert.That(Subspaces.HeadSimilarity(model, (0, 0), (1, 1), HeadSubspace.K, throughTokens: true), Is.EqualTo(1).Within(1e-9));
        var (mean, sd) = Subspaces.HeadSimilarityBaseline(model, throughTokens: false, draws: 400, seed: 3);
        Assert.That(mean, Is.EqualTo(2.0 / 8).Within(3 * sd / Math.Sqrt(400) + 0.02));
    }

    [Test]
    public void WriteSpacesAreComparedInTokenSpaceThroughTheUnembedding()
    {
        using var scope = NewDisposeScope();
        manual_seed(10);
        using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 1, DModel = 8, DHead = 2, DVocab = 12, NCtx = 4 });
        using (no_grad())
        {
            // L0H0 writes dimensions {0, 1}, L1H0 writes {0, 2}: half shared in the stream.
            var a = zeros(2, 8); a[0, 0] = tensor(1f); a[1, 1] = tensor(1f);
            var b = zeros(2, 8); b[0, 0] = tensor(1f); b[1, 2] = tensor(1f);
            model.blocks[0].attn.W_O[0].copy_(a);
            model.blocks[1].attn.W_O[0].copy_(b);
            // The unembedding reads dimensions 1 and 2 as the same logits: in token space the two writes coincide.
            model.unembed.W_U!.select(0, 2).copy_(model.unembed.W_U!.select(0, 1));
        }
        Assert.That(Subspaces.HeadSimilarity(model, (0, 0), (1, 0), HeadSubspace.O), Is.EqualTo(0.5).Within(1e-9));
        Assert.That(Subspaces.HeadSimilarity(model, (0, 0), (1, 0), HeadSubspace.O, throughTokens: true), Is.EqualTo(1).Within(1e-9));
    }

    [Test]
    public void PathExpansionOfTheHandBuiltModel()
    {
        var terms = PathExpansion.Compute(InductionModel.Model);
        Assert.That(terms.Count, Is.EqualTo(1 + 8 + 4 * 4));
        Assert.That(terms[0].Name, Is.EqualTo("direct"));
        Assert.That(terms[0].Norm, Is.EqualTo(0).Within(1e-9)); // W_U reads nothing W_E writes
        var ind = terms.Single(t => t.Name == "L1H1");
        Assert.That(ind.Norm, Is.EqualTo(10 * 4).Within(1e-4)); // 10 · I over 16 tokens
        Assert.That(ind.TopMappings, Is.EqualTo(Enumerable.Range(0, 5).Select(i => new TokenMapping(i, i)).ToList()));
        Assert.That(terms.Single(t => t.Name == "L0H2→L1H1").Norm, Is.EqualTo(0).Within(1e-9));
        // analyze reports the same terms: the induction head's copying map leads the heads.
        Assert.That(InductionModel.Report.Paths!.Select(t => (t.Name, t.Norm)), Is.EqualTo(terms.Select(t => (t.Name, t.Norm))));
        Assert.That(InductionModel.Report.Render(), Does.Contain("heads L1H1 40.00").And.Contain("virtual heads (V-composition)"));
    }
}
