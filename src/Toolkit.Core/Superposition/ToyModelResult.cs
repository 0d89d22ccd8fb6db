namespace Toolkit.Superposition;

/// <summary>A trained batch of toy models: each instance's W ([m, n], column i is feature i) and b, and its loss over
/// training.</summary>
/// <param name="Weights">Per instance, W as an m × n array.</param>
/// <param name="Biases">Per instance, b (n values).</param>
/// <param name="InitialLoss">Per instance, the loss of the initialization on the first batch.</param>
/// <param name="Curve">Per logged step, each instance's mean loss over the steps since the previous row.</param>
public sealed record ToyModelResult(ToyModelConfig Config, IReadOnlyList<double[,]> Weights, IReadOnlyList<double[]> Biases,
    IReadOnlyList<double> InitialLoss, IReadOnlyList<ToyModelResult.LossRow> Curve)
{
    /// <summary>Each instance's mean loss over the last logged interval.</summary>
    public IReadOnlyList<double> FinalLoss => Curve[^1].Loss;

    /// <summary>The mean loss per instance over the steps up to <paramref name="Step"/> since the previous row.</summary>
    public sealed record LossRow(int Step, IReadOnlyList<double> Loss);
}
