using TorchSharp;
using TorchSharp.Modules;
using Toolkit.Runs;
using static TorchSharp.torch;

namespace Toolkit.Training;

/// <summary>AdamW (Loshchilov &amp; Hutter 2019) with decoupled weight decay and bias correction, the
/// same update as PyTorch's and TorchSharp's <c>AdamW</c> (no amsgrad, not maximizing).</summary>
/// <remarks>Why the project has its own: TorchSharp 0.107's <c>optim.AdamW.step</c> converts numbers
/// to temporary Scalars (<c>mul_(beta1)</c>, <c>add_(grad, alpha: 1 - beta1)</c>, <c>addcdiv_(..., value:)</c>)
/// that the finalizer thread can free while native code reads them, which crashes long runs at
/// random. Here every Scalar is created explicitly and stays reachable until its native call
/// returns. Its state saves to safetensors (exact resume, readable by other tools).</remarks>
public sealed class AdamW : IOptimizerState, IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> parameters;
    private readonly Tensor[] expAvg, expAvgSq;
    private readonly double beta1, beta2, eps, weightDecay;
    // Per-run constants, kept alive for the optimizer's lifetime.
    private readonly Scalar oneMinusBeta1, oneMinusBeta2, beta1Scalar, beta2Scalar;

    /// <summary>Steps taken (the bias-correction exponent).</summary>
    public long Step { get; private set; }

    /// <summary>Learning rate of the next step.</summary>
    public double LearningRate { get; set; }

    /// <summary>An optimizer over a model's named parameters.</summary>
    public AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
    {
        this.parameters = parameters.ToList();
        LearningRate = lr;
        (this.beta1, this.beta2, this.eps, this.weightDecay) = (beta1, beta2, eps, weightDecay);
        oneMinusBeta1 = (1 - beta1).ToScalar();
        oneMinusBeta2 = (1 - beta2).ToScalar();
        beta1Scalar = beta1.ToScalar();
        beta2Scalar = beta2.ToScalar();
        expAvg = this.parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
        expAvgSq = this.parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope(); // the grad accessor returns a new wrapper each time
        foreach (var (_, p) in parameters)
            if (p.grad is Tensor g) { g.detach_(); g.zero_(); }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void StepOnce()
    {
        Step++;
        var biasCorrection1 = 1 - Math.Pow(beta1, Step);
        var biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, Step));
        // Per-step Scalars: created here, disposed at the end of the method, reachable until then.
        using var decay = (1 - LearningRate * weightDecay).ToScalar();
        using var negativeStepSize = (-LearningRate / biasCorrection1).ToScalar();
        using var epsScalar = eps.ToScalar();
        using var correction2 = biasCorrection2Sqrt.ToScalar();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i].Parameter;
            if (p.grad is not Tensor grad) continue;
            p.mul_(decay);
            expAvg[i].mul_(beta1Scalar).add_(grad, oneMinusBeta1);
            expAvgSq[i].mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
            var denom = expAvgSq[i].sqrt().div_(correction2).add_(epsScalar, Scalars.One);
            p.addcdiv_(expAvg[i], denom, negativeStepSize);
        }
    }

    /// <summary>Saves step count and moments (names <c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>).</summary>
    public void Save(string path)
    {
        var tensors = parameters.SelectMany((p, i) => new[]
        {
            new KeyValuePair<string, Tensor>($"exp_avg.{p.Name}", expAvg[i]),
            new KeyValuePair<string, Tensor>($"exp_avg_sq.{p.Name}", expAvgSq[i]),
        });
        var meta = new Dictionary<string, string> { ["optimizer"] = "adamw", ["step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        SafeTensors.Write(stream, tensors, meta);
    }

    /// <summary>Restores what <see cref="Save"/> wrote, for the same parameters.</summary>
    public void Load(string path)
    {
        if (!File.Exists(path))
            throw new ToolkitException($"{path} is missing: the checkpoint has no optimizer state of this toolkit's AdamW",
                "resume from another checkpoint (toolkit train --resume passes over this one), or start a new run from its weights: toolkit finetune RUN --steps N --out runs/NEW");
        var (tensors, meta) = SafeTensors.Read(path);
        try
        {
            if (!meta.TryGetValue("step", out var stepText) || !long.TryParse(stepText, out var step) || step < 0)
                throw new ToolkitException($"{path} has no valid step count", "the optimizer state is damaged; resume from an earlier checkpoint");
            using var _ = no_grad();
            for (var i = 0; i < parameters.Count; i++)
            {
                foreach (var (prefix, target) in new[] { ("exp_avg", expAvg[i]), ("exp_avg_sq", expAvgSq[i]) })
                {
                    var name = $"{prefix}.{parameters[i].Name}";
                    if (!tensors.TryGetValue(name, out var saved) || !saved.shape.SequenceEqual(target.shape))
                        throw new ToolkitException($"{path} has no {name} of shape [{string.Join(", ", target.shape)}]",
                            "the optimizer state belongs to another model; resume with the run's own checkpoints");
                    target.copy_(saved);
                }
            }
            Step = step;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var t in expAvg.Concat(expAvgSq)) t.Dispose();
        foreach (var s in new[] { oneMinusBeta1, oneMinusBeta2, beta1Scalar, beta2Scalar }) s.Dispose();
    }
}
