using FsCheck;
using FsCheck.Fluent;
using Toolkit.Evaluation;
using Toolkit.Tasks;
using Toolkit.Verdicts;

namespace Toolkit.Tests;

/// <summary>The verdict rule and the shortcut test on hand-built predictors (no model, no TorchSharp):
/// "memorizes positions" needs the predictions to follow the positional shortcut, not merely a failure.</summary>
public class VerdictRuleTests
{
    private static readonly VerdictSettings Settings = new();

    private static ITask RepeatedCopy(int period, int repeats) => Catalog.Create("repeated-copy", new Dictionary<string, string>
    {
        ["period"] = period.ToString(), ["repeats"] = repeats.ToString(), ["start"] = "0", ["context"] = "64", ["vocab"] = "64",
    });

    /// <summary>What a model that learned "copy the token <paramref name="offset"/> back" predicts.</summary>
    private static int[][] FixedOffsetPredictor(IReadOnlyList<Example> examples, int offset) =>
        examples.Select(e => e.Tokens.Select((_, i) => i >= offset ? e.Tokens[i - offset] : -1).ToArray()).ToArray();

    /// <summary>What a model predicting random content tokens predicts.</summary>
    private static int[][] RandomPredictor(IReadOnlyList<Example> examples, Vocabulary v, int seed)
    {
        var rng = new Random(seed);
        return examples.Select(e => e.Tokens.Select(_ => rng.Next(v.ContentStart, v.Size)).ToArray()).ToArray();
    }

    private static (PositionBaseline Shortcut, ITask Probe, Example[] Examples) MovedRepeat(int period, int repeats)
    {
        var task = RepeatedCopy(period, repeats);
        var shortcut = PositionBaseline.Fit(Sampling.examples(task, 1UL, 500));
        var probe = task.Probes.Single(p => p.Name == "moved-repeat").Task;
        return (shortcut, probe, Sampling.examples(probe, 2UL, 200));
    }

