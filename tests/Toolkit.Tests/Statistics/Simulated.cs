namespace Toolkit.Tests;

/// <summary>Seeded draws for the statistics' simulation tests: the distributions per-seed outcomes are checked on.</summary>
internal sealed class Simulated(int seed)
{
    private readonly Random _rng = new(seed);

    /// <summary>Standard normal (Box–Muller).</summary>
    public double Normal() => Math.Sqrt(-2 * Math.Log(1 - _rng.NextDouble())) * Math.Cos(2 * Math.PI * _rng.NextDouble());

    /// <summary>Exponential with mean 1 (skewness 2).</summary>
    public double Exponential() => -Math.Log(1 - _rng.NextDouble());

    /// <summary>Lognormal exp(N(0, 0.5²)), mean exp(0.125) (skewness 1.75).</summary>
    public double LogNormal() => Math.Exp(0.5 * Normal());

    public double Uniform() => _rng.NextDouble();

    /// <summary>A named distribution with its true mean.</summary>
    public (Func<double> Draw, double Mean) Shape(string name) => name switch
    {
        "normal" => (Normal, 0),
        "exponential" => (Exponential, 1),
        "lognormal" => (LogNormal, Math.Exp(0.125)),
        _ => throw new ArgumentException(name),
    };

    public double[] Draw(Func<double> draw, int n) => Enumerable.Range(0, n).Select(_ => draw()).ToArray();
}
