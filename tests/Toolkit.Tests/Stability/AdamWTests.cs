using Toolkit.Losses;
using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Tests.Stability;

/// <summary>The project's AdamW is TorchSharp's AdamW without the temporary Scalars: same numbers,
/// and its state saves and restores exactly.</summary>
public class AdamWTests
{
    private static readonly ModelConfig Config = new() { NLayers = 2, NHeads = 2, DModel = 16, DVocab = 16, NCtx = 16, AttnOnly = false, NormalizationType = Normalization.LN };

    private static ITask Task() => new TaskSpec { Name = "repeated-copy", Parameters = new() { ["period"] = "3..6", ["context"] = "16", ["vocab"] = "16" } }.Create();

    private static Tensor LossAt(HookedTransformer model, ITask task, int step)
    {
        using var batch = Batch.Sample(task, Seeds.Derive(5, Seeds.Stream.Train, step), 8, CPU);
        return MaskedLoss.Loss(model.forward(batch.Tokens), batch.Tokens, batch.LossMask);
    }

    [Test]
    public void Matches_TorchSharps_AdamW_to_1e_6_over_100_steps()
    {
        set_num_threads(1);
        var task = Task();
        manual_seed(11);
        using var reference = new HookedTransformer(Config);
        manual_seed(11);
        using var ours = new HookedTransformer(Config);
        const double lr = 3e-3, wd = 0.1;
        using var torchAdamW = optim.AdamW(reference.parameters(), lr, 0.9, 0.99, 1e-8, wd);
        using var adamW = new AdamW(ours.named_parameters().Select(p => (p.name, p.parameter)), lr, 0.9, 0.99, 1e-8, wd);
        for (var step = 0; step < 100; step++)
        {
            using var scope = NewDisposeScope();
            torchAdamW.zero_grad();
            LossAt(reference, task, step).backward();
            torchAdamW.step();
            adamW.ZeroGrad();
            LossAt(ours, task, step).backward();
            adamW.StepOnce();
        }
        var worst = reference.named_parameters().Zip(ours.named_parameters())
            .Select(p => (p.First.name, Diff: p.First.parameter.sub(p.Second.parameter).abs().max().item<float>()))
            .MaxBy(p => p.Diff);
        Assert.That(worst.Diff, Is.LessThan(1e-6), $"largest difference in {worst.name}");
        Assert.That(adamW.Step, Is.EqualTo(100));
    }

    [Test]
    public void Saved_state_resumes_exactly()
    {
        set_num_threads(1);
        var task = Task();
        var path = Path.Combine(Path.GetTempPath(), $"toolkit-adamw-{Guid.NewGuid():N}.safetensors");
        try
        {
            manual_seed(3);
            using var a = new HookedTransformer(Config);
            using var optA = new AdamW(a.named_parameters().Select(p => (p.name, p.parameter)), 1e-2, 0.9, 0.99, 1e-8, 0.01);
            void Train(HookedTransformer m, AdamW opt, int from, int to)
            {
                for (var step = from; step < to; step++)
                {
                    using var scope = NewDisposeScope();
                    opt.ZeroGrad();
                    LossAt(m, task, step).backward();
                    opt.StepOnce();
                }
            }
            Train(a, optA, 0, 10);
            optA.Save(path);
            using var b = new HookedTransformer(Config);
            using (no_grad())
                foreach (var (pa, pb) in a.parameters().Zip(b.parameters())) pb.copy_(pa);
            using var optB = new AdamW(b.named_parameters().Select(p => (p.name, p.parameter)), 1e-2, 0.9, 0.99, 1e-8, 0.01);
            optB.Load(path);
            Train(a, optA, 10, 20);
            Train(b, optB, 10, 20);
            Assert.That(a.parameters().Zip(b.parameters()).All(p => p.First.eq(p.Second).all().item<bool>()), "resumed parameters differ");
            Assert.That(optB.Step, Is.EqualTo(20));
        }
        finally { File.Delete(path); }
    }
}
