using System.Diagnostics;
using Toolkit.Experiments;
using Toolkit.Training;

namespace Toolkit.Cli.Bench;

/// <summary>Wall time of several seeds of the demo's variable-period model: one after the other in this process with
/// every core's threads (what <c>probe --train-missing</c> did before the seed runner), one after the other with one
/// thread, and side by side through the <see cref="SeedRunner"/> with one thread each.</summary>
public static class SeedsBench
{
    /// <summary>A way to run the seeds: each run's threads, and the cores the runner may fill.</summary>
    public sealed record Mode(string Name, int Threads, int Cores);

    /// <summary>The three ways, for a machine of <paramref name="cores"/> cores.</summary>
    public static IReadOnlyList<Mode> Modes(int cores) =>
    [
        new($"one after the other, {cores} threads each", cores, cores),
        new("one after the other, 1 thread each", 1, 1),
        new($"seed runner, 1 thread each ({cores} at once)", 1, cores),
    ];

    /// <summary>Seconds to train <paramref name="seeds"/> seeds of <paramref name="steps"/> steps (results included) in a mode.</summary>
    public static double Measure(Mode mode, int seeds, int steps, string scratch)
    {
        var jobs = Enumerable.Range(0, seeds).Select(s => new SeedRunner.Job(
            MemorizationDemo.Config(MemorizationDemo.VariablePeriods, steps, s, mode.Threads), Path.Combine(scratch, Guid.NewGuid().ToString("N")[..12]))).ToList();
        var clock = Stopwatch.StartNew();
        SeedRunner.Train(jobs, cores: mode.Cores);
        return clock.Elapsed.TotalSeconds;
    }
}
