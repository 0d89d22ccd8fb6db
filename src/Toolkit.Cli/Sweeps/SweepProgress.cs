using System.Diagnostics;

namespace Toolkit.Cli.Sweeps;

/// <summary>The progress view of a sweep on stderr: runs done of total, rate, ETA and the runs in
/// progress. Redraws in place on a terminal (at most once a second); prints a line per finished run
/// when output is redirected (logs, CI).</summary>
public sealed class SweepProgress(int total, int skipped)
{
    private readonly bool interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private TimeSpan lastDraw = TimeSpan.MinValue;
    private int finished; // in this invocation (skipped runs are not part of the rate)

    /// <summary>Counts a run that finished in this invocation.</summary>
    public void RunFinished() => finished++;

    /// <summary>The line as it would be drawn now.</summary>
    public string Line(IEnumerable<string> running)
    {
        var done = skipped + finished;
        var left = total - done;
        var minutes = clock.Elapsed.TotalMinutes;
        var rate = finished > 0 && minutes > 0 ? finished / minutes : double.NaN;
        var eta = left == 0 ? "0:00" : double.IsFinite(rate) ? Format(TimeSpan.FromMinutes(left / rate)) : "?";
        const int width = 20;
        var filled = total == 0 ? width : done * width / total;
        var names = running.ToList();
        return $"sweep [{new string('#', filled)}{new string('-', width - filled)}] {done}/{total} runs" +
               (skipped > 0 ? $" ({skipped} skipped)" : "") +
               $" | {(double.IsFinite(rate) ? $"{rate:F2} runs/min" : "rate ?")} | ETA {eta} | elapsed {Format(clock.Elapsed)}" +
               (names.Count > 0 ? $" | running: {string.Join(", ", names)}" : "");
    }

    /// <summary>Draws the line (in place on a terminal; on redirected output only when <paramref name="force"/>).</summary>
    public void Draw(IEnumerable<string> running, bool force = false)
    {
        if (interactive)
        {
            if (!force && clock.Elapsed - lastDraw < TimeSpan.FromSeconds(1)) return;
            lastDraw = clock.Elapsed;
            var line = Line(running);
            var w = Math.Max(40, Width() - 1);
            Console.Error.Write("\r" + (line.Length > w ? line[..w] : line.PadRight(w)));
        }
        else if (force || lastDraw == TimeSpan.MinValue)
        {
            lastDraw = clock.Elapsed;
            Console.Error.WriteLine(Line(running));
        }
    }

    /// <summary>Ends the line on a terminal.</summary>
    public void Finish()
    {
        if (interactive) Console.Error.WriteLine();
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{(int)t.TotalMinutes}:{t:ss}";

    private static int Width()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 120; }
        catch (IOException) { return 120; }
    }
}
