using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>The additive-update test of the relational mechanism (Merullo et al. 2024): a block's MLP output at one
/// prompt's read position, added to another prompt's stream after the same block at its read position; does the
/// second prompt's answer change, and to what (docs/design.md §4).</summary>
public static class AdditiveUpdate
{
    /// <summary>Block <paramref name="block"/>'s MLP output (hook_mlp_out) at one position per sequence, [n, d_model].</summary>
    public static Tensor MlpOutputs(HookedTransformer model, Tensor tokens, IReadOnlyList<long> positions, int block)
    {
        StreamLens.RequireSerialBlocksWithMlp(model, "the additive update");
        StreamLens.CheckRows(tokens, positions);
        CheckBlock(model, block);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        var hook = $"blocks.{block}.hook_mlp_out";
        var (_, cache) = model.RunWithCache(tokens.to(model.Device), n => n == hook);
        return PositionRows.At(cache[hook], positions).clone().MoveToOuterDisposeScope();
    }

    /// <summary>Each sequence's final top-1 at <paramref name="readPositions"/> (default: where the update is added) when
    /// <paramref name="updates"/> [n, d_model] (row i for sequence i) is added to the stream after block
    /// <paramref name="block"/> (hook_resid_post) at <paramref name="positions"/>; everything else runs as usual. Adding
    /// at the argument's position and reading at the query tests an update the model makes where the argument stands and
    /// moves to the query later.</summary>
    public static long[] TopAfterAdding(HookedTransformer model, Tensor tokens, IReadOnlyList<long> positions, int block, Tensor updates,
        IReadOnlyList<long>? readPositions = null)
    {
        StreamLens.RequireSerialBlocksWithMlp(model, "the additive update");
        StreamLens.CheckRows(tokens, positions);
        readPositions ??= positions;
        StreamLens.CheckRows(tokens, readPositions);
        CheckBlock(model, block);
        if (updates.dim() != 2 || updates.shape[0] != positions.Count || updates.shape[1] != model.Config.DModel)
            throw new ToolkitException($"updates of shape [{string.Join(", ", updates.shape)}] for {positions.Count} sequences", $"give one d_model ({model.Config.DModel}) vector per sequence");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        tokens = tokens.to(model.Device);
        long b = tokens.shape[0], p = tokens.shape[1];
        // The updates placed at each row's read position, zero elsewhere: [b, p, d_model].
        var placed = zeros(b, p, model.Config.DModel, dtype: updates.dtype, device: model.Device);
        var (rows, at) = PositionRows.Index(positions, model.Device);
        placed.index_put_(updates.to(model.Device), TensorIndex.Tensor(rows), TensorIndex.Tensor(at));
        var logits = model.RunWithHooks(tokens, ($"blocks.{block}.hook_resid_post", (x, h) => x.add(placed.to_type(x.dtype), Scalars.One)));
        return PositionRows.At(logits, readPositions).argmax(1).data<long>().ToArray();
    }

    /// <summary>Random vectors with the norms of <paramref name="like"/>'s rows (directions uniform on the sphere, from
    /// <paramref name="seed"/>): the control that an update's size alone does not move the answer.</summary>
    public static Tensor RandomOfSameNorm(Tensor like, long seed)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator((ulong)seed, like.device);
        var directions = randn(like.shape, dtype: like.dtype, device: like.device, generator: generator);
        var scale = like.norm(1, keepdim: true).div(directions.norm(1, keepdim: true));
        return directions.mul(scale).MoveToOuterDisposeScope();
    }

    private static void CheckBlock(HookedTransformer model, int block)
    {
        if (block < 0 || block >= model.Config.NLayers)
            throw new ToolkitException($"block {block} is outside 0..{model.Config.NLayers - 1}", "choose a block of the model");
    }
}
