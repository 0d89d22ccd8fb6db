using System.Diagnostics;

namespace Toolkit;

/// <summary>How to start this very toolkit build again as a child process (a sweep's workers, a Slurm array task, the
/// seed runner's trainings): the dotnet host and the built toolkit.dll beside this library, never a rebuild.</summary>
public static class ToolkitProcess
{
    /// <summary>The toolkit.dll beside this library (a build of the CLI, or a test's output), or null where there is none
    /// (the library referenced from a notebook as a package).</summary>
    public static string? Dll =>
        Path.Combine(Path.GetDirectoryName(typeof(ToolkitProcess).Assembly.Location) ?? "", "toolkit.dll") is var path && File.Exists(path) ? path : null;

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

    /// <summary>Starts <c>dotnet DLL ARGS</c> with its standard output and error appended, line by line, to
    /// <paramref name="logPath"/>.</summary>
    public static ToolkitChild Start(string dll, IEnumerable<string> args, string logPath)
    {
        var psi = new ProcessStartInfo(Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logPath))!);
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"== {DateTime.UtcNow:u} {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        var process = new Process { StartInfo = psi };
        void Write(string? line) { if (line is not null) lock (log) log.WriteLine(line); }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ToolkitChild(process, log, logPath);
    }
}

/// <summary>A running toolkit child process whose output goes to its log.</summary>
public sealed class ToolkitChild(Process process, StreamWriter log, string logPath)
{
    /// <summary>The process id (to pass a stop signal on).</summary>
    public int Id => process.Id;

    /// <summary>Where its output goes.</summary>
    public string LogPath => logPath;

    public bool HasExited => process.HasExited;

    /// <summary>Waits for the process and its output, notes the exit code in the log, releases both; returns the exit code.</summary>
    public int Finish()
    {
        process.WaitForExit(); // drains the output handlers
        var code = process.ExitCode;
        lock (log)
        {
            log.WriteLine($"== exit code {code} at {DateTime.UtcNow:u}");
            log.Dispose();
        }
        process.Dispose();
        return code;
    }
}
