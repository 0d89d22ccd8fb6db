namespace Toolkit.Evaluation;

/// <summary>Loss and top-1 accuracy at predictable positions, with a 95% bootstrap interval on accuracy.</summary>
/// <param name="Loss">Mean cross-entropy (nats) over predictable positions.</param>
/// <param name="Accuracy">Top-1 accuracy over predictable positions.</param>
/// <param name="AccuracyLow">2.5th percentile of accuracy, bootstrapping over sequences.</param>
/// <param name="AccuracyHigh">97.5th percentile.</param>
/// <param name="Sequences">Sequences evaluated.</param>
/// <param name="Positions">Predictable positions evaluated.</param>
/// <param name="PerSequenceAccuracy">Accuracy of each sequence (NaN where it has no predictable position).</param>
public sealed record EvalResult(
    double Loss, double Accuracy, double AccuracyLow, double AccuracyHigh,
    int Sequences, long Positions, double[] PerSequenceAccuracy)
{
    /// <summary>Correct predictable positions of each sequence (empty when not measured per sequence).</summary>
    public long[] CorrectPerSequence { get; init; } = [];

    /// <summary>Predictable positions of each sequence (empty when not measured per sequence).</summary>
    public long[] PositionsPerSequence { get; init; } = [];

    public override string ToString() =>
        $"loss {Loss:F3}, accuracy {Accuracy:P1} [{AccuracyLow:P1}, {AccuracyHigh:P1}] over {Positions} positions in {Sequences} sequences";
}
