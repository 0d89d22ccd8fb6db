using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>A patching problem: clean and corrupted tokens of equal shape, and per sequence the
/// position read and the correct and wrong answer tokens compared there.</summary>
/// <param name="Clean">Clean tokens [batch, pos].</param>
/// <param name="Corrupted">Corrupted tokens [batch, pos].</param>
/// <param name="Position">Position whose logits are read (the prediction of the token after it).</param>
/// <param name="Correct">Correct answer token per sequence.</param>
/// <param name="Wrong">Wrong (corrupted-run) answer token per sequence.</param>
public sealed record PatchingProblem(Tensor Clean, Tensor Corrupted, int Position, long[] Correct, long[] Wrong)
{
    /// <summary>Mean over the batch of <c>logit[correct] − logit[wrong]</c> at <see cref="Position"/>.</summary>
    public double LogitDifference(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var at = logits.select(1, Position).to_type(ScalarType.Float64).cpu(); // [batch, vocab]
        var c = at.gather(1, tensor(Correct).view(-1, 1));
        var w = at.gather(1, tensor(Wrong).view(-1, 1));
        return c.sub(w).mean().item<double>();
    }

    /// <summary>Builds a problem whose answers are read from the tokens themselves: the correct
    /// answer is the clean token after <paramref name="position"/>, the wrong one the corrupted token there.</summary>
    public static PatchingProblem NextToken(Tensor clean, Tensor corrupted, int position)
    {
        using var scope = NewDisposeScope();
        var c = clean.select(1, position + 1).cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        var w = corrupted.select(1, position + 1).cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        return new PatchingProblem(clean, corrupted, position, c, w);
    }

    /// <summary>Normalized recovery: (patched − corrupted) / (clean − corrupted); 1 = clean behaviour restored.</summary>
    public static double Recovery(double patched, double clean, double corrupted) =>
        clean == corrupted ? double.NaN : (patched - corrupted) / (clean - corrupted);
}
