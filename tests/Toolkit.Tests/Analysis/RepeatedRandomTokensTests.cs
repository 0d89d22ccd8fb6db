using NUnit.Framework;
using Toolkit.Analysis;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>The repeated-random-tokens measure of induction: its sequences, an explicit recomputation on a tiny model, the
/// hand-built induction model near perfect and an untrained model at chance.</summary>
[TestFixture]
public class RepeatedRandomTokensTests
{
    private static HookedTransformer Tiny(int seed)
    {
        manual_seed(seed);
        var m = new HookedTransformer(new ModelConfig { NLayers = 1, NHeads = 2, DModel = 16, DHead = 8, DVocab = 11, NCtx = 12, AttnOnly = true });
        m.eval();
        return m;
    }

    [Test]
    public void SequencesAreDistinctTokensOfTheAlphabetThenTheirRepeat()
    {
        int[] alphabet = [3, 4, 5, 6, 7, 9, 10];
        var sequences = RepeatedRandomTokens.Sequences(alphabet, 5, 40, seed: 1);
        Assert.That(sequences, Has.Length.EqualTo(40));
        foreach (var s in sequences)
        {
            Assert.That(s, Has.Length.EqualTo(10));
            Assert.That(s[..5], Is.EqualTo(s[5..]));
            Assert.That(s[..5].Distinct().Count(), Is.EqualTo(5));
            Assert.That(s.All(t => alphabet.Contains((int)t)));
        }
        // Every token of the alphabet is drawn, at every place.
        for (var i = 0; i < 5; i++) Assert.That(sequences.Select(s => s[i]).Distinct().Count(), Is.EqualTo(alphabet.Length));
        Assert.That(RepeatedRandomTokens.Sequences(alphabet, 5, 40, seed: 1), Is.EqualTo(sequences), "same seed, same sequences");
        Assert.That(RepeatedRandomTokens.Sequences(alphabet, 5, 40, seed: 2), Is.Not.EqualTo(sequences));
    }

    [FsCheck.NUnit.Property(MaxTest = 200)]
    public bool TheCommonestTokensAreTheFewestMostFrequentThatReachTheShare(FsCheck.NonEmptyArray<byte> corpus, byte percent)
    {
        var tokens = corpus.Get.Select(b => (int)(b % 12)).ToArray();
        var share = (percent % 100 + 1) / 100.0;
        var alphabet = RepeatedRandomTokens.CommonestTokens(tokens, share);
        var count = tokens.CountBy(t => t).ToDictionary(kv => kv.Key, kv => kv.Value);
        double Covered(IEnumerable<int> a) => a.Sum(t => count[t]) / (double)tokens.Length;
        var others = count.Keys.Except(alphabet).ToList();
        return alphabet.Distinct().Count() == alphabet.Length
               && Covered(alphabet) >= share - 1e-12                                   // reaches the share
               && Covered(alphabet[..^1]) < share                                      // one fewer does not
               && alphabet.Zip(alphabet.Skip(1)).All(p => count[p.First] > count[p.Second] || (count[p.First] == count[p.Second] && p.First < p.Second))
               && others.All(t => count[t] < count[alphabet[^1]] || (count[t] == count[alphabet[^1]] && t > alphabet[^1]));
    }

    [Test]
    public void AShareReachedExactlyStopsTheAlphabet()
    {
        // 7 of 25 tokens is 0.28 exactly, though 0.28 × 25 is 7.000000000000001 in floating point.
        var tokens = Enumerable.Repeat(5, 7).Concat(Enumerable.Repeat(6, 6)).Concat(Enumerable.Repeat(7, 6)).Concat(Enumerable.Repeat(8, 6));
        Assert.That(RepeatedRandomTokens.CommonestTokens(tokens, 0.28), Is.EqualTo(new[] { 5 }));
        Assert.That(RepeatedRandomTokens.CommonestTokens(tokens, 0.29), Is.EqualTo(new[] { 5, 6 }));
    }

