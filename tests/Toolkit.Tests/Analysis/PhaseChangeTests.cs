using NUnit.Framework;
using Toolkit.Analysis;

namespace Toolkit.Tests.Analysis;

/// <summary>The phase-change rule (<see cref="PhaseChange.Rule"/>) on synthetic loss curves: an abrupt drop is
/// found where it is, a smooth decay is not a phase change, and the logging cadence does not move the step.</summary>
[TestFixture]
public class PhaseChangeTests
{
    private const int Steps = 1500;

    /// <summary>Plateau at 3.5, sigmoid drop centred at <paramref name="centre"/> to 0.2, plus small
    /// deterministic noise that depends only on the step (so two cadences see the same run).</summary>
    private static double Abrupt(int step, int centre = 620) =>
        0.2 + 3.3 / (1 + Math.Exp((step - centre) / 15.0)) + 0.03 * Math.Sin(step * 1.7);

    private static double Exponential(int step, double tau) => 0.2 + 3.3 * Math.Exp(-step / tau) + 0.03 * Math.Sin(step * 1.7);

    /// <summary>Rows every <paramref name="every"/> steps plus a row at every evaluation, as the trainer logs.</summary>
    private static List<(int Step, double Loss)> Log(Func<int, double> loss, int every, int evalEvery)
    {
        var steps = Enumerable.Range(0, Steps / every + 1).Select(i => i * every)
            .Concat(Enumerable.Range(1, Steps / evalEvery).Select(i => i * evalEvery)).Distinct().Order();
        return steps.Select(s => (s, loss(s))).ToList();
    }

    [TestCase(300)]
    [TestCase(620)]
    [TestCase(1100)]
    public void An_abrupt_drop_is_found_at_its_step_within_one_grid_step(int centre)
    {
        var phase = PhaseChange.Detect(Log(s => Abrupt(s, centre), 20, 100));
        Assert.That(phase, Is.Not.Null);
        TestContext.Out.WriteLine(phase);
        Assert.That(phase!.GridStep, Is.EqualTo(Steps / PhaseChange.GridIntervals));
        Assert.That(phase.Step, Is.InRange(centre - phase.GridStep, centre + phase.GridStep));
        Assert.That(phase.Drop, Is.GreaterThan(1.5));
    }

    [TestCase(50.0)]
    [TestCase(200.0)]
    [TestCase(600.0)]
    [TestCase(3000.0)]
    public void A_smooth_exponential_decay_is_no_phase_change(double tau) =>
        Assert.That(PhaseChange.Detect(Log(s => Exponential(s, tau), 20, 100)), Is.Null);

    [Test]
    public void A_linear_decline_is_no_phase_change() =>
        Assert.That(PhaseChange.Detect(Log(s => 3.5 - 3.0 * s / Steps, 20, 50)), Is.Null);

    [Test]
    public void The_logging_cadence_does_not_move_the_step()
    {
        var a = PhaseChange.Detect(Log(s => Abrupt(s), 20, 100))!;
        var b = PhaseChange.Detect(Log(s => Abrupt(s), 20, 50))!;
        var c = PhaseChange.Detect(Log(s => Abrupt(s), 50, 50))!;
        Assert.That(Math.Abs(a.Step - b.Step), Is.LessThanOrEqualTo(a.GridStep));
        Assert.That(Math.Abs(a.Step - c.Step), Is.LessThanOrEqualTo(a.GridStep));
    }

    [Test]
    public void Across_seeds_the_median_step_and_its_range_are_reported()
    {
        var perSeed = new[] { 500, 620, 540, 900 }.Select(c => PhaseChange.Detect(Log(s => Abrupt(s, c), 20, 100)))
            .Append(PhaseChange.Detect(Log(s => Exponential(s, 200), 20, 100))).ToList();
        var across = PhaseChangeAcrossSeeds.Of(perSeed)!;
        Assert.That((across.Detected, across.Seeds), Is.EqualTo((4, 5)));
        Assert.That(across.MedianStep, Is.InRange(580 - 15, 580 + 15));
        Assert.That(across.MinStep, Is.InRange(485, 515));
        Assert.That(across.MaxStep, Is.InRange(885, 915));
        Assert.That(PhaseChangeAcrossSeeds.Of([null, null]), Is.Null);
    }
}
