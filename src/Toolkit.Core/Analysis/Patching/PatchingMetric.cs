using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>What a patching experiment measures at the read positions (docs/design.md §4 "Patching").</summary>
public enum PatchingMetricKind
{
    /// <summary>Mean of logit[correct] − logit[wrong].</summary>
    LogitDiff,
    /// <summary>Mean cross-entropy of the correct token.</summary>
    Loss,
    /// <summary>Share of positions whose top-1 prediction is the correct token.</summary>
    Accuracy,
    /// <summary>Mean KL divergence KL(full clean model ‖ patched run) of the next-token distributions.</summary>
    KL,
}

/// <summary>A metric bound to its inputs (and, for KL, to the full model's clean output).</summary>
public sealed class PatchingMetric : IDisposable
{
    private readonly Tensor read, correct, wrong, count;
    private readonly Tensor? reference; // clean log-probabilities at read positions [n, vocab]

    /// <summary>The kind measured.</summary>
    public PatchingMetricKind Kind { get; }

    /// <summary>Binds a metric to inputs; <paramref name="cleanLogits"/> is needed for KL only.</summary>
    public PatchingMetric(PatchingMetricKind kind, PatchingInputs inputs, Tensor? cleanLogits = null)
    {
        Kind = kind;
        using var scope = NewDisposeScope();
        read = inputs.Read.clone().MoveToOuterDisposeScope();
        if (inputs.ReadCount == 0)
            throw new ToolkitException("the patching inputs have no position to read", "use a task with predictable positions or a longer --clean sequence");
        correct = inputs.Correct.masked_select(inputs.Read).MoveToOuterDisposeScope();
        wrong = inputs.Wrong.masked_select(inputs.Read).MoveToOuterDisposeScope();
        count = tensor((double)inputs.ReadCount).MoveToOuterDisposeScope();
        if (kind == PatchingMetricKind.LogitDiff && correct.eq(wrong).all().item<bool>())
            throw new ToolkitException("the corruption does not change the answer at any read position, so the logit difference is 0 there",
                "corrupt a token the answer depends on, or use --metric loss or kl");
        if (kind == PatchingMetricKind.KL)
        {
            if (cleanLogits is null) throw new ArgumentException("KL needs the clean logits");
            reference = Select(cleanLogits.detach()).log_softmax(-1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Whether a larger value means more clean behaviour (logit difference, accuracy).</summary>
    public bool HigherIsClean => Kind is PatchingMetricKind.LogitDiff or PatchingMetricKind.Accuracy;

    /// <summary>Short name, as on the command line.</summary>
    public static string Name(PatchingMetricKind kind) => kind switch
    {
        PatchingMetricKind.LogitDiff => "logit-diff",
        PatchingMetricKind.Loss => "loss",
        PatchingMetricKind.Accuracy => "accuracy",
        _ => "kl",
    };

    /// <summary>Parses "logit-diff", "loss", "accuracy" or "kl".</summary>
    public static PatchingMetricKind Parse(string text) => text.ToLowerInvariant() switch
    {
        "logit-diff" or "logitdiff" => PatchingMetricKind.LogitDiff,
        "loss" => PatchingMetricKind.Loss,
        "accuracy" => PatchingMetricKind.Accuracy,
        "kl" => PatchingMetricKind.KL,
        _ => throw new ToolkitException($"metric '{text}' is not one of logit-diff, loss, accuracy, kl", "use --metric logit-diff, for example"),
    };

    private Tensor Select(Tensor logits) => logits.to_type(ScalarType.Float64).masked_select(read.unsqueeze(-1)).view(-1, logits.shape[^1]);

    /// <summary>The metric as a scalar tensor (differentiable except for accuracy).</summary>
    public Tensor Compute(Tensor logits)
    {
        var at = Select(logits); // [n, vocab]
        switch (Kind)
        {
            case PatchingMetricKind.LogitDiff:
                return at.gather(1, correct.view(-1, 1)).sub(at.gather(1, wrong.view(-1, 1))).sum().div(count);
            case PatchingMetricKind.Loss:
                return at.log_softmax(-1).gather(1, correct.view(-1, 1)).sum().neg().div(count);
            case PatchingMetricKind.Accuracy:
                return at.argmax(-1).eq(correct).to_type(ScalarType.Float64).sum().div(count);
            default:
                var logp = at.log_softmax(-1);
                return reference!.exp().mul(reference!.sub(logp)).sum().div(count);
        }
    }

    /// <summary>The metric of logits [batch, pos, vocab] as a number.</summary>
    public double Measure(Tensor logits)
    {
        using var scope = NewDisposeScope();
        return Compute(logits).item<double>();
    }

    public void Dispose()
    {
        read.Dispose(); correct.Dispose(); wrong.Dispose(); count.Dispose(); reference?.Dispose();
    }
}
