using FsCheck;
using FsCheck.Fluent;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Generation;
using Toolkit.Losses;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Verdicts;
using static TorchSharp.torch;

namespace Toolkit.Tests;

/// <summary>Masked-LM training (<c>--objective mlm</c>): BERT-style corruption of the task's predictable positions,
/// attention in both directions, loss at the corrupted positions against the uncorrupted token.</summary>
[TestFixture, NonParallelizable]
public class MaskedLmTests
{
    private const int Vocab = 16;
    private static readonly ModelConfig Causal = new() { NLayers = 2, NHeads = 2, DModel = 32, DVocab = Vocab + 1, NCtx = 24 };
    private static readonly ModelConfig Masked = Causal with { MaskToken = Vocab };

    // Four copies of a short block: most positions are predictable, so a masked LM gets enough picks per batch.
    private static readonly Dictionary<string, string> TaskParameters = new() { ["period"] = "3..6", ["repeats"] = "4", ["context"] = "24", ["vocab"] = Vocab.ToString() };

    private static ITask RepeatedCopy(string period = "3..6") => Catalog.Create("repeated-copy", new Dictionary<string, string>(TaskParameters) { ["period"] = period });

    private static readonly Gen<(Example Example, ulong Seed, double P)> Cases =
        from period in Gen.Choose(2, 6)
        from exampleSeed in Gen.Choose(0, 100000)
        from seed in Gen.Choose(0, int.MaxValue)
        from p in Gen.Elements(0.05, 0.15, 0.5, 1.0)
        select (Sampling.examples(RepeatedCopy(period.ToString()), (ulong)exampleSeed, 1)[0], (ulong)seed, p);

