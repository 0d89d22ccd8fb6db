using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>Clean and corrupted tokens of equal shape and the positions a patching metric reads: at every
/// read position p the logits predict the clean token at p + 1 (<see cref="Correct"/>) against the answer the
/// corrupted input calls for (<see cref="Wrong"/>); docs/design.md §4 "Patching".</summary>
/// <param name="Clean">Clean tokens [batch, pos] (int64).</param>
/// <param name="Corrupted">Corrupted tokens [batch, pos] (int64).</param>
/// <param name="Read">[batch, pos] bool: logits read at these positions.</param>
/// <param name="Correct">[batch, pos] int64: the clean next token.</param>
/// <param name="Wrong">[batch, pos] int64: the copy rule's answer on the corrupted input (the token after the
/// most recent earlier occurrence of the current token), or the corrupted next token when there is none.</param>
/// <param name="Corruption">What the corruption did, for humans.</param>
public sealed record PatchingInputs(Tensor Clean, Tensor Corrupted, Tensor Read, Tensor Correct, Tensor Wrong, string Corruption) : IDisposable
{
    /// <summary>Number of sequences.</summary>
    public int Sequences => (int)Clean.shape[0];

    /// <summary>Number of read positions over the batch.</summary>
    public long ReadCount => Read.sum().item<long>();

    /// <summary>The same inputs on another device.</summary>
    public PatchingInputs To(Device device) => this with
    {
        // Copies, so disposing the result never frees this record's tensors.
        Clean = Clean.to(device).clone(), Corrupted = Corrupted.to(device).clone(), Read = Read.to(device).clone(),
        Correct = Correct.to(device).clone(), Wrong = Wrong.to(device).clone(),
    };

    /// <summary>Task examples and the task's own corruption: for <c>repeated-copy</c> the first copy of the block is
    /// written in reverse order, so the copy rule (and an induction head) points at a different token in every later
    /// copy; read positions are the task's predictable positions. For <c>ioi</c> the subject's second mention becomes a
    /// third name (ABC), read at the last "to", correct = the indirect object, wrong = the subject.</summary>
    public static PatchingInputs FromTask(ITask task, ulong seed, int count, Device device)
    {
        CheckCorruptible(task);
        if (task.Name == "ioi")
        {
            var prompts = IoiPrompts.FromTask(task, seed, count);
            return prompts.Against(prompts.ThirdName(seed + 1), device);
        }
        var examples = Sampling.examples(task, seed, count);
        int n = examples.Length, len = task.Context;
        var clean = new long[n, len];
        var corrupt = new long[n, len];
        var read = new bool[n, len];
        for (var b = 0; b < n; b++)
        {
            var ex = examples[b];
            int period = ex.Meta["period"], start = ex.Meta["start"];
            for (var i = 0; i < len; i++) clean[b, i] = corrupt[b, i] = ex.Tokens[i];
            for (var j = 0; j < period; j++) corrupt[b, start + j] = ex.Tokens[start + period - 1 - j];
            for (var p = 0; p + 1 < len; p++) read[b, p] = ex.LossMask[p + 1];
        }
        return Build(clean, corrupt, read, $"{task.Name}: the first copy of the block reversed", device);
    }

    /// <summary>Fails unless the task has a built-in corruption (<c>repeated-copy</c> and <c>ioi</c> have one).</summary>
    public static void CheckCorruptible(ITask task)
    {
        if (task.Name != "repeated-copy" && task.Name != "ioi")
            throw new ToolkitException($"task {task.Name} has no built-in corruption",
                "give clean and corrupted tokens yourself with --clean \"...\" --corrupt \"...\", or use a repeated-copy or ioi task");
    }

    /// <summary>Explicit clean and corrupted token lists (one sequence each): the logits before the last token are
    /// read, the correct answer is the clean last token.</summary>
    public static PatchingInputs FromTokens(IReadOnlyList<long> clean, IReadOnlyList<long> corrupted, Device device)
    {
        if (clean.Count != corrupted.Count)
            throw new ToolkitException($"--clean has {clean.Count} tokens but --corrupt has {corrupted.Count}", "give clean and corrupted sequences of equal length");
        if (clean.Count < 2) throw new ToolkitException("--clean needs at least 2 tokens", "the logits before the last token are read: give 2 or more");
        int len = clean.Count;
        var c = new long[1, len];
        var k = new long[1, len];
        var read = new bool[1, len];
        for (var i = 0; i < len; i++) { c[0, i] = clean[i]; k[0, i] = corrupted[i]; }
        read[0, len - 2] = true;
        return Build(c, k, read, "explicit clean and corrupted tokens, last token read", device);
    }

    /// <summary>The inputs of a single-position <see cref="PatchingProblem"/>, with its own answers.</summary>
    public static PatchingInputs FromProblem(PatchingProblem problem)
    {
        using var scope = NewDisposeScope();
        int n = (int)problem.Clean.shape[0], len = (int)problem.Clean.shape[1];
        var read = new bool[n, len];
        var correct = new long[n, len];
        var wrong = new long[n, len];
        for (var b = 0; b < n; b++)
        {
            read[b, problem.Position] = true;
            correct[b, problem.Position] = problem.Correct[b];
            wrong[b, problem.Position] = problem.Wrong[b];
        }
        return new PatchingInputs(problem.Clean.cpu().to_type(ScalarType.Int64).clone().MoveToOuterDisposeScope(),
            problem.Corrupted.cpu().to_type(ScalarType.Int64).clone().MoveToOuterDisposeScope(),
            tensor(read).MoveToOuterDisposeScope(), tensor(correct).MoveToOuterDisposeScope(), tensor(wrong).MoveToOuterDisposeScope(), "patching problem");
    }

    private static PatchingInputs Build(long[,] clean, long[,] corrupt, bool[,] read, string description, Device device)
    {
        int n = clean.GetLength(0), len = clean.GetLength(1);
        var correct = new long[n, len];
        var wrong = new long[n, len];
        for (var b = 0; b < n; b++)
        {
            var last = new Dictionary<long, int>(); // token → most recent position before p in the corrupted row
            for (var p = 0; p + 1 < len; p++)
            {
                correct[b, p] = clean[b, p + 1];
                wrong[b, p] = last.TryGetValue(corrupt[b, p], out var q) ? corrupt[b, q + 1] : corrupt[b, p + 1];
                last[corrupt[b, p]] = p;
            }
        }
        return new PatchingInputs(tensor(clean, device: device), tensor(corrupt, device: device), tensor(read, device: device),
            tensor(correct, device: device), tensor(wrong, device: device), description);
    }

    public void Dispose()
    {
        Clean.Dispose(); Corrupted.Dispose(); Read.Dispose(); Correct.Dispose(); Wrong.Dispose();
    }
}
