using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>One checkpoint of a modular-addition run, measured on every pair (docs/design.md §4, grokking).</summary>
/// <param name="Step">The checkpoint's step.</param>
/// <param name="TrainLoss">Loss over the training pairs.</param>
/// <param name="TestLoss">Loss over the held-out pairs.</param>
/// <param name="TrainAccuracy">Accuracy over the training pairs.</param>
/// <param name="TestAccuracy">Accuracy over the held-out pairs.</param>
/// <param name="RestrictedLoss">Loss over all pairs with only the key frequencies kept (<see cref="ProgressMeasures"/>).</param>
/// <param name="ExcludedLoss">Loss over the training pairs with the key frequencies removed.</param>
/// <param name="WeightNorm">The sum of the squares of every parameter (weight decay shrinks it in the cleanup).</param>
public sealed record GrokkingPoint(int Step, double TrainLoss, double TestLoss, double TrainAccuracy, double TestAccuracy,
    double RestrictedLoss, double ExcludedLoss, double WeightNorm);

/// <summary>A modular-addition run's progress measures over its checkpoints (Nanda et al. 2023), with the key frequencies
/// of its last checkpoint's embedding, and the steps that split training into memorization, circuit formation and cleanup
/// (docs/design.md §4, grokking):
/// <list type="bullet">
/// <item><b>memorized</b>: the first checkpoint whose training accuracy is ≥ <see cref="MemorizedAccuracy"/>;</item>
/// <item><b>circuit</b>: the first checkpoint from then on whose excluded loss is above ln p, the loss of a uniform guess:
/// without the key frequencies the model does worse than chance on the very pairs it fits, so its fit rests on them;</item>
/// <item><b>grokking</b>: the phase change the library's detector (<see cref="PhaseChange"/>) finds on the held-out loss
/// curve read at the checkpoints: a plateau, then an abrupt drop (its middle step, and its 10–90% span);</item>
/// <item><b>test 90%</b>: the first checkpoint whose held-out accuracy is ≥ 0.9 (null: not by the run's end).</item>
/// </list></summary>
public sealed record GrokkingTimeline(int P, IReadOnlyList<GrokkingPoint> Points, EmbeddingFrequencies Frequencies,
    PhaseChange? Grokking, int? MemorizedStep, int? CircuitStep, int? Test90Step)
{
    /// <summary>Training accuracy that counts as memorized.</summary>
    public const double MemorizedAccuracy = 0.99;
    /// <summary>Held-out accuracy whose first step is reported.</summary>
    public const double GeneralizedAccuracy = 0.9;

    /// <summary>Whether the excluded loss rose (the circuit step) before the held-out loss fell (the 10% point of its drop);
    /// null when either is missing.</summary>
    public bool? ExcludedRisesFirst => CircuitStep is int c && Grokking is { } g ? c < g.DropStart : null;

    /// <summary>Whether memorization, circuit formation and cleanup (the grokking step) come in that order; null when one is missing.</summary>
    public bool? PhasesInOrder => MemorizedStep is int m && CircuitStep is int c && Grokking is { } g ? m < c && c < g.Step : null;

    /// <summary>The timeline of measured points, with the key frequencies they were measured against.</summary>
    public static GrokkingTimeline From(int p, IReadOnlyList<GrokkingPoint> points, EmbeddingFrequencies frequencies)
    {
        var ordered = points.OrderBy(x => x.Step).ToList();
        var grokking = PhaseChange.Detect(ordered.Select(x => (x.Step, x.TestLoss)).ToList());
        var memorized = ordered.FirstOrDefault(x => x.TrainAccuracy >= MemorizedAccuracy);
        var circuit = memorized is null ? null : ordered.FirstOrDefault(x => x.Step >= memorized.Step && x.ExcludedLoss > Math.Log(p))?.Step;
        var test90 = ordered.FirstOrDefault(x => x.TestAccuracy >= GeneralizedAccuracy)?.Step;
        return new GrokkingTimeline(p, ordered, frequencies, grokking, memorized?.Step, circuit, test90);
    }

    /// <summary>The measures of one model.</summary>
    public static GrokkingPoint Point(HookedTransformer model, int step, ModularAddition task, bool[] isTrain, IReadOnlyList<int> keyFrequencies)
    {
        var logits = PairLogits.Of(model, task.Settings.P, task.EqualsToken);
        bool Train(int i) => isTrain[i];
        bool Test(int i) => !isTrain[i];
        return new GrokkingPoint(step, logits.Loss(Train), logits.Loss(Test), logits.Accuracy(Train), logits.Accuracy(Test),
            ProgressMeasures.RestrictedLoss(logits, keyFrequencies), ProgressMeasures.ExcludedLoss(logits, keyFrequencies, Train),
            WeightNorm(model));
    }

    private static double WeightNorm(HookedTransformer model)
    {
        using var scope = NewDisposeScope();
        return model.parameters().Sum(w => w.detach().to_type(ScalarType.Float64).square().sum().item<double>());
    }

    /// <summary>The phases in one line, for the CLI and scripts.</summary>
    public string Summary() =>
        $"memorized (train ≥ {MemorizedAccuracy:P0}) at {Show(MemorizedStep)}; circuit (excluded loss above ln p) at {Show(CircuitStep)}; " +
        (Grokking is { } g ? $"grokking (held-out loss phase change) at step {g.Step} ({g.LossBefore:F2} → {g.LossAfter:F2}, 10–90% at {g.DropStart}..{g.DropEnd})"
            : "no grokking (no phase change of the held-out loss)") +
        $"; held-out accuracy ≥ {GeneralizedAccuracy:P0} at {Show(Test90Step)}";

    private static string Show(int? step) => step is int s ? $"step {s}" : "no step";
}
