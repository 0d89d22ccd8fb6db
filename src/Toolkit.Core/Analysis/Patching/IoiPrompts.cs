using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>IOI prompts with their positions and names, and the counterfactual prompts patching compares them with
/// (docs/design.md §4 "IOI"): every prompt keeps its template, so positions line up row by row.</summary>
/// <param name="Tokens">[prompt][position] token ids.</param>
/// <param name="Io">Position of the indirect object's mention.</param>
/// <param name="S1">Position of the subject's first mention.</param>
/// <param name="S2">Position of the subject's second mention.</param>
/// <param name="End">Position of the last "to": its logits predict the answer.</param>
/// <param name="IoName">The token the clean rule answers (the indirect object).</param>
/// <param name="SName">The subject's token (the wrong answer).</param>
/// <param name="Description">What these prompts are, for humans.</param>
public sealed record IoiPrompts(long[][] Tokens, int[] Io, int[] S1, int[] S2, int[] End, long[] IoName, long[] SName, string Description)
{
    /// <summary>Number of prompts.</summary>
    public int Count => Tokens.Length;

    /// <summary>Examples of an <c>ioi</c> task (or any task whose examples carry the ioi metadata io, s1, s2, end).</summary>
    public static IoiPrompts FromTask(ITask task, ulong seed, int count)
    {
        if (task.Name != "ioi")
            throw new ToolkitException($"task {task.Name} is not ioi", "IOI prompts need an ioi task's examples (positions io, s1, s2, end)");
        var examples = Sampling.examples(task, seed, count);
        var tokens = examples.Select(e => e.Tokens.Select(t => (long)t).ToArray()).ToArray();
        int[] Meta(string key) => examples.Select(e => e.Meta[key]).ToArray();
        var io = Meta("io");
        var s1 = Meta("s1");
        return new IoiPrompts(tokens, io, s1, Meta("s2"), Meta("end"),
            tokens.Select((t, b) => t[io[b]]).ToArray(), tokens.Select((t, b) => t[s1[b]]).ToArray(), $"{task.Name} examples");
    }

    /// <summary>The names these prompts use (IO and subject tokens), ascending: the pool replacements are drawn from.</summary>
    public long[] Names => IoName.Concat(SName).Distinct().OrderBy(t => t).ToArray();

    /// <summary>"ABC": the subject's second mention replaced by a third name, so no name repeats and nothing says which
    /// one is the indirect object. The answers stay the clean ones (IO against S).</summary>
    public IoiPrompts ThirdName(ulong seed)
    {
        var pool = Names;
        var rng = new Random(unchecked((int)seed));
        var tokens = Copy();
        for (var b = 0; b < Count; b++)
            tokens[b][S2[b]] = Draw(pool, rng, IoName[b], SName[b]);
        return this with { Tokens = tokens, Description = "the subject's second mention replaced by a third name (ABC)" };
    }

    /// <summary>Both names replaced by two other names at every mention: positions kept, identities changed. The answers
    /// follow (the new IO against the new subject).</summary>
    public IoiPrompts NewNames(ulong seed)
    {
        var pool = Names;
        var rng = new Random(unchecked((int)seed));
        var tokens = Copy();
        var io = new long[Count];
        var s = new long[Count];
        for (var b = 0; b < Count; b++)
        {
            io[b] = Draw(pool, rng, IoName[b], SName[b]);
            s[b] = Draw(pool, rng, IoName[b], SName[b], io[b]);
            tokens[b][Io[b]] = io[b];
            tokens[b][S1[b]] = s[b];
            tokens[b][S2[b]] = s[b];
        }
        return this with { Tokens = tokens, IoName = io, SName = s, Description = "both names replaced at every mention (positions kept)" };
    }

    /// <summary>ABBA ↔ BABA: the first two mentions swapped, so the same names sit at each other's positions; the answers
    /// are unchanged (the IO is still the name mentioned once).</summary>
    public IoiPrompts SwappedOrder()
    {
        var tokens = Copy();
        for (var b = 0; b < Count; b++)
            (tokens[b][Io[b]], tokens[b][S1[b]]) = (tokens[b][S1[b]], tokens[b][Io[b]]);
        return this with { Tokens = tokens, Io = S1, S1 = Io, Description = "the first two mentions swapped (ABBA ↔ BABA, same names)" };
    }

    /// <summary>The tokens as an int64 tensor [prompts, positions].</summary>
    public Tensor Tensor(Device device)
    {
        int n = Count, len = Tokens[0].Length;
        var flat = new long[n, len];
        for (var b = 0; b < n; b++)
            for (var p = 0; p < len; p++) flat[b, p] = Tokens[b][p];
        return tensor(flat, device: device);
    }

    /// <summary>Patching inputs with these prompts clean and <paramref name="corrupted"/> corrupted, read at End: the
    /// logit difference is logit[IO] − logit[S] of these prompts.</summary>
    public PatchingInputs Against(IoiPrompts corrupted, Device device)
    {
        if (corrupted.Count != Count || corrupted.End.Where((e, b) => e != End[b]).Any())
            throw new ToolkitException("the corrupted IOI prompts do not line up with the clean ones", "build them from the clean prompts (ThirdName, NewNames, SwappedOrder)");
        int n = Count, len = Tokens[0].Length;
        var read = new bool[n, len];
        var correct = new long[n, len];
        var wrong = new long[n, len];
        for (var b = 0; b < n; b++)
        {
            read[b, End[b]] = true;
            correct[b, End[b]] = IoName[b];
            wrong[b, End[b]] = SName[b];
        }
        return new PatchingInputs(Tensor(device), corrupted.Tensor(device), tensor(read, device: device), tensor(correct, device: device),
            tensor(wrong, device: device), $"ioi: {corrupted.Description}");
    }

    private long[][] Copy() => Tokens.Select(t => (long[])t.Clone()).ToArray();

    private static long Draw(long[] pool, Random rng, params long[] avoid)
    {
        var choices = pool.Where(t => !avoid.Contains(t)).ToArray();
        if (choices.Length == 0)
            throw new ToolkitException($"the prompts use only {pool.Length} names, too few to draw a different one", "use an ioi task with names=4 or more");
        return choices[rng.Next(choices.Length)];
    }
}
