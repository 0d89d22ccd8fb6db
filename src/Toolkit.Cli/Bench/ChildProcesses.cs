using System.Diagnostics;

namespace Toolkit.Cli.Bench;

/// <summary>Benchmarks that time this toolkit in fresh processes (`dotnet toolkit.dll ...`): what native libraries read
/// from the environment once, when they load (libgomp's waiting, libtorch's huge pages), differs only between processes.
/// The children are ended with the benchmark (an error, Ctrl-C or SIGTERM): no stray trainings.</summary>
public static class ChildProcesses
{
    /// <summary>A started child: its process, a clock started with it, its output folder and what it printed.</summary>
    public sealed record Started(Process Process, Stopwatch Clock, string Out, System.Text.StringBuilder Output);

    /// <summary>A finished child: its wall time and standard output.</summary>
    public sealed record Finished(double Seconds, string Output);

    private static readonly List<Process> Running = new();

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();

    /// <summary>Ends every child still running.</summary>
    public static void StopAll()
    {
        lock (Running)
            foreach (var p in Running.Where(p => !p.HasExited))
                try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    /// <summary>A fresh output folder under <paramref name="scratch"/>.</summary>
    public static string Fresh(string scratch) => Path.Combine(scratch, Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Starts the toolkit with <paramref name="arguments"/>, its environment this process's without
    /// <paramref name="drop"/> and with <paramref name="set"/>.</summary>
    public static Started Start(IEnumerable<string> drop, IReadOnlyDictionary<string, string> set, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(ChildProcesses).Assembly.Location);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        foreach (var name in drop) info.Environment.Remove(name);
        foreach (var (name, value) in set) info.Environment[name] = value;
        var output = new System.Text.StringBuilder();
        var clock = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new ToolkitException("could not start a toolkit process for the benchmark", "check that `dotnet` is on PATH");
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (output) output.AppendLine(line); };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (Running) Running.Add(process);
        return new Started(process, clock, "", output);
    }

    /// <summary>Waits for a child; a failed child stops the benchmark with its command.</summary>
    public static Finished Wait(Started started)
    {
        started.Process.WaitForExit();
        var seconds = started.Clock.Elapsed.TotalSeconds;
        if (started.Process.ExitCode != 0)
            throw new ToolkitException($"a benchmark process ({string.Join(' ', started.Process.StartInfo.ArgumentList.Skip(1).Take(2))}) exited with code {started.Process.ExitCode}",
                "run the same command by hand to see its error");
        lock (started.Output) return new Finished(seconds, started.Output.ToString());
    }
}
