using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Data;

/// <summary>BERT-style corruption of a masked LM's input (docs/design.md §4, masked LM). Only the task's predictable
/// positions (its loss mask: the tokens its rule determines) are candidates; each is picked with probability
/// <see cref="Probability"/>, independently (a sequence may have no pick: the loss averages over the batch's picks). In training (<see cref="Mix"/>) a picked position becomes [MASK] with probability 0.8, a random
/// content token 0.1, and keeps its token 0.1; in evaluation every picked position becomes [MASK]. The loss is taken
/// at the picked positions only, against the uncorrupted token. Each example's corruption is a pure function of its
/// seed, so batches stay a function of (run seed, step) and evaluation gives the same numbers every time.</summary>
public sealed record MaskedLmCorruption(int MaskToken, double Probability, bool Mix, int ContentStart, int ContentEnd)
{
    /// <summary>The evaluation rate: BERT's training rate, all [MASK] (random and kept tokens only regularize training).</summary>
    public const double EvaluationProbability = 0.15;

    /// <summary>The training corruption of a masked-LM model on a task's vocabulary.</summary>
    public static MaskedLmCorruption ForTraining(ModelConfig model, double probability, Vocabulary vocabulary) =>
        new(RequireMaskToken(model), probability, Mix: true, vocabulary.ContentStart, vocabulary.Size);

    /// <summary>The evaluation corruption of a masked-LM model (no random tokens, so no vocabulary needed).</summary>
    public static MaskedLmCorruption ForEvaluation(ModelConfig model) =>
        new(RequireMaskToken(model), EvaluationProbability, Mix: false, 0, 0);

    private static int RequireMaskToken(ModelConfig model) => model.MaskToken ??
        throw new ToolkitException("a next-token model has no masked-LM corruption", "train with --objective mlm for a masked LM");

    /// <summary>The corrupted input and the picked positions of one example.</summary>
    public (int[] Input, bool[] Picked) Corrupt(Example example, ulong seed)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var n = example.Tokens.Length;
        var input = (int[])example.Tokens.Clone();
        var picked = new bool[n];
        for (var i = 0; i < n; i++)
        {
            if (!example.LossMask[i] || rng.NextDouble() >= Probability) continue;
            picked[i] = true;
            var u = Mix ? rng.NextDouble() : 0;
            input[i] = u < 0.8 ? MaskToken : u < 0.9 ? rng.Next(ContentStart, ContentEnd) : example.Tokens[i];
        }
        return (input, picked);
    }

    /// <summary>A batch of corrupted examples: example k uses seed Derive(<paramref name="runSeed"/>, Corruption,
    /// <paramref name="firstIndex"/> + k).</summary>
    public Batch Apply(IReadOnlyList<Example> examples, long runSeed, long firstIndex, Device device)
    {
        var corrupted = examples.Select((e, k) => Corrupt(e, Seeds.Derive(runSeed, Seeds.Stream.Corruption, firstIndex + k))).ToList();
        return Batch.Masked(examples, corrupted.Select(c => c.Input).ToList(), corrupted.Select(c => c.Picked).ToList(), device);
    }
}
