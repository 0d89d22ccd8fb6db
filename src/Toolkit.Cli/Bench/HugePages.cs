using System.Globalization;

namespace Toolkit.Cli.Bench;

/// <summary>Trainer speed with libtorch's huge pages for large tensors on and off (<see cref="NativeRuntime.HugePagesVariable"/>).
/// libtorch reads the switch once, at its first allocation, so every measurement is a fresh process
/// (<c>bench huge-pages --child CASE</c>) with the switch in its environment.</summary>
public static class HugePages
{
    /// <summary>A model and batch to time: the demo's, and the same model at GPT-2's vocabulary (its text task's shape).</summary>
    public sealed record Case(string Key, string Description, int Vocab, int Context, int Batch, int Steps);

    /// <summary>The cases, demo first.</summary>
    public static IReadOnlyList<Case> Cases { get; } = new[]
    {
        new Case("demo", "2 layers, 4 heads, d_model 64, d_vocab 64, context 64, batch 64", 64, 64, 64, 300),
        new Case("gpt2", "the same at d_vocab 21,888 (GPT-2's tokens the text corpus uses), context 256, batch 16", 21_888, 256, 16, 20),
    };

    private const string Prefix = "tokens/s ";

    /// <summary>The child's one line of output.</summary>
    public static string Line(double tokensPerSecond) => Prefix + tokensPerSecond.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Tokens/s per (case, huge pages on) over <paramref name="rounds"/> rounds; within a round every case runs in
    /// both modes back to back, the order of the modes rotated by the round.</summary>
    public static Dictionary<(string Case, bool On), List<double>> Measure(int rounds, int threads, Action<string> progress)
    {
        var result = Cases.SelectMany(c => new[] { false, true }.Select(on => (c.Key, on))).ToDictionary(x => x, _ => new List<double>());
        try
        {
            for (var round = 1; round <= rounds; round++)
            {
                var line = new List<string>();
                foreach (var c in Cases)
                    foreach (var on in round % 2 == 1 ? new[] { false, true } : new[] { true, false })
                    {
                        var started = ChildProcesses.Start(new[] { NativeRuntime.HugePagesVariable }, new Dictionary<string, string> { [NativeRuntime.HugePagesVariable] = on ? "1" : "0" },
                            "bench", "huge-pages", "--child", c.Key, "--threads", threads.ToString(CultureInfo.InvariantCulture));
                        var output = ChildProcesses.Wait(started).Output;
                        var rate = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal)) is { } l
                            ? double.Parse(l[Prefix.Length..], CultureInfo.InvariantCulture)
                            : throw new ToolkitException($"the benchmark's child for case {c.Key} printed no tokens/s", $"run ./toolkit bench huge-pages --child {c.Key} by hand to see why");
                        result[(c.Key, on)].Add(rate);
                        line.Add($"{c.Key} {(on ? "on" : "off")} {rate / 1000:F1}k");
                    }
                progress($"round {round}: {string.Join("; ", line)} tokens/s");
            }
            return result;
        }
        finally { ChildProcesses.StopAll(); }
    }
}
