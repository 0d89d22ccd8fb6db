using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Data;

/// <summary>A batch of examples as tensors: the model's input tokens [batch, pos] (int64), the targets its logits
/// are scored against, and the loss mask [batch, pos] (bool) of the positions scored.</summary>
/// <remarks>A next-token batch (<see cref="NextToken"/>) scores logit row i against token i+1 where the mask of i+1 is
/// set, and its targets are its tokens; a masked-LM batch (<see cref="MaskedLmCorruption"/>) scores row i against the
/// uncorrupted token i where the mask of i (a corrupted position) is set.</remarks>
public sealed class Batch : IDisposable
{
    /// <summary>The model's input.</summary>
    public Tensor Tokens { get; }
    /// <summary>What the logits are scored against: <see cref="Tokens"/> for next-token, the uncorrupted tokens for masked LM.</summary>
    public Tensor Targets { get; }
    public Tensor LossMask { get; }
    /// <summary>Logit row i predicts target i+1 (next-token) rather than target i (masked LM).</summary>
    public bool NextToken { get; }
    /// <summary>The examples the tensors were built from (metadata, rendering; uncorrupted).</summary>
    public IReadOnlyList<Example> Examples { get; }

    private Batch(Tensor tokens, Tensor targets, Tensor lossMask, bool nextToken, IReadOnlyList<Example> examples)
    {
        Tokens = tokens; Targets = targets; LossMask = lossMask; NextToken = nextToken; Examples = examples;
    }

    /// <summary>Packs examples of equal length onto a device.</summary>
    public static Batch From(IReadOnlyList<Example> examples, Device device)
    {
        var tokens = PackTokens(examples.Select(e => e.Tokens).ToList(), device);
        return new Batch(tokens, tokens, PackMask(examples.Select(e => e.LossMask).ToList(), device), nextToken: true, examples);
    }

    /// <summary>A masked-LM batch: corrupted inputs, the examples' own tokens as targets, the picked positions as mask.</summary>
    internal static Batch Masked(IReadOnlyList<Example> examples, IReadOnlyList<int[]> inputs, IReadOnlyList<bool[]> picked, Device device) =>
        new(PackTokens(inputs, device), PackTokens(examples.Select(e => e.Tokens).ToList(), device), PackMask(picked, device), nextToken: false, examples);

    private static Tensor PackTokens(IReadOnlyList<int[]> rows, Device device)
    {
        var length = CheckLengths(rows.Select(r => r.Length).ToList());
        var flat = new long[rows.Count * length];
        for (var b = 0; b < rows.Count; b++)
            for (var i = 0; i < length; i++) flat[b * length + i] = rows[b][i];
        return tensor(flat, new long[] { rows.Count, length }, device: device);
    }

    private static Tensor PackMask(IReadOnlyList<bool[]> rows, Device device)
    {
        var length = CheckLengths(rows.Select(r => r.Length).ToList());
        var flat = new bool[rows.Count * length];
        for (var b = 0; b < rows.Count; b++) Array.Copy(rows[b], 0, flat, b * length, length);
        return tensor(flat, new long[] { rows.Count, length }, device: device);
    }

    /// <summary>The one length of every row, or a clear error.</summary>
    private static int CheckLengths(IReadOnlyList<int> lengths)
    {
        if (lengths.Count == 0) throw new ArgumentException("a batch needs at least one example");
        foreach (var n in lengths)
            if (n != lengths[0])
                throw new ToolkitException($"examples have different lengths ({lengths[0]} and {n})", "a task must produce sequences of one length (its context)");
        return lengths[0];
    }

    /// <summary>An evaluation batch for a model: the examples as they are for a next-token model; for a masked LM, the
    /// evaluation corruption (<see cref="MaskedLmCorruption.ForEvaluation"/>), example k seeded by <paramref name="firstIndex"/> + k
    /// so the picks follow the example, not the batching.</summary>
    public static Batch ForEvaluation(ModelConfig model, IReadOnlyList<Example> examples, Device device, long firstIndex = 0) =>
        model.MaskedLm ? MaskedLmCorruption.ForEvaluation(model).Apply(examples, 0, firstIndex, device) : From(examples, device);

    /// <summary>Draws <paramref name="count"/> examples of a task with a seed and packs them.</summary>
    public static Batch Sample(ITask task, ulong seed, int count, Device device) =>
        From(Sampling.examples(task, seed, count), device);

    public void Dispose()
    {
        if (!ReferenceEquals(Targets, Tokens)) Targets.Dispose();
        Tokens.Dispose();
        LossMask.Dispose();
    }
}
