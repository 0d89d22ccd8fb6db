using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>What a model does on a random token string followed by its repeat.</summary>
/// <param name="FirstCopyLoss">Mean loss of the first copy's tokens 1..L−1: nothing earlier predicts them.</param>
/// <param name="SecondCopyLoss">Mean loss of the second copy's tokens 1..L−1: each one followed the same token once before.</param>
/// <param name="Score">Second − first copy loss (negative: the model reads the repeat; about −ln(alphabet) at best).</param>
/// <param name="Accuracy">Share of the second copy's tokens 1..L−1 that are the argmax of the logits before them (the true
/// repeat as context).</param>
/// <param name="GreedyAccuracy">Share of the L−1 tokens a greedy continuation of "first copy + the second copy's first
/// token" writes that equal the repeat, each read after the model's own earlier choices.</param>
/// <param name="ChanceAccuracy">1 / alphabet: the accuracy of a model that cannot read the context.</param>
/// <param name="Length">L, the random string's length (the sequences are 2L tokens).</param>
/// <param name="Alphabet">How many tokens the strings were drawn from.</param>
/// <param name="Sequences">How many sequences were averaged over.</param>
/// <param name="ShuffledCopyLoss">The control: mean loss of tokens 1..L−1 of a second copy in another order (the same
/// tokens, each seen once before, but after another predecessor). A model that only favours tokens already in its context
/// gains as much here as on the true repeat; one that copies what followed the current token gains only on the repeat.</param>
public sealed record RepeatedTokensScore(
    double FirstCopyLoss, double SecondCopyLoss, double Score, double Accuracy, double GreedyAccuracy, double ChanceAccuracy,
    int Length, int Alphabet, int Sequences, double ShuffledCopyLoss)
{
    /// <summary>Second-copy loss minus the shuffled copy's: the part of <see cref="Score"/> that needs the order (negative:
    /// the model reads what followed what, induction proper); the rest (shuffled minus first copy) any context-token
    /// preference earns.</summary>
    public double OrderScore => SecondCopyLoss - ShuffledCopyLoss;
}

/// <summary>The "repeated random tokens" measure of induction (Olsson et al. 2022), independent of head scores.</summary>
/// <remarks>Each sequence is a string of L distinct tokens drawn without replacement from the given alphabet (the tokens a
/// corpus uses), then the same string again: 2L tokens. Distinct tokens make every token of the first copy unpredictable
/// from its context and give every token of the second copy exactly one earlier occurrence of its predecessor, so a model
/// that copies "what followed this token last time" predicts the whole second copy after its first token (which nothing
/// predicts: it is left out of both means, as is the first copy's first token, which has no context). A token's loss is
/// read from the logits at the position before it. docs/design.md §4 "Repeated random tokens".</remarks>
public static class RepeatedRandomTokens
{
    /// <summary>The alphabet of a corpus's repeated strings: its commonest tokens, most frequent first (ties by token), as
    /// few as make up at least <paramref name="share"/> of <paramref name="tokens"/>. Strings from the whole vocabulary would
    /// test tokens a text model never saw; from the corpus's commonest ones, the chance of a guess is one in the alphabet.</summary>
    public static int[] CommonestTokens(IEnumerable<int> tokens, double share = 0.99)
    {
        if (!(share > 0 && share <= 1)) throw new ToolkitException($"a share of {share} of the corpus is not a share", "use a share in (0, 1], such as 0.99");
        var counts = tokens.GroupBy(t => t).Select(g => (Token: g.Key, Count: g.LongCount())).OrderByDescending(x => x.Count).ThenBy(x => x.Token).ToList();
        var total = counts.Sum(x => x.Count);
        var alphabet = new List<int>();
        var covered = 0L;
        foreach (var (token, count) in counts)
        {
            if ((double)covered / total >= share) break; // as a share, so a prefix that reaches it exactly stops there
            alphabet.Add(token);
            covered += count;
        }
        return alphabet.ToArray();
    }

    /// <summary>The sequences the measure reads: [count, 2·length] tokens, each a string of distinct tokens from
    /// <paramref name="alphabet"/> and its repeat, drawn from <paramref name="seed"/>.</summary>
    public static long[][] Sequences(IReadOnlyList<int> alphabet, int length, int count, int seed)
    {
        if (length < 2) throw new ToolkitException($"a repeated string of {length} tokens is too short", "use a length of at least 2");
        if (alphabet.Distinct().Count() != alphabet.Count)
            throw new ToolkitException("the alphabet of the repeated random tokens names a token twice", "give each token once");
        if (length > alphabet.Count)
            throw new ToolkitException($"a string of {length} distinct tokens cannot be drawn from {alphabet.Count} tokens",
                $"use a length of at most {alphabet.Count}");
        if (count < 1) throw new ToolkitException($"{count} sequences of repeated random tokens is too few", "use at least 1");
        var rng = new Random(seed);
        var result = new long[count][];
        for (var s = 0; s < count; s++)
        {
            var pool = alphabet.ToArray();
            // The first `length` entries of a Fisher–Yates shuffle: a uniform draw without replacement.
            for (var i = 0; i < length; i++)
            {
                var j = rng.Next(i, pool.Length);
                (pool[i], pool[j]) = (pool[j], pool[i]);
            }
            result[s] = new long[2 * length];
            for (var i = 0; i < length; i++) result[s][i] = result[s][length + i] = pool[i];
        }
        return result;
    }

