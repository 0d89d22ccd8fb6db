namespace Toolkit.Cli.Bench;

/// <summary>
/// Wall time of toolkit processes that share the machine, under each OpenMP waiting mode: one training alone,
/// two trainings at once, and a training beside a loop of <c>toolkit analyze</c>. Each process is this toolkit
/// started afresh (`dotnet toolkit.dll ...`), because libgomp reads its environment only when it loads; the mode
/// is set in the child's environment (<see cref="NativeRuntime"/> leaves a user's choice alone).
/// </summary>
public static class Contention
{
    /// <summary>An OpenMP waiting mode: its key (for <c>--modes</c>), a name and the environment variables that select it.</summary>
    public sealed record Mode(string Key, string Name, IReadOnlyDictionary<string, string> Environment);

    /// <summary>libgomp's own behaviour (spin about 300,000 times, then sleep); bounded spins around the
    /// toolkit's (<see cref="NativeRuntime.SpinCount"/>, marked); passive waiting. The bounds are passed explicitly,
    /// which the child's <see cref="NativeRuntime"/> respects as a user's choice.</summary>
    public static IReadOnlyList<Mode> Modes { get; } =
        new[] { new Mode("default", "libgomp default", new Dictionary<string, string> { [NativeRuntime.SwitchVariable] = "default" }) }
        .Concat(new[] { 100_000, 10_000, 1_000 }.Select(n => new Mode($"spin{n}",
            $"GOMP_SPINCOUNT={n}{(n == NativeRuntime.SpinCount ? " (toolkit)" : "")}", new Dictionary<string, string> { ["GOMP_SPINCOUNT"] = n.ToString() })))
        .Append(new Mode("passive", "OMP_WAIT_POLICY=PASSIVE", new Dictionary<string, string> { ["OMP_WAIT_POLICY"] = "PASSIVE" }))
        .ToList();

    /// <summary>The modes named by <c>--modes</c> (comma-separated keys, or "all"), in <see cref="Modes"/>' order;
    /// libgomp's default, the baseline of every ratio, must be among them.</summary>
    public static IReadOnlyList<Mode> Select(string keys)
    {
        if (keys == "all") return Modes;
        var asked = keys.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        var unknown = asked.Where(k => Modes.All(m => m.Key != k)).ToList();
        if (unknown.Count > 0)
            throw new ToolkitException($"--modes: unknown mode {string.Join(", ", unknown.Select(k => $"'{k}'"))}", $"use all, or some of {string.Join(", ", Modes.Select(m => m.Key))}");
        if (!asked.Contains(Modes[0].Key))
            throw new ToolkitException("--modes: libgomp's default is missing, and every speed is a ratio to it", $"add it: --modes default,{string.Join(",", asked)}");
        return Modes.Where(m => asked.Contains(m.Key)).ToList();
    }

    /// <summary>The mode the toolkit uses when the user chose none: the bound it sets.</summary>
    public static Mode Toolkit => Modes.Single(m => m.Environment.TryGetValue("GOMP_SPINCOUNT", out var n) && n == NativeRuntime.SpinCount.ToString());

    /// <summary>Seconds of the shared cases for one mode.</summary>
    public sealed record Shared(double[] Pair, double BesideAnalyze, int AnalyzeCalls);

    /// <summary>Seconds of one training alone in <paramref name="mode"/>.</summary>
    public static double Alone(Mode mode, int steps, int threads, string scratch) => Wait(Train(mode, steps, threads, scratch));

    /// <summary>Runs the two shared cases for a mode. <paramref name="analyzeRun"/> is a trained run for the
    /// analyze loop; <paramref name="scratch"/> a folder for the trainings' output.</summary>
    public static Shared MeasureShared(Mode mode, int steps, int threads, string analyzeRun, string scratch)
    {
        var pair = new[] { Train(mode, steps, threads, scratch), Train(mode, steps, threads, scratch) }.Select(Wait).ToArray();
        var training = Train(mode, steps, threads, scratch);
        var calls = 0;
        while (!training.Process.HasExited)
        {
            Wait(Start(mode, "analyze", analyzeRun, "--out", Fresh(scratch)));
            calls++;
        }
        return new Shared(pair, Wait(training), calls);
    }

    /// <summary>The run the analyze loop reads: a short training in libgomp's default mode, alone.</summary>
    public static string PrepareAnalyzeRun(int threads, string scratch)
    {
        var started = Train(Modes[0], 100, threads, scratch);
        Wait(started);
        return started.Out;
    }

    private static ChildProcesses.Started Train(Mode mode, int steps, int threads, string scratch)
    {
        var output = Fresh(scratch);
        return Start(mode, "train", "--task", "repeated-copy", "--period", "6..29", "--steps", steps.ToString(), "--lr", "1e-2",
            "--warmup-steps", "20", "--threads", threads.ToString(), "--out", output) with { Out = output };
    }

    private static string Fresh(string scratch) => ChildProcesses.Fresh(scratch);

    private static ChildProcesses.Started Start(Mode mode, params string[] arguments) =>
        // The child decides its own waiting: drop the bound this process inherited or set, then apply the mode.
        ChildProcesses.Start(new[] { "GOMP_SPINCOUNT", "OMP_WAIT_POLICY", NativeRuntime.SwitchVariable }, mode.Environment, arguments);

    private static double Wait(ChildProcesses.Started started) => ChildProcesses.Wait(started).Seconds;

    /// <summary>Ends the benchmark's child processes.</summary>
    public static void StopAll() => ChildProcesses.StopAll();
}
