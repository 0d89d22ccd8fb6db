namespace Toolkit.Cli.Sweeps;

/// <summary>How to start this very toolkit build again as a child process (a sweep's workers, a Slurm
/// array task): the built toolkit.dll, started by <see cref="ToolkitProcess"/>'s dotnet host, never a rebuild.</summary>
public static class ToolkitProgram
{
    /// <summary>The toolkit.dll this process runs (the CLI assembly, also when loaded by tests).</summary>
    public static string Dll => Path.GetFullPath(typeof(ToolkitProgram).Assembly.Location);

    /// <summary>The arguments of <c>toolkit train</c> for run <paramref name="index"/> of the sweep in <paramref name="sweepDir"/>.</summary>
    public static IReadOnlyList<string> TrainArgs(string sweepDir, string index, string threads) =>
        [Dll, "train", "--sweep", Path.GetFullPath(sweepDir), "--index", index, "--threads", threads];
}
