using FsCheck;
using FsCheck.Fluent;
using Toolkit.Analysis;
using Toolkit.Experiments;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Verdicts;

namespace Toolkit.Tests;

/// <summary>Generalization verdicts, property-based generalization checks and exaptation, on the
/// shared tiny trained models (docs/design.md §4; issue acceptance: fixed → memorizes, variable → generalizes).</summary>
public class VerdictTests
{
    private static ITask TaskOf(TrainingResultKey key, params (string Key, string Value)[] overrides)
    {
        var spec = Run(key).Run.ReadConfig().Task;
        var parameters = new Dictionary<string, string>(spec.Parameters);
        foreach (var (k, v) in overrides) parameters[k] = v;
        return Catalog.Create(spec.Name, parameters);
    }

    public enum TrainingResultKey { Fixed, Variable }

    private static Toolkit.Training.TrainingResult Run(TrainingResultKey key) =>
        TrainedModels.Get(key == TrainingResultKey.Fixed ? TrainedModels.FixedPeriod : TrainedModels.VariablePeriod);

    private static HookedTransformer Model(TrainingResultKey key) => Run(key).Run.LoadModel();

    [Test]
    public void A_tally_reads_after_the_model_for_every_kind()
    {
        Assert.That(VerdictKinds.Tally([VerdictKind.NotLearned, VerdictKind.NotLearned]), Is.EqualTo("has not learned its task in 2 of 2 seeds"));
        Assert.That(VerdictKinds.Tally([VerdictKind.Generalizes, VerdictKind.Partial, VerdictKind.Generalizes]),
            Is.EqualTo("generalizes in 2 of 3 seeds, is partial in 1 of 3 seeds"));
        foreach (var kind in Enum.GetValues<VerdictKind>())
            Assert.That(kind.Predicate(), Does.EndWith(kind == VerdictKind.NotLearned ? "not learned its task" : kind.Word()), "the verdict's own word stays in it");
    }

    [Test]
    public void Fixed_period_model_is_judged_memorizes_positions_with_fixed_offset_evidence()
    {
        var outcome = SeedStudy.Judge(Run(TrainingResultKey.Fixed).Run.Path);
        TestContext.Out.WriteLine(outcome.Verdict.Render());
        Assert.That(outcome.Verdict.Kind, Is.EqualTo(VerdictKind.MemorizesPositions));
        // The mechanism, shown: on the new period the model predicts what "copy 32 back" predicts.
        var moved = outcome.Verdict.ShortcutFollowed.Single(p => p.Name == "moved-repeat");
        Assert.That(moved.Kind.IsOutside, "a new period is declared outside; the shortcut test, not its accuracy, decides");
        Assert.That(moved.Shortcut.AgreementLow, Is.GreaterThan(0.5), moved.Shortcut.ToString());
        // Offset evidence tested on a layout where the fixed offset and the induction target differ.
        Assert.That(outcome.Verdict.Evidence, Has.Some.Contains("shortcut's offsets").And.Contains("mostly 31").And.Contains("a fixed offset relative to the position"),
            "the layer-1 heads look exactly one period (minus one) back, whatever the tokens say");
    }

    [Test]
    public void Variable_period_model_generalizes_and_outside_probes_are_reported_not_decisive()
    {
        var outcome = SeedStudy.Judge(Run(TrainingResultKey.Variable).Run.Path);
        TestContext.Out.WriteLine(outcome.Verdict.Render());
        Assert.That(outcome.Verdict.Kind, Is.EqualTo(VerdictKind.Generalizes));
        Assert.That(outcome.Verdict.Evidence, Has.None.Contains("a fixed offset relative to the position"), "no head of the induction model is a fixed-offset head");
        Assert.That(outcome.Verdict.Probes.Where(p => p.Kind.IsOutside).Select(p => p.Name), Is.SupersetOf(new[] { "longer-periods", "shorter-periods" }));
        Assert.That(outcome.Verdict.Render(), Does.Contain("outside"));
        Assert.That(outcome.Verdict.Probes.All(p => p.BaselineAccuracy < 0.5), "positions alone cannot solve shifted repeats");
    }

