using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Losses;

/// <summary>Cross-entropy and top-1 correctness read from a model's final residual stream at chosen rows only (the
/// scored rows of <see cref="MaskedLoss.ScoredRows(Data.Batch)"/>), unembedding a block of rows at a time: at a 50k
/// vocabulary the logits are most of an analysis's cost, and no [batch, pos, d_vocab] tensor is formed.</summary>
/// <remarks>Each row's loss and prediction depend on that row alone, so the blocks change no number: the values are
/// those of the full forward pass's logits at the same rows (a property test checks it).</remarks>
public static class RowLoss
{
    /// <summary>Logits per block, at most (8 MB of float32): one [rows, 50,257] tensor is fresh memory that the allocator
    /// takes from the system page by page and that leaves the cache; blocks this size reuse the same memory, which on a
    /// 2-core CPU made the unembedding several times faster.</summary>
    public const long BlockElements = 1L << 21;

    /// <summary>Per-row cross-entropy [n] (float32) and correctness [n] (bool) of the rows <paramref name="rows"/> of a
    /// stream [.., d_model] flattened to [rows, d_model], against <paramref name="targets"/> [n], with at most
    /// <paramref name="blockElements"/> logits at a time (default <see cref="BlockElements"/>; at least one row).</summary>
    public static (Tensor Loss, Tensor Correct) PerRow(HookedTransformer model, Tensor stream, Tensor rows, Tensor targets, long blockElements = BlockElements)
    {
        using var scope = NewDisposeScope();
        var flat = stream.reshape(-1, stream.shape[^1]);
        long n = rows.shape[0], block = Math.Max(1, blockElements / model.Config.DVocab);
        if (n == 0) return (empty(0, dtype: stream.dtype, device: stream.device).MoveToOuterDisposeScope(), empty(0, dtype: ScalarType.Bool, device: stream.device).MoveToOuterDisposeScope());
        var losses = new List<Tensor>();
        var correct = new List<Tensor>();
        for (long start = 0; start < n; start += block)
        {
            using var inner = NewDisposeScope();
            var count = Math.Min(block, n - start);
            var target = targets.narrow(0, start, count);
            var logits = model.Unembed(flat.index_select(0, rows.narrow(0, start, count))); // [count, d_vocab]
            losses.Add(nn.functional.cross_entropy(logits, target, reduction: nn.Reduction.None).MoveToOuterDisposeScope());
            correct.Add(logits.argmax(-1).eq(target).MoveToOuterDisposeScope());
        }
        return (cat(losses, 0).MoveToOuterDisposeScope(), cat(correct, 0).MoveToOuterDisposeScope());
    }

    /// <summary>Mean loss and accuracy over the rows (NaN for none), accumulated in float64.</summary>
    public static (double Loss, double Accuracy) Mean(HookedTransformer model, Tensor stream, Tensor rows, Tensor targets)
    {
        using var scope = NewDisposeScope();
        if (rows.numel() == 0) return (double.NaN, double.NaN);
        var (loss, correct) = PerRow(model, stream, rows, targets);
        return (loss.to_type(ScalarType.Float64).mean().item<double>(), correct.to_type(ScalarType.Float64).mean().item<double>());
    }
}
