using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Toolkit.Analysis;

namespace Toolkit.Tests.Analysis;

/// <summary>The phase-change rule (<see cref="PhaseChange.Rule"/>) on synthetic loss curves logged as the trainer
/// logs them: each row is the mean of noisy per-step losses since the previous row. An abrupt drop is found where it
/// is, whatever the run's length and the logging cadence; a smooth decay, a linear decline and noise are not phase
/// changes.</summary>
[TestFixture]
public class PhaseChangeTests
{
    /// <summary>A plateau at <paramref name="plateau"/> (falling by <paramref name="slope"/> over the steps before
    /// the drop), a logistic drop centred at <paramref name="centre"/> of timescale <paramref name="tau"/>, then a
    /// converged tail at <paramref name="floor"/>.</summary>
    private static Func<int, double> Abrupt(int centre, double tau, double plateau = 4.1, double floor = 0.05, double slope = 0) =>
        step =>
        {
            var before = 1 / (1 + Math.Exp((step - centre) / tau));
            return floor + (plateau - floor + slope * Math.Max(0, 1 - step / (double)centre)) * before;
        };

    /// <summary>Exponential decay from 4.1 to 0.05 with timescale <paramref name="tau"/>, run through a linear
    /// learning-rate warm-up of <paramref name="warmup"/> steps (the decay proceeds in learning-rate-weighted time).</summary>
    private static Func<int, double> Exponential(double tau, int warmup = 0) =>
        step =>
        {
            double time = warmup == 0 || step >= warmup ? step - warmup / 2.0 : step * (double)step / (2.0 * warmup);
            return 0.05 + 4.05 * Math.Exp(-time / tau);
        };