    [Test]
    public void The_probe_command_and_the_demo_state_the_library_verdict_for_the_same_run()
    {
        foreach (var key in new[] { TrainingResultKey.Fixed, TrainingResultKey.Variable })
        {
            var run = Run(key);
            var verdict = SeedStudy.Judge(run.Run.Path).Verdict;
            var (code, output, error) = CliRunner.InProcess("probe", run.Run.Path);
            Assert.That(code, Is.EqualTo(0), error);
            Assert.That(output, Does.Contain($"verdict: {verdict.Headline}"), $"{key}: `toolkit probe` prints the library's verdict");
            var explanation = MemorizationDemo.Explain("(x)", verdict, run.FinalHeads, PhaseChange.Detect(run.LossCurve));
            Assert.That(explanation, Does.StartWith($"(x): {verdict.Kind.Word()}"), $"{key}: the demo explains the library's verdict, not one of its own");
        }
    }

    [Test]
    public void Probe_trains_no_missing_seed_unless_asked()
    {
        var source = Run(TrainingResultKey.Fixed).Run.Path;
        var seed = RunDirectory.Open(source).ReadConfig().Training.Seed + 1;
        var sibling = $"{source.TrimEnd('/')}-seed{seed}";
        Assume.That(Directory.Exists(sibling), Is.False);
        var (code, _, error) = CliRunner.InProcess("probe", source, "--seeds", "2");
        Assert.That(code, Is.EqualTo(2));
        CliRunner.AssertTwoLineError(error, $"seed {seed} has no run at {sibling}");
        Assert.That(error, Does.Contain("--train-missing"));
        Assert.That(Directory.Exists(sibling), Is.False, "nothing is trained without --train-missing");
    }