    [Test]
    public void The_corruption_picks_only_predictable_positions_hides_them_and_repeats_with_its_seed()
    {
        var vocabulary = RepeatedCopy().Vocabulary;
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var (example, seed, p) = c;
            var training = MaskedLmCorruption.ForTraining(Masked, p, vocabulary);
            var evaluation = MaskedLmCorruption.ForEvaluation(Masked);
            var (input, picked) = training.Corrupt(example, seed);
            var (evalInput, evalPicked) = evaluation.Corrupt(example, seed);
            for (var i = 0; i < input.Length; i++)
            {
                if (picked[i] && !example.LossMask[i]) return false;                       // only predictable positions
                if (!picked[i] && input[i] != example.Tokens[i]) return false;             // the rest is untouched
                if (picked[i] && input[i] != Vocab && (input[i] < vocabulary.ContentStart || input[i] >= Vocab)) return false; // [MASK] or a content token
                if (evalInput[i] != (evalPicked[i] ? Vocab : example.Tokens[i])) return false; // evaluation: every pick is [MASK]
            }
            var again = training.Corrupt(example, seed);
            return (p < 1 || picked.SequenceEqual(example.LossMask))                          // at rate 1 every candidate
                   && again.Input.SequenceEqual(input) && again.Picked.SequenceEqual(picked);
        }).Check(PropertyConfig.Cases(200));
    }

    [Test]
    public void Training_picks_at_the_rate_asked_and_writes_mask_random_and_kept_tokens_80_10_10()
    {
        var task = RepeatedCopy();
        var training = MaskedLmCorruption.ForTraining(Masked, 0.15, task.Vocabulary);
        var examples = Sampling.examples(task, 7UL, 4000);
        long candidates = 0, picks = 0, masks = 0, kept = 0;
        for (var k = 0; k < examples.Length; k++)
        {
            var (input, picked) = training.Corrupt(examples[k], Seeds.Derive(1, Seeds.Stream.Corruption, k));
            candidates += examples[k].LossMask.Count(x => x);
            for (var i = 0; i < input.Length; i++)
                if (picked[i])
                {
                    picks++;
                    if (input[i] == Vocab) masks++;
                    else if (input[i] == examples[k].Tokens[i]) kept++;
                }
        }
        TestContext.Out.WriteLine($"{picks} of {candidates} picked; [MASK] {(double)masks / picks:P1}, kept {(double)kept / picks:P1}");
        Assert.That((double)picks / candidates, Is.InRange(0.14, 0.16));
        Assert.That((double)masks / picks, Is.InRange(0.78, 0.82));
        // Kept: the 10% kept plus random draws that hit the original token (1 in 15 content tokens of the 10%).
        Assert.That((double)kept / picks, Is.InRange(0.09, 0.13));
    }

    [Test]
    public void A_masked_LM_reads_later_positions_and_a_causal_model_with_the_same_weights_does_not()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var masked = new HookedTransformer(Masked);
        using var causal = new HookedTransformer(Causal);
        causal.load_state_dict(masked.state_dict());
        masked.eval(); causal.eval();
        var tokens = randint(1, Vocab, new long[] { 1, 24 });
        var changed = tokens.clone();
        changed[0, 12] = tensor(tokens[0, 12].item<long>() == 1 ? 2L : 1L);
        double Moved(HookedTransformer m) => m.forward(tokens).narrow(1, 0, 12).sub(m.forward(changed).narrow(1, 0, 12)).abs().max().item<float>();
        Assert.That(Moved(masked), Is.GreaterThan(1e-4), "a masked LM's earlier positions read the later token");
        Assert.That(Moved(causal), Is.LessThan(1e-6), "a next-token model's earlier positions do not");
        Assert.That(CausalityCheck.Run(masked, 3).Causal, Is.False, "the leak detector sees both directions");
    }

    [Test]
    public void The_loss_scores_the_uncorrupted_token_at_each_corrupted_position_only()
    {
        Prop.ForAll(Gen.Choose(0, 10000).ToArbitrary(), seed =>
        {
            using var scope = NewDisposeScope();
            var examples = Sampling.examples(RepeatedCopy(), (ulong)seed, 3);
            using var batch = MaskedLmCorruption.ForTraining(Masked, 0.3, RepeatedCopy().Vocabulary).Apply(examples, seed, 0, CPU);
            manual_seed(seed);
            var logits = randn(3, 24, Vocab + 1);
            var logProbs = logits.log_softmax(-1);
            var picked = batch.LossMask.data<bool>().ToArray();
            double sum = 0;
            var n = 0;
            for (var b = 0; b < 3; b++)
                for (var i = 0; i < 24; i++)
                    if (picked[b * 24 + i])
                    {
                        sum -= logProbs[b, i, examples[b].Tokens[i]].item<float>();
                        n++;
                    }
            var loss = MaskedLoss.Loss(logits, batch).item<float>();
            return !batch.NextToken && n > 0 && Math.Abs(loss - sum / n) < 1e-4;
        }).Check(PropertyConfig.Cases(30));
    }

    [Test]
    public void A_tiny_masked_LM_learns_repeated_copy_repeats_its_numbers_and_the_next_token_analyses_refuse_it_by_name()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-mlm-").FullName;
        try
        {
            var config = new RunConfig
            {
                Model = Masked,
                Training = new TrainingConfig { Steps = 1500, BatchSize = 64, LearningRate = 1e-2, WarmupSteps = 20, Seed = 3, Threads = 1, EvalEvery = 1500, LogEvery = 20, EvalSequences = 128, MaskProb = 0.3, CheckpointEvery = 0 },
                Task = new TaskSpec { Name = "repeated-copy", Parameters = new(TaskParameters) },
            };
            var result = Trainer.Train(config, Path.Combine(dir, "a"));
            TestContext.Out.WriteLine($"loss {result.LossCurve[0].Loss:F3} -> {result.LossCurve[^1].Loss:F3}; held-out {result.FinalEval}");
            // Chance is 1 in 15 content tokens; the copy rule recovers every masked token whose other copies are visible.
            // (Measured: 80.3% [73.3%, 87.1%] on 244 masked positions.)
            Assert.That(result.FinalEval.AccuracyLow, Is.GreaterThan(0.6));
            var rerun = Trainer.Train(config with { Training = config.Training with { Steps = 40 } }, Path.Combine(dir, "b"));
            Assert.That(rerun.LossCurve, Is.EqualTo(result.LossCurve.Take(2)));

            using var model = result.Run.LoadModel();
            Assert.That(model.Config.MaskToken, Is.EqualTo(Vocab), "the checkpoint keeps mask_token");
            var task = config.Task.Create();
            var examples = Sampling.examples(task, 11UL, 32);
            // Predictions exist only where the evaluation corruption masked, and are mostly the copy rule's token there.
            var predictions = Evaluator.Predictions(model, examples);
            var predicted = examples.SelectMany((e, k) => e.Tokens.Select((t, i) => (Prediction: predictions[k][i], Token: t, Predictable: e.LossMask[i]))).Where(x => x.Prediction >= 0).ToList();
            Assert.That(predicted, Is.Not.Empty);
            Assert.That(predicted.All(x => x.Predictable));
            Assert.That(predicted.Count(x => x.Prediction == x.Token) / (double)predicted.Count, Is.GreaterThan(0.6));
            Assert.That(Evaluator.Evaluate(model, examples).Accuracy, Is.EqualTo(Evaluator.Evaluate(model, examples, batchSize: 5).Accuracy),
                "the evaluation's picks follow the examples, not the batching");
            // What reads attention and weights works; the ablation scores the corrupted positions.
            var report = Analyzer.Analyze(model, task, 3, sequences: 16);
            Assert.That(report.Ablations, Is.Not.Empty);
            Assert.That(report.Ablations.All(a => double.IsFinite(a.CleanLoss)));
            // What reads logit row i as the prediction of token i + 1 refuses, naming the masked LM.
            using var tokens = tensor(examples[0].Tokens.Select(t => (long)t).ToArray(), new long[] { 1, 24 });
            foreach (var refused in new Action[]
                     {
                         () => TokenSampler.Continue(model, [[1L, 2L]], 2, new SamplingSettings()),
                         () => LogitLens.Run(model, tokens, ones_like(tokens, ScalarType.Bool)),
                         () => InContextLearningScore.Compute(model, tokens),
                         () => Ablation.EveryHead(model, tokens, ones_like(tokens, ScalarType.Bool)),
                     })
                Assert.That(Assert.Throws<ToolkitException>(() => refused())!.Message, Does.Contain("masked LM"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void A_routed_pool_with_per_step_ACT_loss_trains_as_a_masked_LM()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-mlm-routed-").FullName;
        try
        {
            var config = new RunConfig
            {
                Model = Masked with { Routing = RoutingMode.PerToken, RouteSteps = 3, RouteIdentityLayers = 1, RouteAct = true, RouteActLoss = ActLoss.PerStep, NormalizationType = Normalization.LN },
                Training = new TrainingConfig { Steps = 300, BatchSize = 32, LearningRate = 1e-2, WarmupSteps = 20, Seed = 4, Threads = 1, EvalEvery = 300, LogEvery = 20, EvalSequences = 32, CheckpointEvery = 0, MaskProb = 0.3 },
                Task = new TaskSpec { Name = "repeated-copy", Parameters = new(TaskParameters) },
            };
            var result = Trainer.Train(config, Path.Combine(dir, "run"));
            TestContext.Out.WriteLine($"loss {result.LossCurve[0].Loss:F3} -> {result.LossCurve[^1].Loss:F3}; held-out {result.FinalEval}");
            Assert.That(result.LossCurve[^1].Loss, Is.LessThan(result.LossCurve[0].Loss * 0.8), "the masked-LM loss falls through the router");
            Assert.That(double.IsFinite(result.FinalEval.Loss));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void The_command_line_adds_the_mask_token_after_the_task_tokens_and_refuses_what_does_not_fit()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-mlm-cli-").FullName;
        try
        {
            var run = Path.Combine(dir, "run");
            var (code, _, err) = CliRunner.InProcess("train", "--task", "repeated-copy", "--period", "3..6", "--n-ctx", "24", "--d-vocab", "16",
                "--objective", "mlm", "--steps", "2", "--batch-size", "4", "--threads", "1", "--eval-every", "2", "--out", run);
            Assert.That(code, Is.EqualTo(0), err);
            var saved = RunDirectory.Open(run).ReadConfig();
            Assert.That((saved.Model.MaskToken, saved.Model.DVocab, saved.Training.MaskProb), Is.EqualTo(((int?)16, 17, 0.15)));

            (code, _, err) = CliRunner.InProcess("train", "--task", "repeated-copy", "--mask-prob", "0.2", "--steps", "2", "--out", Path.Combine(dir, "x"));
            Assert.That(code, Is.Not.EqualTo(0));
            CliRunner.AssertTwoLineError(err, "--mask-prob needs --objective mlm");

            var inside = new RunConfig
            {
                Model = Masked with { MaskToken = 3 },
                Training = new TrainingConfig { Steps = 2, BatchSize = 4, Threads = 1 },
                Task = new TaskSpec { Name = "repeated-copy", Parameters = new(TaskParameters) },
            };
            var e = Assert.Throws<ToolkitException>(() => Trainer.Train(inside, Path.Combine(dir, "inside")))!;
            Assert.That(e.Message, Does.Contain("mask_token 3 is one of task repeated-copy's tokens"));
            Assert.That(Directory.Exists(Path.Combine(dir, "inside")), Is.False, "a refused run writes nothing");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
