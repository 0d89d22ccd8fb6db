using FsCheck;
using FsCheck.Fluent;
using Toolkit.Analysis;
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
        }).Check(PropertyConfig.Quick);
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

    /// <summary>What a memorizer of a fixed period P with R repeats from start 0 predicts: at a position of copy c
    /// (2 ≤ c ≤ R) of the training layout, the token at one earlier copy's offset (P, 2P, …, (c − 1)P: each was right
    /// every time in training), the nearest, the farthest or one at random; P at positions training never masked.</summary>
    private static int[][] EarlierCopyPredictor(IReadOnlyList<Example> examples, int period, int repeats, string choice, int seed)
    {
        var rng = new Random(seed);
        return examples.Select(e => e.Tokens.Select((_, i) =>
        {
            var copies = i > period && i < period * repeats ? i / period : 1; // earlier copies of position i's copy in training
            var j = choice switch { "nearest" => 1, "farthest" => copies, _ => rng.Next(1, copies + 1) };
            return i >= j * period ? e.Tokens[i - j * period] : -1;
        }).ToArray()).ToArray();
    }

    /// <summary>Fixed periods 8..21 with 2..6 repeats that fit a context of 64.</summary>
    private static Arbitrary<(int Period, int Repeats)> FixedPeriods() =>
        (from period in Gen.Choose(8, 21) from repeats in Gen.Choose(2, 6) where period * repeats <= 64 select (period, repeats)).ToArbitrary();

    [Test]
    public void A_memorizer_copying_from_any_earlier_copy_follows_the_shortcut_for_every_period_and_repeat_count()
    {
        Prop.ForAll(FixedPeriods(), Gen.Elements("nearest", "farthest", "random").ToArbitrary(), (c, choice) =>
        {
            var (shortcut, probe, examples) = MovedRepeat(c.Period, c.Repeats);
            var memorizer = ShortcutAgreement.FromPredictions(EarlierCopyPredictor(examples, c.Period, c.Repeats, choice, seed: 5), shortcut, examples, probe.Vocabulary);
            return (memorizer.Follows(Settings) && memorizer.Agreement > 0.99).Label($"{c} {choice}: {memorizer}");
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void A_rule_follower_never_agrees_with_the_shortcut_however_many_offsets_it_has()
    {
        Prop.ForAll(FixedPeriods(), c =>
        {
            var (shortcut, probe, examples) = MovedRepeat(c.Period, c.Repeats);
            var rule = ShortcutAgreement.FromPredictions(examples.Select(e => e.Tokens.ToArray()).ToArray(), shortcut, examples, probe.Vocabulary);
            return (rule.Agreement == 0 && rule.RuleAccuracy == 1 && rule.DoesNotFollow(Settings)).Label($"{c}: {rule}");
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void Chance_is_the_chance_of_matching_any_shortcut_token_and_a_random_guesser_agrees_at_about_it()
    {
        Prop.ForAll(FixedPeriods(), c =>
        {
            var (shortcut, probe, examples) = MovedRepeat(c.Period, c.Repeats);
            // The definition, from the training layout alone: at a position of copy k the shortcut's tokens are the
            // distinct tokens P, 2P, …, (k − 1)P back (P back where training never masked the position); a position
            // counts when none of them is the rule's token, and a random content token matches one of them with
            // probability (distinct content tokens) / (content tokens).
            double expected = 0;
            long positions = 0;
            foreach (var e in examples)
                for (var i = 1; i < e.Tokens.Length; i++)
                {
                    if (!e.LossMask[i]) continue;
                    var copies = i > c.Period && i < c.Period * c.Repeats ? i / c.Period : 1;
                    var tokens = Enumerable.Range(1, copies).Where(j => i >= j * c.Period).Select(j => e.Tokens[i - j * c.Period]).Distinct().ToList();
                    if (tokens.Count == 0 || tokens.Contains(e.Tokens[i])) continue;
                    positions++;
                    expected += tokens.Count(t => t >= probe.Vocabulary.ContentStart) / (double)probe.Vocabulary.ContentCount;
                }
            var random = ShortcutAgreement.FromPredictions(RandomPredictor(examples, probe.Vocabulary, 3), shortcut, examples, probe.Vocabulary);
            var se = Math.Sqrt(random.Chance * (1 - random.Chance) / random.Positions);
            return (random.Positions == positions && Math.Abs(random.Chance - expected / positions) < 1e-12
                    && Math.Abs(random.Agreement - random.Chance) < 4 * se + 1e-9 && random.DoesNotFollow(Settings))
                .Label($"{c}: expected chance {expected / positions:P2} over {positions} positions; {random}");
        }).Check(PropertyConfig.Quick);
    }

    /// <summary>The single-offset test as it stood before the shortcut became a set of offsets: the reference the
    /// union must reduce to when each position has one predictive offset.</summary>
    private static (long Positions, long Agree, long Rule) SingleOffsetTest(int[][] predictions, PositionBaseline shortcut, IReadOnlyList<Example> examples)
    {
        long positions = 0, agree = 0, rule = 0;
        for (var k = 0; k < examples.Count; k++)
            for (var i = 1; i < examples[k].Tokens.Length; i++)
            {
                if (!examples[k].LossMask[i] || predictions[k][i] < 0) continue;
                var token = shortcut.Predict(examples[k].Tokens, i);
                if (token < 0 || token == examples[k].Tokens[i]) continue;
                positions++;
                if (predictions[k][i] == token) agree++;
                if (predictions[k][i] == examples[k].Tokens[i]) rule++;
            }
        return (positions, agree, rule);
    }

    [Test]
    public void With_one_predictive_offset_per_position_the_union_is_the_single_offset_test()
    {
        // Two repeats: the one earlier copy is the only offset right in training at every position.
        Prop.ForAll(Gen.Choose(8, 32).ToArbitrary(), Gen.Elements("fixed", "random", "rule").ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(), (period, kind, seed) =>
        {
            var (shortcut, probe, examples) = MovedRepeat(period, 2);
            var predictions = kind switch
            {
                "fixed" => FixedOffsetPredictor(examples, period),
                "random" => RandomPredictor(examples, probe.Vocabulary, seed),
                _ => examples.Select(e => e.Tokens.ToArray()).ToArray(),
            };
            var union = ShortcutAgreement.FromPredictions(predictions, shortcut, examples, probe.Vocabulary);
            var (positions, agree, rule) = SingleOffsetTest(predictions, shortcut, examples);
            return (union.Positions == positions && union.Agreement == (double)agree / positions && union.RuleAccuracy == (double)rule / positions
                    && union.Chance == PositionBaseline.Chance(probe.Vocabulary)).Label($"period {period}, {kind}: {union}");
        }).Check(PropertyConfig.Quick);
    }

    /// <summary>What a model that copies some earlier token of its context, at random, predicts: it fails, not by positions.</summary>
    private static int[][] ContextCopier(IReadOnlyList<Example> examples, int seed)
    {
        var rng = new Random(seed);
        return examples.Select(e => e.Tokens.Select((_, i) => i == 0 ? -1 : e.Tokens[rng.Next(i)]).ToArray()).ToArray();
    }

    [TestCase("6..29", 2)]
    [TestCase("6..20", 3)]
    [TestCase("4..12", 5)]
    public void On_variable_periods_the_union_stays_small_and_a_context_copier_does_not_follow_it(string periods, int repeats)
    {
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string> { ["period"] = periods, ["repeats"] = repeats.ToString(), ["context"] = "64", ["vocab"] = "64" });
        var shortcut = PositionBaseline.Fit(Sampling.examples(task, 1UL, 2000));
        foreach (var set in task.Probes.Select(p => (p.Name, p.Task)).Prepend((Name: "in-distribution", Task: task)))
        {
            var examples = Sampling.examples(set.Task, 2UL, 256);
            var copier = ShortcutAgreement.FromPredictions(ContextCopier(examples, 4), shortcut, examples, set.Task.Vocabulary);
            TestContext.Out.WriteLine($"{periods} ×{repeats} {set.Name}: {copier}");
            Assert.That(copier.Chance, Is.LessThan(0.1), $"{set.Name}: the union's chance stays far below the agreement level");
            Assert.That(copier.DoesNotFollow(Settings), $"{set.Name}: {copier}");
        }
    }

    /// <summary>A model at chance on its own task is "not learned", never "partial": partial means it learned the task and
    /// fails held-out instances for a reason the shortcut test cannot name.</summary>
    [Test]
    public void A_model_at_chance_in_distribution_is_not_learned()
    {
        var inDist = Eval(0.025, 0.005);
        var probes = new[] { Outcome("held-out", true, 0.02, 0.3, inDist), Outcome("outside", false, 0.02, 0.2, inDist) };
        var kind = VerdictRule.Decide(inDist, probes, Settings);
        Assert.That(kind, Is.EqualTo(VerdictKind.NotLearned));
        Assert.That(kind.Word(), Is.EqualTo("not learned"));
        var verdict = new GeneralizationVerdict(kind, inDist, 0, 1.0 / 61, probes, [], Settings);
        Assert.That(verdict.Headline, Does.StartWith("not learned: in-distribution accuracy 3 % is below 80 %"));
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
                   && (good == (kind != VerdictKind.NotLearned));
        }).Check(PropertyConfig.Quick);
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
        var head = new AttentionOffsets.HeadOffset(1, 0, 0.99, [31]);
        Assert.That(new AttentionOffsets.OffsetTest(head, 30, 0.95, 0.01).Follows, Does.StartWith("a fixed offset"));
        Assert.That(new AttentionOffsets.OffsetTest(head, 30, 0.02, 0.90).Follows, Does.StartWith("the induction target"));
        Assert.That(new AttentionOffsets.OffsetTest(head, 30, 0.30, 0.30).Follows, Does.StartWith("neither"));
        Assert.That(new AttentionOffsets.OffsetTest(head, 30, double.NaN, double.NaN).Indistinguishable, "no position of the layout separates the two");
        var lines = AttentionOffsets.Summarize([new(head, 30, 0.95, 0.01), new(head with { Head = 1 }, 30, 0.97, 0.0), new(head with { Head = 2 }, 30, 0.0, 0.9)]).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), "heads with the same offsets and reading share a line");
        Assert.That(lines[0], Does.Contain("L1H0, L1H1 attend at the position-only shortcut's offsets").And.Contain("mostly 31").And.Contain("95–97% on those offsets")
            .And.EndWith("they follow a fixed offset relative to the position"));
        Assert.That(lines[1], Does.StartWith("L1H2 attends").And.Contain("it follows the induction target"));
    }

    /// <summary>Attention (sequence, destination, source) that puts equal weight on each source <paramref name="sources"/>
    /// names for a destination (nothing where it names none).</summary>
    private static Func<int, int, int, double> Spread(Func<int, int, IReadOnlyList<int>> sources) => (k, dest, src) =>
    {
        var at = sources(k, dest).Where(s => s >= 0 && s <= dest).Distinct().ToList();
        return at.Contains(src) ? 1.0 / at.Count : 0;
    };

    [Test]
    public void A_head_splitting_its_attention_over_the_earlier_copies_is_offset_evidence_and_a_layout_shows_it_stays_there()
    {
        Prop.ForAll(FixedPeriods(), c =>
        {
            var task = RepeatedCopy(c.Period, c.Repeats);
            var shortcut = PositionBaseline.Fit(Sampling.examples(task, 1UL, 500));
            var examples = Sampling.examples(task, 2UL, 16);
            // From row r (it predicts position r + 1, in copy (r + 1) / P + 1 of training) to the answer in every earlier copy.
            var memorizer = Spread((_, r) => Enumerable.Range(1, Math.Max(1, (r + 1) / c.Period)).Select(j => r + 1 - j * c.Period).ToList());
            var share = AttentionOffsets.Share(1, 0, memorizer, examples, shortcut);
            var copyOffsets = Enumerable.Range(1, c.Repeats - 1).Select(j => j * c.Period - 1).ToList();
            // On the scoring layout, where the copy's offsets avoid every predictive offset.
            var q = ScoringBatch.ChoosePeriod(64, task.PredictiveOffsets, 62);
            var starts = Enumerable.Range(0, 64 - 2 * q + 1).ToList();
            var onLayout = AttentionOffsets.Compare(share, Spread((_, i) => AttentionOffsets.At(shortcut, i).Select(o => i - o).ToList()), q, starts, 64, shortcut);
            var induction = AttentionOffsets.Compare(share, Spread((_, i) => [i - q + 1]), q, starts, 64, shortcut);
            return (share.Share > 0.99 && share.Main.Contains(c.Period - 1) && share.Main.All(copyOffsets.Contains)
                    && onLayout.Follows.StartsWith("a fixed offset") && induction.Follows.StartsWith("the induction target"))
                .Label($"{c}: share {share.Share:P1}, main {string.Join(",", share.Main)}; layout {q}: {onLayout.Follows} / {induction.Follows}");
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void On_variable_periods_neither_an_induction_head_nor_a_diffuse_head_is_offset_evidence()
    {
        var task = Catalog.Create("repeated-copy", new Dictionary<string, string> { ["period"] = "6..29", ["context"] = "64", ["vocab"] = "64" });
        var shortcut = PositionBaseline.Fit(Sampling.examples(task, 1UL, 2000));
        var examples = Sampling.examples(task, 2UL, 64);
        // The induction target of row r: one after the earlier copy of token r, P − 1 back for the example's own period.
        var induction = Spread((k, r) => [r - examples[k].Meta["period"] + 1]);
        var diffuse = Spread((_, r) => Enumerable.Range(0, r + 1).ToList());
        foreach (var (name, head) in new[] { ("induction", induction), ("diffuse", diffuse) })
        {
            var share = AttentionOffsets.Share(1, 0, head, examples, shortcut);
            TestContext.Out.WriteLine($"{name}: {share.Share:P1} at the shortcut's offsets");
            Assert.That(share.Share, Is.LessThan(0.5), $"{name}: the union of offsets must not cover every backward look");
        }
    }
}