    [Test]
    public void A_run_holding_only_its_config_and_a_checkpoint_is_judged_like_the_full_run()
    {
        var source = Run(TrainingResultKey.Fixed).Run.Path;
        var copy = Directory.CreateTempSubdirectory("toolkit-checkpoint-only-").FullName;
        try
        {
            File.Copy(Path.Combine(source, "config.json"), Path.Combine(copy, "config.json"));
            foreach (var file in Directory.GetFiles(Path.Combine(source, "checkpoints"), "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            var (code, output, error) = CliRunner.InProcess("probe", copy);
            Assert.That(code, Is.EqualTo(0), error);
            Assert.That(output, Does.Contain("no metrics.csv: training dynamics unknown"));
            Assert.That(output, Does.Contain($"verdict: {SeedStudy.Judge(source).Verdict.Headline}"), "the weights decide, not the training log");
        }
        finally { Directory.Delete(copy, recursive: true); }
    }

    [Test]
    public void Same_seed_gives_the_same_verdict_and_numbers_on_a_rerun()
    {
        var path = Run(TrainingResultKey.Variable).Run.Path;
        var a = SeedStudy.Judge(path).Verdict;
        var b = SeedStudy.Judge(path).Verdict;
        Assert.That(b.Render(), Is.EqualTo(a.Render()));
    }

    [Test]
    public void Fixed_model_passes_in_distribution_then_fails_over_periods_and_starts_and_shrinks_to_a_small_counterexample()
    {
        using var model = Model(TrainingResultKey.Fixed);
        var property = ModelProperty.Parse("accuracy >= 0.7");
        var inDistribution = GeneralizationCheck.Check(model, TaskOf(TrainingResultKey.Fixed), property, tests: 40);
        Assert.That(inDistribution.Passed, inDistribution.Explanation);

        var over = TaskOf(TrainingResultKey.Fixed, ("period", "6..32"), ("start", "0..20"));
        var result = GeneralizationCheck.Check(model, over, property, tests: 100);
        TestContext.Out.WriteLine(result.Explanation);
        Assert.That(result.Passed, Is.False);
        var shape = result.Counterexample!.Shape;
        Assert.That(shape["period"] != 32 || shape["start"] != 0, "the counterexample differs from the training shape");
        Assert.That(shape["period"], Is.EqualTo(6), "shrunk to the smallest period of the range");
        Assert.That(shape["start"], Is.EqualTo(0), "and the smallest start");
        Assert.That(result.Explanation, Does.Contain("WRONG").And.Contain("L1H"));
    }

    [Test]
    public void Variable_model_passes_the_property_inside_its_range()
    {
        using var model = Model(TrainingResultKey.Variable);
        var result = GeneralizationCheck.Check(model, TaskOf(TrainingResultKey.Variable, ("period", "6..29"), ("start", "0..20")),
            ModelProperty.Parse("accuracy >= 0.7"), tests: 100);
        Assert.That(result.Passed, result.Explanation);
    }

    [Test]
    public void Beyond_its_range_the_variable_model_is_measured_not_assumed()
    {
        using var model = Model(TrainingResultKey.Variable);
        // The run held period 17 out of 6..29; the new range holds nothing out.
        var beyond = GeneralizationCheck.Check(model, TaskOf(TrainingResultKey.Variable, ("period", "30..32"), ("holdout", "none")), ModelProperty.Parse("accuracy >= 0.7"), tests: 30);
        // Either outcome is a finding; what must hold is that the check's answer is what a direct measurement
        // says: a failure's counterexample really fails when measured again (and lies in the range), and a pass
        // means instances drawn from the same range really meet the property.
        TestContext.Out.WriteLine(beyond.Passed ? "holds beyond the range (periods 30..32)" : beyond.Explanation);
        var property = ModelProperty.Parse("accuracy >= 0.7");
        var task = TaskOf(TrainingResultKey.Variable, ("period", "30..32"), ("holdout", "none"));
        if (!beyond.Passed)
        {
            Assert.That(beyond.Counterexample!.Shape["period"], Is.InRange(30, 32));
            Assert.That(property.Holds(GeneralizationCheck.Measure(model, task, beyond.Counterexample)), Is.False,
                "the reported counterexample must fail when measured again");
        }
        else
        {
            var drawn = GeneralizationCheck.Instances(task).Generator.Sample(10);
            Assert.That(drawn.Where(i => !property.Holds(GeneralizationCheck.Measure(model, task, i))).Select(i => i.Shape["period"]), Is.Empty,
                "a pass must survive fresh instances from the same range");
        }
    }

    /// <summary>The same check through FsCheck.NUnit's [Property]: the task's arbitrary shrinks over its shape.
    /// Starts stop at 20: over every start, FsCheck finds late short repeats where this model is weakest
    /// (shrunk to period 6, start 46: 3 of 5 positions right), a measured finding the README reports.</summary>
    [FsCheck.NUnit.Property(MaxTest = 25, Replay = "7,11")]
    public Property Variable_model_copies_every_instance_with_an_early_start_nunit_property()
    {
        var model = VariableModel.Value;
        var task = TaskOf(TrainingResultKey.Variable, ("start", "0..20"));
        return Prop.ForAll(GeneralizationCheck.Instances(task),
            instance => ModelProperty.Parse("accuracy >= 0.7").Holds(GeneralizationCheck.Measure(model, task, instance)));
    }

    private static readonly Lazy<HookedTransformer> VariableModel = new(() => Model(TrainingResultKey.Variable));

    [Test]
    public void Properties_parse_and_bad_ones_are_refused_with_a_hint()
    {
        Prop.ForAll(Gen.Elements("accuracy", "loss").ToArbitrary(), Gen.Elements(">=", "<=", ">", "<").ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(),
            (metric, op, milli) =>
            {
                var p = ModelProperty.Parse($"{metric} {op} {milli / 1000.0:0.###}");
                return p.Metric == metric && p.Operator == op && Math.Abs(p.Threshold - milli / 1000.0) < 1e-9;
            }).Check(PropertyConfig.Quick);
        var e = Assert.Throws<ToolkitException>(() => ModelProperty.Parse("accuracy is high"))!;
        Assert.That(e.Hint, Does.Contain("accuracy >= 0.9"));
    }

    [Test]
    public void Check_refuses_ranges_that_do_not_fit_the_context()
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            var code = Cli.CommandLine.Invoke(Cli.Commands.Commands.Root(),
                new[] { "check", Run(TrainingResultKey.Variable).Run.Path, "--over", "period=6..40" });
            Assert.That(code, Is.EqualTo(2));
        }
        finally { Console.SetError(saved); }
        Assert.That(err.ToString(), Does.StartWith("error: period 6..40 does not fit context 64"));
    }

