namespace Toolkit.Cli.Sweeps;

/// <summary>How to start this very toolkit build again as a child process (a sweep's workers, a Slurm
/// array task): the dotnet host and the built toolkit.dll, never a rebuild.</summary>
public static class ToolkitProgram
{
    /// <summary>The toolkit.dll this process runs (the CLI assembly, also when loaded by tests).</summary>
    public static string Dll => Path.GetFullPath(typeof(ToolkitProgram).Assembly.Location);

    /// <summary>The dotnet host: this process's own when it is one, else DOTNET_HOST_PATH, else dotnet on PATH.</summary>
    public static string Dotnet
    {
        get
        {
            if (Environment.ProcessPath is string self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, "dotnet");
                if (File.Exists(candidate)) return Path.GetFullPath(candidate);
            }
            return "dotnet";
        }
    }

    /// <summary>The arguments of <c>toolkit train</c> for run <paramref name="index"/> of the sweep in <paramref name="sweepDir"/>.</summary>
    public static IReadOnlyList<string> TrainArgs(string sweepDir, string index, string threads) =>
        [Dll, "train", "--sweep", Path.GetFullPath(sweepDir), "--index", index, "--threads", threads];
}