    [Test]
    public void A_fixed_offset_memorizer_follows_the_shortcut_on_a_new_period_for_every_period_and_repeat_count()
    {
        Prop.ForAll(Gen.Choose(8, 21).ToArbitrary(), Gen.Choose(2, 3).ToArbitrary(), (period, repeats) =>
        {
            if (period * repeats > 64) return true;
            var (shortcut, probe, examples) = MovedRepeat(period, repeats);
            var memorizer = ShortcutAgreement.FromPredictions(FixedOffsetPredictor(examples, period), shortcut, examples, probe.Vocabulary);
            return memorizer.Follows(Settings) && memorizer.Agreement > 0.9;
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void A_rule_follower_and_a_random_guesser_do_not_follow_the_shortcut()
    {
        var (shortcut, probe, examples) = MovedRepeat(32, 2);
        var truth = examples.Select(e => e.Tokens.ToArray()).ToArray();
        var rule = ShortcutAgreement.FromPredictions(truth, shortcut, examples, probe.Vocabulary);
        Assert.That(rule.Positions, Is.GreaterThan(Settings.MinShortcutPositions));
        Assert.That(rule.Agreement, Is.EqualTo(0), "where the two disagree, the rule's token is never the shortcut's");
        Assert.That(rule.RuleAccuracy, Is.EqualTo(1));
        Assert.That(rule.DoesNotFollow(Settings));
        var random = ShortcutAgreement.FromPredictions(RandomPredictor(examples, probe.Vocabulary, 3), shortcut, examples, probe.Vocabulary);
        Assert.That(random.DoesNotFollow(Settings), random.ToString());
        Assert.That(random.Agreement, Is.LessThan(4 * random.Chance), "a guesser agrees at about chance");
    }

    private static EvalResult Eval(double accuracy, double halfWidth = 0.02) =>
        new(1.0, accuracy, Math.Max(0, accuracy - halfWidth), Math.Min(1, accuracy + halfWidth), 256, 5000, []);

    private static ShortcutAgreement Agreement(double agreement, long positions = 500) =>
        new(positions, agreement, Math.Max(0, agreement - 0.05), Math.Min(1, agreement + 0.05), 0.1, 1.0 / 61);

    private static ProbeOutcome Outcome(string name, bool inside, double accuracy, double agreement, EvalResult inDistribution, double? drawn = null) =>
        new(name, inside ? ProbeKind.Inside : ProbeKind.Outside, "", Eval(accuracy), 0, 1.0 / 61,
            VerdictRule.Passes(Eval(accuracy), inDistribution, Settings), Agreement(agreement), 0) { DrawnInTraining = inside ? drawn : null };

    private static Gen<(double InDistribution, List<(bool Inside, double Accuracy, double Agreement, double? Drawn)> Probes)> Cases() =>
        from inDist in Gen.Choose(50, 100).Select(x => x / 100.0)
        from count in Gen.Choose(0, 4)
        from probes in Gen.ListOf(
            from inside in Gen.Elements(true, false)
            from accuracy in Gen.Choose(0, 100).Select(x => x / 100.0)
            from agreement in Gen.Choose(0, 100).Select(x => x / 100.0)
            from drawn in Gen.Elements<double?>(null, 0.0, 0.3, 1.0)
            select (inside, accuracy, agreement, drawn), count)
        select (inDist, probes.ToList());

    [Test]
    public void The_rule_says_memorizes_only_with_the_shortcut_shown_and_generalizes_only_with_every_held_out_inside_probe_passing()
    {
        Prop.ForAll(Cases().ToArbitrary(), c =>
        {
            var inDist = Eval(c.InDistribution);
            var outcomes = c.Probes.Select((p, i) => Outcome($"p{i}", p.Inside, p.Accuracy, p.Agreement, inDist, p.Drawn)).ToList();
            var kind = VerdictRule.Decide(inDist, outcomes, Settings);
            var good = c.InDistribution >= Settings.GoodAccuracy;
            var followed = outcomes.Any(o => !o.Passed && o.Shortcut.Follows(Settings));
            // Only inside probes none of whose instances training could draw decide (null: the task does not say).
            var inside = outcomes.Where(o => o.Kind.IsInside && !(o.DrawnInTraining > 0)).ToList();
            return (kind == VerdictKind.MemorizesPositions) == (good && followed)
                   && (kind != VerdictKind.Generalizes || (good && inside.Count > 0 && inside.All(o => o.Passed) && !followed))
                   && (kind != VerdictKind.Undetermined || (good && inside.Count == 0))
                   && (kind != VerdictKind.FailsNotPositional || inside.Where(o => !o.Passed).All(o => o.Shortcut.DoesNotFollow(Settings)))
                   && (good || kind == VerdictKind.Partial);
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void Instances_training_could_draw_never_show_generalization_and_the_verdict_line_names_the_probes_that_decided()
    {
        var inDist = Eval(0.99);
        // Fitting the training distribution again is not generalizing: an inside probe drawn from it is reported only.
        var drawn = Outcome("shifted-start", inside: true, accuracy: 0.98, agreement: 0.0, inDist, drawn: 1.0);
        Assert.That(VerdictRule.Decide(inDist, [drawn], Settings), Is.EqualTo(VerdictKind.Undetermined));
        Assert.That(drawn.Result, Is.EqualTo("pass (drawn in training: reported only)"));
        var heldOut = Outcome("held-out-periods", inside: true, accuracy: 0.97, agreement: 0.0, inDist, drawn: 0.0);
        var outside = Outcome("longer-periods", inside: false, accuracy: 0.5, agreement: 0.0, inDist);
        var probes = new[] { drawn, heldOut, outside };
        var verdict = new GeneralizationVerdict(VerdictRule.Decide(inDist, probes, Settings), inDist, 0, 1.0 / 61, probes, [], Settings);
        Assert.That(verdict.Kind, Is.EqualTo(VerdictKind.Generalizes));
        Assert.That(verdict.Deciding.Select(p => p.Name), Is.EqualTo(new[] { "held-out-periods" }), "only the held-out probe decided");
        Assert.That(verdict.Headline, Is.EqualTo($"generalizes (held-out-periods {0.97:P1} [{0.95:P1}, {0.99:P1}])"));
        Assert.That(verdict.Render(), Does.Contain($"verdict: {verdict.Headline}"));
        // A failing held-out probe is named with its numbers the same way.
        var fails = Outcome("held-out-periods", inside: true, accuracy: 0.20, agreement: 0.02, inDist, drawn: 0.0);
        var failed = new GeneralizationVerdict(VerdictRule.Decide(inDist, [fails], Settings), inDist, 0, 1.0 / 61, [fails], [], Settings);
        Assert.That(failed.Headline, Is.EqualTo($"fails (not positional): fails held-out-periods {0.20:P1} [{0.18:P1}, {0.22:P1}] without following the position-only shortcut"));
    }

    [Test]
    public void Failing_without_following_the_shortcut_is_not_memorization()
    {
        var inDist = Eval(0.99);
        var failsOnItsOwn = new[] { Outcome("held-out", inside: true, accuracy: 0.02, agreement: 0.03, inDist) };
        Assert.That(VerdictRule.Decide(inDist, failsOnItsOwn, Settings), Is.EqualTo(VerdictKind.FailsNotPositional));
        var followsShortcut = new[] { Outcome("held-out", inside: true, accuracy: 0.02, agreement: 0.95, inDist) };
        Assert.That(VerdictRule.Decide(inDist, followsShortcut, Settings), Is.EqualTo(VerdictKind.MemorizesPositions));
    }

    [Test]
    public void A_probe_passes_on_its_interval_not_its_point_estimate()
    {
        var inDist = Eval(0.95);
        // Point estimate 0.84 is below 0.95 − 0.1, but the interval [0.80, 0.88] … reaches 0.85.
        Assert.That(VerdictRule.Passes(Eval(0.84, halfWidth: 0.04), inDist, Settings), Is.True);
        Assert.That(VerdictRule.Passes(Eval(0.80, halfWidth: 0.04), inDist, Settings), Is.False);
    }

    [Test]
    public void Without_an_inside_probe_the_verdict_is_undetermined_unless_the_shortcut_shows()
    {
        var inDist = Eval(0.99);
        Assert.That(VerdictRule.Decide(inDist, [Outcome("longer", inside: false, accuracy: 0.1, agreement: 0.02, inDist)], Settings),
            Is.EqualTo(VerdictKind.Undetermined));
        Assert.That(VerdictRule.Decide(inDist, [Outcome("new-period", inside: false, accuracy: 0.1, agreement: 0.97, inDist)], Settings),
            Is.EqualTo(VerdictKind.MemorizesPositions));
    }

    [Test]
    public void Offset_evidence_reads_a_head_by_where_it_looks_once_offset_and_induction_target_differ()
    {
        var head = new AttentionOffsets.HeadOffset(1, 0, 31, 0.99);
        Assert.That(new AttentionOffsets.OffsetTest(head, 30, 0.95, 0.01).Follows, Does.StartWith("a fixed offset"));
        Assert.That(new AttentionOffsets.OffsetTest(head, 30, 0.02, 0.90).Follows, Does.StartWith("the induction target"));
        Assert.That(new AttentionOffsets.OffsetTest(head, 30, 0.30, 0.30).Follows, Does.StartWith("neither"));
        Assert.That(new AttentionOffsets.OffsetTest(head with { Offset = 29 }, 30, 0.9, 0.9).Indistinguishable, "offset 29 is the period-30 layout's induction offset");
        var lines = AttentionOffsets.Summarize([new(head, 30, 0.95, 0.01), new(head with { Head = 1 }, 30, 0.97, 0.0), new(head with { Head = 2 }, 30, 0.0, 0.9)]).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), "heads with the same offset and reading share a line");
        Assert.That(lines[0], Does.Contain("L1H0, L1H1 attend at a fixed offset of 31").And.Contain("95–97% on offset 31").And.EndWith("they follow a fixed offset relative to the position"));
        Assert.That(lines[1], Does.StartWith("L1H2 attends").And.Contain("it follows the induction target"));
    }
}
