using Toolkit.Analysis;
using Toolkit.Evaluation;
using Toolkit.Training;

namespace Toolkit.Cli;

/// <summary>A progress bar on stderr: step, loss, held-out accuracy, tokens/s (or another unit's rate) and ETA. Redraws
/// in place on a terminal; prints a line every tenth of the run when output is redirected (logs, CI).</summary>
public sealed class ProgressReporter(string label, string unit = "tok") : ITrainingObserver
{
    private readonly bool interactive = !Console.IsErrorRedirected;
    private readonly System.Diagnostics.Stopwatch clock = new();
    private int firstStep, lastDecile = -1;
    private string evalText = "";

    public void OnStart(int first, int total)
    {
        firstStep = first;
        clock.Restart();
        if (first > 0) Console.Error.WriteLine($"{label}: resuming at step {first} of {total}");
    }

    public void OnEvaluation(int step, EvalResult eval, HeadScoreTable heads) =>
        evalText = $" | eval {eval.Loss:F3} acc {eval.Accuracy:P0} | ind {heads.Best(HeadRole.Induction).Induction:F2}";

    public void OnProgress(int step, int total, double trainLoss, double tokensPerSecond)
    {
        var fraction = (double)step / total;
        var done = step - firstStep;
        var eta = done > 0 ? TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (total - step)) : TimeSpan.Zero;
        const int width = 24;
        var filled = (int)(fraction * width);
        var line = $"{label} [{new string('#', filled)}{new string('-', width - filled)}] {fraction,4:P0} step {step}/{total} " +
                   $"loss {trainLoss:F3}{evalText} | {tokensPerSecond / 1000:F0}k {unit}/s | ETA {eta:m\\:ss}";
        if (interactive)
        {
            var w = Math.Max(40, SafeWidth() - 1);
            Console.Error.Write("\r" + (line.Length > w ? line[..w] : line.PadRight(w)));
        }
        else if ((int)(fraction * 10) != lastDecile)
        {
            lastDecile = (int)(fraction * 10);
            Console.Error.WriteLine(line);
        }
    }

    public void OnNotice(string message) => Console.Error.WriteLine($"{label}: {message}");

    /// <summary>Ends the bar's line.</summary>
    public void Finish()
    {
        if (interactive) Console.Error.WriteLine();
    }

    private static int SafeWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 120; }
        catch (IOException) { return 120; }
    }
}