    /// <summary>What the trainer writes to metrics.csv for a run of <paramref name="steps"/> steps whose per-step
    /// loss is <paramref name="mean"/> plus Gaussian noise of sd <paramref name="noise"/> (never below 0): a row at
    /// every multiple of <paramref name="logEvery"/> and of <paramref name="evalEvery"/> and at the last step, holding
    /// the mean loss of the steps since the previous row (Trainer.Run).</summary>
    private static List<(int Step, double Loss)> TrainerLog(Func<int, double> mean, int steps, int logEvery, int evalEvery, double noise, int seed)
    {
        var rng = new Random(seed);
        var rows = new List<(int, double)>();
        double sum = 0;
        var count = 0;
        for (var done = 1; done <= steps; done++)
        {
            var u = 1 - rng.NextDouble();
            var gaussian = Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * rng.NextDouble());
            sum += Math.Max(0, mean(done) + noise * gaussian);
            count++;
            if (done % logEvery == 0 || done % evalEvery == 0 || done == steps)
            {
                rows.Add((done, sum / count));
                (sum, count) = (0, 0);
            }
        }
        return rows;
    }

    private static List<(int Step, double Loss)> Cut(List<(int Step, double Loss)> rows, int steps) => rows.Where(r => r.Step <= steps).ToList();

    [TestCase(300, 15.0)]
    [TestCase(620, 15.0)]
    [TestCase(1100, 40.0)]
    [TestCase(250, 5.0)]
    public void An_abrupt_drop_is_found_at_its_step(int centre, double tau)
    {
        var phase = PhaseChange.Detect(TrainerLog(Abrupt(centre, tau), 1500, 20, 100, 0.03, 1));
        TestContext.Out.WriteLine(phase);
        Assert.That(phase, Is.Not.Null);
        Assert.That(phase!.Step, Is.InRange(centre - 10, centre + 10));
        Assert.That(phase.Drop, Is.GreaterThan(3.5));
        // The width measured on the curve is the drop's own: 10% to 90% of the drop between the points where its rate is 1/10 of the peak is about 4 τ (plus the
        // 20-step logging resolution).
        Assert.That(phase.Width, Is.InRange(3.6 * tau - 10, 4.4 * tau + 25));
    }

    /// <summary>The property of issue 21 §3: on random plateau → logistic drop → converged tail curves, logged as the
    /// trainer logs them at random cadences, cutting the run anywhere after the drop has ended (which is also
    /// extending a shorter run's converged tail) moves the detected step by at most 5% and never loses it.</summary>
    [Test]
    public void Cutting_after_the_drop_or_extending_the_tail_neither_moves_nor_loses_the_phase_change()
    {
        var cases = from tau in Gen.Choose(4, 50)
                    from logEvery in Gen.Elements(5, 10, 20, 25, 50)
                    from evalEvery in Gen.Elements(25, 50, 100, 250)
                    from lead in Gen.Choose(0, 1000)
                    from extra in Gen.Choose(0, 5000)
                    from cutShare in Gen.Choose(0, 1000)
                    from plateau in Gen.Choose(150, 500)
                    from floor in Gen.Choose(1, 50)
                    from slope in Gen.Choose(0, 10)
                    from noise in Gen.Choose(5, 60)
                    from seed in Gen.Choose(0, int.MaxValue)
                    select (tau, logEvery, evalEvery, lead, extra, cutShare, plateau, floor, slope, noise, seed);
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var failure = CutFailure(c);
            if (failure is not null) TestContext.Out.WriteLine(failure);
            return failure is null;
        }).Check(PropertyConfig.Cases(200).WithQuietOnSuccess(true));
    }

    /// <summary>Cases random draws of the property found (about 1 in 40,000 on the rule before the fix): a drop
    /// narrower than the logging interval, cut to a 9-row log where 4 of the 6 rows' noise residuals straddle the
    /// drop. The noise was taken from the lower quartile of all residuals, which then reached the drop, and no
    /// smoothing window passed the noise test; it now comes from the residuals that stay clear of the drop.</summary>
    [TestCase(8, 50, 50, 3, 20, 217, 477, 39, 2, 15, 1900571871)]
    [TestCase(8, 50, 50, 48, 82, 70, 254, 47, 5, 26, 798948241)]
    [TestCase(8, 50, 250, 2, 1047, 9, 412, 14, 10, 40, 351661291)]
    public void A_drop_narrower_than_the_logging_interval_survives_a_cut_to_a_short_log(int tau, int logEvery, int evalEvery, int lead, int extra,
        int cutShare, int plateau, int floor, int slope, int noise, int seed) =>
        Assert.That(CutFailure((tau, logEvery, evalEvery, lead, extra, cutShare, plateau, floor, slope, noise, seed)), Is.Null);

    /// <summary>Null when cutting case <paramref name="c"/>'s log after its drop keeps the phase change within 5%;
    /// otherwise what happened.</summary>
    private static string? CutFailure((int tau, int logEvery, int evalEvery, int lead, int extra, int cutShare, int plateau, int floor, int slope, int noise, int seed) c)
    {
        // Room for a plateau of several drop widths before the drop.
        var centre = 12 * c.tau + 3 * c.logEvery + c.lead;
        var ended = centre + 6 * c.tau + 3 * c.logEvery;
        var steps = ended + c.extra;
        var cut = ended + (int)((long)c.extra * c.cutShare / 1000);
        var rows = TrainerLog(Abrupt(centre, c.tau, c.plateau / 100.0, c.floor / 1000.0, c.slope / 100.0), steps, c.logEvery, c.evalEvery, c.noise / 1000.0, c.seed);
        var whole = PhaseChange.Detect(rows);
        var part = PhaseChange.Detect(Cut(rows, cut));
        var ok = whole is not null && part is not null && Math.Abs(whole.Step - part.Step) <= 0.05 * whole.Step;
        return ok ? null : $"{c}: centre {centre}, {steps} steps: {whole?.ToString() ?? "none"}; cut at {cut}: {part?.ToString() ?? "none"}";
    }

    /// <summary>The rates docs/design.md §4 quotes: the cut property over many random draws (TOOLKIT_CUT_CASES, default
    /// 5,000), printing every failure.</summary>
    [Test, Explicit("many draws, for the rates docs/design.md §4 quotes")]
    public void Cut_property_over_many_draws()
    {
        var rng = new Random(Environment.TickCount);
        var count = int.TryParse(Environment.GetEnvironmentVariable("TOOLKIT_CUT_CASES"), out var n) ? n : 5000;
        int[] logs = [5, 10, 20, 25, 50], evals = [25, 50, 100, 250];
        var failures = 0;
        for (var i = 0; i < count; i++)
        {
            var c = (rng.Next(4, 51), logs[rng.Next(logs.Length)], evals[rng.Next(evals.Length)], rng.Next(0, 1001), rng.Next(0, 5001),
                rng.Next(0, 1001), rng.Next(150, 501), rng.Next(1, 51), rng.Next(0, 11), rng.Next(5, 61), rng.Next());
            if (CutFailure(c) is { } failure) { failures++; TestContext.Out.WriteLine(failure); }
        }
        TestContext.Out.WriteLine($"{failures} of {count} draws failed");
        Assert.That(failures, Is.Zero);
    }

    /// <summary>The rates docs/design.md §4 quotes: pure noise in 200–1,500-step logs over many random draws
    /// (TOOLKIT_CUT_CASES, default 5,000), printing every phase change found; at most 1 in 10,000.</summary>
    [Test, Explicit("many draws, for the rates docs/design.md §4 quotes")]
    public void Noise_over_many_draws()
    {
        var rng = new Random(Environment.TickCount);
        var count = int.TryParse(Environment.GetEnvironmentVariable("TOOLKIT_CUT_CASES"), out var n) ? n : 5000;
        int[] logs = [5, 20, 50];
        var detections = 0;
        for (var i = 0; i < count; i++)
        {
            var (logEvery, steps, seed) = (logs[rng.Next(logs.Length)], rng.Next(200, 1501), rng.Next());
            if (PhaseChange.Detect(TrainerLog(_ => 1.0, steps, logEvery, 100, 0.05, seed)) is { } phase)
            {
                detections++;
                TestContext.Out.WriteLine($"({logEvery}, {steps}, {seed}): {phase}");
            }
        }
        TestContext.Out.WriteLine($"{detections} of {count} draws detected");
        Assert.That(detections, Is.LessThanOrEqualTo(count / 10_000));
    }

    [TestCase(50.0, 0)]
    [TestCase(200.0, 0)]
    [TestCase(600.0, 0)]
    [TestCase(3000.0, 0)]
    [TestCase(50.0, 100)]
    [TestCase(200.0, 100)]
    [TestCase(30.0, 20)]
    [TestCase(200.0, 20)]
    public void A_smooth_exponential_decay_is_no_phase_change_at_any_length(double tau, int warmup)
    {
        var rows = TrainerLog(Exponential(tau, warmup), 3000, 20, 100, 0.03, 2);
        foreach (var steps in new[] { 300, 500, 800, 1200, 1600, 3000 })
            Assert.That(PhaseChange.Detect(Cut(rows, steps)), Is.Null, $"{steps} steps");
    }

    [Test]
    public void A_linear_decline_is_no_phase_change_at_any_length()
    {
        var rows = TrainerLog(s => 4.1 - 3.5 * s / 3000.0, 3000, 20, 50, 0.03, 3);
        foreach (var steps in new[] { 300, 500, 800, 1200, 1600, 3000 })
            Assert.That(PhaseChange.Detect(Cut(rows, steps)), Is.Null, $"{steps} steps");
    }

    [Test]
    public void Noise_around_a_constant_is_no_phase_change()
    {
        // Short logs too (a few rows, where the noise comes from the fewest residuals).
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Elements(5, 20, 50).ToArbitrary(), Gen.Choose(200, 1500).ToArbitrary(), (seed, logEvery, steps) =>
            PhaseChange.Detect(TrainerLog(_ => 1.0, steps, logEvery, 100, 0.05, seed)) is null)
            .Check(PropertyConfig.Cases(100).WithQuietOnSuccess(true));
    }

    /// <summary>A loss that never moves (its per-step rebuild differs only by rounding in the prefix sums, and its noise is
    /// 0) has no phase change: the rule once reported one at step 168 of a constant 3.05.</summary>
    [Test]
    public void A_constant_loss_is_no_phase_change() =>
        Assert.That(PhaseChange.Detect(Enumerable.Range(0, 101).Select(i => (10 * i, 3.05)).ToList()), Is.Null);

    /// <summary>Pure noise in 5-row logs that the rule before the fix called a phase change: with fewer than 3
    /// residuals it skipped the noise test and took the steepest fall at the log's resolution.</summary>
    [TestCase(1544912862, 50, 236)]
    [TestCase(118830761, 50, 247)]
    public void Noise_in_a_log_too_short_to_measure_it_is_no_phase_change(int seed, int logEvery, int steps) =>
        Assert.That(PhaseChange.Detect(TrainerLog(_ => 1.0, steps, logEvery, 100, 0.05, seed)), Is.Null);

    [Test]
    public void The_logging_cadence_does_not_move_the_step()
    {
        // One run (the same per-step losses) written at four cadences.
        var steps = new List<int>();
        foreach (var (log, eval) in new[] { (20, 100), (20, 50), (50, 50), (5, 25) })
        {
            var phase = PhaseChange.Detect(TrainerLog(Abrupt(620, 15), 1500, log, eval, 0.03, 4));
            Assert.That(phase, Is.Not.Null, $"log every {log}, eval every {eval}");
            steps.Add(phase!.Step);
        }
        TestContext.Out.WriteLine(string.Join(", ", steps));
        Assert.That(steps.Max() - steps.Min(), Is.LessThanOrEqualTo(25), "within half the coarsest logging interval");
    }

    [Test]
    public void A_drop_still_under_way_at_the_end_of_the_run_is_not_reported()
    {
        var rows = TrainerLog(Abrupt(620, 15), 1500, 20, 100, 0.03, 5);
        Assert.That(PhaseChange.Detect(Cut(rows, 640)), Is.Null);
        Assert.That(PhaseChange.Detect(Cut(rows, 720)), Is.Not.Null);
    }

    [Test]
    public void Across_seeds_the_median_step_and_its_range_are_reported()
    {
        var perSeed = new[] { 500, 620, 540, 900 }.Select(c => PhaseChange.Detect(TrainerLog(Abrupt(c, 15), 1500, 20, 100, 0.03, c)))
            .Append(PhaseChange.Detect(TrainerLog(Exponential(200), 1500, 20, 100, 0.03, 6))).ToList();
        var across = PhaseChangeAcrossSeeds.Of(perSeed)!;
        Assert.That((across.Detected, across.Seeds), Is.EqualTo((4, 5)));
        Assert.That(across.MedianStep, Is.InRange(580 - 15, 580 + 15));
        Assert.That(across.MinStep, Is.InRange(490, 510));
        Assert.That(across.MaxStep, Is.InRange(890, 910));
        Assert.That(PhaseChangeAcrossSeeds.Of([null, null]), Is.Null);
    }
}