    /// <summary>The control's sequences: each of <paramref name="sequences"/> with its second copy (the last
    /// <paramref name="length"/> tokens) in a uniformly random order drawn from <paramref name="seed"/>. A random order
    /// keeps about one of the copy's L−1 successions by chance.</summary>
    public static long[][] Shuffled(IReadOnlyList<long[]> sequences, int length, int seed)
    {
        var rng = new Random(seed);
        return sequences.Select(s =>
        {
            var shuffled = s.ToArray();
            for (var i = 2 * length - 1; i > length; i--)
            {
                var j = rng.Next(length, i + 1);
                (shuffled[i], shuffled[j]) = (shuffled[j], shuffled[i]);
            }
            return shuffled;
        }).ToArray();
    }

    /// <summary>The measure on <paramref name="count"/> sequences of a <paramref name="length"/>-token string drawn from
    /// <paramref name="alphabet"/>, repeated.</summary>
    public static RepeatedTokensScore Compute(HookedTransformer model, IReadOnlyList<int> alphabet, int length, int count, int seed)
    {
        model.RequireNextToken("the repeated-random-tokens measure");
        if (2 * length > model.Config.NCtx)
            throw new ToolkitException($"a string of {length} tokens and its repeat ({2 * length}) exceed the model's context {model.Config.NCtx}",
                $"use a length of at most {model.Config.NCtx / 2}");
        if (alphabet.Any(t => t < 0 || t >= model.Config.DVocab))
            throw new ToolkitException($"the alphabet has tokens outside the model's vocabulary 0..{model.Config.DVocab - 1}",
                "draw the alphabet from the task the model was trained on");
        var sequences = Sequences(alphabet, length, count, seed);
        Tensor Batch(long[][] rows) => tensor(rows.SelectMany(s => s).ToArray(), [count, 2 * length], ScalarType.Int64).to(model.Device);
        // Row p of both: the logits at position p and the loss of token p + 1 read from them.
        (Tensor Predicted, Tensor Losses) Read(Tensor tokens)
        {
            var predicted = model.forward(tokens).to_type(ScalarType.Float64).narrow(1, 0, 2 * length - 1);
            return (predicted, -predicted.log_softmax(-1).gather(2, tokens.narrow(1, 1, 2 * length - 1).unsqueeze(-1)).squeeze(-1));
        }
        double first, second, accuracy, shuffled;
        using (var scope = NewDisposeScope())
        using (no_grad())
        using (model.EvalMode())
        {
            var tokens = Batch(sequences);
            var (predicted, losses) = Read(tokens);
            var hits = predicted.argmax(-1).eq(tokens.narrow(1, 1, 2 * length - 1)).to_type(ScalarType.Float64);
            // Tokens 1..L−1 of the first copy are rows 0..L−2; tokens 1..L−1 of the second copy are rows L..2L−2.
            first = losses.narrow(1, 0, length - 1).mean().item<double>();
            second = losses.narrow(1, length, length - 1).mean().item<double>();
            accuracy = hits.narrow(1, length, length - 1).mean().item<double>();
            // The control, from its own stream of the seed (the measure's sequences are unchanged by it).
            shuffled = Read(Batch(Shuffled(sequences, length, ~seed))).Losses.narrow(1, length, length - 1).mean().item<double>();
        }
        var matched = 0;
        using (var scope = NewDisposeScope())
        using (no_grad())
        using (model.EvalMode())
        {
            // Greedy decoding, all sequences at once (they have the same length): the argmax at the last position is appended.
            // Each step's forward pass is freed before the next: kept to the end, 127 steps at context 256 held ~24 GB.
            var all = Batch(sequences);
            var sequence = all.narrow(1, 0, length + 1);
            for (var i = 0; i < length - 1; i++)
            {
                using var step = NewDisposeScope();
                var next = model.forward(sequence).select(1, sequence.shape[1] - 1).argmax(-1).unsqueeze(1);
                sequence = cat([sequence, next], 1).MoveToOuterDisposeScope();
            }
            matched = (int)sequence.narrow(1, length + 1, length - 1).eq(all.narrow(1, length + 1, length - 1)).sum().item<long>();
        }
        return new RepeatedTokensScore(first, second, second - first, accuracy, matched / (double)(count * (length - 1)),
            1.0 / alphabet.Count, length, alphabet.Count, count, shuffled);
    }
}
