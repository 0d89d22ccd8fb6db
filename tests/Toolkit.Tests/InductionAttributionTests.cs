using FsCheck;
using FsCheck.Fluent;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Experiments;
using Toolkit.Tasks;
using Toolkit.Tests.Analysis;
using Toolkit.Verdicts;

namespace Toolkit.Tests;

/// <summary>"By induction" is said only by <see cref="InductionAttribution"/>: named induction heads that the held-out
/// probes need as a set (docs/design.md §4).</summary>
public class InductionAttributionTests
{
    private static GeneralizationVerdict Judge(Model.HookedTransformer model, ITask task, long seed = 5)
    {
        using var scoring = ScoringBatch.ForRun(model, task, seed);
        var heads = HeadScores.Compute(model, scoring);
        return ProbeSuite.Judge(model, task, seed, heads: heads, layout: scoring);
    }

    [Test]
    public void A_generalizing_model_whose_named_induction_head_is_not_needed_is_not_said_to_work_by_induction()
    {
        var model = InductionModel.SoftWithDecoy;
        var task = InductionModel.Task;
        using var scoring = ScoringBatch.ForRun(model, task, 5);
        var heads = HeadScores.Compute(model, scoring);
        var verdict = ProbeSuite.Judge(model, task, 5, heads: heads, layout: scoring);
        TestContext.Out.WriteLine(verdict.Render());
        Assert.That(heads.Named(HeadRole.Induction).Select(h => h.Name), Is.EqualTo(new[] { $"L{InductionModel.IndLayer}H{InductionModel.DecoyHead}" }),
            "only the decoy scores as an induction head; the head that does the work attends too softly to be named");
        Assert.That(verdict.Kind, Is.EqualTo(VerdictKind.Generalizes), "the soft head still solves the task");
        Assert.That(verdict.Mechanism!.Finding, Is.EqualTo(InductionFinding.HeadsNotNeeded));
        Assert.That(verdict.Mechanism.Ablations.Select(a => a.Drop), Has.All.EqualTo(0).Within(1e-9), "the decoy writes where nothing reads");
        var explanation = MemorizationDemo.Explain("(x)", verdict, heads, null);
        TestContext.Out.WriteLine(explanation);
        Assert.That(explanation, Does.StartWith("(x): generalizes"));
        Assert.That(explanation, Does.Not.Contain("by induction"));
        Assert.That(verdict.Render(), Does.Contain("induction heads L1H0 named, but mean-ablating them together"));
    }

    [Test]
    public void The_exact_hand_built_circuit_works_by_induction()
    {
        var verdict = Judge(InductionModel.Model, InductionModel.Task);
        TestContext.Out.WriteLine(verdict.Render());
        Assert.That(verdict.Kind, Is.EqualTo(VerdictKind.Generalizes));
        Assert.That(verdict.Mechanism!.Finding, Is.EqualTo(InductionFinding.ByInduction));
        Assert.That(verdict.Mechanism.Heads, Is.EqualTo(new[] { "L1H1" }));
    }

    [Test]
    public void The_demo_variable_period_model_works_by_induction_and_the_demo_says_so()
    {
        var run = TrainedModels.Get(TrainedModels.VariablePeriod);
        var verdict = SeedStudy.Judge(run.Run.Path).Verdict;
        TestContext.Out.WriteLine(verdict.Render());
        Assert.That(verdict.Kind, Is.EqualTo(VerdictKind.Generalizes));
        Assert.That(verdict.Mechanism!.Finding, Is.EqualTo(InductionFinding.ByInduction), verdict.Mechanism.ToString());
        var explanation = MemorizationDemo.Explain("(b)", verdict, run.FinalHeads, PhaseChange.Detect(run.LossCurve));
        TestContext.Out.WriteLine(explanation);
        Assert.That(explanation, Does.Contain(", by induction: mean-ablating its induction heads"));
    }

    [Test]
    public void A_model_that_does_not_generalize_is_not_asked_how()
    {
        var verdict = SeedStudy.Judge(TrainedModels.Get(TrainedModels.FixedPeriod).Run.Path).Verdict;
        Assert.That(verdict.Kind, Is.Not.EqualTo(VerdictKind.Generalizes));
        Assert.That(verdict.Mechanism, Is.Null);
        Assert.That(verdict.Render(), Does.Not.Contain("by induction"));
    }

    [Test]
    public void Ablating_a_set_of_one_head_over_one_batch_is_the_library_single_head_mean_ablation()
    {
        var model = InductionModel.Model;
        var examples = Sampling.examples(InductionModel.Task, 11UL, 64);
        using var batch = Batch.ForEvaluation(model.Config, examples, model.Device);
        var single = Ablation.EveryHead(model, batch, AblationKind.Mean);
        foreach (var e in single)
        {
            var (clean, ablated) = HeadSetAblation.Evaluate(model, examples, new[] { (e.Layer, e.Head) }, AblationKind.Mean);
            Assert.That(clean.Accuracy, Is.EqualTo(e.CleanAccuracy).Within(1e-9), e.Name);
            Assert.That(ablated.Accuracy, Is.EqualTo(e.Accuracy).Within(1e-9), e.Name);
            Assert.That(ablated.Loss, Is.EqualTo(e.Loss).Within(1e-4), e.Name);
        }
    }

    [Test]
    public void By_induction_needs_every_held_out_drop_interval_at_or_above_the_margin()
    {
        Prop.ForAll(Gen.Choose(0, 1000).ArrayOf().ToArbitrary(), lows =>
        {
            var ablations = lows.Select((l, i) => new InductionAblation($"p{i}", 1, 0.5, l / 1000.0, 1)).ToList();
            var expected = lows.Length > 0 && lows.All(l => l / 1000.0 >= InductionAttribution.MinDrop);
            return (InductionAttribution.Decide(ablations) == InductionFinding.ByInduction) == expected;
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void The_paired_drop_interval_of_identical_counts_is_zero_and_covers_a_constant_drop()
    {
        var masked = Enumerable.Repeat(10L, 50).ToArray();
        var a = Enumerable.Range(0, 50).Select(i => (long)(i % 11)).Select(x => Math.Min(x, 10)).ToArray();
        Assert.That(Bootstrap.DifferenceInterval(a, a, masked), Is.EqualTo((0.0, 0.0)));
        var b = a.Select(x => Math.Max(0, x - 2)).ToArray();
        var (low, high) = Bootstrap.DifferenceInterval(a, b, masked);
        var drop = (double)(a.Sum() - b.Sum()) / masked.Sum();
        Assert.That(low, Is.LessThanOrEqualTo(drop));
        Assert.That(high, Is.GreaterThanOrEqualTo(drop));
    }
}