    [Test]
    public void Variable_model_fine_tuned_on_a_fixed_period_keeps_its_induction_circuit()
    {
        var outPath = Path.Combine(Path.GetTempPath(), $"toolkit-ft-{Guid.NewGuid():N}");
        try
        {
            var report = Exaptation.FineTune(Run(TrainingResultKey.Variable).Run.Path,
                new TaskSpec { Parameters = new() { ["period"] = "32" } }, steps: 60, outPath);
            TestContext.Out.WriteLine(report.Render());
            var before = report.HeadsBefore.Named(HeadRole.Induction).Select(h => h.Name).ToList();
            Assert.That(before, Is.Not.Empty);
            Assert.That(report.HeadsAfter.Named(HeadRole.Induction).Select(h => h.Name), Is.SupersetOf(before));
            Assert.That(report.OriginalAfter.Kind, Is.EqualTo(VerdictKind.Generalizes));
            Assert.That(RunDirectory.Open(outPath).ReadConfig().InitFrom, Does.Contain("checkpoints"), "the fine-tune records where it started");
        }
        finally
        {
            if (Directory.Exists(outPath)) Directory.Delete(outPath, recursive: true);
        }
    }

    [Test]
    public void Analyze_on_the_trained_variable_model_finds_the_circuit_and_the_phase_change()
    {
        var run = Run(TrainingResultKey.Variable);
        using var model = run.Run.LoadModel();
        var report = Analyzer.Analyze(model, TaskOf(TrainingResultKey.Variable), seed: 0);
        TestContext.Out.WriteLine(report.Render());
        Assert.That(report.Heads.Named(HeadRole.PreviousToken).Select(h => h.Layer), Does.Contain(0));
        Assert.That(report.Heads.Named(HeadRole.Induction).Select(h => h.Layer), Does.Contain(1));
        var dynamics = run.Run.ReadDynamics(run.Run.ReadConfig());
        Assert.That(dynamics.Phase!.Step, Is.InRange(100, 900));
        Assert.That(dynamics.BestInduction, Is.GreaterThan(0.4));
        // The in-context learning score over training: near zero before induction, clearly negative after it.
        var lines = File.ReadAllLines(run.Run.MetricsPath);
        var icl = Array.IndexOf(lines[0].Split(','), "icl");
        var scores = lines.Skip(1).Select(l => l.Split(',')[icl]).Where(c => c != "")
            .Select(c => double.Parse(c, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        TestContext.Out.WriteLine($"icl over training: {string.Join(" ", scores.Select(x => x.ToString("F2")))}");
        Assert.That(scores, Has.Count.EqualTo(run.Steps / TrainedModels.VariablePeriod.Training.EvalEvery));
        Assert.That(scores[0], Is.GreaterThan(-0.5), "before the phase change the context does not help");
        // After it the score drops by more than a nat; later it can rise again as the model grows overconfident on
        // late filler tokens (measured: -0.32 at step 100, -2.11 at 200, then -0.7 to -1.4).
        Assert.That(scores.Min(), Is.LessThan(scores[0] - 1.0), "once induction forms, the last token's loss is far below the early token's");
    }
}
