using System.Diagnostics;
using System.Globalization;

namespace Toolkit.Runs;

/// <summary>One writer per run directory: <c>runs/NAME/.lock</c> holds the writer's pid, host and
/// start time while it trains, and is removed when it stops.</summary>
/// <remarks>Without it, two <c>train</c> into the same directory both succeeded and interleaved
/// config, checkpoints and metrics from different runs. The file is created with CreateNew (atomic);
/// a lock whose process no longer exists on this host is stale and is taken over.</remarks>
public sealed class RunLock : IDisposable
{
    private readonly string path;

    private RunLock(string path) => this.path = path;

    /// <summary>The lock file of a run directory.</summary>
    public static string PathOf(string runPath) => Path.Combine(runPath, ".lock");

    /// <summary>Takes the lock, creating the directory if needed; a clear error names the holder.</summary>
    public static RunLock Acquire(string runPath, Action<string>? notice = null)
    {
        Directory.CreateDirectory(runPath);
        var path = PathOf(runPath);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                using var writer = new StreamWriter(stream);
                writer.Write(string.Join('\n', Environment.ProcessId.ToString(CultureInfo.InvariantCulture), Environment.MachineName,
                    DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture)));
                return new RunLock(path);
            }
            catch (IOException) when (File.Exists(path))
            {
                var (pid, host, since) = Read(path);
                if (pid is int p && host == Environment.MachineName && !IsAlive(p))
                {
                    notice?.Invoke($"recovered a stale lock on {runPath} (process {p} on {host}, since {since}, no longer exists)");
                    File.Delete(path);
                    continue;
                }
                throw new ToolkitException(
                    $"{runPath} is in use by process {pid?.ToString(CultureInfo.InvariantCulture) ?? "?"} on {host ?? "?"} (since {since ?? "?"})",
                    $"wait for it to finish or stop it; if no such process exists, delete {path}");
            }
        }
        throw new ToolkitException($"could not take the lock {path}", $"delete {path} if no toolkit process uses {runPath}");
    }

    /// <summary>Who holds the run's lock ("process P on HOST since T"), or null when nobody does: no lock, or a stale one
    /// (its process no longer exists on this host). A lock taken on another host is taken as held: it cannot be checked here.</summary>
    public static string? Holder(string runPath)
    {
        var path = PathOf(runPath);
        if (!File.Exists(path)) return null;
        var (pid, host, since) = Read(path);
        if (!File.Exists(path) || (pid is int p && host == Environment.MachineName && !IsAlive(p))) return null;
        return $"process {pid?.ToString(CultureInfo.InvariantCulture) ?? "?"} on {host ?? "?"} (since {since ?? "?"})";
    }

    /// <summary>Reads the holder. CreateNew makes the file exist a moment before its content does,
    /// so a lock read as incomplete is read again for up to a second (CI once named process "?"
    /// when two writers raced).</summary>
    private static (int? Pid, string? Host, string? Since) Read(string path)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            string[] lines;
            try { lines = File.ReadAllLines(path); }
            catch (IOException) { lines = []; }
            int? pid = lines.Length > 0 && int.TryParse(lines[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : null;
            if ((pid is not null && lines.Length >= 3) || waited.Elapsed > TimeSpan.FromSeconds(1))
                return (pid, lines.ElementAtOrDefault(1), lines.ElementAtOrDefault(2));
            Thread.Sleep(1);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    public void Dispose()
    {
        try { File.Delete(path); } catch (IOException) { }
    }
}
