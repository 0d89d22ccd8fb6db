using Toolkit.Losses;
using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Evaluation;

/// <summary>Measures a model on a task's predictable positions (a masked LM: on the positions its evaluation corruption
/// picks among them, <see cref="MaskedLmCorruption.ForEvaluation"/>; the same examples give the same picks).</summary>
public static class Evaluator
{
    /// <summary>Evaluates on <paramref name="sequences"/> examples of <paramref name="task"/> drawn with <paramref name="seed"/>.</summary>
    public static EvalResult Evaluate(HookedTransformer model, ITask task, ulong seed, int sequences = 512, int batchSize = 128)
    {
        CheckFits(model, task);
        return Evaluate(model, Sampling.examples(task, seed, sequences), batchSize);
    }

    /// <summary>Evaluates on given examples.</summary>
    public static EvalResult Evaluate(HookedTransformer model, IReadOnlyList<Example> examples, int batchSize = 128) =>
        Evaluate(model, examples, model.forward, batchSize);

    /// <summary>Evaluates on given examples with another forward pass of the model (e.g. one with hooks that ablate heads):
    /// <paramref name="forward"/> maps a batch's input tokens to logits.</summary>
    public static EvalResult Evaluate(HookedTransformer model, IReadOnlyList<Example> examples, Func<Tensor, Tensor> forward, int batchSize = 128)
    {
        double lossSum = 0;
        long positions = 0;
        var correctPerSeq = new long[examples.Count];
        var maskedPerSeq = new long[examples.Count];
        ForEachBatch(model, examples, batchSize, forward, (start, batch, logits) =>
        {
            var (loss, correct, mask) = MaskedLoss.PerPosition(logits, batch);
            var maskF = mask.to_type(ScalarType.Float64);
            lossSum += (loss.to_type(ScalarType.Float64) * maskF).sum().item<double>();
            var c = (correct.logical_and(mask)).sum(1).cpu().data<long>().ToArray();
            var m = mask.sum(1).cpu().data<long>().ToArray();
            for (var i = 0; i < batch.Examples.Count; i++)
            {
                correctPerSeq[start + i] = c[i];
                maskedPerSeq[start + i] = m[i];
                positions += m[i];
            }
        });
        var accuracy = positions == 0 ? double.NaN : (double)correctPerSeq.Sum() / positions;
        var (low, high) = Bootstrap.Interval(correctPerSeq, maskedPerSeq);
        var perSeq = correctPerSeq.Select((c, i) => maskedPerSeq[i] == 0 ? double.NaN : (double)c / maskedPerSeq[i]).ToArray();
        return new EvalResult(positions == 0 ? double.NaN : lossSum / positions, accuracy, low, high,
            examples.Count, positions, perSeq) { CorrectPerSequence = correctPerSeq, PositionsPerSequence = maskedPerSeq };
    }

    /// <summary>The model's top-1 prediction for every position of every example: <c>result[k][i]</c> is the
    /// token it predicts at position i from positions 0..i−1 (−1 at position 0, which nothing predicts). A masked LM
    /// predicts only the positions its evaluation corruption picked (−1 elsewhere).</summary>
    public static int[][] Predictions(HookedTransformer model, IReadOnlyList<Example> examples, int batchSize = 128)
    {
        var result = new int[examples.Count][];
        ForEachBatch(model, examples, batchSize, model.forward, (start, batch, logits) =>
        {
            var argmax = logits.argmax(-1).cpu();
            var p = (int)argmax.shape[1];
            var data = argmax.data<long>().ToArray();
            var picked = batch.NextToken ? null : batch.LossMask.cpu().data<bool>().ToArray();
            for (var k = 0; k < batch.Examples.Count; k++)
            {
                var row = new int[p];
                if (picked is null)
                {
                    row[0] = -1;
                    for (var i = 1; i < p; i++) row[i] = (int)data[k * p + i - 1];
                }
                else
                    for (var i = 0; i < p; i++) row[i] = picked[k * p + i] ? (int)data[k * p + i] : -1;
                result[start + k] = row;
            }
        });
        return result;
    }

    /// <summary>Most logits one batch holds (2^23 float32, 32 MB): 128 sequences of 64 or of 256 tokens at a byte vocabulary,
    /// one sequence of 256 at GPT-2's. At d_vocab 21,888 a batch of 128 made 2.9 GB tensors at every operation: fresh
    /// kernel memory under glibc's default (most of an evaluation went to faulting it in), and under the heap the
    /// toolkit keeps (NativeRuntime) a peak the process holds until it exits.</summary>
    public const long LogitBudget = 1L << 23;

    /// <summary>Sequences per batch: <paramref name="batchSize"/>, fewer when their logits would exceed <see cref="LogitBudget"/>.</summary>
    public static int RowsPerBatch(ModelConfig config, int batchSize) =>
        (int)Math.Clamp(LogitBudget / ((long)config.NCtx * config.DVocab), 1, batchSize);

    /// <summary>Runs the model (through <paramref name="forward"/>) over examples in batches (eval mode, restored after; no
    /// gradient; each batch in its own dispose scope) and hands each batch with its logits to <paramref name="read"/>, with
    /// the index of its first example.</summary>
    private static void ForEachBatch(HookedTransformer model, IReadOnlyList<Example> examples, int batchSize, Func<Tensor, Tensor> forward, Action<int, Batch, Tensor> read)
    {
        using var evalMode = model.EvalMode();
        batchSize = RowsPerBatch(model.Config, batchSize);
        for (var start = 0; start < examples.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var batch = Batch.ForEvaluation(model.Config, examples.Skip(start).Take(batchSize).ToList(), model.Device, firstIndex: start);
            read(start, batch, forward(batch.Tokens));
        }
    }

    /// <summary>Fails clearly when a task's sequences or tokens do not fit a model.</summary>
    public static void CheckFits(HookedTransformer model, ITask task) => CheckFits(model.Config, task);

    /// <summary>Fails clearly when a task's sequences or tokens do not fit a model configuration.</summary>
    public static void CheckFits(ModelConfig config, ITask task)
    {
        if (task.Context > config.NCtx)
            throw new ToolkitException($"task {task.Name} makes {task.Context}-token sequences but the model's n_ctx is {config.NCtx}",
                $"use --n-ctx {config.NCtx} or less (learned positions cannot extrapolate)");
        if (task.Vocabulary.Size > config.DVocab)
            throw new ToolkitException($"task {task.Name} uses {task.Vocabulary.Size} tokens but the model's d_vocab is {config.DVocab}",
                $"use --d-vocab {config.DVocab} or less");
    }
}
