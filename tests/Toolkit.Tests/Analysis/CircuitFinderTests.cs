using FsCheck;
using FsCheck.Fluent;
using Toolkit.Analysis;

namespace Toolkit.Tests.Analysis;

/// <summary><see cref="Analyzer.FindCircuit"/> names a circuit only when the link beats random by the stated margin.</summary>
public class CircuitFinderTests
{
    private static readonly HeadScoreTable Heads = new(
        [new HeadScore(0, 0, 0.9, 0, 0), new HeadScore(0, 1, 0.1, 0, 0), new HeadScore(1, 0, 0, 0, 0.8), new HeadScore(1, 1, 0, 0, 0.1)],
        HeadScoreTable.DefaultThreshold, 20);

    private static CompositionTable Table(double linkScore, double baseline, double sd) => new(
        [new CompositionScore(0, 0, 1, 0, CompositionKind.K, linkScore), new CompositionScore(0, 1, 1, 1, CompositionKind.K, baseline)],
        baseline, sd);

    [Test]
    public void A_link_of_named_heads_is_a_circuit_only_at_least_the_margin_above_random()
    {
        Prop.ForAll(Gen.Choose(1, 60).ToArbitrary(), Gen.Choose(0, 80).ToArbitrary(), (baselineHundredths, zTenths) =>
        {
            double baseline = baselineHundredths / 100.0, sd = 0.02, z = zTenths / 10.0;
            if (Math.Abs(z - Analyzer.CircuitMinZ) < 0.05) return true; // at the margin itself rounding decides
            var circuit = Analyzer.FindCircuit(Heads, Table(baseline + z * sd, baseline, sd), []);
            return (circuit is not null) == (z > Analyzer.CircuitMinZ)
                   && (circuit is null || (circuit.Link.Sender == "L0H0" && circuit.Link.Receiver == "L1H0" && Math.Abs(circuit.ZScore - z) < 1e-6));
        }).Check(PropertyConfig.Quick);
    }
}
