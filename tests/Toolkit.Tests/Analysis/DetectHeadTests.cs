using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Toolkit.Analysis;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>detect_head on constructed patterns, and properties of the scores.</summary>
[TestFixture]
public class DetectHeadTests
{
    /// <summary>[1, 2, 5, 5]: head 0 a perfect previous-token head (row 0 on itself), head 1 uniform causal attention.</summary>
    private static Tensor Patterns()
    {
        const int n = 5;
        var data = new double[2 * n * n];
        data[0] = 1;
        for (var i = 1; i < n; i++) data[i * n + i - 1] = 1;
        for (var i = 0; i < n; i++)
            for (var j = 0; j <= i; j++) data[n * n + i * n + j] = 1.0 / (i + 1);
        return tensor(data, new long[] { 1, 2, n, n });
    }

    [Test]
    public void ScoresOfConstructedPatterns()
    {
        using var scope = NewDisposeScope();
        var d = DetectHead.PreviousTokenPattern(5);
        var mul = DetectHead.Score(Patterns(), d);
        Assert.That(mul[0], Is.EqualTo(4.0 / 5).Within(1e-5));                               // row 0 misses
        Assert.That(mul[1], Is.EqualTo((1.0 / 2 + 1.0 / 3 + 1.0 / 4 + 1.0 / 5) / 5).Within(1e-5));
        var abs = DetectHead.Score(Patterns(), d, DetectionMeasure.Abs);
        Assert.That(abs[0], Is.EqualTo(1 - 1.0 / 5).Within(1e-5));                            // |A−D| = 1 at (0,0)
        // Uniform head: row i has (i+1) entries of 1/(i+1), one of them on D → |A−D| row sum = 2 − 2/(i+1) (row 0: 1).
        var rows = 1 + Enumerable.Range(1, 4).Sum(i => 2 - 2.0 / (i + 1));
        Assert.That(abs[1], Is.EqualTo(1 - rows / 5).Within(1e-5));
        // Excluding BOS zeroes column 0: head 0 keeps rows 2..4 (all on D) → 1.
        Assert.That(DetectHead.Score(Patterns(), d, excludeBos: true)[0], Is.EqualTo(1).Within(1e-5));
        // Excluding the current token removes (0,0) from head 0: 4/4.
        Assert.That(DetectHead.Score(Patterns(), d, excludeCurrentToken: true)[0], Is.EqualTo(1).Within(1e-5));
    }

    [Test]
    public void DuplicateAndInductionPatternsFromTokens()
    {
        using var scope = NewDisposeScope();
        var tokens = tensor(new long[] { 7, 3, 9, 7, 3 });
        var dup = DetectHead.DuplicateTokenPattern(tokens).data<double>().ToArray();
        var ind = DetectHead.InductionPattern(tokens).data<double>().ToArray();
        Assert.That(dup.Sum(), Is.EqualTo(2));
        Assert.That(dup[3 * 5 + 0], Is.EqualTo(1)); // tok 3 == tok 0
        Assert.That(dup[4 * 5 + 1], Is.EqualTo(1)); // tok 4 == tok 1
        Assert.That(ind.Sum(), Is.EqualTo(2));
        Assert.That(ind[3 * 5 + 1], Is.EqualTo(1)); // the token after the earlier 7
        Assert.That(ind[4 * 5 + 2], Is.EqualTo(1));
        var batched = DetectHead.InductionPattern(tokens.view(1, 5).expand(3, 5));
        Assert.That(batched.shape, Is.EqualTo(new long[] { 3, 5, 5 }));
    }

    [Test]
    public void HandBuiltHeadsScoreOneOnTheirPatterns()
    {
        using var scope = NewDisposeScope();
        var tokens = InductionCircuitTests.RepeatedBlock(seed: 3, batch: 4);
        var prev = DetectHead.Run(InductionModel.Model, tokens, DetectHead.PreviousTokenPattern(32), excludeBos: true);
        Assert.That(prev[0, 2], Is.GreaterThan(0.99));
        var ind = DetectHead.Run(InductionModel.Model, tokens, DetectHead.InductionPattern(tokens));
        // Only the 16 rows of the second copy (of 32) have an induction target, and all their
        // attention goes there, except row 16: position 0 has no previous token, so L0H2 writes
        // tok[0] itself there and row 16 splits evenly between src 0 and its target 1 → 15.5 / 32.
        Assert.That(ind[1, 1], Is.EqualTo(15.5 / 32).Within(1e-3));
        Assert.That(ind[1, 1], Is.GreaterThan(ind[1, 0]));
    }

    /// <summary>Random causal patterns [2, heads, n, n] from a seed.</summary>
    private static Tensor RandomPattern(int seed, int heads, int n)
    {
        using var g = new Generator((ulong)seed);
        var logits = randn(new long[] { 2, heads, n, n }, ScalarType.Float64, generator: g).mul(3.0);
        var future = ones(n, n, ScalarType.Bool).triu_(1);
        return logits.masked_fill(future, double.NegativeInfinity).softmax(-1);
    }

    [Test]
    public void MulScoresLieInTheUnitInterval()
    {
        Prop.ForAll<int>(seed =>
        {
            using var scope = NewDisposeScope();
            var pattern = RandomPattern(Math.Abs(seed), 3, 6);
            var tokens = randint(0, 3, new long[] { 2, 6 }, generator: new Generator((ulong)Math.Abs(seed)));
            var ok = true;
            foreach (var d in new[] { DetectHead.PreviousTokenPattern(6), DetectHead.DuplicateTokenPattern(tokens), DetectHead.InductionPattern(tokens) })
                foreach (var s in DetectHead.Score(pattern, d).Concat(DetectHead.Score(pattern, d, excludeCurrentToken: true)))
                    ok &= s >= -1e-12 && s <= 1 + 1e-12;
            return ok;
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void PermutingHeadsPermutesScores()
    {
        Prop.ForAll<int>(seed =>
        {
            using var scope = NewDisposeScope();
            var pattern = RandomPattern(Math.Abs(seed), 4, 7);
            var order = new long[] { 2, 0, 3, 1 };
            var permuted = pattern.index_select(1, tensor(order));
            var d = DetectHead.PreviousTokenPattern(7);
            foreach (var measure in new[] { DetectionMeasure.Mul, DetectionMeasure.Abs })
            {
                var s = DetectHead.Score(pattern, d, measure);
                var p = DetectHead.Score(permuted, d, measure);
                for (var i = 0; i < 4; i++)
                    if (Math.Abs(p[i] - s[order[i]]) > 1e-12) return false;
            }
            return true;
        }).Check(PropertyConfig.Quick);
    }
}