    [Test]
    public void GreedyDecodingFreesEachStepsForwardPassBeforeTheNext()
    {
        // Live tensors at the start of every forward pass: flat when each step's activations are freed, growing by a
        // step's worth per step when they are kept to the end (at context 256 that held ~24 GB and was killed).
        using var m = Tiny(3);
        var live = new List<long>();
        using (m.HookPoints["hook_embed"].Add((x, _) => { live.Add(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount); return null; }))
            RepeatedRandomTokens.Compute(m, [3, 4, 5, 6, 7, 8, 9, 10], length: 6, count: 4, seed: 1);
        var greedy = live.Skip(2).ToList(); // the first two passes are teacher-forced (the repeat, then its shuffled control)
        Assert.That(greedy, Has.Count.EqualTo(5));
        Assert.That(greedy.Max() - greedy.Min(), Is.LessThanOrEqualTo(2 * (greedy.Count - 1)),
            $"live tensors at each greedy step: {string.Join(", ", greedy)}");
    }

    [Test]
    public void BadArgumentsAreNamed()
    {
        var e = Assert.Throws<ToolkitException>(() => RepeatedRandomTokens.Sequences([1, 2, 3], 4, 1, 0))!;
        Assert.That(e.Message, Does.Contain("4 distinct tokens cannot be drawn from 3"));
        Assert.That(Assert.Throws<ToolkitException>(() => RepeatedRandomTokens.Compute(Tiny(0), [1, 2, 3, 4, 5, 6, 7], 7, 2, 0))!.Hint,
            Does.Contain("at most 6"));
        Assert.That(Assert.Throws<ToolkitException>(() => RepeatedRandomTokens.Compute(Tiny(0), [1, 2, 30], 3, 2, 0))!.Message,
            Does.Contain("outside the model's vocabulary"));
    }

    /// <summary>The control keeps each sequence's first copy and the second copy's tokens, only their order changes, and the
    /// same seed gives the same order.</summary>
    [FsCheck.NUnit.Property(MaxTest = 50)]
    public bool The_shuffled_control_keeps_the_first_copy_and_the_second_copys_tokens(FsCheck.PositiveInt size, int seed)
    {
        var length = 2 + size.Get % 20;
        var alphabet = Enumerable.Range(1, 30).ToArray();
        var sequences = RepeatedRandomTokens.Sequences(alphabet, length, 6, seed);
        var shuffled = RepeatedRandomTokens.Shuffled(sequences, length, ~seed);
        return shuffled.Zip(sequences).All(p => p.First[..length].SequenceEqual(p.Second[..length])
                && p.First[length..].Order().SequenceEqual(p.Second[length..].Order()))
            && shuffled.Zip(RepeatedRandomTokens.Shuffled(sequences, length, ~seed)).All(p => p.First.SequenceEqual(p.Second));
    }

