using System.Globalization;

namespace Toolkit.Cli.Bench;

/// <summary>Trainer speed under three ways of getting tensor memory (<see cref="NativeRuntime"/>): glibc's default (fresh
/// pages from the kernel for large tensors at every step), libtorch's huge pages over that default, and the toolkit's heap
/// kept for reuse. What the allocator and libtorch read happens once per process, so every measurement is a fresh process
/// (<c>bench allocator --child CASE</c>) with its mode in its environment.</summary>
public static class Allocator
{
    /// <summary>A model and batch to time: the demo's, and the same model at GPT-2's vocabulary (its text task's shape).</summary>
    public sealed record Case(string Key, string Description, int Vocab, int Context, int Batch, int Steps);

    /// <summary>A way of getting memory: its key, its name and the environment variables that select it.</summary>
    public sealed record Mode(string Key, string Name, IReadOnlyDictionary<string, string> Environment);

    /// <summary>The cases, demo first.</summary>
    public static IReadOnlyList<Case> Cases { get; } = new[]
    {
        new Case("demo", "2 layers, 4 heads, d_model 64, d_vocab 64, context 64, batch 64", 64, 64, 64, 300),
        new Case("gpt2", "the same at d_vocab 21,888 (GPT-2's tokens the text corpus uses), context 256, batch 16", 21_888, 256, 16, 20),
    };

    /// <summary>glibc's default first (the baseline of every ratio), then libtorch's huge pages, then the toolkit's heap.</summary>
    public static IReadOnlyList<Mode> Modes { get; } = new[]
    {
        new Mode("default", "glibc default", new Dictionary<string, string> { [NativeRuntime.MallocSwitchVariable] = "default" }),
        new Mode("huge-pages", "glibc default + libtorch huge pages", new Dictionary<string, string> { [NativeRuntime.MallocSwitchVariable] = "default", ["THP_MEM_ALLOC_ENABLE"] = "1" }),
        new Mode("heap", "heap kept for reuse (toolkit)", new Dictionary<string, string>()),
    };

    private const string Prefix = "tokens/s ";

    /// <summary>The child's one line of output.</summary>
    public static string Line(double tokensPerSecond) => Prefix + tokensPerSecond.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Tokens/s per (case, mode) over <paramref name="rounds"/> rounds; within a round every case runs in every
    /// mode back to back.</summary>
    public static Dictionary<(string Case, string Mode), List<double>> Measure(int rounds, int threads, Action<string> progress)
    {
        var result = Cases.SelectMany(c => Modes.Select(m => (c.Key, m.Key))).ToDictionary(x => x, _ => new List<double>());
        var drop = new[] { NativeRuntime.MallocSwitchVariable, "THP_MEM_ALLOC_ENABLE", "GLIBC_TUNABLES" };
        try
        {
            for (var round = 1; round <= rounds; round++)
            {
                var line = new List<string>();
                foreach (var c in Cases)
                    foreach (var mode in PairedRounds.Order(Modes, round - 1))
                    {
                        var started = ChildProcesses.Start(drop, mode.Environment, "bench", "allocator", "--child", c.Key, "--threads", threads.ToString(CultureInfo.InvariantCulture));
                        var output = ChildProcesses.Wait(started).Output;
                        var rate = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal)) is { } l
                            ? double.Parse(l[Prefix.Length..], CultureInfo.InvariantCulture)
                            : throw new ToolkitException($"the benchmark's child for case {c.Key} printed no tokens/s", $"run ./toolkit bench allocator --child {c.Key} by hand to see why");
                        result[(c.Key, mode.Key)].Add(rate);
                        line.Add($"{c.Key} {mode.Key} {rate / 1000:F1}k");
                    }
                progress($"round {round}: {string.Join("; ", line)} tokens/s");
            }
            return result;
        }
        finally { ChildProcesses.StopAll(); }
    }
}