    /// <summary>Every number recomputed sequence by sequence and token by token, with a greedy decoder that feeds one
    /// sequence at a time.</summary>
    [Test]
    public void MatchesAnExplicitComputationOnATinyModel()
    {
        using var scope = NewDisposeScope();
        var model = Tiny(3);
        int[] alphabet = [2, 3, 4, 5, 6, 7, 8, 9, 10];
        const int length = 6, count = 5;
        var score = RepeatedRandomTokens.Compute(model, alphabet, length, count, seed: 4);
        var sequences = RepeatedRandomTokens.Sequences(alphabet, length, count, seed: 4);
        double first = 0, second = 0, hits = 0, greedy = 0, shuffled = 0;
        foreach (var c in RepeatedRandomTokens.Shuffled(sequences, length, seed: ~4))
        {
            var logProbs = model.forward(tensor(c, [1, c.Length])).to_type(ScalarType.Float64).log_softmax(-1)[0];
            for (var i = 1; i < length; i++) shuffled -= logProbs[length + i - 1, c[length + i]].item<double>();
        }
        foreach (var s in sequences)
        {
            var logProbs = model.forward(tensor(s, [1, s.Length])).to_type(ScalarType.Float64).log_softmax(-1)[0];
            double Loss(int p) => -logProbs[p - 1, s[p]].item<double>();
            for (var i = 1; i < length; i++)
            {
                first += Loss(i);
                second += Loss(length + i);
                if (logProbs[length + i - 1].argmax().item<long>() == s[length + i]) hits++;
            }
            var generated = s[..(length + 1)].ToList();
            for (var i = 1; i < length; i++)
            {
                var next = model.forward(tensor(generated.ToArray(), [1, generated.Count]))[0, generated.Count - 1].argmax().item<long>();
                if (next == s[length + i]) greedy++;
                generated.Add(next);
            }
        }
        var n = count * (length - 1.0);
        Assert.That(score.FirstCopyLoss, Is.EqualTo(first / n).Within(1e-9));
        Assert.That(score.SecondCopyLoss, Is.EqualTo(second / n).Within(1e-9));
        Assert.That(score.Score, Is.EqualTo((second - first) / n).Within(1e-9));
        Assert.That(score.ShuffledCopyLoss, Is.EqualTo(shuffled / n).Within(1e-9));
        Assert.That(score.OrderScore, Is.EqualTo((second - shuffled) / n).Within(1e-9));
        Assert.That(score.Accuracy, Is.EqualTo(hits / n).Within(1e-12));
        Assert.That(score.GreedyAccuracy, Is.EqualTo(greedy / n).Within(1e-12));
        Assert.That((score.ChanceAccuracy, score.Length, score.Alphabet, score.Sequences), Is.EqualTo((1.0 / 9, length, 9, count)));
    }

    [Test]
    public void TheHandBuiltInductionModelContinuesTheRepeatAndAnUntrainedOneDoesNot()
    {
        using var scope = NewDisposeScope();
        var alphabet = Enumerable.Range(0, InductionModel.Vocab).ToArray();
        var induction = RepeatedRandomTokens.Compute(InductionModel.Model, alphabet, InductionModel.Context / 2, 32, seed: 7);
        Assert.That(induction.SecondCopyLoss, Is.LessThan(0.05));
        Assert.That(induction.FirstCopyLoss, Is.GreaterThan(Math.Log(InductionModel.Vocab) - 0.5));
        Assert.That(induction.Score, Is.LessThan(-2));
        // Perfect but for one place: the hand-built previous-token head at position 0 attends to itself, so position 0 also
        // "follows" the string's first token s0, and the second copy's first prediction (of s1, from s0) ties between s0 and
        // s1; the argmax takes the lower id. Teacher-forced, that one prediction is wrong where s1 > s0. Greedy, the
        // continuation then runs one token behind the repeat and matches none of it (the tokens are distinct).
        var sequences = RepeatedRandomTokens.Sequences(alphabet, InductionModel.Context / 2, 32, seed: 7);
        var tieLost = sequences.Count(s => s[1] > s[0]) / 32.0;
        Assert.That(tieLost, Is.InRange(0.2, 0.8));
        Assert.That(induction.Accuracy, Is.EqualTo(1 - tieLost / (InductionModel.Context / 2 - 1)).Within(1e-9));
        Assert.That(induction.GreedyAccuracy, Is.EqualTo(1 - tieLost).Within(1e-9));
        // Induction needs the order: in a shuffled second copy each token follows another predecessor, so copying what
        // followed the current token last time is wrong, and confidently so.
        Assert.That(induction.ShuffledCopyLoss, Is.GreaterThan(induction.FirstCopyLoss));
        Assert.That(induction.OrderScore, Is.LessThan(-2));

        manual_seed(11);
        var untrained = new HookedTransformer(InductionModel.Model.Config);
        var chance = RepeatedRandomTokens.Compute(untrained, alphabet, InductionModel.Context / 2, 32, seed: 7);
        Assert.That(chance.Score, Is.EqualTo(0).Within(0.1));
        Assert.That(chance.OrderScore, Is.EqualTo(0).Within(0.1));
        Assert.That(chance.Accuracy, Is.LessThan(3 * chance.ChanceAccuracy));
        Assert.That(chance.GreedyAccuracy, Is.LessThan(3 * chance.ChanceAccuracy));
    }
}
